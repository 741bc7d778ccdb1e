package frontend

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/geolayer/geolayer/frontend/instructions"
	"github.com/geolayer/geolayer/frontend/parser"
	"github.com/geolayer/geolayer/frontend/profile"
	"github.com/geolayer/geolayer/llbgen"
	"github.com/geolayer/geolayer/pkg/pyreq"
	"github.com/geolayer/geolayer/pkg/wheel"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// DefaultIndex is used when no INDEX instruction and no GEOLAYER_INDEX_URL
// build arg name one.
const DefaultIndex = "https://pypi.org/simple/"

// plan is the validated build, with the Geolayerfile locations kept for
// errors. What LLB generation needs is base, the llbgen input itself,
// filled once by newPlan; target gives it for one platform. The other
// fields are what the frontend itself reads before generation:
// requirements, indexes, TESTs, BUILD.
type plan struct {
	spec *instructions.Spec
	// runtime is TARGET's (first) runtime; runtimes are all of them, in
	// the order written (runtimes[0] == runtime): TARGET may name several
	// runtimes of a profile whose layout keeps one site-packages per
	// Python version, and they share one layer (multiRuntime).
	runtime   *profile.Runtime
	runtimes  []*profile.Runtime
	Platforms []ocispecs.Platform
	// base is every platform's llbgen input for the first runtime:
	// target(p) copies it and sets what differs per platform; the build
	// steps add the pinned images. bases[i] is the same for runtimes[i]
	// (bases[0] == base): they differ only in what comes from the
	// runtime (runtimeTarget).
	base         llbgen.Target
	bases        []llbgen.Target
	index        string
	extraIndexes []string
	// indexSecrets maps an index URL to the BuildKit secret holding its
	// HTTP Authorization header value (INDEX --secret).
	indexSecrets map[string]string
	requireFiles []requireFile
	// constraints are the requirements of -c files: they restrict the
	// versions of required names and never add one.
	constraints []*requirement
	// pre: a requirements file says --pre (pip's resolver may choose
	// pre-releases).
	pre       bool
	inline    []pyreq.Requirement
	inlineLoc map[int][]parser.Range
	tests     []llbgen.Test
	// runTimeout and buildTimeout bound each RUN and BUILD step (build
	// args GEOLAYER_RUN_TIMEOUT, GEOLAYER_BUILD_TIMEOUT; timeouts.go).
	runTimeout, buildTimeout time.Duration

	// httpTimeout and pageLimit bound each index page fetch (build args
	// GEOLAYER_HTTP_TIMEOUT, GEOLAYER_INDEX_PAGE_LIMIT).
	httpTimeout time.Duration
	// downloadTimeout bounds each wheel and sdist download (build arg
	// GEOLAYER_DOWNLOAD_TIMEOUT; downloads.go).
	downloadTimeout time.Duration
	pageLimit       int64
	// lockAttestationsUnverified accepts pylock entries that list
	// attestation-identities on their hashes alone (build arg
	// GEOLAYER_PYLOCK_ATTESTATIONS=unverified).
	lockAttestationsUnverified bool
	builds                     map[string]bool // BUILD <package>: compiled from the sdist; true: --no-build-isolation
	buildAuto                  bool            // BUILD --auto: sdists where no wheel fits
	// autoNoIsolation: BUILD --auto --no-build-isolation
	autoNoIsolation bool
	// buildLocs are where BUILD names each package; autoLoc is BUILD --auto.
	buildLocs map[string][]*pb.Range
	autoLoc   []*pb.Range
	// warnings found while planning (yanked pins, ...), emitted once each
	// through BuildKit's warning channel at their Geolayerfile location.
	warnMu   sync.Mutex
	warnings []planWarning
}

type planWarning struct {
	msg string
	loc []parser.Range
}

// warnf records a warning once (the platforms are planned in parallel and
// often find the same one).
func (pl *plan) warnf(loc []parser.Range, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	pl.warnMu.Lock()
	defer pl.warnMu.Unlock()
	for _, w := range pl.warnings {
		if w.msg == msg {
			return
		}
	}
	pl.warnings = append(pl.warnings, planWarning{msg: msg, loc: loc})
}

type requireFileKind int

const (
	kindRequirements requireFileKind = iota
	kindLock
)

type requireFile struct {
	path string
	loc  []parser.Range
	kind requireFileKind
}

// target is the llbgen input for platform p: base with the platform and
// the static check's view of it. The maps and slices it shares with base
// are only read.
func (pl *plan) target(p ocispecs.Platform) *llbgen.Target {
	return pl.runtimeTarget(0, p)
}

// newPlan validates a loaded Geolayerfile against the profile table and the
// build's options. The checks run in a fixed order, so a file with several
// problems is refused for the same one every time.
func newPlan(spec *instructions.Spec, requested, build []ocispecs.Platform, buildArgs map[string]string) (*plan, error) {
	rts, err := targetRuntimes(spec)
	if err != nil {
		return nil, err
	}
	rt := rts[0]
	pl := &plan{spec: spec, runtime: rt, runtimes: rts, inlineLoc: map[int][]parser.Range{}}
	for _, r := range rts {
		if pl.Platforms, err = platformsFor(spec, r, requested, build); err != nil {
			return nil, err
		}
	}
	epoch, err := parseEpoch(buildArgs)
	if err != nil {
		return nil, err
	}
	if pl.httpTimeout, pl.pageLimit, err = httpSettings(buildArgs); err != nil {
		return nil, err
	}
	if pl.downloadTimeout, err = downloadTimeout(buildArgs); err != nil {
		return nil, err
	}
	if pl.runTimeout, pl.buildTimeout, err = stepTimeouts(buildArgs); err != nil {
		return nil, err
	}
	if pl.lockAttestationsUnverified, err = lockAttestations(buildArgs); err != nil {
		return nil, err
	}
	if err := pl.addIndexes(spec, buildArgs); err != nil {
		return nil, err
	}
	if err := pl.addRequires(spec); err != nil {
		return nil, err
	}
	if pl.tests, err = planTests(spec, buildArgs); err != nil {
		return nil, err
	}
	var bytecode *llbgen.Bytecode
	for _, r := range rts {
		if bytecode, err = planBytecode(spec, r); err != nil {
			return nil, err
		}
	}
	checkMode, err := checkMode(spec)
	if err != nil {
		return nil, err
	}
	strip, err := stripMode(spec)
	if err != nil {
		return nil, err
	}
	prune, err := pruneOptions(spec, spec.Bytecode != nil)
	if err != nil {
		return nil, err
	}
	if err := pl.addBuilds(spec); err != nil {
		return nil, err
	}
	runs, err := planRuns(spec)
	if err != nil {
		return nil, err
	}

	env := userEnv(spec)
	_, budgetLoc := planBudget(spec, rt)
	checkLoc := spec.Target.Location()
	if spec.Check != nil {
		checkLoc = spec.Check.Location()
	}
	common := llbgen.Target{
		BuildPlatform:   build[0],
		Runs:            runs,
		RunTimeout:      pl.runTimeout,
		BuildTimeout:    pl.buildTimeout,
		Interpreter:     "/usr/bin/env python3",
		StripMode:       strip,
		Prune:           prune,
		CheckMode:       checkMode,
		Bytecode:        bytecode,
		CollectLicenses: collectLicenses(spec),
		CheckLocation:   toPBRanges(checkLoc),
		BudgetLocation:  toPBRanges(budgetLoc),
		Epoch:           epoch,
		UserEnv:         env,
	}
	for _, r := range rts {
		pl.bases = append(pl.bases, runtimeBase(common, spec, r))
	}
	if len(rts) > 1 {
		names := make([]string, len(rts))
		for i, r := range rts {
			names[i] = r.Name
		}
		for i := range pl.bases {
			pl.bases[i].LayerRuntimes = names
		}
	}
	pl.base = pl.bases[0]
	return pl, nil
}

func parseEpoch(args map[string]string) (int64, error) {
	v, ok := args["SOURCE_DATE_EPOCH"]
	if !ok || v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.Errorf("SOURCE_DATE_EPOCH must be a non-negative integer, got %q", v)
	}
	return n, nil
}

// lockAttestations reads the build arg GEOLAYER_PYLOCK_ATTESTATIONS.
func lockAttestations(args map[string]string) (bool, error) {
	switch v := args[argLockAttestations]; v {
	case "":
		return false, nil
	case "unverified":
		return true, nil
	default:
		return false, errors.Errorf("build arg %s=%q: the only value is \"unverified\"", argLockAttestations, v)
	}
}

// addIndexes sets the primary index (INDEX, else the GEOLAYER_INDEX_URL
// build arg, else DefaultIndex), the extra ones and their secrets.
func (pl *plan) addIndexes(spec *instructions.Spec, buildArgs map[string]string) error {
	pl.index = DefaultIndex
	if v := buildArgs["GEOLAYER_INDEX_URL"]; v != "" {
		if problem := instructions.CheckIndexURL(v); problem != "" {
			return errors.Errorf("invalid build arg GEOLAYER_INDEX_URL: %s", problem)
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
			return located(errors.New("more than one primary INDEX: mark additional indexes with --extra"), ix.Location())
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
	return nil
}

// addRequires parses the inline REQUIRE specs and lists the requirements
// and lock files to read (loadRequirements reads them).
func (pl *plan) addRequires(spec *instructions.Spec) error {
	for _, rc := range spec.Requires {
		switch rc.Kind {
		case instructions.RequireSpecs:
			for _, v := range rc.Requirements {
				r, err := pyreq.ParseRequirement(v.Value)
				if err != nil {
					return located(err, v.Location)
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
		return errors.New("nothing to install: add a REQUIRE instruction")
	}
	return nil
}

// planTests are the TESTs, each with the watchdog's timeout (build arg
// GEOLAYER_TEST_TIMEOUT).
func planTests(spec *instructions.Spec, buildArgs map[string]string) ([]llbgen.Test, error) {
	testTimeout := llbgen.DefaultTestTimeout
	if v := buildArgs["GEOLAYER_TEST_TIMEOUT"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, errors.Errorf("invalid build arg GEOLAYER_TEST_TIMEOUT=%q: want a positive number of seconds", v)
		}
		testTimeout = time.Duration(n) * time.Second
	}
	var tests []llbgen.Test
	for _, tc := range spec.Tests {
		tests = append(tests, llbgen.Test{Code: tc.Source, Location: toPBRanges(tc.Location()), Required: tc.Required, ProfileImports: tc.ProfileImports, Timeout: testTimeout})
	}
	return tests, nil
}

// planBytecode is BYTECODE (nil: off); it needs the target's CPython in the
// build image.
func planBytecode(spec *instructions.Spec, rt *profile.Runtime) (*llbgen.Bytecode, error) {
	b := spec.Bytecode
	if b == nil {
		return nil, nil
	}
	if rt.BuildPython == "" {
		return nil, located(errors.Errorf("BYTECODE needs the target's CPython, and the %s build image %s has none (the buildpacks install Python at build time): name one with TARGET ... --build-image=<image with CPython %s>", rt.Profile, rt.BuildImage, rt.PythonVersion), b.Location())
	}
	return &llbgen.Bytecode{Optimize: b.Optimize, Sourceless: b.Sourceless}, nil
}

// addBuilds records BUILD: the packages compiled from their sdists, with or
// without build isolation, and where each is asked for.
func (pl *plan) addBuilds(spec *instructions.Spec) error {
	for _, b := range spec.Builds {
		if b.SharedLibs {
			return located(errors.New("BUILD --shared-libs is not needed: the libraries compiled packages need from the build stage are always vendored once, into the layer's library folder that every package shares (drop the flag)"), b.Location())
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
	return nil
}

// planRuns are the RUN instructions, in file order; RUN only prepares the
// build stage for BUILD.
func planRuns(spec *instructions.Spec) ([]llbgen.Run, error) {
	var runs []llbgen.Run
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
		runs = append(runs, run)
	}
	return runs, nil
}

// userEnv is the Geolayerfile's ENV (never nil).
func userEnv(spec *instructions.Spec) map[string]string {
	env := map[string]string{}
	for _, ec := range spec.Env {
		for _, kv := range ec.Env {
			env[kv.Key] = kv.Value
		}
	}
	return env
}

// collectLicenses: any PRUNE --collect-licenses.
func collectLicenses(spec *instructions.Spec) bool {
	for _, pc := range spec.Prunes {
		if pc.CollectLicenses {
			return true
		}
	}
	return false
}

// planBudget is BUDGET over the profile's limits, and where the budget
// comes from (BUDGET, or TARGET for the profile's limits).
func planBudget(spec *instructions.Spec, rt *profile.Runtime) (profile.Limits, []parser.Range) {
	budget, loc := rt.Limits, spec.Target.Location()
	if b := spec.Budget; b != nil {
		loc = b.Location()
		if b.Unzipped != nil {
			budget.Unzipped = b.Unzipped.Bytes
		}
		if b.Zipped != nil {
			budget.Zipped = b.Zipped.Bytes
		}
	}
	return budget, loc
}

func wheelTarget(rt *profile.Runtime, p ocispecs.Platform) wheel.Target {
	return wheel.Target{PythonVersion: rt.PythonVersion, Arch: wheel.PlatformArch(p.Architecture), Glibc: rt.Glibc}
}

// sysPath is the head of sys.path in TEST: the profile's documented order
// (frontend/profile), or for the custom profile the layer's site
// directory.
func sysPath(rt *profile.Runtime) []string {
	if len(rt.SysPath) > 0 {
		return rt.SysPath
	}
	return []string{path.Join(rt.MountPoint, rt.Layout.SitePackages)}
}

// testEnv is the environment TEST steps run with: the platform's, then the
// Geolayerfile's ENV over it, as a function configured with those
// variables would see.
func testEnv(platform, env map[string]string) map[string]string {
	out := make(map[string]string, len(platform)+len(env))
	for k, v := range platform {
		out[k] = v
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}
