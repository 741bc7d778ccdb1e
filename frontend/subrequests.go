package frontend

import (
	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/pb"
)

// outlineOf answers `--call outline` for the route of --target (target,
// "" for the default): its name and description from the route table,
// the ARGs with their values and descriptions, the build secrets.
func outlineOf(spec *instructions.Spec, loadErr error, src *dockerui.Source, target string) (*outline.Outline, error) {
	if spec == nil {
		return nil, loadErr
	}
	r, err := lookupRoute(target)
	if err != nil {
		return nil, err
	}
	o := &outline.Outline{Name: r.name, Description: r.description}
	srcIdx := int32(0)
	// One model: the spec's outline (ARGs in order; every build secret,
	// INDEX --secret and RUN --mount=type=secret, once, required if any
	// use requires it).
	so := spec.Outline()
	for _, a := range so.Args {
		o.Args = append(o.Args, outline.Arg{
			Name:        a.Name,
			Description: a.Description,
			Value:       a.Value,
			Location:    &pb.Location{SourceIndex: srcIdx, Ranges: toPBRanges(a.Location)},
		})
	}
	for _, sec := range so.Secrets {
		o.Secrets = append(o.Secrets, outline.Secret{Name: sec.ID, Required: sec.Required,
			Location: &pb.Location{SourceIndex: srcIdx, Ranges: toPBRanges(sec.Location)}})
	}
	if src != nil && src.SourceMap != nil {
		o.Sources = [][]byte{src.Data}
	}
	return o, nil
}

// targetList answers `--call targets` from the route table.
func targetList(src *dockerui.Source) (*targets.List, error) {
	l := &targets.List{}
	for i, r := range routes {
		l.Targets = append(l.Targets, targets.Target{Name: r.name, Description: r.description, Default: i == 0})
	}
	if src != nil {
		l.Sources = [][]byte{src.Data}
	}
	return l, nil
}
