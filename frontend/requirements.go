package frontend

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/geolayer/geolayer/pkg/wheel"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/pkg/errors"
)

// maxIncludeDepth bounds `-r` chains in requirements files.
const maxIncludeDepth = 8

// loadRequirements gathers every requirement: inline REQUIRE specs, pip
// requirements files (with their -r includes) and pylock.toml files, all read
// from the build context. Every requirement must be pinned (==) for now.
func loadRequirements(ctx context.Context, c client.Client, bc *dockerui.Client, pl *plan) ([]*requirement, error) {
	var out []*requirement
	for i, r := range pl.inline {
		out = append(out, &requirement{Requirement: r, loc: pl.inlineLoc[i], source: "Geolayerfile"})
	}
	if len(pl.requireFiles) > 0 {
		files := map[string][]byte{}
		var want []string
		for _, f := range pl.requireFiles {
			want = append(want, f.path)
		}
		for depth := 0; len(want) > 0; depth++ {
			if depth > maxIncludeDepth {
				return nil, errors.Errorf("requirements files include each other more than %d levels deep", maxIncludeDepth)
			}
			got, err := readContextFiles(ctx, c, bc, want)
			if err != nil {
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
					return nil, err
				}
				for _, inc := range rf.Includes {
					p := path.Clean(path.Join(path.Dir(name), inc.Path))
					if _, ok := files[p]; !ok && !strings.HasPrefix(p, "../") {
						want = append(want, p)
					}
				}
			}
		}
		for _, f := range pl.requireFiles {
			var reqs []*requirement
			var err error
			switch f.kind {
			case kindLock:
				reqs, err = lockRequirements(f.path, files[f.path], pl)
			default:
				reqs, err = fileRequirements(f.path, files, map[string]bool{})
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
	}
	return finishRequirements(out)
}

func fileRequirements(name string, files map[string][]byte, seen map[string]bool) ([]*requirement, error) {
	if seen[name] {
		return nil, errors.Errorf("%s includes itself", name)
	}
	seen[name] = true
	data, ok := files[name]
	if !ok {
		return nil, errors.Errorf("%s: not found in the build context", name)
	}
	rf, err := pyreq.ParseRequirementsFile(bytes.NewReader(data), name)
	if err != nil {
		return nil, err
	}
	if err := pyreq.CheckHashMode(rf.Requirements); err != nil {
		return nil, errors.Wrap(err, name)
	}
	var out []*requirement
	for _, r := range rf.Requirements {
		out = append(out, &requirement{Requirement: r, source: fmt.Sprintf("%s:%d", name, r.Line)})
	}
	for _, inc := range rf.Includes {
		p := path.Clean(path.Join(path.Dir(name), inc.Path))
		sub, err := fileRequirements(p, files, seen)
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}

func lockRequirements(name string, data []byte, pl *plan) ([]*requirement, error) {
	lock, err := pyreq.ParsePylock(data)
	if err != nil {
		return nil, errors.Wrap(err, name)
	}
	var out []*requirement
	for _, p := range lock.Packages {
		r := &requirement{source: name, version: p.Version}
		r.Name = wheel.NormalizeName(p.Name)
		r.Marker = p.Marker
		for _, w := range p.Wheels {
			sha := strings.ToLower(w.Hashes["sha256"])
			if sha == "" {
				return nil, errors.Errorf("%s: package %s: wheel %s has no sha256 hash", name, p.Name, w.Name)
			}
			u := w.URL
			if u == "" {
				return nil, errors.Errorf("%s: package %s: wheel %s has no url (path wheels are not supported)", name, p.Name, w.Name)
			}
			fn := w.Name
			if fn == "" {
				fn = path.Base(u)
			}
			r.lock = append(r.lock, lockWheel{filename: fn, url: u, sha256: sha})
		}
		if len(r.lock) == 0 {
			return nil, errors.Errorf("%s: package %s has no wheels: building from an sdist needs BUILD", name, p.Name)
		}
		out = append(out, r)
	}
	return out, nil
}

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
		if prev, ok := byName[r.Name]; ok {
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
			return nil, errors.Errorf("%s: not found in the build context", n)
		}
		out[n] = b
	}
	return out, nil
}
