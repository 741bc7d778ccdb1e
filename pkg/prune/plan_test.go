package prune

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPlanCountsAndOrder(t *testing.T) {
	res, _, _ := planTree(t, Options{Package: "rasterio", Presets: []string{"geo"}}, rasterioTree()...)
	// Totals add up.
	if res.Files+res.KeptFiles != res.TotalFiles || res.Bytes+res.KeptBytes != res.TotalBytes {
		t.Errorf("totals: %d+%d files of %d, %d+%d bytes of %d", res.Files, res.KeptFiles, res.TotalFiles, res.Bytes, res.KeptBytes, res.TotalBytes)
	}
	if res.TotalFiles != len(rasterioTree()) {
		t.Errorf("TotalFiles = %d, want %d", res.TotalFiles, len(rasterioTree()))
	}
	var files int
	var bytes int64
	for _, s := range res.Rules {
		if s.Files == 0 || s.Rule == nil {
			t.Errorf("empty rule stat %+v", s)
		}
		files += s.Files
		bytes += s.Bytes
	}
	if files != res.Files || bytes != res.Bytes || len(res.Removed) != res.Files {
		t.Errorf("per-rule %d files/%d bytes, removed list %d, totals %d/%d", files, bytes, len(res.Removed), res.Files, res.Bytes)
	}
	// Per-rule bytes are exact for a known rule.
	for _, s := range res.Rules {
		if s.Rule.Pattern == "**/gdal_data/GDALLogo*.svg" && (s.Files != 2 || s.Bytes != 1100) {
			t.Errorf("logo rule: %+v", s)
		}
		if s.Rule.Pattern == "**/proj_data/**/*.tif" && (s.Files != 1 || s.Bytes != 900) {
			t.Errorf("tif rule: %+v", s)
		}
	}
	if !slices.IsSortedFunc(res.Removed, func(a, b Removed) int { return strings.Compare(a.Path, b.Path) }) {
		t.Error("Removed not sorted")
	}
	// Rules appear in rule order.
	m, _ := Compile(Options{Package: "rasterio", Presets: []string{"geo"}})
	order := map[string]int{}
	for i, r := range m.Rules() {
		order[r.Source+" "+r.Pattern] = i
	}
	if !slices.IsSortedFunc(res.Rules, func(a, b RuleStat) int {
		return order[a.Rule.Source+" "+a.Rule.Pattern] - order[b.Rule.Source+" "+b.Rule.Pattern]
	}) {
		t.Error("Rules not in rule order")
	}
	for _, r := range res.Removed {
		if r.Rule == nil || r.Rule.Keep {
			t.Errorf("%s removed without a PRUNE rule: %v", r.Path, r.Rule)
		}
		if !res.IsRemoved(r.Path) {
			t.Errorf("IsRemoved(%q) = false", r.Path)
		}
	}
	if res.IsRemoved("rasterio/__init__.py") || res.IsRemoved("") {
		t.Error("IsRemoved true for kept paths")
	}
}

func TestPlanIsDeterministicAndReadOnly(t *testing.T) {
	root := t.TempDir()
	buildTree(t, root, append(numpyTree, "numpy/link.h -> _core/include/numpy/npy_common.h", "numpy/emptydir/")...)
	// Make the tree read-only, as /in is.
	var dirs []string
	if err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if err := os.Chmod(d, 0o555); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, d := range dirs {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	})
	before := snapshot(t, root)
	m, err := Compile(Options{Package: "numpy", Rules: []Rule{pr("**/tests/")}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Plan(root, m)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Plan(root, m)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) || !reflect.DeepEqual(a, b) {
		t.Error("two plans of the same tree differ")
	}
	if after := snapshot(t, root); !reflect.DeepEqual(before, after) {
		t.Error("Plan changed the tree")
	}
	// Another matcher compiled from the same options gives the same JSON.
	m2, _ := Compile(Options{Package: "numpy", Rules: []Rule{pr("**/tests/")}})
	c, _ := Plan(root, m2)
	if jc, _ := json.Marshal(c); string(jc) != string(ja) {
		t.Error("plans from equal matchers differ")
	}
}

// snapshot records every entry's type, mode, size and mtime.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = fmt.Sprint(fi.Mode(), " ", fi.ModTime().Format(time.RFC3339Nano), " ", fi.Size())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPlanDirectories(t *testing.T) {
	res, removed, _ := planTree(t, Options{Package: "pkg"},
		"pkg/__init__.py",
		"pkg/keepme/",                     // empty in the source: stays
		"pkg/__pycache__/",                // empty, but matched by __pycache__/: goes
		"pkg/include/a/b.h",               // emptied by *.h: goes, no rule of its own
		"pkg/include/a/c.hpp",             //
		"pkg/mixed/x.h", "pkg/mixed/y.py", // stays with y.py
		"pkg/deep/er/est/z.pyi", // whole chain emptied: only pkg/deep is listed
	)
	var got []string
	for _, d := range res.Dirs {
		r := "<emptied>"
		if d.Rule != nil {
			r = d.Rule.Pattern
		}
		got = append(got, d.Path+" "+r)
	}
	want := []string{"pkg/__pycache__ __pycache__/", "pkg/deep <emptied>", "pkg/include <emptied>"}
	if !slices.Equal(got, want) {
		t.Errorf("dirs = %q, want %q", got, want)
	}
	expectKept(t, removed, "pkg/mixed/y.py")
	for _, p := range []string{"pkg/keepme", "pkg/mixed", "pkg"} {
		if res.IsRemoved(p) {
			t.Errorf("%s removed", p)
		}
	}
	for _, p := range []string{"pkg/__pycache__", "pkg/include", "pkg/include/a", "pkg/deep/er/est"} {
		if !res.IsRemoved(p) {
			t.Errorf("%s not removed", p)
		}
	}
}

func TestPlanSymlinks(t *testing.T) {
	res, removed, _ := planTree(t, Options{Package: "pkg", Rules: []Rule{pr("pkg/tests/")}},
		"pkg/__init__.py",
		"pkg/tests/data.txt",
		"pkg/current -> tests/data.txt", // stays, would dangle
		"pkg/self -> __init__.py",       // fine
		"pkg/api.h -> __init__.py",      // a symlink matched by *.h goes like a file
		"pkg/outside -> ../../etc/passwd",
		"pkg/abs -> /usr/lib/libc.so.6",
		"pkg/tests/dirlink -> ../..", // not followed
	)
	expectRemoved(t, removed, "", "pkg/api.h", "pkg/tests/dirlink", "pkg/tests/data.txt")
	expectKept(t, removed, "pkg/current", "pkg/self", "pkg/outside", "pkg/abs")
	var dangling *Warning
	for i, w := range res.Warnings {
		if strings.Contains(w.Message, "dangle") {
			dangling = &res.Warnings[i]
		}
	}
	if dangling == nil || !slices.Equal(dangling.Paths, []string{"pkg/current -> tests/data.txt"}) {
		t.Errorf("dangling warning: %+v", res.Warnings)
	}
	for _, r := range res.Removed {
		if r.Path == "pkg/api.h" && r.Size != int64(len("__init__.py")) {
			t.Errorf("symlink size %d", r.Size)
		}
	}
}

func TestPlanErrors(t *testing.T) {
	m, _ := Compile(Options{})
	if _, err := Plan(filepath.Join(t.TempDir(), "missing"), m); err == nil {
		t.Error("missing root: no error")
	}
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Plan(f, m); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file root: %v", err)
	}
}

func TestMatchCleansPaths(t *testing.T) {
	m := userMatcher(t, pr("/top.pyc"))
	for _, p := range []string{"top.pyc", "./top.pyc", "/top.pyc", "a/../top.pyc", "top.pyc/"} {
		if rm, _ := m.Match(p, false); !rm {
			t.Errorf("%q not matched", p)
		}
	}
	for _, p := range []string{"", ".", "/"} {
		if rm, r := m.Match(p, true); rm || r != nil {
			t.Errorf("root %q matched", p)
		}
	}
}

func TestApply(t *testing.T) {
	root := t.TempDir()
	specs := append(append([]string{}, shapelyTree...), "shapely/empty/", "shapely/__pycache__/")
	buildTree(t, root, specs...)
	m, err := Compile(Options{Package: "shapely"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Plan(root, m)
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(root, res); err != nil {
		t.Fatal(err)
	}
	got := listTree(t, root)
	want := []string{
		"shapely-2.1.1.dist-info/", "shapely-2.1.1.dist-info/METADATA", "shapely-2.1.1.dist-info/WHEEL",
		"shapely-2.1.1.dist-info/licenses/", "shapely-2.1.1.dist-info/licenses/LICENSE.txt",
		"shapely-2.1.1.dist-info/licenses/LICENSE_GEOS", "shapely-2.1.1.dist-info/top_level.txt",
		"shapely.libs/", "shapely.libs/libgeos-d5f4b8ef.so.3.13.1",
		"shapely/", "shapely/__init__.py", "shapely/empty/", "shapely/lib.cpython-312-x86_64-linux-gnu.so", "shapely/testing.py",
	}
	if !slices.Equal(got, want) {
		t.Errorf("after Apply:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A directory that gained a file since the plan is not removed.
	root = t.TempDir()
	buildTree(t, root, shapelyTree...)
	res, _ = Plan(root, m)
	buildTree(t, root, "shapely/tests/new_since_plan.py")
	if err := Apply(root, res); err == nil || !strings.Contains(err.Error(), "shapely/tests") {
		t.Errorf("Apply over a changed tree: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "shapely/tests/new_since_plan.py")); err != nil {
		t.Error("Apply removed a file the plan did not list")
	}
}

// A PRUNE that removes every module of a package is warned about; one that
// leaves a module is not.
func TestPlanWarnsWhenNoModuleIsLeft(t *testing.T) {
	all, _, _ := planTree(t, Options{Package: "pkg", Rules: []Rule{pr("pkg/")}},
		"pkg/__init__.py", "pkg/_ext.cpython-313-x86_64-linux-gnu.so", "pkg-1.0.dist-info/METADATA",
	)
	if !slices.ContainsFunc(all.Warnings, func(w Warning) bool {
		return strings.HasPrefix(w.Message, NoModuleLeft) && strings.Contains(w.Message, "2 files")
	}) {
		t.Errorf("no warning for a package left without modules: %+v", all.Warnings)
	}
	some, _, _ := planTree(t, Options{Package: "pkg", Rules: []Rule{pr("pkg/tests/")}},
		"pkg/__init__.py", "pkg/tests/test_a.py",
	)
	for _, w := range some.Warnings {
		if strings.HasPrefix(w.Message, NoModuleLeft) {
			t.Errorf("warned although pkg/__init__.py stays: %+v", w)
		}
	}
}
