//go:build devworld

package main

import (
	"archive/zip"
	"context"
	"encoding/json"
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

	"github.com/geolayer/geolayer/cmd/geolayer/internal/unpack"
	"github.com/geolayer/geolayer/pkg/elfcheck"
)

// TestCheckVerdicts runs `geolayer check` against the dev world's runtime:
// the bookworm rootfs tarball ($GEOLAYER_DEV_HOME/rootfs) and the stand-in
// image in its registry ($GEOLAYER_REGISTRY). It is built with -tags
// devworld (make test-unit, which sources $GEOLAYER_DEV_HOME/env); a
// missing tarball or registry is a failure: run make dev-up.

// The layer paths the tests build (aws-lambda python3.11 layout).
const (
	sitePkgs = "python/lib/python3.11/site-packages"
	goodSO   = sitePkgs + "/good/_good.cpython-311.so"
	helperSO = sitePkgs + "/helped/_helped.cpython-311.so"
	badSO    = sitePkgs + "/bad/_bad.cpython-311.so"
	layerLib = "lib/libhelper.so.1"
)

// hostPlatform is the platform the host gcc builds for, and the matching
// dev-world rootfs tarball and stand-in image platform.
func hostPlatform(t *testing.T) string {
	t.Helper()
	switch runtime.GOARCH {
	case "amd64", "arm64":
		return "linux/" + runtime.GOARCH
	}
	t.Fatalf("the dev world has runtimes for linux/amd64 and linux/arm64 only, not for this host's %s", runtime.GOARCH)
	return ""
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
	_ = os.RemoveAll(d)
	os.Exit(code)
}

// bookwormRoot extracts the dev world's bookworm runtime rootfs tarball
// for the host architecture (once per test binary) with the extractor the
// command uses for images. A missing tarball fails the test (make dev-up
// builds it).
func bookwormRoot(t *testing.T) string {
	t.Helper()
	tarball := filepath.Join(devHome(), "rootfs", "bookworm-"+runtime.GOARCH+"-runtime.tar")
	if _, err := os.Stat(tarball); err != nil {
		t.Fatalf("the dev world's rootfs tarball %s is missing: run `make dev-up` (these tests build only with -tags devworld): %v", tarball, err)
	}
	rootfsOnce.Do(func() {
		f, err := os.Open(tarball)
		if err != nil {
			rootfsErr = err
			return
		}
		defer func() { _ = f.Close() }()
		dir := filepath.Join(scratch, "bookworm-runtime")
		if rootfsErr = os.Mkdir(dir, 0o755); rootfsErr != nil {
			return
		}
		skipped, err := unpack.Rootfs(context.Background(), f, dir, maxImageBytes)
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
// name there; hack/standins.sh pushes the bookworm rootfs under it). An
// unset $GEOLAYER_REGISTRY or a registry that does not answer fails the
// test.
func standinImage(t *testing.T) string {
	t.Helper()
	reg := os.Getenv("GEOLAYER_REGISTRY")
	if reg == "" {
		t.Fatal("GEOLAYER_REGISTRY is not set: run `make dev-up` and source $GEOLAYER_DEV_HOME/env (make test-unit does both)")
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + reg + "/v2/")
	if err == nil {
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET /v2/: %s", resp.Status)
		}
	}
	if err != nil {
		t.Fatalf("the dev registry GEOLAYER_REGISTRY=%s does not answer: run `make dev-up`, which starts it and pushes the stand-ins: %v", reg, err)
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
