package frontend

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/llbgen"
	"github.com/geolayer/geolayer/pkg/pep440"
	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/geolayer/geolayer/pkg/simpleindex"
	"github.com/geolayer/geolayer/pkg/wheel"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"
)

// requirement is one pinned requirement from any source, with where it was
// written so errors point at it.
type requirement struct {
	pyreq.Requirement
	version string   // the pinned version
	sha256  []string // acceptable sha256 digests (hex), empty when unhashed
	loc     []parser.Range
	source  string // "Geolayerfile", "requirements.txt:12"
	lock    []lockWheel
	// fromLock is the pylock.toml the entry came from and lockIndex its
	// index in Packages: which entries apply is decided per target by
	// the spec's selection (pyreq.Lock.SelectIndexes), not by r.Marker.
	fromLock  *pyreq.Lock
	lockIndex int
}

type lockWheel struct {
	filename, url, sha256 string
}

// lockPath is the lock file an entry came from.
func (r *requirement) lockPath() string {
	name, _, _ := strings.Cut(r.source, ":")
	return name
}

// pageKey identifies an index page.
type pageKey struct{ index, project string }

// fetchIndexPages reads every project's index page (through BuildKit's
// HTTP source: pf), once for all platforms, in parallel, each bounded in
// time and size. A project the index does not have (HTTP 404/410) gets an
// empty page; any other failure is an error naming the URL and the INDEX.
func fetchIndexPages(ctx context.Context, pf pageFetcher, pl *plan, reqs []*requirement) (map[pageKey]*simpleindex.Project, error) {
	indexes := append([]string{pl.index}, pl.extraIndexes...)
	var keys []pageKey
	seen := map[pageKey]bool{}
	for _, r := range reqs {
		if r.lock != nil {
			continue
		}
		for _, ix := range indexes {
			k := pageKey{ix, r.Name}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	var mu sync.Mutex
	pages := map[pageKey]*simpleindex.Project{}
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(8)
	for _, k := range keys {
		eg.Go(func() error {
			u := simpleindex.ProjectURL(k.index, k.project)
			secret := pl.secretFor(u)
			fctx, cancel := context.WithTimeout(ctx, pl.httpTimeout)
			body, err := pf.fetch(fctx, u, secret, pl.pageLimit, pl.noCache)
			cancel()
			if err != nil {
				if oc, _ := classify(err); oc == outcomeAbsent {
					mu.Lock()
					pages[k] = &simpleindex.Project{Name: k.project}
					mu.Unlock()
					return nil
				}
				// A new error, not a wrapper: the gateway sends the innermost
				// gRPC status to the client, which would drop a wrapper.
				return located(errors.New(explainStatus("fetching index page", redactURL(u), secret, err, pl.httpTimeout)), pl.indexLocation(k.index))
			}
			p, err := decodePage(body, u)
			if err != nil {
				return located(errors.Errorf("reading index page %s: %v", redactURL(u), err), pl.indexLocation(k.index))
			}
			mu.Lock()
			pages[k] = p
			mu.Unlock()
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return pages, nil
}

// selectWheels picks, for one platform, the best wheel of every requirement
// whose marker applies: PEP 425 order for the target's CPython, glibc and
// architecture; never musllinux or linux_*.
func selectWheels(pl *plan, t *llbgen.Target, reqs []*requirement, pages map[pageKey]*simpleindex.Project) ([]llbgen.Wheel, error) {
	wt := wheelTarget(pl.runtime, t.Platform)
	tags, err := wheel.TargetTags(wt)
	if err != nil {
		return nil, err
	}
	env := pyreq.LinuxEnv(pl.runtime.PythonVersion, wt.Arch)
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
			return nil, located(errors.Errorf("%s: %v (target %s, Python %s)", r.lockPath(), err, platforms.Format(t.Platform), pl.runtime.PythonVersion), r.loc)
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
		if len(hashes) > 0 && !contains(hashes, w.SHA256) {
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
					if ok, err := pep440.SatisfiesRequiresPython(f.RequiresPython, pl.runtime.PythonVersion); err == nil && !ok {
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
			return llbgen.Wheel{}, errors.Errorf("%s==%s: no wheel for Python %s: %s", r.Name, r.version, pl.runtime.PythonVersion, strings.Join(others, ", "))
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
	case len(r.sha256) > 0 && sha != "" && !contains(r.sha256, sha):
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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

// explainFetchError turns a failed wheel or sdist download into an error
// that names the package, the URL and what happened, decided by the HTTP
// status (not found, credentials, server error) or by BuildKit's "digest
// mismatch" (the bytes differ from the published sha256), and points at the
// requirement. byVertex maps the digests of the fetch steps to their
// wheels (fetchVertices), so a status error, which names no URL, is
// attributed to its package.
//
// BuildKit's HTTP source does not check the status of a download it knows
// the checksum of (source/http Snapshot saves any body), so an error page
// comes back as a digest mismatch: probe, when not nil, fetches the URL
// again without a checksum, which does check it, so that a 404, 401 or 5xx
// is reported as such rather than as a tampered file.
func explainFetchError(err error, wheels []llbgen.Wheel, byVertex map[string]llbgen.Wheel, reqs []*requirement, probe func(url, secret string) error) error {
	if err == nil {
		return nil
	}
	var w *llbgen.Wheel
	var ve *errdefs.VertexError
	if errors.As(err, &ve) && ve.Vertex != nil {
		if x, ok := byVertex[ve.Digest]; ok {
			w = &x
		}
	}
	if w == nil {
		for i := range wheels {
			x := &wheels[i]
			if strings.Contains(err.Error(), x.URL) || x.AuthSecret != "" && strings.Contains(err.Error(), "secret "+x.AuthSecret) ||
				strings.Contains(err.Error(), "digest mismatch") && strings.Contains(err.Error(), x.SHA256) {
				w = x
				break
			}
		}
	}
	if w == nil {
		return err
	}
	what := fmt.Sprintf("%s %s: downloading", w.Name, w.Version)
	// A new error, not a wrapper: the gateway sends the innermost gRPC
	// status to the client, which would drop a wrapper's message.
	switch {
	case httpStatus(err) != 0:
		return located(errors.New(explainStatus(what, redactURL(w.URL), w.AuthSecret, err, 0)), locOf(reqs, w.Name))
	case strings.Contains(err.Error(), "digest mismatch"):
		if probe != nil {
			if perr := probe(w.URL, w.AuthSecret); httpStatus(perr) != 0 {
				return located(errors.New(explainStatus(what, redactURL(w.URL), w.AuthSecret, perr, 0)), locOf(reqs, w.Name))
			}
		}
		return located(errors.Errorf("%s %s: the file downloaded from %s does not match its published sha256 checksum %s (tampered or republished file?): %s", w.Name, w.Version, redactURL(w.URL), w.SHA256, err.Error()), locOf(reqs, w.Name))
	case w.AuthSecret != "" && strings.Contains(err.Error(), "secret"):
		return located(errors.Errorf("%s %s: downloading %s: %s (the index's build secret is %q: pass it with `--secret id=%s,env=VAR`)", w.Name, w.Version, redactURL(w.URL), err.Error(), w.AuthSecret, w.AuthSecret), locOf(reqs, w.Name))
	case strings.Contains(err.Error(), "unexpected EOF"):
		return located(errors.Errorf("%s %s: downloading %s: the server closed the connection before the whole file arrived (unexpected EOF); retry, or check the index", w.Name, w.Version, redactURL(w.URL)), locOf(reqs, w.Name))
	}
	// Any other failure of a download step: name the package and URL.
	return located(errors.Errorf("%s %s: downloading %s: %s", w.Name, w.Version, redactURL(w.URL), err.Error()), locOf(reqs, w.Name))
}

// statusProbe fetches a download URL as a page (no checksum, not cached,
// at most a minute, the body bounded to 1 KiB: only the status matters)
// for explainFetchError.
func statusProbe(ctx context.Context, pf pageFetcher) func(url, secret string) error {
	return func(u, secret string) error {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_, err := pf.fetch(ctx, u, secret, 1<<10, true)
		return err
	}
}

// fetchVertices maps the digest of each wheel's and sdist's fetch step
// (marshalled as the platform's graph marshals it) to the wheel.
func fetchVertices(ctx context.Context, gen *llbgen.Gen, t *llbgen.Target, wheels []llbgen.Wheel) map[string]llbgen.Wheel {
	out := map[string]llbgen.Wheel{}
	for _, w := range wheels {
		def, err := gen.FetchState(t, w).Marshal(ctx, llb.Platform(t.Platform))
		if err != nil {
			continue
		}
		for _, dt := range def.Def {
			var op pb.Op
			if proto.Unmarshal(dt, &op) == nil && op.GetSource() != nil {
				out[digest.FromBytes(dt).String()] = w
			}
		}
	}
	return out
}

func locOf(reqs []*requirement, name string) []parser.Range {
	for _, r := range reqs {
		if r.Name == name {
			return r.loc
		}
	}
	return nil
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
			if len(r.sha256) > 0 && !contains(r.sha256, sha) {
				return llbgen.Wheel{}, errors.Errorf("%s==%s: hash mismatch: the index publishes sha256:%s for %s, which is not among the hashes required in %s", r.Name, r.version, sha, f.Filename, r.source)
			}
			version := base[i+1:]
			return llbgen.Wheel{
				Name:       r.Name,
				Version:    version,
				Filename:   llbgen.WheelFilename(r.Name, version, pl.runtime.ABI, wheel.PlatformArch(t.Platform.Architecture)),
				URL:        f.URL,
				SHA256:     sha,
				Tag:        "built from " + f.Filename,
				AuthSecret: pl.secretFor(f.URL),
				Sdist: &llbgen.Sdist{
					Filename:         f.Filename,
					URL:              f.URL,
					SHA256:           sha,
					Indexes:          pl.indexSpecs(),
					ABI:              pl.runtime.ABI,
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
