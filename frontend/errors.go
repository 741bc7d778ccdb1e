package frontend

import (
	"errors"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
)

// withSource attaches the Geolayerfile snippet to an error that carries
// parser locations, so buildx prints the file, line and source line.
func withSource(err error, sm *llb.SourceMap) error {
	if err == nil || sm == nil {
		return err
	}
	var le *parser.LocationError
	if !errors.As(err, &le) {
		return err
	}
	for _, ranges := range le.Locations {
		err = errdefs.WithSource(err, &errdefs.Source{
			Info: &pb.SourceInfo{
				Data:       sm.Data,
				Filename:   sm.Filename,
				Language:   sm.Language,
				Definition: sm.Definition.ToPB(),
			},
			Ranges: toPBRanges(ranges),
		})
	}
	return err
}

func toPBRanges(rs []parser.Range) []*pb.Range {
	out := make([]*pb.Range, 0, len(rs))
	for _, r := range rs {
		out = append(out, &pb.Range{
			Start: &pb.Position{Line: int32(r.Start.Line), Character: int32(r.Start.Character)},
			End:   &pb.Position{Line: int32(r.End.Line), Character: int32(r.End.Character)},
		})
	}
	return out
}

// located wraps err with the location of an instruction.
func located(err error, rs []parser.Range) error {
	if err == nil {
		return nil
	}
	return parser.WithLocation(err, rs)
}
