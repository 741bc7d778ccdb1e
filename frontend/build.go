// Package frontend is the gateway entry of geolayer: dockerui glue, the
// route table of targets, each platform's build as named steps,
// subrequests and results. Parsing lives in frontend/parser and
// frontend/instructions, profiles in frontend/profile, LLB in llbgen.
package frontend

import (
	"bytes"
	"context"

	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/frontend/parser"
	"github.com/geolayer/geolayer/llbgen"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// DefaultFilename is the definition file read when the build names none.
const DefaultFilename = "Geolayerfile"

// OptHelperImage names an image holding the helper binary, for in-process
// frontends that cannot use CurrentFrontend.
const OptHelperImage = "helper-image"

// Build is the frontend's gateway BuildFunc. It reads and loads the
// Geolayerfile, answers subrequests, finds the route of --target
// (routes.go), plans, reads what every platform shares (requirements,
// index pages), then builds each platform with the route's handler.
func Build(ctx context.Context, c client.Client) (_ *client.Result, retErr error) {
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	src, err := bc.ReadEntrypoint(ctx, "Geolayerfile")
	if err != nil {
		return nil, err
	}
	defer func() { retErr = withSource(clipError(retErr), src.SourceMap) }()

	parsed, err := parser.Parse(bytes.NewReader(src.Data))
	var spec *instructions.Spec
	if err == nil {
		spec, err = instructions.Load(parsed, bc.BuildArgs)
	}
	// Subrequests (lint.go): --call check reports a bad Geolayerfile in
	// its result, so it is asked before the error is returned. An
	// unsupported request is an error, never a build.
	if res, ok, serr := handleSubrequests(ctx, c, bc, src, spec, err); ok || serr != nil {
		return res, serr
	}
	if err != nil {
		return nil, err
	}

	rt, err := lookupRoute(bc.Target)
	if err != nil {
		return nil, err
	}
	pl, err := newPlan(spec, bc.TargetPlatforms, bc.BuildPlatforms, bc.BuildArgs)
	if err != nil {
		return nil, err
	}
	if err := rt.severalRuntimes(pl); err != nil {
		return nil, err
	}
	pl.setNoCache(bc.IsNoCache(""))
	s, err := readShared(ctx, c, bc, src, pl)
	if err != nil {
		return nil, err
	}

	// dockerui builds every platform in parallel; without --platform it uses
	// the PLATFORM instruction's list (or the build platform).
	bc.TargetPlatforms = pl.Platforms
	if len(pl.Platforms) > 1 {
		bc.MultiPlatformRequested = true
	}
	// --sbom / --attest type=sbom: geolayer's own SPDX document per
	// platform (sbom.go), for the routes that build a layer.
	if useOwnSBOM(bc) && rt.layer {
		s.sboms = &sbomRefs{}
	}
	rb, err := bc.Build(ctx, func(ctx context.Context, p *ocispecs.Platform, _ int) (*dockerui.BuildResult, error) {
		return rt.build(ctx, s.platform(p))
	})
	if err != nil {
		return nil, err
	}
	if s.sboms != nil {
		if err := s.sboms.attach(ctx, rb); err != nil {
			return nil, err
		}
	}
	for _, w := range pl.warnings {
		src.Warn(ctx, w.msg, client.WarnOpts{Level: 1, Range: toPBRanges(w.loc), Detail: [][]byte{[]byte(w.msg)}})
	}
	return rb.Finalize()
}

// readShared sets up what every platform's build reads: the helper, the
// LLB generator, the requirements and the index pages of the packages
// geolayer selects itself (everything, or with pip's resolver the
// packages BUILD compiles), each page fetched once for all platforms.
func readShared(ctx context.Context, c client.Client, bc *dockerui.Client, src *dockerui.Source, pl *plan) (*shared, error) {
	helper, err := helperState(c, bc)
	if err != nil {
		return nil, err
	}
	caps := c.BuildOpts().LLBCaps
	s := &shared{c: c, bc: bc, src: src, pl: pl, gen: &llbgen.Gen{
		Helper:    helper,
		SourceMap: src.SourceMap,
		Merge:     caps.Supports(pb.CapMergeOp) == nil,
	}}
	if s.reqs, err = loadRequirements(ctx, c, bc, pl); err != nil {
		return nil, err
	}
	pageReqs := s.reqs
	if needsResolver(s.reqs) {
		pageReqs = builtByBUILD(pl, s.reqs)
	}
	if len(pageReqs) > 0 {
		if s.pages, err = fetchIndexPages(ctx, &gatewayPages{c: c, bc: bc}, pl, pageReqs); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// helperState finds the helper binary: the frontend image itself when run
// through the gateway, or an explicit helper image.
func helperState(c client.Client, bc *dockerui.Client) (llb.State, error) {
	if ref := c.BuildOpts().Opts[OptHelperImage]; ref != "" {
		return llb.Image(ref, llb.Platform(bc.BuildPlatforms[0]), dockerui.WithInternalName("load geolayer helper")), nil
	}
	if cf, ok := c.(interface{ CurrentFrontend() (*llb.State, error) }); ok {
		st, err := cf.CurrentFrontend()
		if err != nil {
			return llb.State{}, err
		}
		if st != nil {
			return *st, nil
		}
	}
	return llb.State{}, errors.New("cannot find the geolayer helper: run geolayer as a gateway frontend (# syntax=...) or pass --opt helper-image=<frontend image>")
}
