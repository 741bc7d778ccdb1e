package llbgen

import (
	"strconv"

	"github.com/moby/buildkit/client/llb"
)

// install unpacks one wheel into its own scratch state, per the wheel spec,
// on the build host's architecture.
func (g *Gen) install(t *Target, p *Package) (tree, meta llb.State) {
	w := p.Wheel
	args := []string{"install",
		"--wheel", "/in/" + w.Filename,
		"--root", "/out",
		"--site-packages", t.Layout.SitePackages,
		"--scripts", t.Layout.Scripts,
		"--data", t.Layout.Data,
		"--headers", t.Layout.Headers,
		"--interpreter", t.Interpreter,
		"--url", w.URL,
		"--sha256", w.SHA256,
		"--epoch", strconv.FormatInt(t.Epoch, 10),
		"--meta", "/meta" + metaName(w),
	}
	if w.Sdist != nil {
		args = append(args, "--sdist", w.Sdist.Filename, "--build-image", t.Build.Ref)
	}
	run := g.helperExec(t, args, located(g, []llb.RunOption{
		llb.AddMount("/in", p.File, llb.Readonly),
		t.name("install %s %s", w.Name, w.Version),
	}, w.Location)...)
	return run.AddMount("/out", llb.Scratch()), run.AddMount("/meta", llb.Scratch())
}
