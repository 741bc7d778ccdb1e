package frontend

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/geolayer/geolayer/pkg/wheel"
	"github.com/moby/buildkit/client/llb"
	dfparser "github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/pkg/errors"
)

// maxIncludeDepth bounds `-r` chains in requirements files.
const maxIncludeDepth = 8

// requirement is one pinned requirement from any source, with where it was
// written so errors point at it.
type requirement struct {
	pyreq.Requirement
	version string   // the pinned version
	sha256  []string // acceptable sha256 digests (hex), empty when unhashed
	loc     []dfparser.Range
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

// loadRequirements gathers every requirement: inline REQUIRE specs, pip
// requirements files (with their -r includes) and pylock.toml files, all read
// from the build context. Every requirement must be pinned (==) for now.
func loadRequirements(ctx context.Context, c client.Client, bc *dockerui.Client, pl *plan) ([]*requirement, error) {
	files := map[string][]byte{}
	if len(pl.requireFiles) > 0 {
		var want []string
		// from: the REQUIRE line that brought each file in, so that a
		// missing file (or an include of one) is reported there.
		from := map[string][]dfparser.Range{}
		for _, f := range pl.requireFiles {
			want = append(want, f.path)
			if _, ok := from[f.path]; !ok {
				from[f.path] = f.loc
			}
		}
		for depth := 0; len(want) > 0; depth++ {
			if depth > maxIncludeDepth {
				return nil, errors.Errorf("requirements files include each other more than %d levels deep", maxIncludeDepth)
			}
			got, err := readContextFiles(ctx, c, bc, want)
			if err != nil {
				var missing *missingFile
				if errors.As(err, &missing) {
					return nil, located(err, from[missing.name])
				}
				return nil, err
			}
			want = nil
			for name, data := range got {
				files[name] = data
				if strings.HasSuffix(name, ".toml") {
					continue
				}
				rf, err := pyreq.ParseRequirementsFile(bytes.NewReader(data), name)
				if err != nil {
					// requirementsFrom parses it again and reports the
					// error at the REQUIRE line that names the file.
					continue
				}
				for _, inc := range rf.Includes {
					p := path.Clean(path.Join(path.Dir(name), inc.Path))
					if _, ok := files[p]; !ok && !strings.HasPrefix(p, "../") {
						want = append(want, p)
						if _, ok := from[p]; !ok {
							from[p] = from[name]
						}
					}
				}
			}
		}
	}
	return requirementsFrom(pl, files)
}

// requirementsFrom builds the requirement list from the Geolayerfile's
// REQUIRE specs and the requirements and lock files it names (files: their
// contents by context path, includes too). No I/O: unit-tested directly.
func requirementsFrom(pl *plan, files map[string][]byte) ([]*requirement, error) {
	var out []*requirement
	for i, r := range pl.inline {
		req := &requirement{Requirement: r, loc: pl.inlineLoc[i], source: "Geolayerfile"}
		if err := checkDirectURL(req); err != nil {
			return nil, located(err, req.loc)
		}
		out = append(out, req)
	}
	if len(pl.requireFiles) > 0 {
		hashMode := ""
		var hashed []*requirement // from requirements files, checked in hash mode
		for _, f := range pl.requireFiles {
			var reqs []*requirement
			var err error
			switch f.kind {
			case kindLock:
				reqs, err = lockRequirements(f.path, files[f.path], pl)
			default:
				fs := &fileSet{}
				err = fileRequirements(f.path, files, map[string]bool{}, false, fs)
				if err == nil {
					err = applyFileOptions(pl, fs)
				}
				if err == nil && fs.hashMode != "" && hashMode == "" {
					hashMode = fs.hashMode
				}
				reqs = fs.reqs
				hashed = append(hashed, fs.reqs...)
				for _, c := range fs.constraints {
					c.loc = f.loc
				}
				pl.constraints = append(pl.constraints, fs.constraints...)
			}
			if err != nil {
				return nil, located(err, f.loc)
			}
			for _, r := range reqs {
				if r.loc == nil {
					r.loc = f.loc
				}
			}
			out = append(out, reqs...)
		}
		// pip's hash-checking mode is global: --require-hashes in any file,
		// or a --hash on any requirement, turns it on for every requirement,
		// those on the command line (here: REQUIRE) included.
		if hashMode != "" {
			if err := checkGlobalHashMode(hashMode, out, hashed); err != nil {
				return nil, err
			}
		}
	}
	return finishRequirements(out)
}

// fileSet is what a requirements file and its includes hold.
type fileSet struct {
	reqs        []*requirement
	constraints []*requirement // -c files: restrict versions, never add names
	options     []fileOption
	hashMode    string // why hash-checking mode is on ("a.txt:3: --require-hashes"), "" when off
}

type fileOption struct {
	file string
	pyreq.Option
}

// checkGlobalHashMode applies pip's hash-checking mode to every
// requirement: each needs a hash and an exact pin (pip: "Hashes are required
// in --require-hashes mode"). The error names the first offender's line.
func checkGlobalHashMode(why string, all, fromFiles []*requirement) error {
	inFiles := map[*requirement]bool{}
	for _, r := range fromFiles {
		inFiles[r] = true
	}
	for _, r := range all {
		if r.lock != nil {
			continue
		}
		_, pinned := r.Pinned()
		switch {
		case !inFiles[r]:
			return located(errors.Errorf("%s: hash-checking mode is on (%s) and REQUIRE %s carries no hash: a REQUIRE spec cannot carry one, so move it into the requirements file with --hash=sha256:<digest>", r.source, why, r.Raw), r.loc)
		case len(r.Hashes) == 0:
			return located(errors.Errorf("%s: %s has no --hash, and hash-checking mode is on (%s): every requirement needs --hash=sha256:<digest> (pip refuses this file too)", r.source, r.Raw, why), r.loc)
		case !pinned && r.URL == "":
			return located(errors.Errorf("%s: %s is not pinned with ==, and hash-checking mode is on (%s): pin it to one version", r.source, r.Raw, why), r.loc)
		}
	}
	return nil
}

// applyFileOptions honours or refuses each file-level pip option, so that
// nothing a requirements file asks for is silently dropped
// (docs/geolayerfile.md, "Requirements files").
func applyFileOptions(pl *plan, fs *fileSet) error {
	indexes := append([]string{pl.index}, pl.extraIndexes...)
	for _, o := range fs.options {
		at := fmt.Sprintf("%s:%d: --%s", o.file, o.Line, o.Name)
		switch o.Name {
		case "require-hashes":
			if fs.hashMode == "" {
				fs.hashMode = fmt.Sprintf("%s:%d says --require-hashes", o.file, o.Line)
			}
		case "index-url":
			if !sameIndex(o.Value, pl.index) {
				return errors.Errorf("%s %s: geolayer fetches only from the indexes the Geolayerfile names (INDEX, or the GEOLAYER_INDEX_URL build arg), here %s, so that no requirement can come from an index you did not name there: name this index with INDEX (INDEX --secret for credentials) or remove the line", at, redactURL(o.Value), strings.Join(redactAll(indexes), ", "))
			}
		case "extra-index-url":
			if !slices.ContainsFunc(indexes, func(ix string) bool { return sameIndex(ix, o.Value) }) {
				return errors.Errorf("%s %s: not an index of the Geolayerfile (%s); name it with INDEX --extra-index-url (or remove the line)", at, redactURL(o.Value), strings.Join(redactAll(indexes), ", "))
			}
		case "no-index", "find-links":
			return errors.Errorf("%s: installing from local files or link pages is not supported; geolayer installs from the Geolayerfile's INDEX, by sha256", at)
		case "trusted-host":
			return errors.Errorf("%s %s: BuildKit verifies TLS for every https download and cannot skip it for a host; an index served over plain http needs no --trusted-host here", at, o.Value)
		case "no-binary":
			return errors.Errorf("%s %s: to compile packages from their sdist, write BUILD <package> (or BUILD --auto) in the Geolayerfile", at, o.Value)
		case "only-binary":
			for _, n := range strings.Split(o.Value, ",") {
				if _, ok := pl.builds[wheel.NormalizeName(n)]; ok {
					return errors.Errorf("%s %s: BUILD in the Geolayerfile compiles %s from its sdist", at, o.Value, n)
				}
			}
			// Honoured: geolayer installs wheels unless BUILD says otherwise.
		case "prefer-binary":
			// Honoured: geolayer never picks an sdist over a wheel.
		case "pre":
			pl.pre = true // pip's resolver may choose pre-releases
		default: // use-feature and anything pip adds later
			return errors.Errorf("%s %s: not supported by geolayer", at, o.Value)
		}
	}
	return nil
}

// sameIndex compares index URLs as pip would use them (a trailing slash
// does not matter).
func sameIndex(a, b string) bool {
	return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
}

func redactAll(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = redactURL(u)
	}
	return out
}

// redactURL hides a password in a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// fileRequirements reads a requirements file and its -r/-c includes into
// fs: requirements of a -c file (and of the files it includes) are
// constraints, as in pip.
func fileRequirements(name string, files map[string][]byte, seen map[string]bool, constraint bool, fs *fileSet) error {
	if seen[name] {
		return errors.Errorf("%s includes itself", name)
	}
	seen[name] = true
	data, ok := files[name]
	if !ok {
		return errors.Errorf("%s: not found in the build context", name)
	}
	rf, err := pyreq.ParseRequirementsFile(bytes.NewReader(data), name)
	if err != nil {
		return err
	}
	for _, r := range rf.Requirements {
		req := &requirement{Requirement: r, source: fmt.Sprintf("%s:%d", name, r.Line)}
		if constraint {
			if len(r.Extras) > 0 {
				return errors.Errorf("%s: constraints cannot have extras (%s), as in pip", req.source, r.Raw)
			}
			if r.URL != "" {
				return errors.Errorf("%s: a direct URL in a constraints file (%s) is not supported", req.source, r.Raw)
			}
			fs.constraints = append(fs.constraints, req)
			continue
		}
		if err := checkDirectURL(req); err != nil {
			return err
		}
		if len(r.Hashes) > 0 && fs.hashMode == "" {
			fs.hashMode = fmt.Sprintf("%s has a --hash", req.source)
		}
		fs.reqs = append(fs.reqs, req)
	}
	for _, o := range rf.Options {
		fs.options = append(fs.options, fileOption{file: name, Option: o})
	}
	for _, inc := range rf.Includes {
		p := path.Clean(path.Join(path.Dir(name), inc.Path))
		if strings.HasPrefix(p, "../") || p == ".." {
			return errors.Errorf("%s:%d: %s is outside the build context", name, inc.Line, inc.Path)
		}
		if err := fileRequirements(p, files, seen, constraint || inc.Constraint, fs); err != nil {
			return err
		}
	}
	return nil
}

func lockRequirements(name string, data []byte, pl *plan) ([]*requirement, error) {
	lock, err := pyreq.ParsePylock(data)
	if err != nil {
		return nil, errors.Wrap(err, name)
	}
	if len(lock.UnknownKeys) > 0 {
		// A newer 1.x lock: PEP 751 asks for a warning.
		pl.warnf(nil, "%s: lock-version %s has keys geolayer does not know (%s); they are ignored", name, lock.LockVersion, strings.Join(lock.UnknownKeys, ", "))
	}
	var out []*requirement
	for i, p := range lock.Packages {
		where := fmt.Sprintf("%s: package %s", name, p.Name)
		if p.Version != "" {
			where += " " + p.Version
		}
		// What geolayer cannot honour is refused, never skipped.
		switch {
		case p.VCS != nil:
			return nil, errors.Errorf("%s comes from %s (a VCS checkout): geolayer installs wheels by hash; build a wheel, publish it to an index and lock that", where, p.VCS.Type)
		case p.Directory != nil:
			return nil, errors.Errorf("%s is a local directory (%s): geolayer installs wheels by hash; build a wheel, publish it to an index and lock that", where, p.Directory.Path)
		case p.Archive != nil:
			return nil, errors.Errorf("%s is a direct archive URL: geolayer installs wheels from an index by hash; publish it to an index and lock that", where)
		case len(p.AttestationIdentities) > 0 && !pl.lockAttestationsUnverified:
			return nil, errors.Errorf("%s lists attestation-identities, which geolayer cannot verify (it checks every file against the lock's sha256); to install on the hashes alone, pass --build-arg %s=unverified", where, argLockAttestations)
		}
		r := &requirement{source: name, version: p.Version, fromLock: lock, lockIndex: i}
		r.Name = wheel.NormalizeName(p.Name)
		r.Marker = p.Marker
		for _, w := range p.Wheels {
			sha := strings.ToLower(w.Hashes["sha256"])
			if sha == "" {
				return nil, errors.Errorf("%s: wheel %s has no sha256 hash", where, w.Name)
			}
			u := w.URL
			if u == "" {
				return nil, errors.Errorf("%s: wheel %s has no url (path wheels are not supported)", where, w.Name)
			}
			// The same URL policy as for index pages, the lock's URLs
			// judged as if the build's primary index had served them.
			if err := checkLinkURL(u, pl.index); err != nil {
				return nil, errors.Errorf("%s: %v", where, err)
			}
			fn := w.Name
			if fn == "" {
				fn = path.Base(u)
			}
			r.lock = append(r.lock, lockWheel{filename: fn, url: u, sha256: sha})
		}
		if len(r.lock) == 0 {
			return nil, errors.Errorf("%s has only an sdist: geolayer installs locked packages from their wheels; lock a version with wheels for the target", where)
		}
		out = append(out, r)
	}
	return out, nil
}

// argLockAttestations accepts pylock entries with attestation-identities
// on their hashes alone.
const argLockAttestations = "GEOLAYER_PYLOCK_ATTESTATIONS"

// finishRequirements collects hashes and merges duplicates. Unpinned
// requirements are kept for pip's resolver (resolved per platform).
func finishRequirements(reqs []*requirement) ([]*requirement, error) {
	byName := map[string]*requirement{}
	var out []*requirement
	for _, r := range reqs {
		r.Name = wheel.NormalizeName(r.Name)
		if r.lock == nil {
			if v, ok := r.Pinned(); ok {
				r.version = v
			}
			for _, h := range r.Hashes {
				if strings.ToLower(h.Alg) == "sha256" {
					r.sha256 = append(r.sha256, strings.ToLower(h.Hex))
				}
			}
			if len(r.Hashes) > 0 && len(r.sha256) == 0 {
				return nil, located(errors.Errorf("%s: %s: only sha256 hashes can be checked by the fetch step; add a --hash=sha256:...", r.source, r.Name), r.loc)
			}
		}
		if r.fromLock != nil {
			// One name may have several entries in a lock (per
			// environment); the lock's selection picks one per target.
			// A name both locked and required elsewhere is a conflict.
			if prev, ok := byName[r.Name]; ok && prev.fromLock != r.fromLock {
				return nil, located(errors.Errorf("%s is required twice: %q (%s) and by the lock %s", r.Name, prev.Raw, prev.source, r.source), r.loc)
			}
			byName[r.Name] = r
			out = append(out, r)
			continue
		}
		if prev, ok := byName[r.Name]; ok {
			if prev.fromLock != nil {
				return nil, located(errors.Errorf("%s is required twice: %q (%s) and by the lock %s", r.Name, r.Raw, r.source, prev.source), r.loc)
			}
			if prev.version != r.version || prev.Specifier != r.Specifier {
				return nil, located(errors.Errorf("%s is required twice, differently: %q (%s) and %q (%s)", r.Name, prev.Raw, prev.source, r.Raw, r.source), r.loc)
			}
			continue
		}
		byName[r.Name] = r
		out = append(out, r)
	}
	return out, nil
}

// needsResolver reports whether any requirement is not pinned to one
// version (or comes without a lock entry): then pip resolves the set.
func needsResolver(reqs []*requirement) bool {
	for _, r := range reqs {
		if r.lock == nil && r.version == "" {
			return true
		}
	}
	return false
}

// readContextFiles reads files from the main build context.
func readContextFiles(ctx context.Context, c client.Client, bc *dockerui.Client, names []string) (map[string][]byte, error) {
	st, err := bc.MainContext(ctx, llb.FollowPaths(names), llb.SharedKeyHint("geolayer-requirements"), dockerui.WithInternalName("load requirements"))
	if err != nil {
		return nil, err
	}
	def, err := st.Marshal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB()})
	if err != nil {
		return nil, err
	}
	ref, err := res.SingleRef()
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, n := range names {
		b, err := ref.ReadFile(ctx, client.ReadRequest{Filename: n})
		if err != nil {
			return nil, &missingFile{name: n}
		}
		out[n] = b
	}
	return out, nil
}

// missingFile is a requirements or lock file the build context does not
// have (or has only as a symlink that leads out of it).
type missingFile struct{ name string }

func (e *missingFile) Error() string {
	return e.name + ": not found in the build context (a symlink to a file outside the context does not count)"
}

// checkDirectURL refuses direct references geolayer cannot fetch by hash:
// VCS checkouts (git+, hg+, svn+, bzr+) and non-http(s) URLs. An http(s)
// URL goes to pip's resolver, which reports the file and its hash.
func checkDirectURL(r *requirement) error {
	if r.URL == "" {
		return nil
	}
	scheme, _, _ := strings.Cut(r.URL, ":")
	scheme = strings.ToLower(scheme)
	if u, err := url.Parse(r.URL); err == nil && u.User != nil {
		// Never repeat the text: it holds the credentials.
		return errors.Errorf("%s: %s @ %s: credentials must not be written into a requirement's URL (they would reach logs, the lock file and provenance); name the index with INDEX <url> --secret=<id> instead", r.source, r.Name, redactURL(r.URL))
	}
	switch {
	case strings.Contains(scheme, "+"):
		return errors.Errorf("%s: %s: VCS requirements are not supported (geolayer installs published wheels by sha256): pin a released version", r.source, r.Raw)
	case scheme != "http" && scheme != "https":
		return errors.Errorf("%s: %s: only http and https URLs can be fetched (by their sha256) in a build", r.source, r.Raw)
	}
	return nil
}

func locOf(reqs []*requirement, name string) []dfparser.Range {
	for _, r := range reqs {
		if r.Name == name {
			return r.loc
		}
	}
	return nil
}
