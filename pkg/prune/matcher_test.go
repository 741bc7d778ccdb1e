package prune

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeepBeatsPruneInEitherOrder(t *testing.T) {
	orders := map[string][]Rule{
		"prune first": {pr("*.txt"), kp("keep.txt")},
		"keep first":  {kp("keep.txt"), pr("*.txt")},
	}
	for name, rules := range orders {
		t.Run(name, func(t *testing.T) {
			m := userMatcher(t, rules...)
			if rm, rule := m.Match("a/keep.txt", false); rm || rule == nil || !rule.Keep {
				t.Errorf("a/keep.txt: remove=%v rule=%v, want kept by the KEEP", rm, rule)
			}
			if rm, rule := m.Match("a/other.txt", false); !rm || rule == nil || rule.Pattern != "*.txt" {
				t.Errorf("a/other.txt: remove=%v rule=%v, want removed by *.txt", rm, rule)
			}
			if rm, rule := m.Match("a/other.py", false); rm || rule != nil {
				t.Errorf("a/other.py: remove=%v rule=%v, want untouched", rm, rule)
			}
		})
	}
}

func TestKeepFileUnderPrunedDirectory(t *testing.T) {
	for _, rules := range [][]Rule{
		{pr("pkg/tests/"), kp("pkg/tests/_natype.py")},
		{kp("**/_natype.py"), pr("**/tests/")},
		{pr("pkg/"), kp("pkg/tests/_natype.py")},
	} {
		m := userMatcher(t, rules...)
		if rm, _ := m.Match("pkg/tests/_natype.py", false); rm {
			t.Errorf("%v: pkg/tests/_natype.py removed", rules)
		}
		if rm, _ := m.Match("pkg/tests/test_x.py", false); !rm {
			t.Errorf("%v: pkg/tests/test_x.py kept", rules)
		}
		// The directory itself matches, but it cannot go as a whole.
		if rm, _ := m.Match("pkg/tests", true); !rm {
			t.Errorf("%v: pkg/tests does not match", rules)
		}
		if m.SubtreeRemovable("pkg/tests") {
			t.Errorf("%v: pkg/tests reported removable as a whole although a KEEP matches inside", rules)
		}
	}
	// A KEEP that cannot match inside does not block whole-directory removal.
	m := userMatcher(t, pr("**/tests/"), kp("other/tests/keep.py"))
	if !m.SubtreeRemovable("pkg/tests") {
		t.Error("pkg/tests: KEEP other/tests/keep.py cannot match inside, yet not removable")
	}
	if m.SubtreeRemovable("other/tests") {
		t.Error("other/tests: removable although it holds a kept file")
	}
	if m.SubtreeRemovable("pkg") {
		t.Error("pkg: not matched by any PRUNE, yet removable")
	}
	// A KEEP of the directory keeps everything in it.
	m = userMatcher(t, pr("*.csv"), kp("pkg/gdal_data/"))
	if rm, _ := m.Match("pkg/gdal_data/a/b.csv", false); rm {
		t.Error("file in a kept directory removed")
	}
	if rm, _ := m.Match("pkg/other/b.csv", false); !rm {
		t.Error("pkg/other/b.csv kept")
	}
}

func TestNegationInPruneIsKeep(t *testing.T) {
	m := userMatcher(t, pr("pkg/data/"), pr("!pkg/data/needed.bin"))
	if rm, rule := m.Match("pkg/data/needed.bin", false); rm || rule == nil || !rule.Keep || rule.Pattern != "pkg/data/needed.bin" {
		t.Errorf("negated PRUNE: remove=%v rule=%v", rm, rule)
	}
	if rm, _ := m.Match("pkg/data/other.bin", false); !rm {
		t.Error("pkg/data/other.bin kept")
	}
	// An escaped '!' is a literal.
	m = userMatcher(t, pr(`\!x`))
	if rm, _ := m.Match("!x", false); !rm {
		t.Error(`\!x does not remove "!x"`)
	}
}

func TestUserKeepRescuesFromDefaults(t *testing.T) {
	m, err := Compile(Options{Rules: []Rule{kp("pkg/_core/include/")}})
	if err != nil {
		t.Fatal(err)
	}
	if rm, rule := m.Match("pkg/_core/include/pkg/arrayobject.h", false); rm || rule == nil || rule.Source != "Geolayerfile:2" {
		t.Errorf("header under a KEEP: remove=%v rule=%v", rm, rule)
	}
	if rm, rule := m.Match("pkg/src/x.h", false); !rm || rule.Source != SourceDefault {
		t.Errorf("other header: remove=%v rule=%v, want removed by a default", rm, rule)
	}
}

// TestBuiltinKeepOnlyStopsBuiltinPrunes: license files survive the defaults
// but a user PRUNE that matches them removes them with a warning.
func TestBuiltinKeepOnlyStopsBuiltinPrunes(t *testing.T) {
	m, err := Compile(Options{Rules: []Rule{pr("pkg/LICENSE.txt")}})
	if err != nil {
		t.Fatal(err)
	}
	d := m.Decide("pkg/LICENSE.txt", false, nil)
	if !d.Remove || d.Rule.Source != "Geolayerfile:1" || d.Protected == nil || !strings.Contains(d.Protected.Reason, "license") {
		t.Errorf("user PRUNE of a license: %+v", d)
	}
	// A default (*.c) that matches a license-named file does not remove it.
	d = m.Decide("pkg/src/license.c", false, nil)
	if d.Remove || d.Rule == nil || !d.Rule.Keep || d.Rule.Source != SourceDefault {
		t.Errorf("default PRUNE of license.c: %+v", d)
	}
}

// TestAgainstGit compares PRUNE-only rule sets with git's own ignore
// matching (git check-ignore), which these semantics follow.
func TestAgainstGit(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git is needed to compare with its ignore matching (Debian: git): %v", err)
	}
	patterns := []string{
		"*.pyc", "__pycache__/", "/top.txt", "doc/frotz", "**/tests/", "a/**/b", "deep/**",
		"[abc].py", "[!x-z]?.so", `\*lit`, "pkg/*/data/", "**/share/proj/**/*.tif",
		"name", "dironly/", "x*y/z", "*/**/docs/",
	}
	files := []string{
		"a.pyc", "pkg/sub/m.pyc", "pkg/__pycache__/m.cpython-312.pyc", "pkg/__pycache__/other",
		"top.txt", "pkg/top.txt", "doc/frotz", "pkg/doc/frotz", "doc/frotz2",
		"tests/t.py", "pkg/tests/t.py", "pkg/tests/sub/x.dat", "pkg/testsx/t.py", "pkg/tests.py",
		"a/b", "a/x/b", "a/x/y/b/c", "a/bb", "x/a/b",
		"deep/x", "deep/y/z", "deepx/y",
		"a.py", "d.py", "ab.py", "wq.so", "xq.so",
		"*lit", "xlit",
		"pkg/one/data/f.bin", "pkg/one/two/data/f.bin", "pkg/data/f.bin",
		"pyproj/proj_dir/share/proj/us_noaa.tif", "pyproj/proj_dir/share/proj/proj.db",
		"share/proj/x/y.tif", "proj/z.tif",
		"name", "q/name", "q2/name/r", "q/names",
		"dironly/f", "q/dironly/f", "q/dironlyfile", "r/dironly", "s/tests",
		"xay/z", "xay/w/z",
		"pkg/docs/index.rst", "pkg/sub/docs/a.png", "docs/conf.py",
	}
	dir := t.TempDir()
	for _, f := range files {
		full := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A directory whose name matches a file-or-directory pattern, and a
	// file named like a directory pattern.
	for _, d := range []string{"empty/name", "empty/dironly"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte(strings.Join(patterns, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []byte {
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null", "HOME="+dir)
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = &out
		err := cmd.Run()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatalf("git %v: %v\n%s", args, err, out.String())
		}
		return out.Bytes()
	}
	run("init", "-q")
	paths := append(append([]string{}, files...), "empty/name", "empty/dironly")
	cmd := exec.Command(git, "-c", "core.excludesFile=/dev/null", "check-ignore", "--no-index", "-v", "-n", "--stdin")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\n") + "\n")
	out, err := cmd.Output()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("git check-ignore: %v", err)
	}
	gitSays := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		src, p, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("unexpected check-ignore line %q", line)
		}
		gitSays[p] = src != "::"
	}
	var rules []Rule
	for _, p := range patterns {
		rules = append(rules, pr(p))
	}
	m := userMatcher(t, rules...)
	checked := 0
	for _, p := range paths {
		isDir := strings.HasPrefix(p, "empty/")
		got, _ := m.Match(p, isDir)
		want, ok := gitSays[p]
		if !ok {
			t.Fatalf("git did not answer for %q", p)
		}
		if got != want {
			t.Errorf("%q: remove=%v, git says ignored=%v", p, got, want)
		}
		checked++
	}
	ignored := 0
	for _, v := range gitSays {
		if v {
			ignored++
		}
	}
	if checked != len(paths) || ignored < 20 || len(paths)-ignored < 15 {
		t.Fatalf("checked %d paths, %d ignored by git: not a meaningful comparison", checked, ignored)
	}
}
