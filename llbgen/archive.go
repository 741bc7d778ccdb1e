package llbgen

import (
	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/client/llb"
)

// fragment compresses one package's files into its own cached zip fragment.
func (g *Gen) fragment(t *Target, p *Package) llb.State {
	run := g.helperExec(t, helperapi.Fragment{Root: "/tree", Package: p.Key, Out: "/frag", Epoch: t.Epoch},
		llb.AddMount("/tree", p.Tree, llb.Readonly),
		t.name("compress %s %s", p.Wheel.Name, p.Wheel.Version),
	)
	return run.AddMount("/frag", llb.Scratch())
}

// assemble concatenates the fragments, writes the central directory and
// report.json. It only copies compressed bytes, so it is I/O-bound.
// In a layer for several runtimes, checks are each runtime's check (in the
// order of t.LayerRuntimes) and check is nil.
func (g *Gen) assemble(t *Target, frags, metas llb.State, check *llb.State, checks []llb.State) (archive, html llb.State) {
	cmd := helperapi.Assemble{
		Fragments:     "/frags",
		Meta:          "/meta",
		Out:           "/out",
		Platform:      platformString(t.Platform),
		Profile:       t.ProfileName,
		Runtime:       t.runtimeName(),
		Runtimes:      t.runtimes(),
		LimitUnzipped: t.LimitUnzipped,
		LimitZipped:   t.LimitZipped,
		DirectUpload:  t.DirectUpload,
		RuntimeImage:  t.runtimeImage(),
		Dedup:         t.Dedup,
		// sbom.spdx.json and publish.json
		Epoch:                 t.Epoch,
		PlatformLimitUnzipped: t.PlatformLimitUnzipped,
		PlatformLimitZipped:   t.PlatformLimitZipped,
		MountPoint:            t.Layout.MountPoint,
		LibDir:                t.Layout.Lib,
		LibraryPath:           t.PlatformLibraryPath,
		Env:                   t.UserEnv,
		HTML:                  "/html/" + helperapi.ReportHTML,
	}
	opts := []llb.RunOption{
		llb.AddMount("/frags", frags, llb.Readonly, wholeLayer),
		llb.AddMount("/meta", metas, llb.Readonly, wholeLayer),
		t.name("assemble layer.zip"),
	}
	if check != nil {
		cmd.Check = "/check/" + helperapi.CheckJSON
		opts = append(opts, llb.AddMount("/check", *check, llb.Readonly))
	}
	if t.several() && len(checks) == len(t.LayerRuntimes) {
		cmd.Checks = map[string]string{}
		for i, rt := range t.LayerRuntimes {
			dir := "/checks/" + rt
			cmd.Checks[rt] = dir + "/" + helperapi.CheckJSON
			opts = append(opts, llb.AddMount(dir, checks[i], llb.Readonly))
		}
	}
	if g.SourceMap != nil && len(t.BudgetLocation) > 0 {
		opts = append(opts, g.SourceMap.Location(t.BudgetLocation))
	}
	run := g.helperExec(t, cmd, opts...)
	return run.AddMount("/out", llb.Scratch()), run.AddMount("/html", llb.Scratch())
}
