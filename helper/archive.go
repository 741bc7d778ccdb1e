package helper

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/geolayer/geolayer/pkg/elfcheck"
	"github.com/geolayer/geolayer/pkg/layerzip"
	"github.com/geolayer/geolayer/pkg/report"
)

const fragSuffix = ".frag"

func runFragment(args []string, stdout io.Writer) error {
	fs := newFlags("fragment")
	root := fs.String("root", "", "package tree (paths relative to the layer root)")
	name := fs.String("name", "", "package name: the fragment is <out>/<name>.frag")
	out := fs.String("out", "", "output folder")
	epoch := fs.Int64("epoch", 0, "SOURCE_DATE_EPOCH for entry times (0: 1980-01-01)")
	level := fs.Int("level", 0, "deflate level 1-9 (0: default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "root", "name", "out"); err != nil {
		return err
	}
	entries, err := layerzip.WalkDir(*root, "")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	_, err = layerzip.WriteFragmentFile(filepath.Join(*out, *name+fragSuffix), entries, layerzip.Options{
		Epoch: time.Unix(*epoch, 0).UTC(),
		Level: *level,
	})
	return err
}

func runAssemble(args []string, stdout io.Writer) error {
	fs := newFlags("assemble")
	fragDir := fs.String("fragments", "", "folder of *.frag fragments")
	metaDir := fs.String("meta", "", "folder of per-package report JSON")
	out := fs.String("out", "", "output folder for layer.zip and report.json")
	platform := fs.String("platform", "", "target platform")
	profile := fs.String("profile", "", "target profile")
	runtime := fs.String("runtime", "", "target runtime")
	limitUnzipped := fs.Int64("limit-unzipped", 0, "platform limit, unzipped bytes")
	limitZipped := fs.Int64("limit-zipped", 0, "platform limit, zipped bytes")
	runtimeImage := fs.String("runtime-image", "", "the runtime image (digest-pinned) tests ran in")
	htmlPath := fs.String("html", "", "where to write report.html (optional)")
	checkPath := fs.String("check", "", "check.json of the static check, for the report")
	dedup := fs.Bool("dedup", false, "store files identical across packages once (the copies become relative symlinks)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "fragments", "meta", "out"); err != nil {
		return err
	}
	paths, err := filepath.Glob(filepath.Join(*fragDir, "*"+fragSuffix))
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
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	zpath := filepath.Join(*out, "layer.zip")
	zf, err := os.Create(zpath)
	if err != nil {
		return err
	}
	res, err := layerzip.AssembleWith(zf, frags, layerzip.AssembleOptions{Dedup: *dedup})
	if err != nil {
		zf.Close()
		os.Remove(zpath)
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
		Schema:       report.SchemaV1,
		Platform:     *platform,
		Profile:      *profile,
		Runtime:      *runtime,
		Limits:       report.Limits{Unzipped: *limitUnzipped, Zipped: *limitZipped},
		RuntimeImage: *runtimeImage,
	}
	pkgs, err := readPackages(*metaDir)
	if err != nil {
		return err
	}
	for _, p := range pkgs {
		p.ZippedBytes = zipped[p.Name]
		rep.Packages = append(rep.Packages, *p)
		rep.Totals.Files += p.Files
		rep.Totals.Unzipped += p.Bytes
	}
	rep.Sort()
	rep.Totals.Zipped = st.Size()
	rep.Dedup = dedupReport(res, *dedup)
	if rep.Dedup != nil {
		// What the platform unpacks: a deduplicated copy is its link text.
		rep.Totals.Unzipped = int64(res.Unzipped)
	}
	rep.Environment = envAdvice(rep.Packages)
	if *checkPath != "" {
		if rep.Check, err = readCheck(*checkPath); err != nil {
			return err
		}
	}
	linked := map[string]bool{}
	for _, g := range res.Dedup.Groups {
		for _, d := range g.Duplicates {
			linked[d] = true
		}
	}
	if err := checkBudget(rep, frags, linked); err != nil {
		return err
	}
	rf, err := os.Create(filepath.Join(*out, "report.json"))
	if err != nil {
		return err
	}
	defer rf.Close()
	if err := report.Write(rf, rep); err != nil {
		return err
	}
	if *htmlPath != "" {
		if err := writeHTML(*htmlPath, rep, frags, linked); err != nil {
			return err
		}
	}
	return report.WriteText(stdout, rep)
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

// writeHTML renders report.html with a treemap of the layer's files, by
// package (each fragment is one package), deduplicated copies left out.
func writeHTML(p string, rep *report.Report, frags []layerzip.Fragment, linked map[string]bool) error {
	var files []report.FileSize
	for _, f := range frags {
		pkg := strings.TrimSuffix(filepath.Base(f.Data), fragSuffix)
		for _, e := range f.Index.Entries {
			if linked[e.Name] || strings.HasSuffix(e.Name, "/") {
				continue
			}
			files = append(files, report.FileSize{Path: e.Name, Size: int64(e.UncompressedSize), Package: pkg})
		}
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	hf, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := report.WriteHTML(hf, rep, files); err != nil {
		hf.Close()
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
