// Package llbgen turns a resolved plan into per-platform LLB: one file per
// stage (fetch, install, archive, test, output). Every wheel, every
// per-package step and the final archive is its own content-addressed step.
package llbgen

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/prune"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Layout says where things go inside the layer archive (paths relative to
// the archive root, which the platform mounts at MountPoint).
type Layout struct {
	SitePackages string // python/lib/python3.13/site-packages
	Scripts      string // bin
	Data         string // python
	Headers      string // python/include
	MountPoint   string // /opt
	// Lib is the platform's library folder on the loader path ("lib" for
	// Lambda, i.e. /opt/lib); "" when it has none.
	Lib string
}

// Wheel is one wheel chosen for one platform.
type Wheel struct {
	Name     string // normalized project name
	Version  string
	Filename string
	URL      string
	SHA256   string // hex
	Tag      string // the tag it was chosen for, for people
	// AuthSecret is the BuildKit secret whose value is the Authorization
	// header for URL (INDEX --secret); the value never enters the graph.
	AuthSecret string
	// Sdist, when set, is compiled into this wheel (BUILD) instead of
	// fetching Filename.
	Sdist *Sdist
	// Location is the Geolayerfile line that requires it (REQUIRE, or the
	// REQUIRE naming its requirements or lock file): its fetch, install
	// and slim steps point their failures there. Not part of any cache key.
	Location []*pb.Range
}

// Target is what one platform's graph is built for.
type Target struct {
	Platform      ocispecs.Platform
	BuildPlatform ocispecs.Platform
	Layout        Layout
	Interpreter   string // shebang for scripts: /usr/bin/env python3
	// RuntimeImage is the profile's runtime image by name; Runtime is that
	// image for Platform, pinned by digest once resolved (TEST, the static
	// check, vendoring and the image target use it; the report records it).
	RuntimeImage string
	Runtime      Image
	// Build is the profile's build image for Platform (RUN and BUILD run
	// there, emulated when foreign); BuildHost is the same image for
	// BuildPlatform (pip's resolver, BYTECODE: nothing there depends on the
	// target's machine).
	Build     Image
	BuildHost Image
	Env       map[string]string // the platform's environment at run time, over the runtime image's
	// SysPath is the head of sys.path as the platform builds it, in order;
	// SiteDir is the one of them processed as a site directory (.pth).
	SysPath   []string
	SiteDir   string
	Epoch     int64               // SOURCE_DATE_EPOCH for archive timestamps (0 = 1980-01-01)
	StripMode helperapi.StripMode // STRIP (zero: strip nothing)
	// Prune is PRUNE and KEEP (Package unset: the slim step sets it for
	// each package), nil when nothing is pruned.
	Prune *prune.Options
	// Dedup stores files identical across packages once in layer.zip (the
	// copies become relative symlinks): on where the platform keeps
	// symlinks of a layer (Lambda).
	Dedup bool
	// Bytecode is BYTECODE (nil: off).
	Bytecode *Bytecode
	// Runs are the RUN instructions, run in the build stage before BUILD
	// compiles.
	Runs []Run
	// RunTimeout and BuildTimeout bound each RUN and each BUILD step
	// (0: DefaultRunTimeout, DefaultBuildTimeout): a step still running
	// then is killed and fails naming the limit (ExecWatchdog).
	RunTimeout, BuildTimeout time.Duration
	// CollectLicenses adds THIRD_PARTY_LICENSES (PRUNE --collect-licenses).
	CollectLicenses bool
	// CheckMode is CHECK (zero: off); CheckConfig is the platform's facts
	// the static check and vendoring need (llbgen sets its Mode to
	// CheckMode); CheckLocation is where CHECK (or TARGET) is, for
	// failures.
	CheckMode     helperapi.CheckMode
	CheckConfig   helperapi.CheckOptions
	CheckLocation []*pb.Range
	// BudgetLocation is where the size budget comes from (BUDGET, or TARGET
	// for the profile's limits): an over-budget failure points there.
	BudgetLocation []*pb.Range
	ProfileName    string
	RuntimeName    string
	Glibc          string
	LimitUnzipped  int64
	LimitZipped    int64
	// DirectUpload is the platform's zipped size for a direct upload (a
	// warning in the report, not a limit).
	DirectUpload int64
	// PlatformLimitUnzipped and PlatformLimitZipped are the platform's own
	// limits (publish.json compares the layer with them; the BUDGET is
	// LimitUnzipped/LimitZipped).
	PlatformLimitUnzipped int64
	PlatformLimitZipped   int64
	// PlatformLibraryPath is the platform's own LD_LIBRARY_PATH ("" when
	// it sets none); UserEnv the Geolayerfile's ENV (publish.json).
	PlatformLibraryPath string
	UserEnv             map[string]string
	// NoCache re-runs every step (--no-cache): each named step carries
	// llb.IgnoreCache.
	NoCache bool
	// LayerRuntimes are every runtime of a layer for several (TARGET
	// aws-lambda python3.11 python3.13; this target is the one named
	// RuntimeName); nil for a layer for one runtime. With several, the
	// packages' reports and fragments are named <name>@<runtime> and the
	// step names carry the runtime; with one, nothing changes.
	LayerRuntimes []string
}

// several says whether the layer is for several runtimes.
func (t *Target) several() bool { return len(t.LayerRuntimes) > 1 }

// key is how the layer names an installed package: its name, or
// <name>@<runtime> in a layer for several runtimes (report.Package.Key).
func (t *Target) key(name string) string {
	if t.several() {
		return name + "@" + t.RuntimeName
	}
	return name
}

// metaName is the package report's file name in the collected reports.
func (t *Target) metaName(w Wheel) string { return path.Join("/", t.key(w.Name)+".json") }

// Gen generates LLB. Helper is a state whose filesystem has the static
// helper binary at helperapi.Binary (the frontend image itself, through
// CurrentFrontend, or an explicit helper image).
type Gen struct {
	Helper llb.State
	// SourceMap, when set, lets steps point their failures at the
	// Geolayerfile line they come from.
	SourceMap *llb.SourceMap
	Merge     bool // daemon supports MergeOp
	ImageOpt  []llb.ImageOption
}

func (t *Target) runtimeImage() string {
	if t.Runtime.Ref != "" {
		return t.Runtime.Ref
	}
	return t.RuntimeImage
}

func platformString(p ocispecs.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Name names a vertex for people: "[linux/arm64] install numpy 2.1.0".
func (t *Target) Name(format string, a ...any) llb.ConstraintsOpt { return t.name(format, a...) }

func (t *Target) name(format string, a ...any) llb.ConstraintsOpt {
	prefix := platformString(t.Platform)
	if t.several() {
		prefix += " " + t.RuntimeName
	}
	name := llb.WithCustomName(fmt.Sprintf("[%s] ", prefix) + fmt.Sprintf(format, a...))
	if t.NoCache {
		return constraints{name, llb.IgnoreCache}
	}
	return name
}

// located adds a Geolayerfile location to a step's options, so BuildKit
// points the step's failure there (nothing without a source map or
// location; locations are not part of cache keys).
func located[O any](g *Gen, opts []O, loc []*pb.Range) []O {
	if g.SourceMap == nil || len(loc) == 0 {
		return opts
	}
	if o, ok := any(g.SourceMap.Location(loc)).(O); ok {
		return append(opts, o)
	}
	return opts
}

// helperExec runs the helper on the build host's own architecture: wheel-only
// stacks need no emulation for any target. Every helper command line is
// written by internal/helperapi.
func (g *Gen) helperExec(t *Target, cmd helperapi.Command, opts ...llb.RunOption) llb.ExecState {
	ro := []llb.RunOption{
		llb.Args(helperapi.Argv(helperapi.Binary, cmd)),
		llb.Network(pb.NetMode_NONE),
		llb.Platform(t.BuildPlatform),
		llb.WithCustomName("geolayer helper " + cmd.Name()),
		// The frontend image is one static binary: give it a disk-backed /tmp
		// for spill files (a tmpfs would put large libraries in memory).
		llb.AddMount("/tmp", llb.Scratch()),
	}
	return g.Helper.Run(append(ro, opts...)...)
}

// wholeLayer marks a read-only mount of the whole layer (or another large
// aggregate: all fragments, the build stage). BuildKit would otherwise
// checksum such a mount's file contents to compute the step's cache key
// (content-based caching of read-only mounts): on the geo set that reads
// ~200 MB on every pin bump, while the LLB digests of the inputs already
// identify them. Per-package mounts keep content-based caching, which lets
// a step whose input did not really change (a PRUNE edit that removes
// nothing from a package) stay cached.
var wholeLayer = llb.ContentCache(llb.MountContentCacheOff)

// pinnedImage marks a read-only mount of an image's file system (the
// runtime image the static check and vendoring read): the image is pinned
// by digest, so its LLB digest already identifies its content. With
// content-based caching BuildKit would checksum every file of the image
// for the step's cache key, and a daemon importing a cache (--cache-from)
// did not match the key the exporting daemon recorded: the check re-ran on
// every fresh daemon (TestRegistryCacheAcrossDaemons).
var pinnedImage = llb.ContentCache(llb.MountContentCacheOff)

// merge composes states: MergeOp when the daemon has it, copies otherwise.
func (g *Gen) merge(states []llb.State, name llb.ConstraintsOpt) llb.State {
	switch len(states) {
	case 0:
		return llb.Scratch()
	case 1:
		return states[0]
	}
	if g.Merge {
		return llb.Merge(states, name)
	}
	out := states[0]
	for _, s := range states[1:] {
		out = out.File(llb.Copy(s, "/", "/", &llb.CopyInfo{CopyDirContentsOnly: true, AllowEmptyWildcard: true, CreateDestPath: true}), name)
	}
	return out
}

// Package is the per-package chain of states.
type Package struct {
	// Key names the package's fragment (Target.key for a wheel; the
	// pseudo-packages' own names).
	Key      string
	Wheel    Wheel
	File     llb.State // the fetched wheel
	Tree     llb.State // the package's files (installed, then slimmed), relative to the layer root
	Meta     llb.State // /<name>.json: what install and the slimming steps did
	Fragment llb.State // /<name>.frag + /<name>.frag.idx
	// Downloaded is empty and reads the package's download (fetched wheel
	// or sdist): the frontend solves it on its own under a time limit;
	// zero for the vendored libraries, which download nothing.
	Downloaded llb.State
}

// Layer is one platform's whole graph.
type Layer struct {
	Target   *Target
	Packages []*Package
	Tree     llb.State // the unpacked layer
	Archive  llb.State // /layer.zip + /report.json
	HTML     llb.State // /report.html
	// Check holds /check.json of the static check (nil when CHECK off);
	// Checks the same per runtime, in the order of Runtimes (Check is
	// Checks[0]).
	Check  *llb.State
	Checks []llb.State
	// Runtimes are the targets of the layer's runtimes (one for a layer
	// for one runtime: Target).
	Runtimes []*Target
	Gate     []llb.State
}

// Build generates the graph for one platform.
func (g *Gen) Build(t *Target, wheels []Wheel) *Layer {
	return g.BuildRuntimes([]RuntimePart{{Target: t, Wheels: wheels}})
}

// RuntimePart is one runtime's share of a layer: the runtime's target
// (all with the same Platform and LayerRuntimes) and the wheels chosen for
// it.
type RuntimePart struct {
	Target *Target
	Wheels []Wheel
}

// BuildRuntimes generates the graph of one platform's layer for one or
// several runtimes: each runtime's packages with its own target (its
// site-packages), then one tree, one archive. The static check runs once
// per runtime, on that runtime's packages against its runtime image (a
// cp313 extension is not checked against the python3.11 image); TESTs run
// once per runtime (AddTests). With one part it is what Build always was.
func (g *Gen) BuildRuntimes(parts []RuntimePart) *Layer {
	t := parts[0].Target
	// lt names the steps of the whole layer.
	lt := t
	if t.several() {
		c := *t
		c.RuntimeName = strings.Join(t.LayerRuntimes, "+")
		lt = &c
	}
	l := &Layer{Target: t}
	var trees, metas, frags, downloads []llb.State
	var partTrees [][]llb.State
	for _, part := range parts {
		pt := part.Target
		l.Runtimes = append(l.Runtimes, pt)
		sorted := append([]Wheel(nil), part.Wheels...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
		var ptrees, built []llb.State
		var stage *llb.State
		for _, w := range sorted {
			p := &Package{Key: pt.key(w.Name), Wheel: w, Downloaded: g.downloaded(pt, w)}
			downloads = append(downloads, p.Downloaded)
			if w.Sdist != nil {
				if stage == nil {
					st := g.buildStage(pt)
					stage = &st
				}
				p.File = g.buildWheel(pt, w, *stage)
			} else {
				p.File = g.fetch(pt, w)
			}
			p.Tree, p.Meta = g.install(pt, p)
			if w.Sdist != nil {
				built = append(built, p.Tree)
			}
			if pt.slims(w) {
				p.Tree, p.Meta = g.slim(pt, p)
			}
			if pt.Bytecode != nil {
				p.Tree, p.Meta = g.bytecode(pt, p)
			}
			p.Fragment = g.fragment(pt, p)
			l.Packages = append(l.Packages, p)
			ptrees = append(ptrees, p.Tree)
			metas = append(metas, p.Meta)
			frags = append(frags, p.Fragment)
		}
		if stage != nil {
			vp := g.vendor(pt, g.merge(built, pt.name("compose the compiled packages")), *stage)
			l.Packages = append(l.Packages, vp)
			ptrees = append(ptrees, vp.Tree)
			metas = append(metas, vp.Meta)
			frags = append(frags, vp.Fragment)
		}
		trees = append(trees, ptrees...)
		partTrees = append(partTrees, ptrees)
	}
	if len(downloads) > 0 {
		l.Gate = append(l.Gate, g.merge(downloads, lt.name("downloads complete")))
	}
	l.Tree = g.merge(trees, lt.name("compose layer tree"))
	if t.CollectLicenses {
		lp := g.licenses(lt, l.Tree, g.merge(metas, lt.name("collect package reports")))
		l.Tree = g.merge([]llb.State{l.Tree, lp.Tree}, lt.name("add THIRD_PARTY_LICENSES"))
		metas = append(metas, lp.Meta)
		frags = append(frags, lp.Fragment)
	}
	var check *llb.State
	if t.CheckMode != helperapi.CheckOff {
		for i, pt := range l.Runtimes {
			tree := l.Tree
			if t.several() {
				tree = g.merge(partTrees[i], pt.name("compose the runtime's tree"))
			}
			c, gate := g.check(pt, tree)
			l.Checks = append(l.Checks, c)
			l.Gate = append(l.Gate, gate)
		}
		check = &l.Checks[0]
		l.Check = check
		if t.several() {
			check = nil // assemble reads l.Checks
		}
	}
	l.Archive, l.HTML = g.assemble(lt, g.merge(frags, lt.name("collect archive fragments")), g.merge(metas, lt.name("collect package reports")), check, l.Checks)
	return l
}

// runtimes is LayerRuntimes for the assembly: nil for one runtime.
func (t *Target) runtimes() []string {
	if t.several() {
		return t.LayerRuntimes
	}
	return nil
}

// runtimeName is the layer's runtime for the assembly: the first of
// several.
func (t *Target) runtimeName() string {
	if t.several() {
		return t.LayerRuntimes[0]
	}
	return t.RuntimeName
}
