package wheel

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestInstallWheelMetadataErrors(t *testing.T) {
	tests := []struct {
		name      string
		filename  string
		distInfo  string
		entries   []zentry
		want      string
		warnings  []string
		wantError bool
	}{
		{"wheel version 2.0", "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info",
			demoEntries("Wheel-Version: 2.0\nRoot-Is-Purelib: true\n"), "unsupported Wheel-Version 2.0", nil, true},
		{"wheel version 1.1 warns", "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info",
			demoEntries("Wheel-Version: 1.1\nRoot-Is-Purelib: true\n"), "",
			[]string{"Wheel-Version 1.1 is newer than the supported 1.0; installing anyway"}, false},
		{"no wheel version", "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info",
			demoEntries("Root-Is-Purelib: true\n"), "WHEEL has no Wheel-Version", nil, true},
		{"malformed wheel version", "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info",
			demoEntries("Wheel-Version: one\n"), "malformed Wheel-Version", nil, true},
		{"missing WHEEL", "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info",
			[]zentry{{name: "demo-1.0.dist-info/METADATA", data: "x"}}, "demo-1.0.dist-info/WHEEL is missing", nil, true},
		{"no dist-info", "demo-1.0-py3-none-any.whl", "x",
			[]zentry{{name: "demo.py", data: "x"}}, "no .dist-info directory", nil, true},
		{"two dist-infos", "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info",
			demoEntries(testWheelFile, zentry{name: "other-2.0.dist-info/METADATA", data: "x"}), "2 .dist-info directories", nil, true},
		{"filename mismatch", "other-1.0-py3-none-any.whl", "demo-1.0.dist-info",
			demoEntries(testWheelFile), "wheel filename is for other but it contains demo-1.0.dist-info", nil, true},
		{"version mismatch warns", "demo-1.0.0-py3-none-any.whl", "demo-1.0.dist-info",
			demoEntries(testWheelFile), "", []string{"wheel filename version 1.0.0 differs from demo-1.0.dist-info"}, false},
		{"unparsable filename is fine", "cache-entry.bin", "demo-1.0.dist-info",
			demoEntries(testWheelFile), "", nil, false},
		{"unknown data dir", "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info",
			demoEntries(testWheelFile, zentry{name: "demo-1.0.data/lib/x", data: "x"}), `unknown .data directory "lib"`, nil, true},
		{"file as data dir", "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info",
			demoEntries(testWheelFile, zentry{name: "demo-1.0.data/scripts", data: "x"}), "demo-1.0.data/scripts: must be a directory", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			whl := writeWheel(t, t.TempDir(), tc.filename, tc.distInfo, tc.entries, true)
			res, err := Install(whl, lambdaScheme(t.TempDir()), InstallOptions{})
			if tc.wantError {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Warnings, tc.warnings) {
				t.Errorf("warnings = %q, want %q", res.Warnings, tc.warnings)
			}
		})
	}
}

func TestInstallOverwriteWarns(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "python/lib/python3.12/site-packages/demo")
	if err := os.MkdirAll(target, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "x.py"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Install(demoWheel(t, zentry{name: "demo/x.py", data: "new"}), lambdaScheme(root), InstallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"overwrote existing file python/lib/python3.12/site-packages/demo/x.py"}
	if !reflect.DeepEqual(res.Warnings, want) {
		t.Errorf("warnings = %q, want %q", res.Warnings, want)
	}
	if e := snapshotTree(t, root)["python/lib/python3.12/site-packages/demo/x.py"]; e.Data != "new" || e.Mode != 0o644 {
		t.Errorf("x.py = %+v", e)
	}
}

func TestInstallOptionsAndSchemeErrors(t *testing.T) {
	whl := demoWheel(t)
	tests := []struct {
		name   string
		scheme Scheme
		opts   InstallOptions
		want   string
	}{
		{"no root", Scheme{}, InstallOptions{}, "scheme has no Root"},
		{"absolute purelib", Scheme{Root: t.TempDir(), Purelib: "/usr/lib"}, InstallOptions{}, "scheme purelib: path is absolute"},
		{"escaping scripts", Scheme{Root: t.TempDir(), Scripts: "../bin"}, InstallOptions{}, "scheme scripts: path contains '..'"},
		{"bad interpreter", lambdaScheme(t.TempDir()), InstallOptions{Interpreter: "python\n"}, "invalid interpreter"},
		{"root is a file", lambdaScheme(whl), InstallOptions{}, "is not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Install(whl, tc.scheme, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := Install(filepath.Join(t.TempDir(), "missing.whl"), lambdaScheme(t.TempDir()), InstallOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing wheel: err = %v", err)
	}
	notZip := filepath.Join(t.TempDir(), "demo-1.0-py3-none-any.whl")
	if err := os.WriteFile(notZip, []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(notZip, lambdaScheme(t.TempDir()), InstallOptions{}); err == nil || !strings.Contains(err.Error(), "zip") {
		t.Errorf("not a zip: err = %v", err)
	}
}

func TestInstallSchemeAtRoot(t *testing.T) {
	// pip --target style: everything relative to one directory.
	whl := writeWheel(t, t.TempDir(), "demo-1.0-py3-none-any.whl", "demo-1.0.dist-info", fullDemoEntries(), true)
	root := t.TempDir()
	if _, err := Install(whl, Scheme{Root: root, Scripts: "bin", Headers: "include/python/demo"}, InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	tree := snapshotTree(t, root)
	for _, p := range []string{"demo/core.py", "demo_ext.so", "bin/demo-tool", "share/demo/readme.txt", "include/python/demo/demo.h"} {
		if _, ok := tree[p]; !ok {
			t.Errorf("missing %s", p)
		}
	}
	if rec := tree["demo-1.0.dist-info/RECORD"].Data; !strings.Contains(rec, "\nbin/demo-tool,sha256=") {
		t.Errorf("RECORD paths not relative to root:\n%s", rec)
	}
}
