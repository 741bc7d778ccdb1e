// Package frontend is the gateway entry of geolayer: dockerui glue, targets,
// subrequests and results. Parsing lives in frontend/parser and
// frontend/instructions, profiles in frontend/profile, LLB in llbgen.
package frontend

import (
	"bytes"
	"context"
	"encoding/json"
	"path"
	"strings"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/frontend/parser"
	"github.com/geolayer/geolayer/llbgen"
	"github.com/geolayer/geolayer/pkg/prune"
	"github.com/geolayer/geolayer/pkg/report"
	"github.com/geolayer/geolayer/pkg/simpleindex"
	"github.com/geolayer/geolayer/pkg/wheel"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// Targets are the outputs a build can produce (`--target`).
var Targets = []struct{ Name, Description string }{
	{"zip", "layer.zip, report.json, sbom.spdx.json (SPDX 2.3) and publish.json per platform (default)"},
	{"dir", "the unpacked layer tree per platform"},
	{"image", "the runtime image with the layer where the platform mounts it"},
	{"report", "report.json, report.html, sbom.spdx.json and publish.json per platform"},
	{"lock", "pylock.toml per platform: the exact wheels chosen, for REQUIRE --lock"},
}

// DefaultFilename is the definition file read when the build names none.
const DefaultFilename = "Geolayerfile"

// OptHelperImage names an image holding the helper binary, for in-process
// frontends that cannot use CurrentFrontend.
const OptHelperImage = "helper-image"

// Build is the frontend's gateway BuildFunc.
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

	target := bc.Target
	if target == "" {
		target = "zip"
	}
	if !knownTarget(target) {
		return nil, errors.Errorf("unknown target %q: this frontend builds %s", target, targetNames())
	}

	pl, err := newPlan(spec, bc.TargetPlatforms, bc.BuildPlatforms, bc.BuildArgs)
	if err == nil {
		pl.noCache = bc.IsNoCache("")
	}
	if err != nil {
		return nil, err
	}

	helper, err := helperState(c, bc)
	if err != nil {
		return nil, err
	}
	caps := c.BuildOpts().LLBCaps
	gen := &llbgen.Gen{
		Helper:    helper,
		SourceMap: src.SourceMap,
		Merge:     caps.Supports(pb.CapMergeOp) == nil,
	}

	reqs, err := loadRequirements(ctx, c, bc, pl)
	if err != nil {
		return nil, err
	}
	// Index pages for what geolayer selects itself: everything, or with
	// pip's resolver the packages BUILD compiles.
	pageReqs := reqs
	if needsResolver(reqs) {
		pageReqs = builtByBUILD(pl, reqs)
	}
	var pages map[pageKey]*simpleindex.Project
	if len(pageReqs) > 0 {
		if pages, err = fetchIndexPages(ctx, &gatewayPages{c: c, bc: bc}, pl, pageReqs); err != nil {
			return nil, err
		}
	}

	// dockerui builds every platform in parallel; without --platform it uses
	// the PLATFORM instruction's list (or the build platform).
	bc.TargetPlatforms = pl.Platforms
	if len(pl.Platforms) > 1 {
		bc.MultiPlatformRequested = true
	}
	// --sbom / --attest type=sbom: geolayer's own SPDX document per
	// platform (sbom.go); the lock target has no layer to describe.
	var sboms *sbomRefs
	if useOwnSBOM(bc) && target != "lock" {
		sboms = &sbomRefs{}
	}
	rb, err := bc.Build(ctx, func(ctx context.Context, p *ocispecs.Platform, idx int) (*dockerui.BuildResult, error) {
		plat := pl.Platforms[0]
		if p != nil {
			plat = *p
		}
		t := pl.target(plat)
		reqs := reqs
		// Every image a step runs in is pinned by digest and used with its
		// config; where Python runs, its interpreter is checked first.
		ir := &gatewayImages{c: c, bc: bc, gen: gen, noCache: pl.noCache}
		if needsResolver(reqs) || pl.bytecode != nil {
			// pip's resolver and BYTECODE run in the build image on the
			// build host's own machine.
			img, err := checkedImage(ctx, ir, pl, buildRole(pl.runtime, needsResolver(reqs)), pl.buildPlatform, true)
			if err != nil {
				return nil, err
			}
			t.BuildHost = img
		}
		if needsResolver(reqs) {
			var rerr error
			var resolved llb.State
			if reqs, resolved, rerr = resolveWithPip(ctx, c, bc, gen, pl, t, reqs); rerr != nil {
				return nil, rerr
			}
			ir.solved = append(ir.solved, solvedStep{resolved, "pip's resolution"})
		}
		if len(pl.builds) > 0 || pl.buildAuto || len(pl.runs) > 0 {
			// RUN and BUILD run in the build image for the target platform.
			img, err := checkedImage(ctx, ir, pl, buildRole(pl.runtime, true), plat, len(pl.builds) > 0 || pl.buildAuto)
			if err != nil {
				return nil, err
			}
			t.Build = img
		}
		wheels, err := selectWheels(pl, t, reqs, pages)
		if err != nil {
			return nil, err
		}
		if target == "lock" {
			st, err := lockState(pl, t, wheels)
			if err != nil {
				return nil, err
			}
			return solveResult(ctx, c, bc, st, plat, &dockerspec.DockerOCIImage{})
		}
		// Pin the runtime image by digest for TEST, CHECK, vendoring (BUILD)
		// and the image target, and record the digest in the report; TEST
		// runs its CPython, checked first.
		tests, err := runnableTests(ctx, c, src, pl, plat)
		if err != nil {
			return nil, err
		}
		var base *dockerspec.DockerOCIImage
		if len(pl.tests) > 0 || target == "image" || pl.checkMode != string(instructions.CheckOff) || len(pl.builds) > 0 || pl.buildAuto {
			if t.Runtime, err = checkedImage(ctx, ir, pl, runtimeRole(pl.runtime), plat, len(tests) > 0); err != nil {
				return nil, err
			}
			if target == "image" {
				if base, _, err = resolveImage(ctx, c, t.RuntimeImage, plat); err != nil {
					return nil, err
				}
			}
		}
		layer := gen.Build(t, wheels)
		gen.AddTests(layer, tests, src.SourceMap)
		if len(tests) < len(pl.tests) {
			layer.Gate = append(layer.Gate, skippedTestsNotice(plat, len(pl.tests)-len(tests)))
		}
		// What was solved on its own is part of the result too, so that
		// an exported cache holds it (a fresh daemon importing the cache
		// runs none of it).
		for _, s := range ir.solved {
			gen.Require(layer, s.st, s.what)
		}

		var st llb.State
		img := &dockerspec.DockerOCIImage{}
		img.Platform = plat
		switch target {
		case "zip":
			st = layer.Archive
		case "report":
			st = llb.Scratch().File(llb.Copy(layer.Archive, "/report.json", "/report.json"), llb.WithCustomName("["+platforms.Format(plat)+"] report.json")).
				File(llb.Copy(layer.Archive, "/sbom.spdx.json", "/sbom.spdx.json"), llb.WithCustomName("["+platforms.Format(plat)+"] sbom.spdx.json")).
				File(llb.Copy(layer.Archive, "/publish.json", "/publish.json"), llb.WithCustomName("["+platforms.Format(plat)+"] publish.json")).
				File(llb.Copy(layer.HTML, "/report.html", "/report.html"), llb.WithCustomName("["+platforms.Format(plat)+"] report.html"))
		case "dir":
			st = layer.Tree
		case "image":
			st = gen.ImageState(layer)
		}
		var rep *report.Report
		if target == "image" {
			// The image's config needs the report before the result; the
			// result depends on the step that read it, so that an exported
			// cache holds it.
			rs := reportOnly(layer.Archive)
			if rep, err = readReport(ctx, c, bc, rs); err != nil {
				return nil, explainFetchError(err, wheels, fetchVertices(ctx, gen, t, wheels), reqs, statusProbe(ctx, &gatewayPages{c: c, bc: bc}))
			}
			gen.Require(layer, rs, "report.json")
			img = imageConfig(base, plat, pl.runtime.Env, mergeEnv(safeDataEnv(rep, pl), pl.env))
		}
		res, err := solveResult(ctx, c, bc, gen.Gated(layer, st), plat, img)
		if err != nil {
			return nil, explainFetchError(err, wheels, fetchVertices(ctx, gen, t, wheels), reqs, statusProbe(ctx, &gatewayPages{c: c, bc: bc}))
		}
		if target == "zip" || target == "report" {
			// Their result holds report.json: read it there, no extra step.
			if rep, err = reportOf(ctx, res.Reference); err != nil {
				return nil, err
			}
		}
		if rep != nil {
			reportWarnings(pl, rep, reqs)
		}
		if sboms != nil {
			if err := sboms.add(ctx, c, bc, layer.Archive, plat); err != nil {
				return nil, err
			}
		}
		return res, nil
	})
	if err != nil {
		return nil, err
	}
	if sboms != nil {
		if err := sboms.attach(ctx, rb); err != nil {
			return nil, err
		}
	}
	for _, w := range pl.warnings {
		src.Warn(ctx, w.msg, client.WarnOpts{Level: 1, Range: toPBRanges(w.loc), Detail: [][]byte{[]byte(w.msg)}})
	}
	return rb.Finalize()
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

func knownTarget(name string) bool {
	for _, t := range Targets {
		if t.Name == name {
			return true
		}
	}
	return false
}

func targetNames() string {
	var n []string
	for _, t := range Targets {
		n = append(n, t.Name)
	}
	return strings.Join(n, ", ")
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

// imageConfig keeps the runtime image's config and adds the platform's
// environment only where the image does not set it (a real Lambda image sets
// its own LD_LIBRARY_PATH, with /var/lang/lib first); ENV instructions win.
func imageConfig(base *dockerspec.DockerOCIImage, plat ocispecs.Platform, platformEnv, env map[string]string) *dockerspec.DockerOCIImage {
	img := base
	if img == nil {
		img = &dockerspec.DockerOCIImage{}
	}
	img.Platform = plat
	img.Created = nil
	img.History = nil
	img.RootFS = ocispecs.RootFS{}
	for _, k := range sortedKeys(platformEnv) {
		if !hasEnv(img.Config.Env, k) {
			img.Config.Env = append(img.Config.Env, k+"="+platformEnv[k])
		}
	}
	for _, k := range sortedKeys(env) {
		img.Config.Env = setEnv(img.Config.Env, k, env[k])
	}
	return img
}

func hasEnv(env []string, k string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			return true
		}
	}
	return false
}

func setEnv(env []string, k, v string) []string {
	for i, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

// safeDataEnv reads the layer's report and returns GDAL_DATA/PROJ_DATA for
// the image where exactly one package bundles that data: then pointing the
// variable at it cannot make another package read data of a different
// version (lambgeo/docker-lambda#86). With several copies the variables stay
// unset and each package finds its own. ENV in the Geolayerfile wins.
func safeDataEnv(rep *report.Report, pl *plan) map[string]string {
	env := map[string]string{}
	for _, a := range rep.Environment {
		if a.Safe && len(a.Values) == 1 {
			env[a.Variable] = path.Join(pl.runtime.MountPoint, a.Values[0].Path)
		}
	}
	return env
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

// maxReportBytes bounds the report.json the frontend reads back.
const maxReportBytes = 64 << 20

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

// reportOnly is report.json of the assembled archive alone.
func reportOnly(archive llb.State) llb.State {
	return llb.Scratch().File(llb.Copy(archive, "/report.json", "/report.json"), llb.WithCustomName("[internal] read report.json"))
}

func mergeEnv(base, over map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}
