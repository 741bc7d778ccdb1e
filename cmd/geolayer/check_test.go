package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/cmd/geolayer/internal/unpack"
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
		if err := unpack.LayerZip(context.Background(), z, dest, 1<<20); err != nil {
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
		err := unpack.LayerZip(context.Background(), z, t.TempDir(), 1000)
		if err == nil || !strings.Contains(err.Error(), "more than 1000 bytes") {
			t.Errorf("want the size cap to refuse the zip, got %v", err)
		}
	})
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

// A runtime image reference that does not parse is a usage error (exit 2
// with the hint), found before anything is pulled.
func TestCheckBadImageReference(t *testing.T) {
	code, _, stderr := runCLI(t, t.TempDir(), "--profile", lambda311, "--runtime-image", "Bad Ref!!")
	if code != checkUsageErr || !strings.Contains(stderr, `image reference "Bad Ref!!"`) || !strings.Contains(stderr, "geolayer check --help") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}
