package llbgen

import (
	"strconv"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
)

// Bytecode is BYTECODE's settings (nil: off).
type Bytecode struct {
	Optimize   int
	Sourceless bool
}

// bytecode compiles one package's Python sources with the target's CPython:
// the profile's build image for the build host's own architecture (bytecode
// depends on the CPython version, not on the machine), its interpreter
// called by the path the frontend checked, with the static helper mounted
// to copy the tree and update the package's report.
func (g *Gen) bytecode(t *Target, p *Package) (tree, meta llb.State) {
	w := p.Wheel
	args := []string{"/geolayer-helper" + HelperPath, "helper", "bytecode",
		"--in", "/in", "--out", "/out",
		"--site-packages", t.Layout.SitePackages,
		"--mount-point", t.Layout.MountPoint,
		"--python", t.BuildHost.python(),
		"--optimize", strconv.Itoa(t.Bytecode.Optimize),
		"--meta-in", "/meta-in" + metaName(w),
		"--meta-out", "/meta" + metaName(w),
	}
	if t.Bytecode.Sourceless {
		args = append(args, "--sourceless")
	}
	run := g.ConfiguredImage(t.BuildHost, t.BuildPlatform).Run(
		llb.Args(args),
		llb.Network(pb.NetMode_NONE),
		llb.AddMount("/geolayer-helper", g.Helper, llb.Readonly),
		llb.AddMount("/in", p.Tree, llb.Readonly),
		llb.AddMount("/meta-in", p.Meta, llb.Readonly),
		llb.AddMount("/tmp", llb.Scratch()),
		t.name("bytecode %s %s (-O%d%s, %s)", w.Name, w.Version, t.Bytecode.Optimize, map[bool]string{true: ", sourceless"}[t.Bytecode.Sourceless], t.BuildHost.python()),
	)
	return run.AddMount("/out", llb.Scratch()), run.AddMount("/meta", llb.Scratch())
}
