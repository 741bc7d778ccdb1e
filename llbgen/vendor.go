package llbgen

import (
	"github.com/moby/buildkit/client/llb"
)

// nativeLibrariesName is the pseudo-package that carries the libraries
// vendored from the build stage (helper.NativeLibrariesName).
const nativeLibrariesName = "native-libraries"

// vendor copies the build stage's libraries that the compiled packages
// need and the runtime lacks into the layer's library folder, each once
// (helper vendor: the static checker's closure), as a package of its own.
// It runs on the build host's architecture with the build stage and the
// runtime image mounted read-only, never executed.
func (g *Gen) vendor(t *Target, built, stage llb.State) *Package {
	rt := g.rootfs(t.runtimeImage(), t.Platform)
	mode := t.StripMode
	if mode == "" {
		mode = "none"
	}
	run := g.helperExec(t, []string{"vendor",
		"--layer", "/layer", "--build", "/build", "--runtime", "/runtime",
		"--config", t.CheckConfig, "--lib-dir", t.Layout.Lib, "--strip", mode,
		"--out", "/out", "--meta-out", "/meta/" + nativeLibrariesName + ".json"},
		llb.AddMount("/layer", built, llb.Readonly, wholeLayer),
		llb.AddMount("/build", stage, llb.Readonly, wholeLayer),
		llb.AddMount("/runtime", rt, llb.Readonly, pinnedImage),
		t.name("vendor the libraries the compiled packages need from the build stage"),
	)
	return g.pseudoPackage(t, nativeLibrariesName, run)
}
