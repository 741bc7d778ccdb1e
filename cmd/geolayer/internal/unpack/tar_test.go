package unpack

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRootfsConfined feeds the image extractor a hostile file
// system: nothing lands outside the directory, device nodes are left out,
// hard links and modes are kept.
func TestRootfsConfined(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body string) {
		h.Size = int64(len(body))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, body); err != nil {
				t.Fatal(err)
			}
		}
	}
	parent := t.TempDir()
	outside := filepath.Join(parent, "outside")
	add(&tar.Header{Name: "usr/lib/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(&tar.Header{Name: "usr/lib/libc.so.6", Typeflag: tar.TypeReg, Mode: 0o755}, "libc")
	add(&tar.Header{Name: "usr/lib/libc-hard.so", Typeflag: tar.TypeLink, Linkname: "usr/lib/libc.so.6"}, "")
	add(&tar.Header{Name: "lib", Typeflag: tar.TypeSymlink, Linkname: "usr/lib"}, "")
	add(&tar.Header{Name: "lib64", Typeflag: tar.TypeSymlink, Linkname: "/usr/lib"}, "") // absolute: kept as is
	add(&tar.Header{Name: "dev/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Mode: 0o666}, "")
	add(&tar.Header{Name: "../outside", Typeflag: tar.TypeReg, Mode: 0o644}, "escape")
	add(&tar.Header{Name: "abs", Typeflag: tar.TypeSymlink, Linkname: parent}, "")
	add(&tar.Header{Name: "abs/outside", Typeflag: tar.TypeReg, Mode: 0o644}, "escape")
	add(&tar.Header{Name: "up", Typeflag: tar.TypeSymlink, Linkname: "../.."}, "")
	add(&tar.Header{Name: "up/outside", Typeflag: tar.TypeReg, Mode: 0o644}, "escape")
	add(&tar.Header{Name: "lib64/through-abs-link", Typeflag: tar.TypeReg, Mode: 0o644}, "escape")
	add(&tar.Header{Name: "usr/lib/hard-missing", Typeflag: tar.TypeLink, Linkname: "nothing/here"}, "")
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(parent, "root")
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	skipped, err := Rootfs(context.Background(), &buf, dest, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(outside); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file was written outside the root: %v", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 1 {
		t.Errorf("the parent holds more than the root: %v", ents)
	}
	want := "../outside abs/outside up/outside lib64/through-abs-link usr/lib/hard-missing"
	if got := strings.Join(skipped, " "); got != want {
		t.Errorf("skipped %q, want %q", got, want)
	}
	if _, err := os.Lstat(filepath.Join(dest, "dev", "null")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("device node: %v", err)
	}
	a, err1 := os.Stat(filepath.Join(dest, "usr/lib/libc.so.6"))
	b, err2 := os.Stat(filepath.Join(dest, "usr/lib/libc-hard.so"))
	if err1 != nil || err2 != nil || !os.SameFile(a, b) || a.Mode().Perm() != 0o755 {
		t.Errorf("hard link or mode lost: %v %v %v", a, err1, err2)
	}
	if target, err := os.Readlink(filepath.Join(dest, "lib64")); err != nil || target != "/usr/lib" {
		t.Errorf("lib64 -> %q, %v", target, err)
	}

	// The cap.
	var big bytes.Buffer
	tw = tar.NewWriter(&big)
	if err := tw.WriteHeader(&tar.Header{Name: "big", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2048}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(make([]byte, 2048)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Rootfs(context.Background(), &big, t.TempDir(), 1024); err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("want the size cap, got %v", err)
	}
}
