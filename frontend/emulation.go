package frontend

import (
	"context"
	"fmt"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/llbgen"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// builderRuns reports whether a worker of the builder can run processes of
// the platform (natively or through emulation it registered).
func builderRuns(c client.Client, p ocispecs.Platform) bool {
	want := platforms.Only(p)
	for _, w := range c.BuildOpts().Workers {
		for _, wp := range w.Platforms {
			if want.Match(wp) {
				return true
			}
		}
	}
	return false
}

// runnableTests drops the TESTs a builder without emulation for the target
// cannot run, with a warning at each one; a TEST --required fails the build
// instead. Everything else (install, slimming, the static check) runs on
// the build host's own architecture and needs no emulation.
func runnableTests(ctx context.Context, c client.Client, src *dockerui.Source, pl *plan, p ocispecs.Platform) ([]llbgen.Test, error) {
	if len(pl.tests) == 0 || builderRuns(c, p) {
		return pl.tests, nil
	}
	for _, tc := range pl.tests {
		if tc.Required {
			return nil, located(errors.Errorf("TEST --required: the builder cannot run %s processes (no worker lists that platform: register QEMU binfmt emulation, e.g. qemu-user-static, or build on a %s builder)", platforms.Format(p), platforms.Format(p)), fromPBRanges(tc.Location))
		}
	}
	for _, tc := range pl.tests {
		msg := fmt.Sprintf("TEST skipped for %s: the builder cannot run %s processes (no emulation); the static check still ran. Use TEST --required to make this an error", platforms.Format(p), p.Architecture)
		src.Warn(ctx, msg, client.WarnOpts{Level: 1, Range: tc.Location, Detail: [][]byte{[]byte(msg)}})
	}
	return nil, nil
}

// skippedTestsNotice is an empty state whose steps are named after the
// skip, so the progress output says it even where a client does not print
// warnings; it joins the gate and adds no files.
func skippedTestsNotice(p ocispecs.Platform, n int) llb.State {
	name := llb.WithCustomName(fmt.Sprintf("[%s] %d TEST(s) skipped for %s: the builder cannot run %s processes (no emulation)", platforms.Format(p), n, platforms.Format(p), p.Architecture))
	return llb.Scratch().File(llb.Mkfile("/.geolayer-tests-skipped", 0o644, nil), name).File(llb.Rm("/.geolayer-tests-skipped"), name)
}

func fromPBRanges(rs []*pb.Range) []parser.Range {
	out := make([]parser.Range, 0, len(rs))
	for _, r := range rs {
		out = append(out, parser.Range{Start: parser.Position{Line: int(r.Start.Line), Character: int(r.Start.Character)}, End: parser.Position{Line: int(r.End.Line), Character: int(r.End.Character)}})
	}
	return out
}
