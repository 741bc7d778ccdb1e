package frontend

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/containerd/platforms"
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

// plan is the validated build: everything LLB generation needs, with the
// Geolayerfile locations kept for errors.
type plan struct {
	spec          *instructions.Spec
	runtime       *profile.Runtime
	Platforms     []ocispecs.Platform
	buildPlatform ocispecs.Platform
	index         string
	extraIndexes  []string
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
	env       map[string]string
	epoch     int64
	stripMode string
	prune     string         // pkg/prune options as JSON, "" for none
	budget    profile.Limits // BUDGET, defaulting to the profile's limits
	budgetLoc []parser.Range
	noCache   bool // --no-cache: every step re-runs

	// runTimeout and buildTimeout bound each RUN and BUILD step (build
	// args GEOLAYER_RUN_TIMEOUT, GEOLAYER_BUILD_TIMEOUT; timeouts.go).
	runTimeout, buildTimeout time.Duration

	// httpTimeout and pageLimit bound each index page fetch (build args
	// GEOLAYER_HTTP_TIMEOUT, GEOLAYER_INDEX_PAGE_LIMIT).
	httpTimeout time.Duration
	pageLimit   int64
	// lockAttestationsUnverified accepts pylock entries that list
	// attestation-identities on their hashes alone (build arg
	// GEOLAYER_PYLOCK_ATTESTATIONS=unverified).
	lockAttestationsUnverified bool
	checkMode                  string // CHECK: error, warn, off
	bytecode                   *llbgen.Bytecode
	licenses                   bool            // PRUNE --collect-licenses
	builds                     map[string]bool // BUILD <package>: compiled from the sdist; true: --no-build-isolation
	buildAuto                  bool            // BUILD --auto: sdists where no wheel fits
	// autoNoIsolation: BUILD --auto --no-build-isolation
	autoNoIsolation bool
	runs            []llbgen.Run // RUN, in file order
	// buildLocs are where BUILD names each package; autoLoc is BUILD --auto.
	buildLocs map[string][]*pb.Range
	autoLoc   []*pb.Range
	checkLoc  []parser.Range
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

func (pl *plan) target(p ocispecs.Platform) *llbgen.Target {
	rt := pl.runtime
	l := rt.Layout
	return &llbgen.Target{
		NoCache:       pl.noCache,
		Platform:      p,
		BuildPlatform: pl.buildPlatform,
		Layout: llbgen.Layout{
			SitePackages: l.SitePackages,
			Scripts:      l.Bin,
			Data:         l.Data,
			Headers:      path.Join(l.Data, "include"), // "include" when the data root is the layer root (gcp, site-packages)
			MountPoint:   rt.MountPoint,
			Lib:          l.Lib,
		},
		Runs:            pl.runs,
		RunTimeout:      pl.runTimeout,
		BuildTimeout:    pl.buildTimeout,
		Interpreter:     "/usr/bin/env python3",
		RuntimeImage:    rt.RuntimeImage,
		Env:             testEnv(rt.Env, pl.env),
		SysPath:         sysPath(rt),
		SiteDir:         path.Join(rt.MountPoint, l.SitePackages),
		StripMode:       pl.stripMode,
		Prune:           pl.prune,
		CheckMode:       pl.checkMode,
		Bytecode:        pl.bytecode,
		CollectLicenses: pl.licenses,
		CheckConfig:     pl.checkConfig(p),
		CheckLocation:   toPBRanges(pl.checkLoc),
		// Lambda unpacks layer symlinks as symlinks; the other platforms'
		// upload paths are not documented to, so they get plain copies.
		Dedup:          rt.Profile == "aws-lambda",
		BudgetLocation: toPBRanges(pl.budgetLoc),
		Epoch:          pl.epoch,
		ProfileName:    pl.spec.Target.Profile.Value,
		RuntimeName:    rt.Name,
		Glibc:          rt.Glibc,
		LimitUnzipped:  pl.budget.Unzipped,
		LimitZipped:    pl.budget.Zipped,
		DirectUpload:   pl.runtime.Limits.DirectUpload,

		PlatformLimitUnzipped: rt.Limits.Unzipped,
		PlatformLimitZipped:   rt.Limits.Zipped,
		PlatformLibraryPath:   rt.Env["LD_LIBRARY_PATH"],
		UserEnv:               pl.env,
	}
}

func wheelTarget(rt *profile.Runtime, p ocispecs.Platform) wheel.Target {
	return wheel.Target{PythonVersion: rt.PythonVersion, Arch: wheel.PlatformArch(p.Architecture), Glibc: rt.Glibc}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
