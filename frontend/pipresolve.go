package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/frontend/parser"
	"github.com/geolayer/geolayer/llbgen"
	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/geolayer/geolayer/pkg/wheel"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/pkg/errors"
)

// pipReport is the part of pip's installation report we read
// (https://pip.pypa.io/en/stable/reference/installation-report/).
type pipReport struct {
	Version string `json:"version"`
	Install []struct {
		DownloadInfo struct {
			URL         string `json:"url"`
			ArchiveInfo struct {
				Hash   string            `json:"hash"`
				Hashes map[string]string `json:"hashes"`
			} `json:"archive_info"`
		} `json:"download_info"`
		Metadata struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"metadata"`
	} `json:"install"`
}

// resolveWithPip runs pip's resolver in the build image for one platform
// and turns its report into pinned requirements with exact wheel URLs and
// hashes: from there the build goes on exactly as for a lock file. The
// returned state is the resolution step, for the result to depend on.
func resolveWithPip(ctx context.Context, c client.Client, bc *dockerui.Client, gen *llbgen.Gen, pl *plan, t *llbgen.Target, reqs []*requirement) ([]*requirement, llb.State, error) {
	rt := pl.runtimeFor(t)
	tags, err := wheel.TargetTags(wheelTarget(rt, t.Platform))
	if err != nil {
		return nil, llb.State{}, err
	}
	var plats []string
	seen := map[string]bool{}
	for _, tg := range tags {
		if tg.Platform != "any" && !seen[tg.Platform] {
			seen[tg.Platform] = true
			plats = append(plats, tg.Platform)
		}
	}
	// Markers are evaluated here, for the target: pip would evaluate them
	// for the machine it runs on (the build host), whatever --platform says.
	env := pyreq.LinuxEnv(rt.PythonVersion, wheel.PlatformArch(t.Platform.Architecture))
	var lines, constraints []string
	var built []*requirement // pinned packages BUILD compiles: not pip's to resolve
	for _, r := range reqs {
		if _, ok := pl.builds[r.Name]; ok && r.version != "" {
			built = append(built, r)
			continue
		}
		if r.lock != nil {
			lines = append(lines, fmt.Sprintf("%s==%s", r.Name, r.version))
			continue
		}
		line, ok, err := targetLine(r, env)
		if err != nil {
			return nil, llb.State{}, err
		}
		if ok {
			lines = append(lines, line)
		}
	}
	for _, c := range pl.constraints {
		line, ok, err := targetLine(c, env)
		if err != nil {
			return nil, llb.State{}, err
		}
		if ok {
			constraints = append(constraints, line)
		}
	}
	st := gen.Resolve(t, rt.ABI, plats, pl.indexSpecs(), lines, constraints, pl.pre)
	def, err := st.Marshal(ctx)
	if err != nil {
		return nil, llb.State{}, err
	}
	res, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: bc.CacheImports})
	if err != nil {
		return nil, llb.State{}, errors.Wrapf(err, "resolving requirements with pip for %s (no compatible set of wheels?)", platforms.Format(t.Platform))
	}
	ref, err := res.SingleRef()
	if err != nil {
		return nil, llb.State{}, err
	}
	dt, err := ref.ReadFile(ctx, client.ReadRequest{Filename: llbgen.PipReport})
	if err != nil {
		return nil, llb.State{}, err
	}
	var rep pipReport
	if err := json.Unmarshal(dt, &rep); err != nil {
		return nil, llb.State{}, errors.Wrap(err, "reading pip's report")
	}
	var out []*requirement
	for _, in := range rep.Install {
		u := in.DownloadInfo.URL
		sha := strings.ToLower(in.DownloadInfo.ArchiveInfo.Hashes["sha256"])
		if sha == "" {
			if alg, hex, ok := strings.Cut(in.DownloadInfo.ArchiveInfo.Hash, "="); ok && alg == "sha256" {
				sha = strings.ToLower(hex)
			}
		}
		if sha == "" || !strings.HasSuffix(u, ".whl") {
			return nil, llb.State{}, errors.Errorf("pip chose %s %s from %s, which is not a wheel with a sha256: pip's resolver picks wheels only (pin the package and BUILD it to compile an sdist)", in.Metadata.Name, in.Metadata.Version, u)
		}
		name := wheel.NormalizeName(in.Metadata.Name)
		r := &requirement{version: in.Metadata.Version, source: "pip resolution", loc: locationOf(reqs, name)}
		r.Name = name
		fn := path.Base(strings.SplitN(u, "#", 2)[0])
		r.lock = []lockWheel{{filename: fn, url: u, sha256: sha}}
		if _, ok := pl.builds[name]; ok {
			return nil, llb.State{}, located(errors.Errorf("pip's resolver needs %s %s (a dependency), which BUILD compiles from its sdist: pin it with == so it is built, not resolved", name, in.Metadata.Version), locationOf(reqs, name))
		}
		out = append(out, r)
	}
	return append(out, built...), st, nil
}

// builtByBUILD are the pinned requirements BUILD names: their sdists are
// chosen from the index pages even when pip resolves the rest.
func builtByBUILD(pl *plan, reqs []*requirement) []*requirement {
	var out []*requirement
	for _, r := range reqs {
		if _, ok := pl.builds[r.Name]; ok && r.version != "" {
			out = append(out, r)
		}
	}
	return out
}

// locationOf finds where a package was required, for errors about it; a
// dependency pip added points at the first REQUIRE.
func locationOf(reqs []*requirement, name string) []parser.Range {
	if loc := locOf(reqs, name); loc != nil || len(reqs) == 0 {
		return loc
	}
	return reqs[0].loc
}

// targetLine is a requirement as a line for pip, its marker evaluated for
// the target (ok false: it does not apply there) and left out.
func targetLine(r *requirement, env map[string]string) (string, bool, error) {
	if r.Marker != "" {
		ok, err := pyreq.EvalMarker(r.Marker, env)
		if err != nil {
			return "", false, located(errors.Wrapf(err, "%s: %s: marker", r.source, r.Name), r.loc)
		}
		if !ok {
			return "", false, nil
		}
	}
	line := r.Name
	if len(r.Extras) > 0 {
		line += "[" + strings.Join(r.Extras, ",") + "]"
	}
	if r.URL != "" {
		return line + " @ " + r.URL, true, nil
	}
	return line + r.Specifier, true, nil
}
