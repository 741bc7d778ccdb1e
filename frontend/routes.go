package frontend

import (
	"context"
	"strings"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/pkg/report"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// route is one build target: the name --target gives, what it exports
// (--call targets lists it), and its handler, which builds it for one
// platform from the named steps of steps.go.
type route struct {
	name        string
	description string
	// layer: the route builds a layer, which an SBOM attestation
	// (--sbom) describes.
	layer bool
	build func(ctx context.Context, p *platformBuild) (*dockerui.BuildResult, error)
}

// routes is the route table, in the order --call targets lists it; the
// first is the default (no --target).
var routes = []route{
	{"zip", "layer.zip, report.json, sbom.spdx.json (SPDX 2.3) and publish.json per platform (default)", true, zipRoute},
	{"dir", "the unpacked layer tree per platform", true, dirRoute},
	{"image", "the runtime image with the layer where the platform mounts it", true, imageRoute},
	{"report", "report.json, report.html, sbom.spdx.json and publish.json per platform", true, reportRoute},
	{"lock", "pylock.toml per platform: the exact wheels chosen (for every runtime of TARGET), for REQUIRE --lock", false, lockRoute},
}

// severalRuntimes refuses a layer for several runtimes where the route
// makes something for one: the image target is one runtime's image.
func (r *route) severalRuntimes(pl *plan) error {
	if len(pl.runtimes) < 2 {
		return nil
	}
	switch r.name {
	case "image":
		return located(errors.Errorf("--target image builds one runtime's image, and TARGET lists %d runtimes (%s): name one runtime for the image, or build the layer (--target zip)", len(pl.runtimes), pl.runtimeNames()), pl.spec.Target.Location())
	}
	return nil
}

// lookupRoute finds the route of a --target ("" is the default).
func lookupRoute(name string) (*route, error) {
	if name == "" {
		return &routes[0], nil
	}
	for i := range routes {
		if routes[i].name == name {
			return &routes[i], nil
		}
	}
	return nil, errors.Errorf("unknown target %q: this frontend builds %s", name, routeNames())
}

func routeNames() string {
	n := make([]string, 0, len(routes))
	for _, r := range routes {
		n = append(n, r.name)
	}
	return strings.Join(n, ", ")
}

// zipRoute exports the assembled archive: layer.zip with its reports.
func zipRoute(ctx context.Context, p *platformBuild) (*dockerui.BuildResult, error) {
	return exportReported(ctx, p, func() llb.State { return p.layer.Archive })
}

// exportReported runs the layer's steps and exports what out gives of
// the layer, a result that holds report.json: the warnings are read
// there, with no extra step.
func exportReported(ctx context.Context, p *platformBuild, out func() llb.State) (*dockerui.BuildResult, error) {
	if err := p.layerSteps(ctx, false); err != nil {
		return nil, err
	}
	res, err := p.export(ctx, exports(out()))
	if err != nil {
		return nil, err
	}
	rep, err := reportOf(ctx, res.Reference)
	if err != nil {
		return nil, err
	}
	return res, p.finish(ctx, rep)
}

// dirRoute exports the unpacked layer tree.
func dirRoute(ctx context.Context, p *platformBuild) (*dockerui.BuildResult, error) {
	if err := p.layerSteps(ctx, false); err != nil {
		return nil, err
	}
	res, err := p.export(ctx, exports(p.layer.Tree))
	if err != nil {
		return nil, err
	}
	return res, p.finish(ctx, nil)
}

// reportRoute exports the layer's reports without the archive.
func reportRoute(ctx context.Context, p *platformBuild) (*dockerui.BuildResult, error) {
	return exportReported(ctx, p, func() llb.State {
		return reportFiles(p.layer.Archive, p.layer.HTML, platforms.Format(p.plat))
	})
}

// imageRoute exports the runtime image with the layer at the platform's
// mount point. Its config is the runtime image's, with the platform's
// environment, the data variables the layer's report says are safe
// (safeDataEnv) and ENV.
func imageRoute(ctx context.Context, p *platformBuild) (*dockerui.BuildResult, error) {
	if err := p.layerSteps(ctx, true); err != nil {
		return nil, err
	}
	base, _, err := resolveImage(ctx, p.c, p.t.RuntimeImage, p.plat)
	if err != nil {
		return nil, err
	}
	var rep *report.Report
	res, err := p.export(ctx, func(ctx context.Context) (llb.State, *dockerspec.DockerOCIImage, error) {
		// The config needs the layer's report before the result.
		r, err := p.layerReport(ctx)
		if err != nil {
			return llb.State{}, nil, err
		}
		rep = r
		img := imageConfig(base, p.plat, p.pl.runtime.Env, mergeEnv(safeDataEnv(rep, p.pl), p.pl.base.UserEnv))
		return p.gen.ImageState(p.layer), img, nil
	})
	if err != nil {
		return nil, err
	}
	return res, p.finish(ctx, rep)
}

// lockRoute exports pylock.toml: the files chosen for the platform. It
// builds no layer.
func lockRoute(ctx context.Context, p *platformBuild) (*dockerui.BuildResult, error) {
	if err := p.resolve(ctx); err != nil {
		return nil, err
	}
	if err := p.choose(); err != nil {
		return nil, err
	}
	st, err := lockState(p)
	if err != nil {
		return nil, err
	}
	return solveResult(ctx, p.c, p.bc, st, p.plat, &dockerspec.DockerOCIImage{})
}

// reportFiles is report.json, sbom.spdx.json and publish.json of the
// assembled archive, and the layer's report.html; plat names the steps.
func reportFiles(archive, html llb.State, plat string) llb.State {
	return llb.Scratch().File(llb.Copy(archive, "/report.json", "/report.json"), llb.WithCustomName("["+plat+"] report.json")).
		File(llb.Copy(archive, "/sbom.spdx.json", "/sbom.spdx.json"), llb.WithCustomName("["+plat+"] sbom.spdx.json")).
		File(llb.Copy(archive, "/publish.json", "/publish.json"), llb.WithCustomName("["+plat+"] publish.json")).
		File(llb.Copy(html, "/report.html", "/report.html"), llb.WithCustomName("["+plat+"] report.html"))
}
