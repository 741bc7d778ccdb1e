package frontend

// Selection: for one platform, the file each requirement installs, chosen
// from the index pages (or a lock file, or pip's resolution): the best
// wheel for the target's tags, or for BUILD the pinned version's sdist,
// checked against hashes and -c constraints.

import (
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/llbgen"
	"github.com/geolayer/geolayer/pkg/pep440"
	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/geolayer/geolayer/pkg/simpleindex"
	"github.com/geolayer/geolayer/pkg/wheel"
	"github.com/moby/buildkit/solver/pb"
	"github.com/pkg/errors"
)

// selectWheels picks, for one platform, the best wheel of every requirement
// whose marker applies: PEP 425 order for the target's CPython, glibc and
// architecture; never musllinux or linux_*.
func selectWheels(pl *plan, t *llbgen.Target, reqs []*requirement, pages map[pageKey]*simpleindex.Project) ([]llbgen.Wheel, error) {
	rt := pl.runtimeFor(t)
	wt := wheelTarget(rt, t.Platform)
	tags, err := wheel.TargetTags(wt)
	if err != nil {
		return nil, err
	}
	env := pyreq.LinuxEnv(rt.PythonVersion, wt.Arch)
	// Lock files select their entries for the target as PEP 751 says
	// (requires-python, environments, default-groups, markers, per-entry
	// requires-python, one entry per name).
	chosen := map[*pyreq.Lock]map[int]bool{}
	for _, r := range reqs {
		if r.fromLock == nil || chosen[r.fromLock] != nil {
			continue
		}
		idx, err := r.fromLock.SelectIndexes(env)
		if err != nil {
			return nil, located(errors.Errorf("%s: %v (target %s, Python %s)", r.lockPath(), err, platforms.Format(t.Platform), rt.PythonVersion), r.loc)
		}
		chosen[r.fromLock] = map[int]bool{}
		for _, i := range idx {
			chosen[r.fromLock][i] = true
		}
	}
	var out []llbgen.Wheel
	for _, r := range reqs {
		if r.fromLock != nil {
			if !chosen[r.fromLock][r.lockIndex] {
				continue
			}
		} else if r.Marker != "" {
			ok, err := pyreq.EvalMarker(r.Marker, env)
			if err != nil {
				return nil, located(errors.Wrapf(err, "%s: marker", r.Name), r.loc)
			}
			if !ok {
				continue
			}
		}
		hashes, err := applyConstraints(pl, r, env)
		if err != nil {
			return nil, located(err, r.loc)
		}
		w, err := selectOne(pl, r, tags, pages, t)
		if err != nil {
			return nil, located(err, r.loc)
		}
		w.Location = toPBRanges(r.loc)
		if len(hashes) > 0 && !slices.Contains(hashes, w.SHA256) {
			return nil, located(errors.Errorf("%s==%s: %s (sha256:%s) does not match the hashes its constraint gives", r.Name, r.version, w.Filename, w.SHA256), r.loc)
		}
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	for i := 1; i < len(out); i++ {
		if out[i].Name == out[i-1].Name {
			return nil, errors.Errorf("%s is required twice (%s and %s)", out[i].Name, out[i-1].Filename, out[i].Filename)
		}
	}
	return out, nil
}

type candidate struct {
	filename, url, sha256 string
	badHash               string // a malformed hash fragment on the page
}

func selectOne(pl *plan, r *requirement, tags []wheel.Tag, pages map[pageKey]*simpleindex.Project, t *llbgen.Target) (llbgen.Wheel, error) {
	if _, ok := pl.builds[r.Name]; ok {
		return selectSdist(pl, r, pages, t)
	}
	var cands []candidate
	var others []string // files of the pinned version we could not use
	if r.lock != nil {
		for _, lw := range r.lock {
			cands = append(cands, candidate{filename: lw.filename, url: lw.url, sha256: lw.sha256})
		}
	} else {
		// A popular project's page lists thousands of files: compare the
		// version field first (memoized per distinct version string) and
		// parse only the pinned version's file names.
		versionMatch := map[string]bool{}
		var yanked []candidate
		for _, ix := range append([]string{pl.index}, pl.extraIndexes...) {
			p := pages[pageKey{ix, r.Name}]
			if p == nil {
				continue
			}
			pageURL := simpleindex.ProjectURL(ix, r.Name)
			for _, f := range p.Files {
				if !strings.HasSuffix(f.Filename, ".whl") {
					continue
				}
				if v, ok := wheelVersionField(f.Filename); ok {
					match, seen := versionMatch[v]
					if !seen {
						match = sameVersion(v, r.version)
						versionMatch[v] = match
					}
					if !match {
						continue
					}
				}
				fn, err := wheel.ParseFilename(f.Filename)
				if err != nil || !sameVersion(fn.Version, r.version) {
					continue
				}
				// A page may list only its own project's files: another
				// project's wheel of the same version is never a candidate.
				if wheel.NormalizeName(fn.Name) != r.Name {
					others = append(others, f.Filename+" (another project's file, listed on the page of "+r.Name+")")
					continue
				}
				if err := checkLinkURL(f.URL, pageURL); err != nil {
					return llbgen.Wheel{}, errors.Errorf("%s==%s: the index page %s lists %s: %v", r.Name, r.version, redactURL(pageURL), f.Filename, err)
				}
				if f.RequiresPython != "" {
					if ok, err := pep440.SatisfiesRequiresPython(f.RequiresPython, pl.runtimeFor(t).PythonVersion); err == nil && !ok {
						others = append(others, f.Filename+" (requires-python "+f.RequiresPython+")")
						continue
					}
				}
				c := candidate{f.Filename, f.URL, f.Hashes["sha256"], f.BadHash}
				if f.Yanked {
					yanked = append(yanked, c)
					continue
				}
				cands = append(cands, c)
			}
		}
		// PEP 592: a yanked file is used only when an exact pin leaves no
		// other choice, and then with a warning.
		if len(cands) == 0 && len(yanked) > 0 {
			cands = yanked
			pl.warnf(r.loc, "%s==%s: every file of this version is yanked on the index; using it because it is pinned exactly (PEP 592). Pin another version if the yank was for a reason that affects you", r.Name, r.version)
		}
	}
	if len(cands) == 0 && pl.buildAuto && r.lock == nil {
		return selectSdist(pl, r, pages, t)
	}
	if len(cands) == 0 {
		if len(others) > 0 {
			return llbgen.Wheel{}, errors.Errorf("%s==%s: no wheel for Python %s: %s", r.Name, r.version, pl.runtimeFor(t).PythonVersion, strings.Join(others, ", "))
		}
		return llbgen.Wheel{}, errors.Errorf("%s==%s: not found on %s", r.Name, r.version, strings.Join(append([]string{pl.index}, pl.extraIndexes...), ", "))
	}
	names := make([]string, len(cands))
	for i, c := range cands {
		names[i] = c.filename
	}
	best, _, err := wheel.Select(names, tags)
	if err != nil && pl.buildAuto {
		return selectSdist(pl, r, pages, t)
	}
	if err != nil {
		if len(pl.builds) == 0 {
			err = errors.Wrapf(err, "no wheel fits (BUILD %s compiles its sdist in the target's build image)", r.Name)
		}
		return llbgen.Wheel{}, errors.Wrapf(err, "%s==%s", r.Name, r.version)
	}
	var c candidate
	for _, x := range cands {
		if x.filename == best {
			c = x
			break
		}
	}
	sha := strings.ToLower(c.sha256)
	switch {
	case len(r.sha256) > 0 && sha != "" && !slices.Contains(r.sha256, sha):
		return llbgen.Wheel{}, errors.Errorf("%s==%s: hash mismatch: the index publishes sha256:%s for %s, which is not among the hashes required in %s", r.Name, r.version, sha, best, r.source)
	case sha == "" && len(r.sha256) == 1:
		sha = r.sha256[0]
	case sha == "" && c.badHash != "":
		return llbgen.Wheel{}, errors.Errorf("%s==%s: the index gives a malformed hash for %s (#%s is not a hex digest of the right length); fix the index, or add --hash=sha256:<digest> to the requirement", r.Name, r.version, best, c.badHash)
	case sha == "":
		return llbgen.Wheel{}, errors.Errorf("%s==%s: the index gives no sha256 for %s; add --hash=sha256:<digest> to the requirement", r.Name, r.version, best)
	}
	fn, _ := wheel.ParseFilename(best)
	return llbgen.Wheel{
		Name:       r.Name,
		Version:    fn.Version,
		Filename:   path.Base(best),
		URL:        c.url,
		SHA256:     sha,
		Tag:        tagSummary(best),
		AuthSecret: pl.secretFor(c.url),
	}, nil
}

// selectSdist picks the pinned version's sdist for BUILD: fetched by its
// sha256 like a wheel, compiled for the target platform in the profile's
// build image (llbgen.buildWheel).
func selectSdist(pl *plan, r *requirement, pages map[pageKey]*simpleindex.Project, t *llbgen.Target) (llbgen.Wheel, error) {
	if r.lock != nil || r.version == "" {
		return llbgen.Wheel{}, errors.Errorf("%s: BUILD needs the package pinned with == in REQUIRE or a requirements file (pip's resolver and lock files choose wheels only)", r.Name)
	}
	for _, ix := range append([]string{pl.index}, pl.extraIndexes...) {
		p := pages[pageKey{ix, r.Name}]
		if p == nil {
			continue
		}
		for _, f := range p.Files {
			if !strings.HasSuffix(f.Filename, ".tar.gz") {
				continue
			}
			base := strings.TrimSuffix(f.Filename, ".tar.gz")
			i := strings.LastIndexByte(base, '-')
			if i < 0 || wheel.NormalizeName(base[:i]) != r.Name || !sameVersion(base[i+1:], r.version) {
				continue
			}
			sha := strings.ToLower(f.Hashes["sha256"])
			if sha == "" && len(r.sha256) == 1 {
				sha = r.sha256[0]
			}
			if sha == "" {
				return llbgen.Wheel{}, errors.Errorf("%s==%s: the index gives no sha256 for %s; add --hash=sha256:<digest> to the requirement", r.Name, r.version, f.Filename)
			}
			if len(r.sha256) > 0 && !slices.Contains(r.sha256, sha) {
				return llbgen.Wheel{}, errors.Errorf("%s==%s: hash mismatch: the index publishes sha256:%s for %s, which is not among the hashes required in %s", r.Name, r.version, sha, f.Filename, r.source)
			}
			version := base[i+1:]
			return llbgen.Wheel{
				Name:       r.Name,
				Version:    version,
				Filename:   llbgen.WheelFilename(r.Name, version, pl.runtimeFor(t).ABI, wheel.PlatformArch(t.Platform.Architecture)),
				URL:        f.URL,
				SHA256:     sha,
				Tag:        "built from " + f.Filename,
				AuthSecret: pl.secretFor(f.URL),
				Sdist: &llbgen.Sdist{
					Filename:         f.Filename,
					URL:              f.URL,
					SHA256:           sha,
					Indexes:          pl.indexSpecs(),
					ABI:              pl.runtimeFor(t).ABI,
					NoBuildIsolation: noIsolation(pl, r.Name),
					Location:         buildLocation(pl, r.Name),
				},
			}, nil
		}
	}
	return llbgen.Wheel{}, errors.Errorf("%s==%s: BUILD: no sdist (.tar.gz) of that version on %s", r.Name, r.version, strings.Join(append([]string{pl.index}, pl.extraIndexes...), ", "))
}

// noIsolation reports whether a package is compiled without build
// isolation: BUILD <name> --no-build-isolation, or BUILD --auto
// --no-build-isolation for a package BUILD does not name.
func noIsolation(pl *plan, name string) bool {
	if v, ok := pl.builds[name]; ok {
		return v
	}
	return pl.autoNoIsolation
}

// buildLocation is where the Geolayerfile asks for a package to be built.
func buildLocation(pl *plan, name string) []*pb.Range {
	if loc, ok := pl.buildLocs[name]; ok {
		return loc
	}
	return pl.autoLoc
}

// applyConstraints checks a pinned requirement against the -c constraints
// that apply on the target (their markers evaluated there): its version
// must satisfy every one. It returns the sha256 digests the constraints
// require of the chosen file (empty: none). Constraints never add a
// package: one for a name nobody requires is ignored, as in pip.
func applyConstraints(pl *plan, r *requirement, env map[string]string) ([]string, error) {
	var hashes []string
	for _, c := range pl.constraints {
		if c.Name != r.Name {
			continue
		}
		if c.Marker != "" {
			ok, err := pyreq.EvalMarker(c.Marker, env)
			if err != nil {
				return nil, errors.Wrapf(err, "%s: marker", c.source)
			}
			if !ok {
				continue
			}
		}
		if c.Specifier != "" && r.version != "" {
			set, err := pep440.ParseSpecifierSet(c.Specifier)
			if err != nil {
				return nil, errors.Wrapf(err, "%s", c.source)
			}
			ok, err := set.ContainsString(r.version)
			if err != nil {
				return nil, errors.Wrapf(err, "%s: %s", r.source, r.Raw)
			}
			if !ok {
				return nil, errors.Errorf("%s==%s (%s) does not satisfy its constraint %s (%s)", r.Name, r.version, r.source, c.Raw, c.source)
			}
		}
		for _, h := range c.Hashes {
			if strings.ToLower(h.Alg) == "sha256" {
				hashes = append(hashes, strings.ToLower(h.Hex))
			}
		}
	}
	return hashes, nil
}

// wheelVersionField is the version field of a wheel file name
// (name-version[-build]-python-abi-platform.whl), without parsing the rest;
// ok is false for a name of another shape (ParseFilename then decides).
func wheelVersionField(filename string) (string, bool) {
	if n := strings.Count(filename, "-"); n != 4 && n != 5 {
		return "", false
	}
	_, rest, _ := strings.Cut(filename, "-")
	v, _, _ := strings.Cut(rest, "-")
	return v, v != ""
}

func sameVersion(a, b string) bool {
	if a == b {
		return true
	}
	n, err := pep440.CompareVersions(a, b)
	return err == nil && n == 0
}

// tagSummary turns numpy-2.1.0-cp313-cp313-manylinux_2_17_x86_64.whl into
// cp313-manylinux_2_17_x86_64 for vertex names.
func tagSummary(filename string) string {
	parts := strings.Split(strings.TrimSuffix(filename, ".whl"), "-")
	if len(parts) < 3 {
		return filename
	}
	return parts[len(parts)-3] + "-" + parts[len(parts)-1]
}
