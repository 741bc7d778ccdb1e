package frontend

// A platform's build as named steps. A route (routes.go) runs them in this
// order for each platform; dockerui runs the platforms in parallel.
//
//	resolve   pin the build images and check their Python; pip resolves
//	          unpinned requirements (pipresolve.go)
//	choose    the wheel or sdist of every requirement for the platform
//	          (selection.go)
//	gate      the TESTs this builder can run; the runtime image they, the
//	          static check, vendoring and the image target use, pinned
//	generate  the layer's LLB (llbgen) and its gate: TESTs, a notice of
//	          the skipped ones, the steps solved on their own
//	export    what the route exports of the layer, behind the gate, solved
//	          (the image route reads the layer's report first, inside
//	          it): the one place a layer route solves the layer's steps,
//	          where a failed download is explained (explainfetch.go)
//	finish    what the result says: report warnings, the SBOM attestation
//
// The lock route stops after choose.

import (
	"context"

	"github.com/geolayer/geolayer/frontend/profile"
	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/llbgen"
	"github.com/geolayer/geolayer/pkg/report"
	"github.com/geolayer/geolayer/pkg/simpleindex"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// shared is what every platform's build reads: the clients, the plan, the
// LLB generator and the inputs read once for all platforms.
type shared struct {
	c   client.Client
	bc  *dockerui.Client
	src *dockerui.Source
	pl  *plan
	gen *llbgen.Gen
	// reqs are the requirements as the Geolayerfile and its files give
	// them; pages the index pages of those geolayer selects itself.
	reqs  []*requirement
	pages map[pageKey]*simpleindex.Project
	// sboms collects each platform's SBOM attestation (nil: none asked
	// for, or the route builds no layer).
	sboms *sbomRefs
}

// platformBuild is one platform's build and what its steps found so far.
// t, pinned and wheels are its first runtime's; a layer for several
// runtimes has one part per runtime (parts[0] is the first: the same t,
// pinned and wheels).
type platformBuild struct {
	*shared
	plat ocispecs.Platform
	t    *llbgen.Target
	// pinned are the requirements pinned for this platform: reqs, or
	// pip's resolution of them.
	pinned []*requirement
	// images pins images and records the steps solved on their own to
	// read their output.
	images *gatewayImages
	wheels []llbgen.Wheel
	tests  []llbgen.Test // the TESTs this builder can run
	layer  *llbgen.Layer
	parts  []*runtimePart
}

// runtimePart is one runtime's share of a platform's layer: its target,
// its requirements pinned for it (pip resolves per Python version;
// markers are evaluated per runtime) and the wheels chosen for it.
type runtimePart struct {
	rt     *profile.Runtime
	t      *llbgen.Target
	pinned []*requirement
	wheels []llbgen.Wheel
}

// platform starts the build of platform p (nil: the plan's first).
func (s *shared) platform(p *ocispecs.Platform) *platformBuild {
	plat := s.pl.Platforms[0]
	if p != nil {
		plat = *p
	}
	pb := &platformBuild{
		shared: s,
		plat:   plat,
		t:      s.pl.target(plat),
		pinned: s.reqs,
		images: &gatewayImages{c: s.c, bc: s.bc, gen: s.gen, noCache: s.pl.base.NoCache},
	}
	pb.parts = []*runtimePart{{rt: s.pl.runtime, t: pb.t, pinned: pb.pinned}}
	for i := 1; i < len(s.pl.runtimes); i++ {
		pb.parts = append(pb.parts, &runtimePart{rt: s.pl.runtimes[i], t: s.pl.runtimeTarget(i, plat), pinned: s.reqs})
	}
	return pb
}

// first copies the first runtime's part into the fields the single-runtime
// steps read (t is shared: it is the same target).
func (p *platformBuild) first() {
	p.pinned, p.wheels = p.parts[0].pinned, p.parts[0].wheels
}

// resolve pins the build images the platform's steps run in, checking
// their Python where a step runs it, and has pip resolve unpinned
// requirements. Every image a step runs in is pinned by digest and used
// with its config.
func (p *platformBuild) resolve(ctx context.Context) error {
	for _, part := range p.parts {
		if err := p.resolvePart(ctx, part); err != nil {
			return err
		}
	}
	p.first()
	return nil
}

// resolvePart is resolve for one runtime: its build image, its Python.
func (p *platformBuild) resolvePart(ctx context.Context, part *runtimePart) error {
	pl := p.pl
	resolver := needsResolver(part.pinned)
	if resolver || pl.base.Bytecode != nil {
		// pip's resolver and BYTECODE run in the build image on the
		// build host's own machine.
		img, err := checkedImage(ctx, p.images, pl, buildRole(part.rt, resolver), pl.base.BuildPlatform, true)
		if err != nil {
			return err
		}
		part.t.BuildHost = img
	}
	if resolver {
		pinned, resolved, err := resolveWithPip(ctx, p.c, p.bc, p.gen, pl, part.t, part.pinned)
		if err != nil {
			return err
		}
		part.pinned = pinned
		p.images.solved = append(p.images.solved, solvedStep{resolved, "pip's resolution"})
	}
	if len(pl.builds) > 0 || pl.buildAuto || len(pl.base.Runs) > 0 {
		// RUN and BUILD run in the build image for the target platform.
		img, err := checkedImage(ctx, p.images, pl, buildRole(part.rt, true), p.plat, len(pl.builds) > 0 || pl.buildAuto)
		if err != nil {
			return err
		}
		part.t.Build = img
	}
	return nil
}

// choose selects the file every pinned requirement installs on the
// platform.
func (p *platformBuild) choose() error {
	for _, part := range p.parts {
		wheels, err := selectWheels(p.pl, part.t, part.pinned, p.pages)
		part.wheels = wheels
		if err != nil {
			p.first()
			return err
		}
	}
	p.first()
	return nil
}

// gate decides what the layer must pass on this builder: the TESTs it can
// run (a builder without emulation for the platform skips them with a
// warning, or fails on TEST --required), and pins the runtime image for
// TEST, CHECK, vendoring (BUILD) and the image target (forImage); the
// report records its digest. TEST runs its CPython, checked first.
func (p *platformBuild) gate(ctx context.Context, forImage bool) error {
	pl := p.pl
	tests, err := runnableTests(ctx, p.c, p.src, pl, p.plat)
	if err != nil {
		return err
	}
	p.tests = tests
	if len(pl.tests) > 0 || forImage || pl.base.CheckMode != helperapi.CheckOff || len(pl.builds) > 0 || pl.buildAuto {
		for _, part := range p.parts {
			if part.t.Runtime, err = checkedImage(ctx, p.images, pl, runtimeRole(part.rt), p.plat, len(tests) > 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// generate builds the layer's LLB and its gate: the TESTs, a notice of
// the skipped ones, and the steps solved on their own (the Python probes,
// pip's resolution), which are part of the result too so that an exported
// cache holds them (a fresh daemon importing the cache runs none of them).
func (p *platformBuild) generate() {
	if len(p.parts) == 1 {
		p.layer = p.gen.Build(p.t, p.wheels)
	} else {
		parts := make([]llbgen.RuntimePart, len(p.parts))
		for i, part := range p.parts {
			parts[i] = llbgen.RuntimePart{Target: part.t, Wheels: part.wheels}
		}
		p.layer = p.gen.BuildRuntimes(parts)
	}
	p.gen.AddTests(p.layer, p.tests, p.src.SourceMap)
	if len(p.tests) < len(p.pl.tests) {
		p.layer.Gate = append(p.layer.Gate, skippedTestsNotice(p.plat, len(p.pl.tests)-len(p.tests)))
	}
	for _, s := range p.images.solved {
		p.gen.Require(p.layer, s.st, s.what)
	}
}

// layerSteps runs the steps every layer route shares: resolve, choose,
// gate and generate.
func (p *platformBuild) layerSteps(ctx context.Context, forImage bool) error {
	if err := p.resolve(ctx); err != nil {
		return err
	}
	if err := p.choose(); err != nil {
		return err
	}
	if err := p.gate(ctx, forImage); err != nil {
		return err
	}
	p.generate()
	return nil
}

// output is what a route exports of its layer: the state and the
// result's image config. It runs inside export, so that what it solves
// of the layer's steps (the image route's report) is part of the same
// final solve.
type output func(ctx context.Context) (llb.State, *dockerspec.DockerOCIImage, error)

// export solves what out gives, behind the layer's gate. It is the one
// place where a layer route solves the layer's steps: they run here, and
// a download that fails is named by package and URL.
func (p *platformBuild) export(ctx context.Context, out output) (*dockerui.BuildResult, error) {
	// Every download runs under the time limit while the result solves
	// (downloads.go); a download that ran out of time is the error.
	sctx, stopWatches := downloadWatches(ctx, p.c, p.bc.CacheImports, p.plat, p.layer, p.pl.downloadTimeout, p.allPinned())
	defer stopWatches() //nolint:errcheck // the error is read where the solves fail
	st, img, err := out(sctx)
	var res *dockerui.BuildResult
	if err == nil {
		res, err = solveResult(sctx, p.c, p.bc, p.gen.Gated(p.layer, st), p.plat, img)
	}
	if terr := stopWatches(); terr != nil {
		return nil, terr
	}
	if err != nil {
		return nil, p.explainDownload(ctx, err)
	}
	return res, nil
}

// exports is the output of a route whose result is st with an empty
// image config.
func exports(st llb.State) output {
	return func(context.Context) (llb.State, *dockerspec.DockerOCIImage, error) {
		return st, &dockerspec.DockerOCIImage{}, nil
	}
}

// finish raises what the layer's report says users must see as build
// warnings (rep nil: the route read no report) and solves the platform's
// SBOM attestation when one is asked for.
func (p *platformBuild) finish(ctx context.Context, rep *report.Report) error {
	if rep != nil {
		reportWarnings(p.pl, rep, p.allPinned())
	}
	if p.sboms != nil {
		return p.sboms.add(ctx, p.c, p.bc, p.layer.Archive, p.plat)
	}
	return nil
}

// explainDownload words a failed solve of the layer's steps that a
// download caused (explainFetchError); anything else is returned as is.
// Every runtime part's downloads are looked at: a package only one
// runtime requires (a marker) is downloaded for that runtime alone.
func (p *platformBuild) explainDownload(ctx context.Context, err error) error {
	var wheels []llbgen.Wheel
	byVertex := map[string]llbgen.Wheel{}
	for _, part := range p.parts {
		wheels = append(wheels, part.wheels...)
		for d, w := range fetchVertices(ctx, p.gen, part.t, part.wheels) {
			byVertex[d] = w
		}
	}
	return explainFetchError(err, wheels, byVertex, p.allPinned(), statusProbe(ctx, &gatewayPages{c: p.c, bc: p.bc}))
}

// allPinned is every runtime part's pinned requirements, the first part's
// first: where a package's REQUIRE line is looked up (pip may resolve a
// dependency for one runtime only).
func (p *platformBuild) allPinned() []*requirement {
	if len(p.parts) <= 1 {
		return p.pinned
	}
	var all []*requirement
	for _, part := range p.parts {
		all = append(all, part.pinned...)
	}
	return all
}

// solveResult solves one platform's final state.
func solveResult(ctx context.Context, c client.Client, bc *dockerui.Client, st llb.State, plat ocispecs.Platform, img *dockerspec.DockerOCIImage) (*dockerui.BuildResult, error) {
	def, err := st.Marshal(ctx, llb.Platform(plat))
	if err != nil {
		return nil, err
	}
	// Evaluate here, not lazily at export, so failures come back to the
	// frontend, which can explain them (which package, which requirement).
	r, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: bc.CacheImports, Evaluate: true})
	if err != nil {
		// A helper step that refused its input: its cause, at its line.
		return nil, explainStep(ctx, c, def.ToPB(), err)
	}
	ref, err := r.SingleRef()
	if err != nil {
		return nil, err
	}
	img.Platform = plat
	return &dockerui.BuildResult{Reference: ref, Image: img}, nil
}
