package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geolayer/geolayer/pkg/elfcheck"
)

// The layer paths the tests build (aws-lambda python3.11 layout).
const (
	sitePkgs  = "python/lib/python3.11/site-packages"
	goodSO    = sitePkgs + "/good/_good.cpython-311.so"
	helperSO  = sitePkgs + "/helped/_helped.cpython-311.so"
	badSO     = sitePkgs + "/bad/_bad.cpython-311.so"
	layerLib  = "lib/libhelper.so.1"
	lambda311 = "aws-lambda:python3.11"
)

// hostPlatform is the platform the host gcc builds for, and the matching
// dev-world rootfs tarball and stand-in image platform.
func hostPlatform(t *testing.T) string {
	t.Helper()
	switch runtime.GOARCH {
	case "amd64", "arm64":
		return "linux/" + runtime.GOARCH
	}
	t.Skipf("no dev-world runtime for %s", runtime.GOARCH)
	return ""
}

// runCLI runs `geolayer check args...` in-process.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runCheck(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// runJSON runs the check with --json and decodes the result.
func runJSON(t *testing.T, args ...string) (int, *elfcheck.Result, string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append(args, "--json")...)
	if code == checkTrouble {
		t.Fatalf("geolayer check %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	var res elfcheck.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("geolayer check %s: bad JSON: %v\n%s", strings.Join(args, " "), err, stdout)
	}
	return code, &res, stdout
}

func gccShared(t *testing.T, out, source string, flags ...string) {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Fatalf("gcc is required by this test and was not found in PATH: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	src := out + ".c"
	if err := os.WriteFile(src, []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-shared", "-fPIC", "-o", out, src}, flags...)
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
}

// buildLayers compiles two Lambda-layout layers with the host gcc. good
// holds an extension needing libm and libc (exp: GLIBC_2.29), and one
// needing libhelper.so.1, which the layer ships in lib/ (Lambda's
// /opt/lib, on LD_LIBRARY_PATH) with a libhelper.so link. all is good plus
// an extension needing libnowhere.so.7, which is nowhere.
func buildLayers(t *testing.T) (good, all string) {
	t.Helper()
	dir := t.TempDir()
	stub := filepath.Join(dir, "stub")
	gccShared(t, filepath.Join(stub, "libnowhere.so"), "int nowhere(void) { return 7; }\n", "-Wl,-soname,libnowhere.so.7")
	for _, layer := range []string{"good", "all"} {
		root := filepath.Join(dir, layer)
		lib := filepath.Join(root, filepath.FromSlash(layerLib))
		gccShared(t, lib, "int helper(void) { return 1; }\n", "-Wl,-soname,libhelper.so.1")
		if err := os.Symlink("libhelper.so.1", filepath.Join(root, "lib", "libhelper.so")); err != nil {
			t.Fatal(err)
		}
		gccShared(t, filepath.Join(root, filepath.FromSlash(goodSO)),
			"#include <math.h>\n#include <string.h>\ndouble good(const char *s) { return exp((double)strlen(s)); }\n", "-lm")
		gccShared(t, filepath.Join(root, filepath.FromSlash(helperSO)),
			"int helper(void);\nint helped(void) { return helper(); }\n", "-L"+filepath.Dir(lib), "-lhelper")
		if layer == "all" {
			gccShared(t, filepath.Join(root, filepath.FromSlash(badSO)),
				"int nowhere(void);\nint bad(void) { return nowhere(); }\n", "-L"+stub, "-lnowhere")
		}
		if err := os.WriteFile(filepath.Join(root, sitePkgs, "good", "__init__.py"), []byte("from ._good import good\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "good"), filepath.Join(dir, "all")
}

// zipDir writes dir as a zip with Unix modes and symbolic links, the way
// a layer zip is made.
func zipDir(t *testing.T, dir, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			h.Name += "/"
		} else {
			h.Method = zip.Deflate
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			_, err = io.WriteString(w, target)
			return err
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
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

// ---- the dev world's runtime: rootfs tarball and stand-in image ----

func devHome() string {
	if home := os.Getenv("GEOLAYER_DEV_HOME"); home != "" {
		return home
	}
	return "/var/tmp/geolayer-dev"
}

var (
	rootfsOnce sync.Once
	rootfsDir  string
	rootfsErr  error
	scratch    string
)

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "geolayer-check-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	scratch = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// bookwormRoot extracts the dev world's bookworm runtime rootfs tarball
// for the host architecture (once per test binary) with the extractor the
// command uses for images. A missing tarball fails the test (make dev-up
// builds it) unless GEOLAYER_ELFSTRIP_NO_ROOTFS is set, as in
// pkg/elfstrip.
func bookwormRoot(t *testing.T) string {
	t.Helper()
	tarball := filepath.Join(devHome(), "rootfs", "bookworm-"+runtime.GOARCH+"-runtime.tar")
	if _, err := os.Stat(tarball); err != nil {
		if os.Getenv("GEOLAYER_ELFSTRIP_NO_ROOTFS") != "" {
			t.Skipf("GEOLAYER_ELFSTRIP_NO_ROOTFS is set and the rootfs tarball is missing: %v", err)
		}
		t.Fatalf("the rootfs tarball %s is needed (make dev-up builds it, or set GEOLAYER_ELFSTRIP_NO_ROOTFS=1 to skip): %v", tarball, err)
	}
	rootfsOnce.Do(func() {
		f, err := os.Open(tarball)
		if err != nil {
			rootfsErr = err
			return
		}
		defer f.Close()
		dir := filepath.Join(scratch, "bookworm-runtime")
		if rootfsErr = os.Mkdir(dir, 0o755); rootfsErr != nil {
			return
		}
		skipped, err := extractRootfs(context.Background(), f, dir, maxImageBytes)
		if err == nil && len(skipped) > 0 {
			err = fmt.Errorf("entries not unpacked: %v", skipped)
		}
		rootfsDir, rootfsErr = dir, err
	})
	if rootfsErr != nil {
		t.Fatalf("extracting %s: %v", tarball, rootfsErr)
	}
	return rootfsDir
}

// standinImage returns the dev registry's stand-in for
// public.ecr.aws/lambda/python:3.11 (buildkitd's mirror sends the real
// name there; hack/standins.sh pushes the bookworm rootfs under it). It
// skips when $GEOLAYER_REGISTRY is unset and fails when the registry does
// not answer, unless GEOLAYER_ELFSTRIP_NO_ROOTFS is set.
func standinImage(t *testing.T) string {
	t.Helper()
	reg := os.Getenv("GEOLAYER_REGISTRY")
	if reg == "" {
		t.Skip("GEOLAYER_REGISTRY is not set: source $GEOLAYER_DEV_HOME/env (make dev-up) to test pulling the runtime image")
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + reg + "/v2/")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET /v2/: %s", resp.Status)
		}
	}
	if err != nil {
		if os.Getenv("GEOLAYER_ELFSTRIP_NO_ROOTFS") != "" {
			t.Skipf("GEOLAYER_ELFSTRIP_NO_ROOTFS is set and the dev registry %s does not answer: %v", reg, err)
		}
		t.Fatalf("the dev registry GEOLAYER_REGISTRY=%s does not answer (make dev-up starts it and pushes the stand-ins): %v", reg, err)
	}
	return reg + "/lambda/python:3.11"
}

// ---- verdicts ----

func findings(res *elfcheck.Result, file string, kind elfcheck.Kind) []elfcheck.Finding {
	var out []elfcheck.Finding
	for _, f := range res.Findings {
		if f.File == file && f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func fileOf(t *testing.T, res *elfcheck.Result, p string) elfcheck.File {
	t.Helper()
	for _, f := range res.Files {
		if f.Path == p {
			return f
		}
	}
	t.Fatalf("%s is not among the checked files: %+v", p, res.Files)
	return elfcheck.File{}
}

func resolution(t *testing.T, f elfcheck.File, soname string) elfcheck.Resolution {
	t.Helper()
	for _, n := range f.Needed {
		if n.Soname == soname {
			return n
		}
	}
	t.Fatalf("%s does not need %s: %+v", f.Path, soname, f.Needed)
	return elfcheck.Resolution{}
}

// belowVersion returns the glibc version X.(Y-1) for "X.Y[.Z]".
func belowVersion(t *testing.T, v string) string {
	t.Helper()
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		t.Fatalf("glibc version %q", v)
	}
	minor, err := strconv.Atoi(parts[1])
	if err != nil || minor == 0 {
		t.Fatalf("glibc version %q", v)
	}
	return fmt.Sprintf("%s.%d", parts[0], minor-1)
}

// TestCheckVerdicts runs the command on real layers built with the host
// gcc against the dev world's bookworm runtime, as a directory
// (--runtime-root, from the rootfs tarball) and as a pulled image
// (--runtime-image, the dev registry's stand-in), on the layer directories
// and on zips of them.
func TestCheckVerdicts(t *testing.T) {
	plat := hostPlatform(t)
	good, all := buildLayers(t)
	zips := t.TempDir()
	goodZip, allZip := filepath.Join(zips, "good.zip"), filepath.Join(zips, "all.zip")
	zipDir(t, good, goodZip)
	zipDir(t, all, allZip)

	// The JSON of each verdict, by test case, for comparing runtime sources.
	verdicts := map[string]map[string]string{}
	sources := []struct {
		name    string
		runtime func(*testing.T) []string
	}{
		{"runtime-root", func(t *testing.T) []string { return []string{"--runtime-root", bookwormRoot(t)} }},
		{"runtime-image", func(t *testing.T) []string { return []string{"--runtime-image", standinImage(t)} }},
	}
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			rtArgs := src.runtime(t)
			// Every run of the image source pulls it again (seconds each):
			// it runs the verdicts the two sources are compared on plus a
			// zip in text form; the directory source runs all cases.
			full := src.name == "runtime-root"
			got := map[string]string{}
			verdicts[src.name] = got
			base := append([]string{"--profile", lambda311, "--platform", plat}, rtArgs...)
			args := func(layer string, more ...string) []string {
				// The layer first, flags after it, as in the usage line.
				return append(append([]string{layer}, base...), more...)
			}

			// The good layer under the runtime's own glibc: no errors.
			code, res, out := runJSON(t, args(good, "--glibc", "2.36")...)
			got["good"] = out
			if code != checkOK || len(res.Errors()) != 0 {
				t.Fatalf("good layer, glibc 2.36: exit %d, errors %+v", code, res.Errors())
			}
			if len(res.Files) != 3 {
				t.Errorf("good layer: want 3 ELF files, got %+v", res.Files)
			}
			// libm comes from the runtime image (its ld.so.conf), libhelper
			// from the layer's lib/ through Lambda's LD_LIBRARY_PATH at /opt.
			if r := resolution(t, fileOf(t, res, goodSO), "libm.so.6"); r.From != "system" || !strings.Contains(r.Path, "-linux-gnu/libm.so.6") {
				t.Errorf("libm.so.6 should resolve in the runtime's system directories: %+v", r)
			}
			if r := resolution(t, fileOf(t, res, helperSO), "libhelper.so.1"); r.From != "ld_library_path" || r.Path != "/opt/lib/libhelper.so.1" {
				t.Errorf("libhelper.so.1 should resolve through LD_LIBRARY_PATH /opt/lib: %+v", r)
			}
			maxGlibc := fileOf(t, res, goodSO).MaxGlibc
			if maxGlibc == "" {
				t.Fatalf("%s needs no GLIBC version: %+v", goodSO, fileOf(t, res, goodSO))
			}

			// A ceiling below what the host-built extension needs.
			ceiling := belowVersion(t, maxGlibc)
			code, res, out = runJSON(t, args(good, "--glibc", ceiling)...)
			got["good-low-ceiling"] = out
			if code != checkFailed {
				t.Errorf("good layer, glibc %s: want exit 1, got %d", ceiling, code)
			}
			if f := findings(res, goodSO, elfcheck.KindGlibcTooNew); len(f) != 1 || f[0].Severity != elfcheck.Error ||
				!strings.Contains(f[0].Detail, "GLIBC_"+maxGlibc) || f[0].Package != "good" {
				t.Errorf("want one glibc-too-new error for %s (GLIBC_%s over %s): %+v", goodSO, maxGlibc, ceiling, res.Findings)
			}
			if len(res.Errors()) != 1 {
				t.Errorf("glibc %s: only %s should fail: %+v", ceiling, goodSO, res.Errors())
			}
			// The profile's own ceiling (2.26 for python3.11) is below 2.29 too.
			if full {
				code, res, _ = runJSON(t, args(good)...)
				if code != checkFailed || len(findings(res, goodSO, elfcheck.KindGlibcTooNew)) != 1 {
					t.Errorf("the profile's glibc 2.26: want exit 1 with glibc-too-new, got %d: %+v", code, res.Findings)
				}
			}

			// The missing library, in text (from the zip for the image
			// source) and JSON.
			allText := all
			if !full {
				allText = allZip
			}
			code, text, stderr := runCLI(t, args(allText, "--glibc", "2.36")...)
			if code != checkFailed {
				t.Fatalf("all layer: want exit 1, got %d\n%s%s", code, text, stderr)
			}
			for _, want := range []string{"elfcheck: 4 ELF files, 1 error", "missing-library: " + badSO + " [bad]: needs libnowhere.so.7", "fix: "} {
				if !strings.Contains(text, want) {
					t.Errorf("text output lacks %q:\n%s", want, text)
				}
			}
			if !strings.Contains(stderr, "aws-lambda python3.11 on "+plat+", glibc ceiling 2.36, runtime ") {
				t.Errorf("stderr should say what was checked against:\n%s", stderr)
			}
			if !full {
				if !strings.Contains(stderr, "runtime image "+rtArgs[1]+" ("+plat+", sha256:") {
					t.Errorf("stderr should name the image, platform and digest pulled:\n%s", stderr)
				}
				return
			}
			code, res, out = runJSON(t, args(all, "--glibc", "2.36")...)
			got["all"] = out
			if code != checkFailed {
				t.Errorf("all layer --json: want exit 1, got %d", code)
			}
			if f := findings(res, badSO, elfcheck.KindMissingLibrary); len(f) != 1 || !strings.Contains(f[0].Detail, "libnowhere.so.7") {
				t.Errorf("want one missing-library error for libnowhere.so.7: %+v", res.Findings)
			}
			if len(res.Errors()) != 1 {
				t.Errorf("only %s should fail: %+v", badSO, res.Errors())
			}

			// The zips give the same verdicts as the directories.
			for _, c := range []struct{ name, zip, glibc string }{
				{"good", goodZip, "2.36"}, {"good-low-ceiling", goodZip, ceiling}, {"all", allZip, "2.36"},
			} {
				code, _, out := runJSON(t, args(c.zip, "--glibc", c.glibc)...)
				wantCode := checkFailed
				if c.name == "good" {
					wantCode = checkOK
				}
				if code != wantCode || out != got[c.name] {
					t.Errorf("%s.zip: exit %d (want %d); verdict differs from the directory's:\nzip: %s\ndir: %s", c.name, code, wantCode, out, got[c.name])
				}
			}

			// The other architecture's runtime: the host's files are wrong.
			other := "linux/arm64"
			if plat == other {
				other = "linux/amd64"
			}
			{
				code, res, _ = runJSON(t, append([]string{good, "--profile", lambda311, "--platform", other, "--glibc", "2.36"}, rtArgs...)...)
				if code != checkFailed || len(findings(res, goodSO, elfcheck.KindWrongArchitecture)) != 1 {
					t.Errorf("--platform %s: want wrong-architecture, exit 1; got %d: %+v", other, code, res.Findings)
				}
			}
		})
	}
	// The stand-in image is built from the same rootfs: same verdicts.
	if img, dir := verdicts["runtime-image"], verdicts["runtime-root"]; len(img) > 0 && len(dir) > 0 {
		for k, v := range img {
			if dir[k] != v {
				t.Errorf("%s: the pulled image and the rootfs directory disagree:\nimage: %s\ndir: %s", k, v, dir[k])
			}
		}
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
	tw.Write(make([]byte, 2048))
	tw.Close()
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
