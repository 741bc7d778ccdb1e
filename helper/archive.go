package helper

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/elfcheck"
	"github.com/geolayer/geolayer/pkg/layerzip"
	"github.com/geolayer/geolayer/pkg/publish"
	"github.com/geolayer/geolayer/pkg/report"
	"github.com/geolayer/geolayer/pkg/sbom"
)

const fragSuffix = ".frag"

func runFragment(o *helperapi.Fragment, stdout io.Writer) error {
	entries, err := layerzip.WalkDir(o.Root, "")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	_, err = layerzip.WriteFragmentFile(filepath.Join(o.Out, o.Package+fragSuffix), entries, layerzip.Options{
		Epoch: time.Unix(o.Epoch, 0).UTC(),
		Level: o.Level,
	})
	return err
}

func runAssemble(o *helperapi.Assemble, stdout io.Writer) error {
	paths, err := filepath.Glob(filepath.Join(o.Fragments, "*"+fragSuffix))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	var frags []layerzip.Fragment
	zipped := map[string]int64{}
	for _, p := range paths {
		f, err := layerzip.LoadFragment(p)
		if err != nil {
			return err
		}
		frags = append(frags, f)
		if st, err := os.Stat(p); err == nil {
			zipped[strings.TrimSuffix(filepath.Base(p), fragSuffix)] = st.Size()
		}
	}
	layerzip.SortFragments(frags)
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	zpath := filepath.Join(o.Out, helperapi.LayerZip)
	zf, err := os.Create(zpath)
	if err != nil {
		return err
	}
	// A layer for several runtimes holds each package once per runtime:
	// the paths the copies share outside site-packages (console scripts)
	// are stored once when they are the same, and an error otherwise.
	aopts := layerzip.AssembleOptions{Dedup: o.Dedup, MergeIdentical: len(o.Runtimes) > 1}
	res, err := layerzip.AssembleWith(zf, frags, aopts)
	if err != nil {
		_ = zf.Close()
		_ = os.Remove(zpath)
		return err
	}
	if err := zf.Close(); err != nil {
		return err
	}
	st, err := os.Stat(zpath)
	if err != nil {
		return err
	}

	rep := &report.Report{
		Schema:       report.SchemaV2,
		Platform:     o.Platform,
		Profile:      o.Profile,
		Runtime:      o.Runtime,
		Limits:       report.Limits{Unzipped: o.LimitUnzipped, Zipped: o.LimitZipped, DirectUpload: o.DirectUpload},
		RuntimeImage: o.RuntimeImage,
	}
	if len(o.Runtimes) > 1 {
		rep.Runtimes = o.Runtimes
	}
	pkgs, err := readPackages(o.Meta)
	if err != nil {
		return err
	}
	for _, p := range pkgs {
		p.ZippedBytes = zipped[p.Key()]
		rep.Packages = append(rep.Packages, *p)
	}
	rep.Sort()
	rep.Totals.Zipped = st.Size()
	rep.Dedup = dedupReport(res, o.Dedup)
	// Totals, shares, what removing each package saves, notes: what the
	// platform unpacks (a deduplicated copy is its link text).
	acct := accountLayer(frags, res)
	if err := accountReport(rep, frags, res, aopts, acct); err != nil {
		return err
	}
	rep.Environment = envAdvice(rep.Packages)
	if o.Check != "" {
		if rep.Check, err = readCheck(o.Check); err != nil {
			return err
		}
	}
	if len(o.Checks) > 0 {
		if rep.Check, err = readChecks(o.Checks, o.Runtimes); err != nil {
			return err
		}
	}
	if err := checkBudget(rep, frags, acct.linked); err != nil {
		return err
	}
	rf, err := os.Create(filepath.Join(o.Out, helperapi.ReportJSON))
	if err != nil {
		return err
	}
	if err := report.Write(rf, rep); err != nil {
		_ = rf.Close()
		return err
	}
	if err := rf.Close(); err != nil {
		return err
	}
	if o.HTML != "" {
		if err := writeHTML(o.HTML, rep, acct.treemapFiles()); err != nil {
			return err
		}
	}
	sum, err := writeSBOM(o.Out, zpath, rep, time.Unix(o.Epoch, 0))
	if err != nil {
		return err
	}
	pub, err := publish.Build(rep, helperapi.LayerZip, sum, publish.Facts{
		MountPoint:  o.MountPoint,
		LibDir:      o.LibDir,
		LibraryPath: splitPath(o.LibraryPath),
		Limits:      report.Limits{Unzipped: o.PlatformLimitUnzipped, Zipped: o.PlatformLimitZipped, DirectUpload: o.DirectUpload},
		Env:         o.Env,
	})
	if err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(o.Out, publish.FileName), pub); err != nil {
		return err
	}
	if err := report.WriteText(stdout, rep); err != nil {
		return err
	}
	// The build log's report ends with the publish command.
	return publish.WriteText(stdout, pub)
}

// writeSBOM writes sbom.spdx.json beside layer.zip and returns the
// archive's sha256 (hex).
func writeSBOM(out, zpath string, rep *report.Report, created time.Time) (string, error) {
	sum256, sum1, err := fileHashes(zpath)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(zpath)
	if err != nil {
		return "", err
	}
	if created.Before(zipEpoch) {
		created = zipEpoch
	}
	doc, err := sbom.Build(rep, sbom.Layer{FileName: filepath.Base(zpath), SHA256: sum256, SHA1: sum1, Size: st.Size()},
		sbom.Options{Created: created, Tool: "geolayer-" + toolVersion()})
	if err != nil {
		return "", err
	}
	f, err := os.Create(filepath.Join(out, sbom.FileName))
	if err != nil {
		return "", err
	}
	if err := sbom.Write(f, doc); err != nil {
		_ = f.Close()
		return "", err
	}
	return sum256, f.Close()
}

// zipEpoch is the earliest time a zip entry can carry, the archive's
// default timestamp.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// toolVersion is the helper's module version ("dev" for a local build).
func toolVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func writeJSON(p string, v any) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := report.Write(f, v); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func splitPath(s string) []string {
	var out []string
	for _, d := range strings.Split(s, ":") {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// dedupReport converts the assembly's deduplication result for report.json.
func dedupReport(res *layerzip.AssembleResult, on bool) *report.Dedup {
	if res == nil || (!on && len(res.NearDuplicates) == 0) {
		return nil
	}
	d := &report.Dedup{Files: res.Dedup.Files, SavedUnzipped: int64(res.Dedup.SavedUnzipped), SavedZipped: int64(res.Dedup.SavedZipped)}
	for _, g := range res.Dedup.Groups {
		d.Groups = append(d.Groups, report.DedupGroup{Kept: g.Kept, Duplicates: g.Duplicates, Size: int64(g.Size)})
	}
	for _, n := range res.NearDuplicates {
		nd := report.NearDuplicate{Key: n.Key, Bytes: int64(n.Total), Saving: int64(n.Saving)}
		for _, f := range n.Files {
			nd.Files = append(nd.Files, f.Path)
		}
		d.NearDuplicates = append(d.NearDuplicates, nd)
	}
	return d
}

// envAdvice says, per data variable, which folders the packages bundle and
// whether one global value is safe: with two packages bundling their own
// PROJ data (pyproj and rasterio, say, built against different PROJ
// versions), a global PROJ_DATA points one of them at the other's proj.db
// (lambgeo/docker-lambda#86); each package finds its own copy when the
// variable is unset.
func envAdvice(pkgs []report.Package) []report.EnvAdvice {
	byVar := map[string][]report.DataDirOf{}
	for _, p := range pkgs {
		for _, d := range p.DataDirs {
			byVar[d.Variable] = append(byVar[d.Variable], report.DataDirOf{Package: p.Name, Path: d.Path, Version: d.Version})
		}
	}
	var out []report.EnvAdvice
	for _, v := range sortedKeys(byVar) {
		vals := byVar[v]
		a := report.EnvAdvice{Variable: v, Values: vals, Safe: len(vals) == 1}
		if a.Safe {
			a.Advice = fmt.Sprintf("only %s bundles %s data: %s=<mount point>/%s is safe to set", vals[0].Package, v, v, vals[0].Path)
		} else {
			a.Advice = fmt.Sprintf("%d packages bundle their own %s data: leave %s unset so each finds its own copy (a global value would make the others read data of another version)", len(vals), v, v)
		}
		out = append(out, a)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func readCheck(p string) (*report.Check, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var res elfcheck.Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	c := &report.Check{Files: len(res.Files)}
	for _, f := range res.Findings {
		if f.Severity == elfcheck.Error {
			c.Errors++
		} else {
			c.Warnings++
		}
		c.Findings = append(c.Findings, report.CheckFinding{Severity: f.Severity.String(), Kind: string(f.Kind), File: f.File, Package: f.Package, Detail: f.Detail, Fix: f.Fix})
	}
	return c, nil
}

// readChecks joins the checks of a layer for several runtimes, in the
// order of runtimes: the counts add up (a file checked for two runtimes
// counts twice), each finding names its runtime.
func readChecks(paths map[string]string, runtimes []string) (*report.Check, error) {
	out := &report.Check{}
	for _, rt := range runtimes {
		p, ok := paths[rt]
		if !ok {
			return nil, fmt.Errorf("no check.json for runtime %s", rt)
		}
		c, err := readCheck(p)
		if err != nil {
			return nil, err
		}
		out.Files += c.Files
		out.Errors += c.Errors
		out.Warnings += c.Warnings
		for _, f := range c.Findings {
			f.Runtime = rt
			out.Findings = append(out.Findings, f)
		}
	}
	if len(paths) != len(runtimes) {
		return nil, fmt.Errorf("%d checks for %d runtimes", len(paths), len(runtimes))
	}
	return out, nil
}

// writeHTML renders report.html with a treemap of the layer's files.
func writeHTML(p string, rep *report.Report, files []report.FileSize) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	hf, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := report.WriteHTML(hf, rep, files); err != nil {
		_ = hf.Close()
		return err
	}
	return hf.Close()
}

// readPackages reads every package report JSON in a folder, by file name.
func readPackages(dir string) ([]*report.Package, error) {
	metas, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(metas)
	var out []*report.Package
	for _, m := range metas {
		p, err := report.ReadPackage(m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// layerAccount is the assembled layer seen per package: every archive
// entry with its package and what it counts, and who holds each file
// deduplication stored once.
type layerAccount struct {
	entries []report.LayerEntry
	// holders of each kept file of a deduplicated group, sorted.
	holders map[string][]string
	// linked are the copies deduplication turned into links.
	linked map[string]bool
}

// fragmentPackage is the package a fragment holds: fragments are named
// <package>.frag.
func fragmentPackage(f layerzip.Fragment) string {
	return strings.TrimSuffix(filepath.Base(f.Data), fragSuffix)
}

// accountLayer lists the layer's entries as the assembly wrote them: a
// deduplicated copy counts its link target's length, the kept copy its
// size.
func accountLayer(frags []layerzip.Fragment, res *layerzip.AssembleResult) *layerAccount {
	a := &layerAccount{holders: map[string][]string{}, linked: map[string]bool{}}
	// The copies MergeIdentical dropped are not in the archive; the copy
	// kept is held by every package that had one.
	type fragEntry struct{ frag, name string }
	dropped := map[fragEntry]bool{}
	merged := map[string][]string{}
	for _, m := range res.Merged {
		dropped[fragEntry{m.Dropped, m.Name}] = true
	}
	pkgOf := map[string]string{}
	for _, f := range frags {
		p := fragmentPackage(f)
		for _, e := range f.Index.Entries {
			if !dropped[fragEntry{f.Data, e.Name}] {
				pkgOf[e.Name] = p
			}
		}
	}
	for _, m := range res.Merged {
		if len(merged[m.Name]) == 0 {
			merged[m.Name] = []string{pkgOf[m.Name]}
		}
		merged[m.Name] = append(merged[m.Name], fragmentPackage(layerzip.Fragment{Data: m.Dropped}))
	}
	holdersOf := func(name string) []string {
		if h := merged[name]; h != nil {
			return h
		}
		return []string{pkgOf[name]}
	}
	type link struct {
		kept   string
		target string
	}
	links := map[string]link{}
	for _, g := range res.Dedup.Groups {
		h := slices.Clone(holdersOf(g.Kept))
		for i, d := range g.Duplicates {
			links[d] = link{g.Kept, g.Targets[i]}
			a.linked[d] = true
			h = append(h, holdersOf(d)...)
		}
		slices.Sort(h)
		a.holders[g.Kept] = slices.Compact(h)
	}
	for name, h := range merged {
		if a.holders[name] == nil && !a.linked[name] {
			h = slices.Clone(h)
			slices.Sort(h)
			a.holders[name] = slices.Compact(h)
		}
	}
	for _, f := range frags {
		p := fragmentPackage(f)
		for _, e := range f.Index.Entries {
			if dropped[fragEntry{f.Data, e.Name}] {
				// not in the archive: it only makes p a holder of the copy kept
				if !strings.HasSuffix(e.Name, "/") {
					le := report.LayerEntry{Path: e.Name, Package: p, Merged: true, Stored: e.Name}
					if l, ok := links[e.Name]; ok {
						le.Stored = l.kept
					}
					a.entries = append(a.entries, le)
				}
				continue
			}
			le := report.LayerEntry{Path: e.Name, Package: p, Size: int64(e.UncompressedSize)}
			switch l, ok := links[e.Name]; {
			case strings.HasSuffix(e.Name, "/"):
				le.Dir = true
			case ok:
				le.Size, le.Stored = int64(len(l.target)), l.kept
			case a.holders[e.Name] != nil:
				le.Stored = e.Name
			}
			a.entries = append(a.entries, le)
		}
	}
	return a
}

// accountReport fills in the parts of rep that need the assembled layer:
// the totals as the archive counts them, the shares (report.Attribute),
// what removing each package, and each group of packages sharing files,
// would save (the layer measured again without them, deduplication planned
// anew), the size of each file strip left alone, and the grouped notes.
// res is the assembly's result; the shares must add up to its unzipped
// size, or it is an error.
func accountReport(rep *report.Report, frags []layerzip.Fragment, res *layerzip.AssembleResult, opts layerzip.AssembleOptions, a *layerAccount) error {
	rep.Totals.Unzipped = int64(res.Unzipped)
	rep.Totals.Files = 0
	for _, e := range a.entries {
		if !e.Dir && !e.Merged {
			rep.Totals.Files++
		}
	}
	report.Attribute(rep, a.entries)
	var sum int64
	for _, s := range rep.Shares {
		sum += s.Bytes
	}
	if sum != rep.Totals.Unzipped {
		return fmt.Errorf("internal error: the layer's shares add up to %d bytes, the layer has %d", sum, rep.Totals.Unzipped)
	}

	without := func(pkgs []string) (*report.Saving, error) {
		var rest []layerzip.Fragment
		for _, f := range frags {
			if !slices.Contains(pkgs, fragmentPackage(f)) {
				rest = append(rest, f)
			}
		}
		m, err := layerzip.Measure(rest, opts)
		if err != nil {
			return nil, err
		}
		return &report.Saving{Unzipped: int64(res.Unzipped) - int64(m.Unzipped), Zipped: int64(res.Size) - int64(m.Size)}, nil
	}
	for i := range rep.Packages {
		p := &rep.Packages[i]
		s, err := without([]string{p.Key()})
		if err != nil {
			return err
		}
		p.Layer.RemovalSaves = s
	}
	for i := range rep.Shares {
		s, err := without(rep.Shares[i].Packages)
		if err != nil {
			return err
		}
		rep.Shares[i].RemovalSaves = s
	}

	sizes := map[string]int64{}
	for _, f := range frags {
		for _, e := range f.Index.Entries {
			sizes[e.Name] = int64(e.UncompressedSize)
		}
	}
	for i := range rep.Packages {
		if st := rep.Packages[i].Strip; st != nil {
			for j := range st.Skipped {
				st.Skipped[j].Bytes = sizes[st.Skipped[j].Path]
			}
		}
	}
	rep.Notes = report.GroupNotes(rep)
	return nil
}

// treemapFiles are the layer's files for report.html's treemap: every
// file stored (the copies deduplication turned into links left out), a
// file several packages share marked with all of them.
func (a *layerAccount) treemapFiles() []report.FileSize {
	var files []report.FileSize
	for _, e := range a.entries {
		if e.Dir || e.Merged || a.linked[e.Path] {
			continue
		}
		fs := report.FileSize{Path: e.Path, Size: e.Size, Package: e.Package}
		if h := a.holders[e.Path]; len(h) > 1 {
			fs.Shared = h
		}
		files = append(files, fs)
	}
	return files
}
