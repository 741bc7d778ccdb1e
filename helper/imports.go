package helper

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/report"
)

// TestImports is what the TEST runner writes with --profile-imports
// (imports.json in the test's output): -X importtime's output of the
// test's own imports and, per import the test made at top level, the
// layer's files it mapped.
type TestImports struct {
	Python     string `json:"python"`
	Machine    string `json:"machine"`
	Mount      string `json:"mount"`
	ImportTime string `json:"importtime"`
	// Events are the imports the test code made itself, in order, each
	// with the files under Mount mapped from its start to the next one's
	// (or the test's end), by their sizes.
	Events []ImportEvent `json:"events"`
}

// ImportEvent is one top-level import of a test.
type ImportEvent struct {
	Module string           `json:"module"`
	Files  map[string]int64 `json:"files"`
}

// runImports adds the import times the profiled TESTs measured to the
// assembled report.json and report.html and prints their table; layer.zip
// is not touched (the step writes report.json alone).
func runImports(o *helperapi.Imports, stdout io.Writer) error {
	rep, err := report.Read(o.Report)
	if err != nil {
		return err
	}
	mods := map[string]string{}
	if o.Tree != "" {
		if mods, err = modulePackages(filepath.Join(o.Tree, o.SitePackages)); err != nil {
			return err
		}
	}
	tests, err := readTestImports(o.Results)
	if err != nil {
		return err
	}
	rep.Imports, err = buildImports(tests, mods, rep.Packages, o.Emulated)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return err
	}
	var jb bytes.Buffer
	if err := report.Write(&jb, rep); err != nil {
		return err
	}
	if err := os.WriteFile(o.Out, jb.Bytes(), 0o644); err != nil {
		return err
	}
	if o.HTMLIn != "" && o.HTML != "" {
		page, err := os.ReadFile(o.HTMLIn)
		if err != nil {
			return err
		}
		if page, err = report.AddImportsHTML(page, rep); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(o.HTML), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(o.HTML, page, 0o644); err != nil {
			return err
		}
	}
	return report.WriteImportsText(stdout, rep)
}

// readTestImports reads <dir>/<n>/imports.json, keyed by n.
func readTestImports(dir string) (map[int]*TestImports, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[int]*TestImports{}
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil || !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), helperapi.ImportsJSON))
		if err != nil {
			return nil, fmt.Errorf("TEST %d: %w", n, err)
		}
		var t TestImports
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("TEST %d: imports.json: %w", n, err)
		}
		out[n] = &t
	}
	return out, nil
}

// buildImports turns the tests' raw measurements into report.Imports: one
// row per top-level line of -X importtime, in test then import order, with
// its package and the files the import mapped (matched to the runner's
// events by module name, in order).
func buildImports(tests map[int]*TestImports, mods map[string]string, pkgs []report.Package, emulated bool) (*report.Imports, error) {
	im := &report.Imports{Emulated: emulated, Modules: []report.ImportedModule{}}
	nums := make([]int, 0, len(tests))
	for n := range tests {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		t := tests[n]
		if im.Python == "" {
			im.Python, im.MountPoint = t.Python, t.Mount
		}
		entries, err := report.ParseImportTime(strings.NewReader(t.ImportTime))
		if err != nil {
			return nil, err
		}
		used := make([]bool, len(t.Events))
		for _, e := range report.TopLevel(entries) {
			m := report.ImportedModule{Test: n, Module: e.Module, Package: packageOf(e.Module, mods, pkgs),
				SelfMicros: e.SelfMicros, CumulativeMicros: e.CumulativeMicros}
			for i, ev := range t.Events {
				if used[i] || ev.Module != e.Module {
					continue
				}
				used[i] = true
				sz := report.Size{Files: len(ev.Files)}
				for _, b := range ev.Files {
					sz.Bytes += b
				}
				m.Mapped = &sz
				break
			}
			im.Modules = append(im.Modules, m)
		}
	}
	return im, nil
}

// packageOf is the layer package of a module by its top-level name: from
// the packages' RECORD and top_level.txt (mods), else a package named like
// it; "" when none (the standard library).
func packageOf(module string, mods map[string]string, pkgs []report.Package) string {
	top, _, _ := strings.Cut(module, ".")
	if p, ok := mods[top]; ok {
		return p
	}
	n := normalizeName(top)
	for _, p := range pkgs {
		if p.Name == n {
			return p.Name
		}
	}
	return ""
}

var nameRuns = regexp.MustCompile(`[-_.]+`)

// normalizeName is PEP 503's normalized project name.
func normalizeName(s string) string { return strings.ToLower(nameRuns.ReplaceAllString(s, "-")) }

// modulePackages maps top-level module names to the package that installs
// them, from each *.dist-info in site: top_level.txt's names and the first
// path component of every RECORD entry inside site-packages (foo/…, foo.py,
// foo.cpython-313-x86_64-linux-gnu.so), under the distribution's
// normalized name (the report's package names are normalized the same way).
func modulePackages(site string) (map[string]string, error) {
	infos, err := filepath.Glob(filepath.Join(site, "*.dist-info"))
	if err != nil {
		return nil, err
	}
	sort.Strings(infos)
	out := map[string]string{}
	for _, info := range infos {
		dist, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(info), ".dist-info"), "-")
		name := normalizeName(dist)
		if b, err := os.ReadFile(filepath.Join(info, "top_level.txt")); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					setOnce(out, strings.SplitN(l, "/", 2)[0], name)
				}
			}
		}
		f, err := os.Open(filepath.Join(info, "RECORD"))
		if err != nil {
			continue
		}
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(info, "RECORD"), err)
		}
		for _, rec := range recs {
			if len(rec) == 0 {
				continue
			}
			if m := recordModule(rec[0]); m != "" {
				setOnce(out, m, name)
			}
		}
	}
	return out, nil
}

func setOnce(m map[string]string, k, v string) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// recordModule is the importable top-level name a RECORD path provides,
// "" for metadata, scripts, data and .pth files.
func recordModule(p string) string {
	p = strings.TrimPrefix(p, "./")
	first, _, dir := strings.Cut(p, "/")
	switch {
	case first == "" || first == ".." || first == "__pycache__" ||
		strings.HasSuffix(first, ".dist-info") || strings.HasSuffix(first, ".data"):
		return ""
	case dir:
		if strings.Contains(first, ".") {
			return "" // not an identifier: e.g. numpy.libs
		}
		return first
	}
	name, ext, _ := strings.Cut(first, ".")
	switch {
	case strings.HasSuffix(first, ".py"), strings.HasSuffix(first, ".pyc"), strings.HasSuffix(first, ".so"), strings.HasSuffix(first, ".pyd"):
		if ext != "" && name != "" {
			return name
		}
	}
	return ""
}
