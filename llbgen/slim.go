package llbgen

import (
	"github.com/moby/buildkit/client/llb"
)

// strip copies one package's installed tree with its ELF files stripped
// (helper strip, pkg/elfstrip), on the build host's architecture. Its cache
// key is the package's install output and the mode only.
func (g *Gen) strip(t *Target, p *Package) (tree, meta llb.State) {
	w := p.Wheel
	run := g.helperExec(t, []string{"strip",
		"--in", "/in",
		"--out", "/out",
		"--mode", t.StripMode,
		"--meta-in", "/meta-in" + metaName(w),
		"--meta-out", "/meta" + metaName(w),
	},
		llb.AddMount("/in", p.Tree, llb.Readonly),
		llb.AddMount("/meta-in", p.Meta, llb.Readonly),
		t.name("strip %s %s (%s)", w.Name, w.Version, t.StripMode),
	)
	return run.AddMount("/out", llb.Scratch()), run.AddMount("/meta", llb.Scratch())
}
