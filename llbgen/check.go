package llbgen

import (
	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/client/llb"
)

// checkConfig is the check options the check and vendor steps get: the
// platform's facts and CHECK.
func (t *Target) checkConfig() helperapi.CheckOptions {
	c := t.CheckConfig
	c.Mode = t.CheckMode
	return c
}

// check runs the static ABI check (helper check, pkg/elfcheck) on the
// unpacked layer against the runtime image's file system, mounted read-only
// for the target platform but never executed: the step runs on the build
// host's architecture, so an arm64 layer needs no emulation. CHECK error
// fails the step (and so the build) on errors; the output holds check.json.
// The gate is an empty state that exists only when the check passed.
func (g *Gen) check(t *Target, tree llb.State) (out, gate llb.State) {
	rt := g.rootfs(t.runtimeImage(), t.Platform)
	opts := []llb.RunOption{
		llb.AddMount("/layer", tree, llb.Readonly, wholeLayer),
		llb.AddMount("/runtime", rt, llb.Readonly, pinnedImage),
		t.name("check the layer against %s (static, CHECK %s)", t.RuntimeImage, t.CheckMode),
	}
	if g.SourceMap != nil && len(t.CheckLocation) > 0 {
		opts = append(opts, g.SourceMap.Location(t.CheckLocation))
	}
	run := g.helperExec(t, helperapi.Check{Layer: "/layer", Runtime: "/runtime", Config: t.checkConfig(), Out: "/out"}, opts...)
	return run.AddMount("/out", llb.Scratch()), run.AddMount("/geolayer-check-ok", llb.Scratch())
}
