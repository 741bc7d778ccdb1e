package llbgen

import (
	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/client/llb"
)

// install unpacks one wheel into its own scratch state, per the wheel spec,
// on the build host's architecture.
func (g *Gen) install(t *Target, p *Package) (tree, meta llb.State) {
	w := p.Wheel
	cmd := helperapi.Install{
		Wheel:        "/in/" + w.Filename,
		Root:         "/out",
		SitePackages: t.Layout.SitePackages,
		Scripts:      t.Layout.Scripts,
		Data:         t.Layout.Data,
		Headers:      t.Layout.Headers,
		Interpreter:  t.Interpreter,
		URL:          w.URL,
		SHA256:       w.SHA256,
		Epoch:        t.Epoch,
		Meta:         "/meta" + t.metaName(w),
	}
	if t.several() {
		cmd.Runtime = t.RuntimeName
	}
	if w.Sdist != nil {
		cmd.Sdist, cmd.BuildImage = w.Sdist.Filename, t.Build.Ref
	}
	run := g.helperExec(t, cmd, located(g, []llb.RunOption{
		llb.AddMount("/in", p.File, llb.Readonly),
		t.name("install %s %s", w.Name, w.Version),
	}, w.Location)...)
	return run.AddMount("/out", llb.Scratch()), run.AddMount("/meta", llb.Scratch())
}
