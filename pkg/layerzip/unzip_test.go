package layerzip

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func hasUnzip() bool {
	_, err := exec.LookPath("unzip")
	return err == nil
}

// unzipTest runs Info-ZIP `unzip -t` on data.
func unzipTest(t *testing.T, data []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "t.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("unzip", "-tq", p).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "No errors detected") {
		t.Errorf("unzip -t: %v\n%s", err, out)
	}
}

// TestUnzip checks an archive with Info-ZIP: integrity (unzip -t), the
// modes and host system zipinfo reports (unzip -Z), and extraction of the
// symlinks as symlinks.
func TestUnzip(t *testing.T) {
	// Without Info-ZIP, `go test ./...` skips this (and the other tests
	// check with archive/zip and Python only); make test-unit installs it
	// (make test-tools) and fails on any skip .ci/expected-skips does not
	// list.
	if !hasUnzip() {
		t.Skip("unzip is not installed (Debian: unzip; make test-tools installs it)")
	}
	root := sampleTree(t)
	data := writeTree(t, root, "python/", Options{SpillThreshold: 64 << 10})
	unzipTest(t, data)

	p := filepath.Join(t.TempDir(), "layer.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("unzip", "-Z", p).Output()
	if err != nil {
		t.Fatalf("unzip -Z: %v", err)
	}
	want := map[string]string{
		"python/bin/tool":         "-rwxr-xr-x",
		"python/pkg/mod.py":       "-rw-r--r--",
		"python/pkg/data/big.txt": "-rw-r--r--",
		"python/pkg/_ext.so":      "-rwxr-xr-x",
		"python/pkg/libfoo.so":    "lrwxrwxrwx",
		"python/pkg/up":           "lrwxrwxrwx",
		"python/pkg/empty/":       "drwxr-xr-x",
	}
	seen := 0
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		// -rw-r--r--  2.0 unx    13936 b- defN 80-Jan-01 00:00 name
		if len(f) < 9 || len(f[0]) != 10 {
			continue
		}
		seen++
		if f[2] != "unx" {
			t.Errorf("%s: host %s, want unx", f[8], f[2])
		}
		name := strings.Join(f[8:], " ")
		if w, ok := want[name]; ok && f[0] != w {
			t.Errorf("%s: zipinfo mode %s, want %s", name, f[0], w)
		}
		if f[6] != "80-Jan-01" || f[7] != "00:00" {
			t.Errorf("%s: date %s %s", name, f[6], f[7])
		}
	}
	if seen != 13 {
		t.Errorf("zipinfo listed %d entries, want 13:\n%s", seen, out)
	}

	dest := t.TempDir()
	if out, err := exec.Command("unzip", "-q", p, "-d", dest).CombinedOutput(); err != nil {
		t.Fatalf("unzip: %v\n%s", err, out)
	}
	if target, err := os.Readlink(filepath.Join(dest, "python/pkg/libfoo.so")); err != nil || target != "libfoo.so.1" {
		t.Errorf("extracted symlink: %q %v", target, err)
	}
	if fi, err := os.Stat(filepath.Join(dest, "python/pkg/nested/empty")); err != nil || !fi.IsDir() {
		t.Errorf("extracted empty dir: %v", err)
	}
}
