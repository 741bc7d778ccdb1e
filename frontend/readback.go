package frontend

// report.json read back from a platform's layer: from the zip and report
// routes' result, or solved on its own for the image route, which needs it
// before its result.

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/geolayer/geolayer/pkg/prune"
	"github.com/geolayer/geolayer/pkg/report"
	"github.com/geolayer/geolayer/pkg/wheel"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/pkg/errors"
)

// maxReportBytes bounds the report.json the frontend reads back.
const maxReportBytes = 64 << 20

// layerReport solves the layer's report.json on its own and reads it, for
// the image's config (safeDataEnv says why it needs the built layer); it
// runs inside export, which explains a failed download. The layer's
// result depends on the step that read it, so that an exported cache
// holds it.
func (p *platformBuild) layerReport(ctx context.Context) (*report.Report, error) {
	rs := reportOnly(p.layer.Archive)
	rep, err := readReport(ctx, p.c, p.bc, rs)
	if err != nil {
		return nil, err
	}
	p.gen.Require(p.layer, rs, "report.json")
	return rep, nil
}

// readReport solves reportJSON (reportOnly of the archive) and reads it.
func readReport(ctx context.Context, c client.Client, bc *dockerui.Client, reportJSON llb.State) (*report.Report, error) {
	def, err := reportJSON.Marshal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: bc.CacheImports, Evaluate: true})
	if err != nil {
		return nil, explainStep(ctx, c, def.ToPB(), err)
	}
	ref, err := res.SingleRef()
	if err != nil {
		return nil, err
	}
	return reportOf(ctx, ref)
}

// reportOnly is report.json of the assembled archive alone.
func reportOnly(archive llb.State) llb.State {
	return llb.Scratch().File(llb.Copy(archive, "/report.json", "/report.json"), llb.WithCustomName("[internal] read report.json"))
}

// reportOf reads /report.json from a solved reference.
func reportOf(ctx context.Context, ref client.Reference) (*report.Report, error) {
	if ref == nil {
		return nil, errors.New("reading report.json: empty result")
	}
	dt, err := ref.ReadFile(ctx, client.ReadRequest{Filename: "/report.json", Range: &client.FileRange{Length: maxReportBytes}})
	if err != nil {
		return nil, errors.Wrap(err, "reading report.json")
	}
	var rep report.Report
	if err := json.Unmarshal(dt, &rep); err != nil {
		return nil, errors.Wrap(err, "reading report.json")
	}
	return &rep, nil
}

// reportWarnings raises what the layer's steps found that a user should
// see as build warnings: a .pth file (code run at every interpreter start)
// and a package PRUNE left without any module. Each points at the line
// that requires the package.
func reportWarnings(pl *plan, rep *report.Report, reqs []*requirement) {
	for _, p := range rep.Packages {
		for _, w := range p.Warnings {
			if strings.HasPrefix(w, wheel.PthWarning) || strings.HasPrefix(w, prune.NoModuleLeft) {
				pl.warnf(locOf(reqs, p.Name), "%s %s: %s", p.Name, p.Version, w)
			}
		}
	}
}
