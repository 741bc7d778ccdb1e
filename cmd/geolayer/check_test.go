package main

import (
	"archive/tar"
	"archive/zip"
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

// lambda311 is the profile the tests check against.
const lambda311 = "aws-lambda:python3.11"

// runCLI runs `geolayer check args...` in-process.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runCheck(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// zipEntry is one entry of a hand-made zip.
type zipEntry struct {
	name, body string
	mode       fs.FileMode
}

func writeZip(t *testing.T, out string, entries ...zipEntry) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckHostileZip: zips that would write or point outside the layer
// are refused (exit 2) before anything is checked, and nothing is written
// outside the extraction directory.
func TestCheckHostileZip(t *testing.T) {
	empty := t.TempDir() // a runtime root; the refusals come first
	file := zipEntry{body: "x", mode: 0o644}
	link := func(name, target string) zipEntry { return zipEntry{name, target, fs.ModeSymlink | 0o777} }
	named := func(name string) zipEntry { e := file; e.name = name; return e }
	cases := []struct {
		name    string
		entries []zipEntry
		want    string
	}{
		{"dotdot", []zipEntry{named("python/ok.py"), named("../evil.so")}, `".." in the path`},
		{"dotdot-inner", []zipEntry{named("python/../../evil.so")}, `".." in the path`},
		{"absolute", []zipEntry{named("/tmp/evil.so")}, "absolute path"},
		{"symlink-out", []zipEntry{link("lib/escape", "../../etc/passwd")}, "resolves outside the layer"},
		{"symlink-absolute", []zipEntry{link("lib/abs", "/etc/passwd")}, "absolute path"},
		// Each link alone stays inside; through the first, the second leaves.
		{"symlink-chain", []zipEntry{link("a/here", "."), link("a/out", "here/../..")}, "resolves outside the layer"},
		{"symlink-dir-chain", []zipEntry{link("up", "."), link("x/y/l", "../../up/..")}, "resolves outside the layer"},
		{"write-through-link", []zipEntry{link("esc", "../.."), named("esc/evil.so")}, "refused"},
		{"duplicate", []zipEntry{named("a.py"), named("a.py")}, "duplicate entry"},
		{"device", []zipEntry{{"dev", "", fs.ModeDevice | 0o644}}, "special file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			z := filepath.Join(dir, "layer.zip")
			writeZip(t, z, c.entries...)
			tmp := filepath.Join(dir, "tmp")
			if err := os.Mkdir(tmp, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Setenv("TMPDIR", tmp)
			code, stdout, stderr := runCLI(t, z, "--profile", lambda311, "--runtime-root", empty)
			if code != checkTrouble || !strings.Contains(stderr, "refused") || !strings.Contains(stderr, c.want) {
				t.Errorf("want exit 2 and a refusal (%s); got %d\nstdout: %s\nstderr: %s", c.want, code, stdout, stderr)
			}
			// Only the zip remains; the extraction directory is gone.
			for _, d := range []string{dir, tmp} {
				ents, _ := os.ReadDir(d)
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				want := map[string]string{dir: "layer.zip,tmp", tmp: ""}[d]
				if strings.Join(names, ",") != want {
					t.Errorf("%s holds %v after the refusal, want %q", d, names, want)
				}
			}
		})
	}

	// Links that stay inside are fine, modes are kept.
	t.Run("inside", func(t *testing.T) {
		z := filepath.Join(t.TempDir(), "layer.zip")
		writeZip(t, z,
			zipEntry{"bin/", "", fs.ModeDir | 0o750},
			zipEntry{"bin/tool", "#!/bin/sh\n", 0o751},
			link("lib/libx.so", "libx.so.1"),
			link("python/tool", "../bin/tool"),
			link("python/here", "./../python/."),
		)
		dest := t.TempDir()
		if err := extractLayerZip(context.Background(), z, dest, 1<<20); err != nil {
			t.Fatal(err)
		}
		for p, want := range map[string]fs.FileMode{"bin": fs.ModeDir | 0o750, "bin/tool": 0o751} {
			if fi, err := os.Lstat(filepath.Join(dest, p)); err != nil || fi.Mode() != want {
				t.Errorf("%s: mode %v (%v), want %v", p, fi.Mode(), err, want)
			}
		}
		if target, err := os.Readlink(filepath.Join(dest, "lib/libx.so")); err != nil || target != "libx.so.1" {
			t.Errorf("lib/libx.so -> %q, %v", target, err)
		}
		code, _, stderr := runCLI(t, z, "--profile", lambda311, "--runtime-root", empty)
		if code != checkOK {
			t.Errorf("a zip with inside links: exit %d\n%s", code, stderr)
		}
	})

	t.Run("too-large", func(t *testing.T) {
		z := filepath.Join(t.TempDir(), "layer.zip")
		writeZip(t, z, zipEntry{"a.py", strings.Repeat("a", 600), 0o644}, zipEntry{"b.py", strings.Repeat("b", 600), 0o644})
		err := extractLayerZip(context.Background(), z, t.TempDir(), 1000)
		if err == nil || !strings.Contains(err.Error(), "more than 1000 bytes") {
			t.Errorf("want the size cap to refuse the zip, got %v", err)
		}
	})
}

// TestExtractRootfsConfined feeds the image extractor a hostile file
// system: nothing lands outside the directory, device nodes are left out,
// hard links and modes are kept.
func TestExtractRootfsConfined(t *testing.T) {
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
	skipped, err := extractRootfs(context.Background(), &buf, dest, 1<<20)
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
	if _, err := extractRootfs(context.Background(), &big, t.TempDir(), 1024); err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("want the size cap, got %v", err)
	}
}

// TestCheckUsage: command line errors exit 2 with the cause and a one-line
// hint (not the whole usage).
func TestCheckUsage(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{nil, "want exactly one layer"},
		{[]string{dir, dir, "--profile", lambda311}, "want exactly one layer"},
		{[]string{dir}, "--profile is required"},
		{[]string{dir, "--profile", "aws-lambda"}, "want PROFILE:RUNTIME"},
		{[]string{dir, "--profile", "nope:python3.11"}, "unknown target profile"},
		{[]string{dir, "--profile", "aws-lambda:python3.99"}, "unknown runtime"},
		{[]string{dir, "--profile", lambda311, "--platform", "linux/s390x"}, "only linux/amd64 and linux/arm64"},
		{[]string{dir, "--profile", lambda311, "--platform", "windows/amd64"}, "only linux"},
		{[]string{dir, "--profile", lambda311, "--glibc", "2"}, "invalid glibc version"},
		{[]string{dir, "--profile", lambda311, "--runtime-root", dir, "--runtime-image", "x"}, "mutually exclusive"},
		{[]string{dir, "--profile", "custom:python3.11", "--runtime-root", dir}, "missing --glibc, --layout"},
		{[]string{filepath.Join(dir, "nope.zip"), "--profile", lambda311, "--runtime-root", dir}, "no such file"},
		{[]string{dir, "--profile", lambda311, "--runtime-root", filepath.Join(dir, "nope")}, "--runtime-root"},
		{[]string{dir, "--profile", lambda311, "--runtime-image", "UPPER/Case::"}, "image reference"},
		{[]string{dir, "--bogus"}, "flag provided but not defined"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, c.args...)
		if code != checkUsageErr || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "run 'geolayer check --help' for the flags") ||
			strings.Contains(stderr, "usage:") || strings.Count(stderr, "\n") > 2 {
			t.Errorf("geolayer check %s: exit %d, want 2 with %q and a one-line hint\n%s", strings.Join(c.args, " "), code, c.want, stderr)
		}
	}
	// The custom profile is complete with --glibc and --layout; "--" ends the flags.
	code, stdout, stderr := runCLI(t, "--profile", "custom:python3.11", "--glibc", "2.36", "--layout", "lambda", "--runtime-root", dir, "--", dir)
	if code != checkOK || !strings.Contains(stdout, "elfcheck: 0 ELF files, 0 errors") {
		t.Errorf("custom profile: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, _ := runCLI(t, "-h"); code != checkOK {
		t.Errorf("-h: exit %d", code)
	}
}

func TestLoopbackRegistry(t *testing.T) {
	for reg, want := range map[string]bool{
		"127.0.0.1:5000": true, "localhost:5000": true, "localhost": true, "[::1]:5000": true, "127.1.2.3": true,
		"public.ecr.aws": false, "localhost.example.com": false, "10.0.0.1:5000": false, "index.docker.io": false,
	} {
		if got := loopbackRegistry(reg); got != want {
			t.Errorf("loopbackRegistry(%q) = %v", reg, got)
		}
	}
}
