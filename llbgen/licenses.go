package llbgen

import (
	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/client/llb"
)

// licenses collects every package's license files into THIRD_PARTY_LICENSES
// at the layer root (PRUNE --collect-licenses), as a package of its own: a
// tree, a report and a fragment.
func (g *Gen) licenses(t *Target, tree, metas llb.State) *Package {
	run := g.helperExec(t, helperapi.Licenses{Tree: "/tree", Meta: "/meta-in", Out: "/out", MetaOut: "/meta/" + helperapi.LicensesName + ".json"},
		llb.AddMount("/tree", tree, llb.Readonly, wholeLayer),
		llb.AddMount("/meta-in", metas, llb.Readonly),
		t.name("collect licenses into THIRD_PARTY_LICENSES"),
	)
	return g.pseudoPackage(t, helperapi.LicensesName, run)
}

// pseudoPackage is a package a helper step makes rather than a wheel (the
// collected licenses, the vendored libraries): its tree is the step's /out,
// its report the step's /meta, and it gets its own archive fragment.
func (g *Gen) pseudoPackage(t *Target, name string, run llb.ExecState) *Package {
	p := &Package{Key: name, Wheel: Wheel{Name: name}}
	p.Tree = run.AddMount("/out", llb.Scratch())
	p.Meta = run.AddMount("/meta", llb.Scratch())
	p.Fragment = g.fragment(t, p)
	return p
}
