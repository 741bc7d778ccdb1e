package frontend

// TARGET's runtimes: each runtime's llbgen input (runtimeBase, from what
// the Geolayerfile says once), the target of a runtime and platform, and
// the refusals of runtimes that cannot share one layer (multiRuntime).

import (
	"path"
	"strings"

	"github.com/containerd/platforms"
	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/frontend/parser"
	"github.com/geolayer/geolayer/frontend/profile"
	"github.com/geolayer/geolayer/llbgen"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// runtimeTarget is target for TARGET's i-th runtime.
func (pl *plan) runtimeTarget(i int, p ocispecs.Platform) *llbgen.Target {
	t := pl.bases[i]
	t.Platform = p
	t.CheckConfig = checkConfig(pl.runtimes[i], p)
	return &t
}

// runtimeFor is the runtime a target is for (by its RuntimeName; the
// first when none matches, as for a target of the custom profile).
func (pl *plan) runtimeFor(t *llbgen.Target) *profile.Runtime {
	for _, rt := range pl.runtimes {
		if rt.Name == t.RuntimeName {
			return rt
		}
	}
	return pl.runtime
}

// runtimeNames lists TARGET's runtimes: "python3.11, python3.13".
func (pl *plan) runtimeNames() string {
	names := make([]string, len(pl.runtimes))
	for i, rt := range pl.runtimes {
		names[i] = rt.Name
	}
	return strings.Join(names, ", ")
}

// setNoCache marks every runtime's input --no-cache.
func (pl *plan) setNoCache(on bool) {
	for i := range pl.bases {
		pl.bases[i].NoCache = on
	}
	pl.base.NoCache = on
}

// runtimeBase is common, the llbgen input every runtime shares, with what
// comes from runtime rt: the layout, images, environment, limits and
// BUDGET over them.
func runtimeBase(common llbgen.Target, spec *instructions.Spec, rt *profile.Runtime) llbgen.Target {
	t := common
	budget, _ := planBudget(spec, rt)
	l := rt.Layout
	t.Layout = llbgen.Layout{
		SitePackages: l.SitePackages,
		Scripts:      l.Bin,
		Data:         l.Data,
		Headers:      path.Join(l.Data, "include"), // "include" when the data root is the layer root (gcp, site-packages)
		MountPoint:   rt.MountPoint,
		Lib:          l.Lib,
	}
	t.RuntimeImage = rt.RuntimeImage
	t.Env = testEnv(rt.Env, common.UserEnv)
	t.SysPath = sysPath(rt)
	t.SiteDir = path.Join(rt.MountPoint, l.SitePackages)
	// Lambda unpacks layer symlinks as symlinks; the other platforms'
	// upload paths are not documented to, so they get plain copies.
	t.Dedup = rt.Profile == "aws-lambda"
	t.ProfileName = spec.Target.Profile.Value
	t.RuntimeName = rt.Name
	t.Glibc = rt.Glibc
	t.LimitUnzipped = budget.Unzipped
	t.LimitZipped = budget.Zipped
	t.DirectUpload = rt.Limits.DirectUpload
	t.PlatformLimitUnzipped = rt.Limits.Unzipped
	t.PlatformLimitZipped = rt.Limits.Zipped
	t.PlatformLibraryPath = rt.Env["LD_LIBRARY_PATH"]
	return t
}

// targetRuntimes are TARGET's runtimes (targetRuntime), checked to be
// able to share one layer (multiRuntime).
func targetRuntimes(spec *instructions.Spec) ([]*profile.Runtime, error) {
	if spec.Target == nil {
		return nil, errors.New("missing TARGET: say what the layer is for, e.g. `TARGET aws-lambda python3.13`")
	}
	names := spec.Target.Runtimes
	if len(names) == 0 { // a Spec not made by instructions.Load
		names = []instructions.Value{spec.Target.Runtime}
	}
	var rts []*profile.Runtime
	for _, n := range names {
		rt, err := targetRuntime(spec, n)
		if err != nil {
			return nil, err
		}
		rts = append(rts, rt)
	}
	if len(rts) > 1 {
		if err := multiRuntime(spec, rts); err != nil {
			return nil, err
		}
	}
	return rts, nil
}

// multiRuntime checks that several runtimes can share one layer: each has
// its own site-packages in the profile's layout (Lambda's
// python/lib/pythonX.Y/site-packages; the GCP and Azure layouts have one
// for the app's single runtime), and no TARGET flag names what only one
// of them can have (an image with one CPython).
func multiRuntime(spec *instructions.Spec, rts []*profile.Runtime) error {
	tc := spec.Target
	for _, f := range []struct {
		name string
		v    instructions.Value
	}{{"runtime-image", tc.RuntimeImage}, {"build-image", tc.BuildImage}} {
		if f.v.IsSet() {
			return located(errors.Errorf("--%s names one image, with one CPython, and TARGET lists %d runtimes: build one layer per runtime to use your own images", f.name, len(rts)), f.v.Location)
		}
	}
	if rts[0].Profile == profile.CustomProfile {
		return located(errors.Errorf("the %s profile takes its images from --runtime-image and --build-image, which hold one CPython each: name one runtime in TARGET", profile.CustomProfile), tc.Location())
	}
	// What one layer for several runtimes cannot do yet: compile (the
	// runtimes' build images differ, Amazon Linux 2 for python3.11 and
	// 2023 for python3.13, and the vendored libraries in the shared
	// library folder would have to load under every runtime), and measure
	// the imports of several runtimes in one report.
	if len(spec.Builds) > 0 {
		return located(errors.Errorf("BUILD with several runtimes in TARGET is not supported: the runtimes' build images differ and the layer's library folder is shared by every runtime; build one layer per runtime, or use wheels (TARGET lists %d runtimes)", len(rts)), spec.Builds[0].Location())
	}
	if len(spec.Runs) > 0 {
		return located(errors.New("RUN prepares BUILD, which several runtimes in TARGET do not support: build one layer per runtime"), spec.Runs[0].Location())
	}
	for _, tc := range spec.Tests {
		if tc.ProfileImports {
			return located(errors.New("TEST --profile-imports with several runtimes in TARGET is not supported: the import times are measured for one runtime's report; drop the flag or profile with one runtime"), tc.Location())
		}
	}
	seen := map[string]string{}
	for _, rt := range rts {
		if prev, ok := seen[rt.Layout.SitePackages]; ok {
			return located(errors.Errorf("%s %s and %s install into the same site-packages (%s): the %s layout has one package folder for the single Python an app runs, so a layer cannot hold several runtimes; build one layer per runtime (several runtimes share a layer on aws-lambda, whose layout has one site-packages per Python version)",
				tc.Profile.Value, prev, rt.Name, rt.Layout.SitePackages, tc.Profile.Value), tc.Location())
		}
		seen[rt.Layout.SitePackages] = rt.Name
	}
	return nil
}

// targetRuntime is TARGET's profile runtime with its overrides applied,
// validated; errors point at TARGET.
func targetRuntime(spec *instructions.Spec, name instructions.Value) (*profile.Runtime, error) {
	tc := spec.Target
	rt, err := profile.Lookup(tc.Profile.Value, name.Value)
	if err != nil {
		loc := tc.Location()
		if len(tc.Runtimes) > 1 { // point at the runtime it is about
			loc = name.Location
		}
		return nil, located(err, loc)
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
	return rt, nil
}

// platformsFor picks the platforms: --platform wins, then PLATFORM, then the
// build platform; each must be one the profile supports.
func platformsFor(spec *instructions.Spec, rt *profile.Runtime, requested, build []ocispecs.Platform) ([]ocispecs.Platform, error) {
	var out []ocispecs.Platform
	var loc []parser.Range
	switch {
	case len(requested) > 0:
		out = requested
	case spec.Platforms != nil:
		out = spec.Platforms.Platforms
		loc = spec.Platforms.Location()
	default:
		out = build[:1]
	}
	seen := map[string]bool{}
	var res []ocispecs.Platform
	for _, p := range out {
		p = platforms.Normalize(p)
		key := platforms.Format(p)
		if seen[key] {
			continue
		}
		seen[key] = true
		if !rt.SupportsPlatform(p) {
			err := errors.Errorf("platform %s is not supported by %s %s (supported: %v)", key, spec.Target.Profile, rt.Name, rt.Platforms)
			if loc == nil {
				loc = spec.Target.Location()
			}
			return nil, located(err, loc)
		}
		res = append(res, p)
	}
	return res, nil
}
