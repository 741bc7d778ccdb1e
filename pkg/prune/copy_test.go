package prune

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCopy(t *testing.T) {
	src := t.TempDir()
	buildTree(t, src,
		"pkg/__init__.py",
		"pkg/_ext.cpython-312-x86_64-linux-gnu.so@3000",
		"pkg/bin/tool",
		"pkg/readonly.txt",
		"pkg/secret.cfg",
		"pkg/include/pkg/api.h", // emptied by *.h: neither include/ nor include/pkg is created
		"pkg/tests/test_a.py",
		"pkg/tests/_needed.py",
		"pkg/__pycache__/__init__.cpython-312.pyc",
		"pkg/empty/", // empty in the source: copied
		"pkg/ro/data.bin",
		"pkg.libs/libfoo-1a2b3c4d.so.1.2.3@2000",
		"pkg.libs/libfoo.so.1 -> libfoo-1a2b3c4d.so.1.2.3",
		"pkg/libs -> ../pkg.libs",
		"pkg/api.h -> include/pkg/api.h", // removed like any *.h
		"pkg-1.0.dist-info/METADATA",
		"pkg-1.0.dist-info/RECORD",
		"pkg-1.0.dist-info/licenses/LICENSE",
	)
	chmod := map[string]fs.FileMode{
		"pkg/bin/tool":     0o755,
		"pkg/readonly.txt": 0o444,
		"pkg/secret.cfg":   0o600,
		"pkg/ro":           0o555,
		"pkg/empty":        0o750,
		"pkg/bin":          0o755 | fs.ModeSetgid,
	}
	for p, mode := range chmod {
		if err := os.Chmod(filepath.Join(src, p), mode); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := os.Chmod(filepath.Join(src, "pkg/ro"), 0o755); err != nil {
			t.Error(err)
		}
	})
	// Distinct mtimes everywhere, directories last so that creating
	// entries does not change them.
	base := time.Date(2021, 3, 4, 5, 6, 7, 123456789, time.UTC)
	var entries []string
	if err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		entries = append(entries, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	mtimes := map[string]time.Time{}
	for i := len(entries) - 1; i >= 0; i-- {
		p := entries[i]
		rel, _ := filepath.Rel(src, p)
		mt := base.Add(time.Duration(i) * time.Hour)
		fi, _ := os.Lstat(p)
		if fi.Mode()&fs.ModeSymlink != 0 {
			if runtime.GOOS != "linux" {
				continue
			}
			if err := lchtimes(p, mt); err != nil {
				t.Fatal(err)
			}
		} else if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
		mtimes[filepath.ToSlash(rel)] = mt
	}
	before := snapshot(t, src)

	m, err := Compile(Options{Package: "pkg", Rules: []Rule{pr("pkg/tests/"), kp("pkg/tests/_needed.py")}})
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "out")
	res, err := Copy(src, dst, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Chmod(filepath.Join(dst, "pkg/ro"), 0o755); err != nil {
			t.Error(err)
		}
	})

	got := listTree(t, dst)
	want := []string{
		"pkg-1.0.dist-info/", "pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/licenses/", "pkg-1.0.dist-info/licenses/LICENSE",
		"pkg.libs/", "pkg.libs/libfoo-1a2b3c4d.so.1.2.3", "pkg.libs/libfoo.so.1 -> libfoo-1a2b3c4d.so.1.2.3",
		"pkg/", "pkg/__init__.py", "pkg/_ext.cpython-312-x86_64-linux-gnu.so", "pkg/bin/", "pkg/bin/tool",
		"pkg/empty/", "pkg/libs -> ../pkg.libs", "pkg/readonly.txt", "pkg/ro/", "pkg/ro/data.bin", "pkg/secret.cfg",
		"pkg/tests/", "pkg/tests/_needed.py",
	}
	if !slices.Equal(got, want) {
		t.Errorf("copied tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The result is the plan.
	plan, err := Plan(src, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Removed) != len(res.Removed) || plan.Bytes != res.Bytes || len(plan.Dirs) != len(res.Dirs) {
		t.Errorf("Copy result differs from Plan: %+v vs %+v", res, plan)
	}
	for _, d := range []string{"pkg/include", "pkg/__pycache__"} {
		found := false
		for _, rd := range res.Dirs {
			found = found || rd.Path == d
		}
		if !found {
			t.Errorf("%s not reported as a removed directory: %+v", d, res.Dirs)
		}
	}

	// Modes, contents and times.
	for _, rel := range got {
		rel, _, _ = strings.Cut(rel, " -> ")
		rel = strings.TrimSuffix(rel, "/")
		s, err := os.Lstat(filepath.Join(src, rel))
		if err != nil {
			t.Fatal(err)
		}
		d, err := os.Lstat(filepath.Join(dst, rel))
		if err != nil {
			t.Fatal(err)
		}
		if s.Mode() != d.Mode() {
			t.Errorf("%s: mode %v, want %v", rel, d.Mode(), s.Mode())
		}
		isLink := s.Mode()&fs.ModeSymlink != 0
		if (!isLink || runtime.GOOS == "linux") && !d.ModTime().Equal(mtimes[rel]) {
			t.Errorf("%s: mtime %v, want %v", rel, d.ModTime(), mtimes[rel])
		}
		if s.Mode().IsRegular() {
			a, _ := os.ReadFile(filepath.Join(src, rel))
			b, _ := os.ReadFile(filepath.Join(dst, rel))
			if string(a) != string(b) {
				t.Errorf("%s: content differs", rel)
			}
		}
	}
	for p, mode := range chmod {
		fi, err := os.Lstat(filepath.Join(dst, p))
		if err != nil {
			t.Fatal(err)
		}
		if permBits(fi.Mode()) != mode {
			t.Errorf("%s: mode %o, want %o", p, permBits(fi.Mode()), mode)
		}
	}
	// A created destination root takes the source root's mode and mtime.
	if s, d := mustLstat(t, src), mustLstat(t, dst); s.Mode() != d.Mode() || !s.ModTime().Equal(d.ModTime()) {
		t.Errorf("root: %v %v, want %v %v", d.Mode(), d.ModTime(), s.Mode(), s.ModTime())
	}
	// The source is untouched.
	if after := snapshot(t, src); !equalMaps(before, after) {
		t.Error("Copy changed the source tree")
	}
}

func mustLstat(t *testing.T, p string) fs.FileInfo {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestCopyIntoExistingDirectory(t *testing.T) {
	src := t.TempDir()
	buildTree(t, src, "pkg/__init__.py", "pkg/x.pyc")
	m, _ := Compile(Options{})
	dst := t.TempDir()
	if err := os.Chmod(dst, 0o711); err != nil {
		t.Fatal(err)
	}
	if _, err := Copy(src, dst, m); err != nil {
		t.Fatal(err)
	}
	if got := listTree(t, dst); !slices.Equal(got, []string{"pkg/", "pkg/__init__.py"}) {
		t.Errorf("copied %q", got)
	}
	// An existing root keeps its own mode.
	if fi := mustLstat(t, dst); fi.Mode().Perm() != 0o711 {
		t.Errorf("existing destination root mode changed to %v", fi.Mode())
	}
	// Copying again collides instead of silently merging.
	if _, err := Copy(src, dst, m); err == nil {
		t.Error("second Copy into the same directory succeeded")
	}
	// A destination that is a file is refused.
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Copy(src, f, m); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file destination: %v", err)
	}
}

func TestCopyRejectsSpecialFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs")
	}
	src := t.TempDir()
	buildTree(t, src, "pkg/__init__.py")
	if err := mkfifo(filepath.Join(src, "pkg", "fifo")); err != nil {
		t.Fatal("mkfifo:", err)
	}
	m, _ := Compile(Options{})
	if _, err := Copy(src, filepath.Join(t.TempDir(), "out"), m); err == nil || !strings.Contains(err.Error(), "unsupported file type") {
		t.Errorf("FIFO: %v", err)
	}
}
