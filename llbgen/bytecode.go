package llbgen

import (
	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
)

// Bytecode is BYTECODE's settings (nil: off).
type Bytecode struct {
	Optimize   int
	Sourceless bool
}

// bytecodeHelper is where the bytecode step mounts the frontend image (the
// helper binary is then at bytecodeHelper+helperapi.Binary).
const bytecodeHelper = "/geolayer-helper"

// bytecode compiles one package's Python sources with the target's CPython:
// the profile's build image for the build host's own architecture (bytecode
// depends on the CPython version, not on the machine), its interpreter
// called by the path the frontend checked, with the static helper mounted
// to copy the tree and update the package's report.
func (g *Gen) bytecode(t *Target, p *Package) (tree, meta llb.State) {
	w := p.Wheel
	cmd := helperapi.Bytecode{
		In: "/in", Out: "/out",
		SitePackages: t.Layout.SitePackages,
		MountPoint:   t.Layout.MountPoint,
		Python:       t.BuildHost.python(),
		Optimize:     t.Bytecode.Optimize,
		Sourceless:   t.Bytecode.Sourceless,
		MetaIn:       "/meta-in" + t.metaName(w),
		MetaOut:      "/meta" + t.metaName(w),
	}
	run := g.ConfiguredImage(t.BuildHost, t.BuildPlatform).Run(
		llb.Args(helperapi.Argv(bytecodeHelper+helperapi.Binary, cmd)),
		llb.Network(pb.NetMode_NONE),
		llb.AddMount(bytecodeHelper, g.Helper, llb.Readonly),
		llb.AddMount("/in", p.Tree, llb.Readonly),
		llb.AddMount("/meta-in", p.Meta, llb.Readonly),
		llb.AddMount("/tmp", llb.Scratch()),
		t.name("bytecode %s %s (-O%d%s, %s)", w.Name, w.Version, t.Bytecode.Optimize, map[bool]string{true: ", sourceless"}[t.Bytecode.Sourceless], t.BuildHost.python()),
	)
	return run.AddMount("/out", llb.Scratch()), run.AddMount("/meta", llb.Scratch())
}
