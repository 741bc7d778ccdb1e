package llbgen

import (
	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/client/llb"
)

// vendor copies the build stage's libraries that the compiled packages
// need and the runtime lacks into the layer's library folder, each once
// (helper vendor: the static checker's closure), as a package of its own.
// It runs on the build host's architecture with the build stage and the
// runtime image mounted read-only, never executed.
func (g *Gen) vendor(t *Target, built, stage llb.State) *Package {
	rt := g.rootfs(t.runtimeImage(), t.Platform)
	run := g.helperExec(t, helperapi.Vendor{
		Layer: "/layer", Build: "/build", Runtime: "/runtime",
		Config: t.checkConfig(), LibDir: t.Layout.Lib, Strip: t.StripMode,
		Out: "/out", MetaOut: "/meta/" + helperapi.NativeLibrariesName + ".json"},
		llb.AddMount("/layer", built, llb.Readonly, wholeLayer),
		llb.AddMount("/build", stage, llb.Readonly, wholeLayer),
		llb.AddMount("/runtime", rt, llb.Readonly, pinnedImage),
		t.name("vendor the libraries the compiled packages need from the build stage"),
	)
	return g.pseudoPackage(t, helperapi.NativeLibrariesName, run)
}
