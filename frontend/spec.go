package frontend

import (
	"strconv"
	"strings"
	"time"

	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/frontend/profile"
	"github.com/geolayer/geolayer/llbgen"
	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/geolayer/geolayer/pkg/wheel"
	dfparser "github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// newPlan validates a loaded Geolayerfile against the profile table and the
// build's options.
func newPlan(spec *instructions.Spec, requested, build []ocispecs.Platform, buildArgs map[string]string) (*plan, error) {
	if spec.Target == nil {
		return nil, errors.New("missing TARGET: say what the layer is for, e.g. `TARGET aws-lambda python3.13`")
	}
	tc := spec.Target
	rt, err := profile.Lookup(tc.Profile.Value, tc.Runtime.Value)
	if err != nil {
		return nil, located(err, tc.Location())
	}
	if tc.RuntimeImage.IsSet() || tc.BuildImage.IsSet() || tc.Glibc.IsSet() || tc.Layout.IsSet() {
		rt, err = rt.ApplyOverrides(tc.RuntimeImage.Value, tc.BuildImage.Value, tc.Glibc.Value, tc.Layout.Value)
		if err != nil {
			return nil, located(err, tc.Location())
		}
	}
	if err := rt.Validate(); err != nil {
		return nil, located(err, tc.Location())
	}
	pl := &plan{spec: spec, runtime: rt, buildPlatform: build[0], inlineLoc: map[int][]dfparser.Range{}}
	if pl.Platforms, err = platformsFor(spec, rt, requested, build); err != nil {
		return nil, err
	}
	if pl.epoch, err = parseEpoch(buildArgs); err != nil {
		return nil, err
	}
	if pl.httpTimeout, pl.pageLimit, err = httpSettings(buildArgs); err != nil {
		return nil, err
	}
	switch v := buildArgs[argLockAttestations]; v {
	case "":
	case "unverified":
		pl.lockAttestationsUnverified = true
	default:
		return nil, errors.Errorf("build arg %s=%q: the only value is \"unverified\"", argLockAttestations, v)
	}

	pl.index = DefaultIndex
	if v := buildArgs["GEOLAYER_INDEX_URL"]; v != "" {
		if problem := instructions.CheckIndexURL(v); problem != "" {
			return nil, errors.Errorf("invalid build arg GEOLAYER_INDEX_URL: %s", problem)
		}
		pl.index = v
	}
	primarySet := false
	for _, ix := range spec.Indexes {
		if ix.Secret.IsSet() {
			pl.addIndexSecret(ix.URL.Value, ix.Secret.Value)
		}
		if ix.Extra {
			pl.extraIndexes = append(pl.extraIndexes, ix.URL.Value)
			continue
		}
		if primarySet {
			return nil, located(errors.New("more than one primary INDEX: mark additional indexes with --extra"), ix.Location())
		}
		primarySet = true
		// The build arg replaces the default index, not one the file names.
		if buildArgs["GEOLAYER_INDEX_URL"] == "" {
			pl.index = ix.URL.Value
		}
	}
	if !strings.HasSuffix(pl.index, "/") {
		pl.index += "/"
	}

	for _, rc := range spec.Requires {
		switch rc.Kind {
		case instructions.RequireSpecs:
			for _, v := range rc.Requirements {
				r, err := pyreq.ParseRequirement(v.Value)
				if err != nil {
					return nil, located(err, v.Location)
				}
				pl.inlineLoc[len(pl.inline)] = v.Location
				pl.inline = append(pl.inline, r)
			}
		case instructions.RequireFile:
			pl.requireFiles = append(pl.requireFiles, requireFile{path: rc.File.Value, loc: rc.File.Location, kind: kindRequirements})
		case instructions.RequireLock:
			pl.requireFiles = append(pl.requireFiles, requireFile{path: rc.File.Value, loc: rc.File.Location, kind: kindLock})
		}
	}
	if len(spec.Requires) == 0 {
		return nil, errors.New("nothing to install: add a REQUIRE instruction")
	}

	testTimeout := llbgen.DefaultTestTimeout
	if v := buildArgs["GEOLAYER_TEST_TIMEOUT"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, errors.Errorf("invalid build arg GEOLAYER_TEST_TIMEOUT=%q: want a positive number of seconds", v)
		}
		testTimeout = time.Duration(n) * time.Second
	}
	if pl.runTimeout, pl.buildTimeout, err = stepTimeouts(buildArgs); err != nil {
		return nil, err
	}
	for _, tc := range spec.Tests {
		pl.tests = append(pl.tests, llbgen.Test{Code: tc.Source, Location: toPBRanges(tc.Location()), Required: tc.Required, ProfileImports: tc.ProfileImports, Timeout: testTimeout})
	}
	pl.env = map[string]string{}
	for _, ec := range spec.Env {
		for _, kv := range ec.Env {
			pl.env[kv.Key] = kv.Value
		}
	}
	pl.stripMode = string(instructions.StripUnneeded)
	if spec.Strip != nil {
		pl.stripMode = string(spec.Strip.Mode)
	}
	pl.budget = rt.Limits
	pl.budgetLoc = tc.Location()
	if b := spec.Budget; b != nil {
		pl.budgetLoc = b.Location()
		if b.Unzipped != nil {
			pl.budget.Unzipped = b.Unzipped.Bytes
		}
		if b.Zipped != nil {
			pl.budget.Zipped = b.Zipped.Bytes
		}
	}
	if b := spec.Bytecode; b != nil {
		if rt.BuildPython == "" {
			return nil, located(errors.Errorf("BYTECODE needs the target's CPython, and the %s build image %s has none (the buildpacks install Python at build time): name one with TARGET ... --build-image=<image with CPython %s>", rt.Profile, rt.BuildImage, rt.PythonVersion), b.Location())
		}
		pl.bytecode = &llbgen.Bytecode{Optimize: b.Optimize, Sourceless: b.Sourceless}
	}
	pl.checkMode, pl.checkLoc = checkMode(spec), tc.Location()
	if spec.Check != nil {
		pl.checkLoc = spec.Check.Location()
	}
	for _, pc := range spec.Prunes {
		pl.licenses = pl.licenses || pc.CollectLicenses
	}
	if pl.prune, err = pruneOptions(spec, spec.Bytecode != nil); err != nil {
		return nil, err
	}
	for _, b := range spec.Builds {
		if b.SharedLibs {
			return nil, located(errors.New("BUILD --shared-libs is not needed: the libraries compiled packages need from the build stage are always vendored once, into the layer's library folder that every package shares (drop the flag)"), b.Location())
		}
		if b.Auto {
			pl.buildAuto = true
			pl.autoNoIsolation = pl.autoNoIsolation || b.NoBuildIsolation
			if pl.autoLoc == nil {
				pl.autoLoc = toPBRanges(b.Location())
			}
		}
		for _, v := range b.Packages {
			if pl.builds == nil {
				pl.builds = map[string]bool{}
			}
			// the value: compile without build isolation
			pl.builds[wheel.NormalizeName(v.Value)] = b.NoBuildIsolation
			if pl.buildLocs == nil {
				pl.buildLocs = map[string][]*pb.Range{}
			}
			pl.buildLocs[wheel.NormalizeName(v.Value)] = toPBRanges(v.Location)
		}
	}
	for _, r := range spec.Runs {
		if len(spec.Builds) == 0 {
			return nil, located(errors.New("RUN prepares the build stage for BUILD, and nothing is built: add BUILD <package> (or remove RUN)"), r.Location())
		}
		run := llbgen.Run{Command: r.Command, Location: toPBRanges(r.Location())}
		for _, m := range r.Mounts {
			run.Mounts = append(run.Mounts, llbgen.RunMount{
				Type: string(m.Type), Target: m.Target, ID: m.ID, Sharing: m.Sharing, ReadOnly: m.ReadOnly,
				Env: m.Env, Required: m.Required, Mode: m.Mode, UID: m.UID, GID: m.GID, Size: m.Size,
			})
		}
		pl.runs = append(pl.runs, run)
	}
	return pl, nil
}
