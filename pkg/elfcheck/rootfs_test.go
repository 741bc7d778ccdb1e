//go:build devworld

package elfcheck

import (
	"archive/tar"
	"debug/elf"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Tests against the dev world's Debian root file systems: real glibc,
// libstdc++, libexpat and python extension modules, for amd64 and arm64.
// They are built with -tags devworld (make test-unit) and read
// $GEOLAYER_DEV_HOME/rootfs/*.tar, which make dev-up builds; a missing
// tarball is a failure. `go test ./...` without the tag leaves them out.

// debianConfig is a Debian runtime (Azure's python images are Debian 12)
// with the layer at /opt and /opt/lib on LD_LIBRARY_PATH.
func debianConfig(m elf.Machine, triplet, layer, runtime string) Config {
	return Config{
		Machine:      m,
		LayerRoot:    layer,
		MountPoint:   "/opt",
		RuntimeRoot:  runtime,
		LibraryPath:  []string{"/opt/lib"},
		SystemDirs:   []string{"/lib/" + triplet, "/usr/lib/" + triplet, "/lib", "/usr/lib"},
		GlibcCeiling: "2.36", // bookworm
	}
}

// copyDynload copies the python extension modules of a root into
// layer/python/lib-dynload and returns their layer paths.
func copyDynload(t *testing.T, root, pyver, layer string) []string {
	t.Helper()
	mods, err := filepath.Glob(filepath.Join(root, "usr/lib", pyver, "lib-dynload", "*.so"))
	if err != nil || len(mods) < 20 {
		t.Fatalf("lib-dynload modules in %s: %d, %v", root, len(mods), err)
	}
	var rels []string
	for _, m := range mods {
		rel := "python/lib-dynload/" + filepath.Base(m)
		layout(t, layer, map[string]string{rel: "file:" + m})
		rels = append(rels, rel)
	}
	return rels
}

// neededBy lists the layer files whose DT_NEEDED includes soname
// (debug/elf, independently of this package).
func neededBy(t *testing.T, layer string, rels []string, soname string) []string {
	t.Helper()
	var out []string
	for _, rel := range rels {
		f, err := elf.Open(filepath.Join(layer, rel))
		if err != nil {
			t.Fatal(err)
		}
		libs, err := f.ImportedLibraries()
		_ = f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(libs, soname) {
			out = append(out, rel)
		}
	}
	slices.Sort(out)
	return out
}

func filesWith(r *Result, kind Kind) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Kind == kind {
			out = append(out, f.File)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// The amd64 bookworm runtime: python's own extension modules and
// gcc-built C and C++ libraries linked against the runtime's libexpat and
// the host libstdc++ all load; then libexpat is declared absent, vendored,
// shadowed, and the glibc ceiling lowered.
func TestBookwormAMD64(t *testing.T) {
	root := runtimeRoot(t, "bookworm-amd64-runtime.tar", "x86_64-linux-gnu")
	const libdir = "usr/lib/x86_64-linux-gnu"

	// The runtime's absolute link /usr/lib64/ld-linux-x86-64.so.2 ->
	// /lib/x86_64-linux-gnu/... resolves inside the root, through /lib64
	// -> usr/lib64 and /lib -> usr/lib.
	v := newVFS("/opt", t.TempDir(), root)
	if n := v.lookup("/lib64/ld-linux-x86-64.so.2"); n.err != nil || n.path != "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" {
		t.Fatalf("ld.so: %+v", n)
	}

	build := t.TempDir()
	if err := os.Symlink(filepath.Join(root, libdir, "libexpat.so.1.8.10"), filepath.Join(build, "libexpat.so")); err != nil {
		t.Fatal(err)
	}
	xml := compile(t, "gcc", build, "_xml.so", "int XML_ParserCreate(const char *);\nint x(void) { return XML_ParserCreate(0) != 0; }\n",
		"-shared", "-fPIC", "-L"+build, "-Wl,--no-as-needed", "-lexpat")
	cxx := compile(t, "g++", build, "_cxx.so", "#include <string>\n#include <sstream>\nstd::string f(int i) { std::ostringstream o; o << i; return o.str() + std::to_string(i); }\n",
		"-shared", "-fPIC", "-O1")

	layer := t.TempDir()
	rels := copyDynload(t, root, "python3.11", layer)
	layout(t, layer, map[string]string{"python/xml/_xml.so": "file:" + xml, "python/cxx/_cxx.so": "file:" + cxx})
	rels = append(rels, "python/xml/_xml.so", "python/cxx/_cxx.so")
	cfg := debianConfig(elf.EM_X86_64, "x86_64-linux-gnu", layer, root)

	r := check(t, cfg)
	noFindings(t, r)
	if len(r.Files) != len(rels) {
		t.Fatalf("%d files, want %d", len(r.Files), len(rels))
	}
	for _, f := range r.Files {
		if want := hostMaxGlibc(t, filepath.Join(layer, f.Path)); f.MaxGlibc != want {
			t.Errorf("%s: MaxGlibc %q, debug/elf %q", f.Path, f.MaxGlibc, want)
		}
		for _, n := range f.Needed {
			if n.From != "system" || !strings.HasPrefix(n.Path, "/lib/x86_64-linux-gnu/") || !strings.HasPrefix(n.Real, "/usr/lib/x86_64-linux-gnu/") {
				t.Errorf("%s: %+v", f.Path, n)
			}
		}
	}
	want := Resolution{Soname: "libexpat.so.1", Path: "/lib/x86_64-linux-gnu/libexpat.so.1", Real: "/usr/lib/x86_64-linux-gnu/libexpat.so.1.8.10", From: "system"}
	if got := need(t, fileOf(t, r, "python/xml/_xml.so"), "libexpat.so.1"); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got := need(t, fileOf(t, r, "python/cxx/_cxx.so"), "libstdc++.so.6"); got.Real != "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30" {
		t.Fatalf("libstdc++: %+v", got)
	}

	// libexpat absent on the platform: exactly its direct users fail.
	expatUsers := neededBy(t, layer, rels, "libexpat.so.1")
	if !slices.Contains(expatUsers, "python/xml/_xml.so") {
		t.Fatalf("libexpat users: %q", expatUsers)
	}
	const why = "absent on the real AL2023 Lambda runtime (eoapi-cdk#181)"
	cfg.Absent = map[string]string{"libexpat.so.1": why}
	r = check(t, cfg)
	if got := filesWith(r, KindAbsentOnPlatform); !slices.Equal(got, expatUsers) {
		t.Fatalf("absent-on-platform for %q, want %q", got, expatUsers)
	}
	if len(r.Findings) != len(expatUsers) {
		t.Fatalf("%+v", r.Findings)
	}
	wantContains(t, "detail", r.Findings[0].Detail, why, "/lib/x86_64-linux-gnu/libexpat.so.1")

	// Vendored into the layer's lib/ (on LD_LIBRARY_PATH): fine again.
	layout(t, layer, map[string]string{
		"lib/libexpat.so.1.8.10": "file:" + filepath.Join(root, libdir, "libexpat.so.1.8.10"),
		"lib/libexpat.so.1":      "link:libexpat.so.1.8.10",
	})
	r = check(t, cfg)
	noFindings(t, r)
	if got := need(t, fileOf(t, r, "python/xml/_xml.so"), "libexpat.so.1"); got.Path != "/opt/lib/libexpat.so.1" || got.From != "ld_library_path" {
		t.Fatalf("vendored: %+v", got)
	}

	// Without Absent, a runtime directory before /opt/lib on
	// LD_LIBRARY_PATH shadows the vendored copy.
	cfg.Absent = nil
	cfg.LibraryPath = []string{"/lib/x86_64-linux-gnu", "/opt/lib"}
	r = check(t, cfg)
	s := one(t, r, KindShadowed, "lib/libexpat.so.1")
	wantContains(t, "detail", s.Detail, "/lib/x86_64-linux-gnu/libexpat.so.1", "/opt/lib/libexpat.so.1", "/opt/python/xml/_xml.so")
	noErrors(t, r)

	// A glibc ceiling below what the modules need.
	cfg.LibraryPath = []string{"/opt/lib"}
	cfg.GlibcCeiling = "2.17"
	r = check(t, cfg)
	var over []string
	for _, f := range r.Files {
		if f.MaxGlibc != "" && compareVersions(f.MaxGlibc, "2.17") > 0 {
			over = append(over, f.Path)
		}
	}
	if len(over) == 0 || len(over) == len(r.Files) {
		t.Fatalf("the ceiling should split the modules: %q", over)
	}
	if got := filesWith(r, KindGlibcTooNew); !slices.Equal(got, over) {
		t.Fatalf("glibc-too-new for %q, want %q", got, over)
	}

	// Every ELF file of the runtime parses like debug/elf reads it.
	libs, _ := filepath.Glob(filepath.Join(root, libdir, "*.so*"))
	n := 0
	for _, p := range libs {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && !isLinkerScript(p) {
			crossCheck(t, p)
			n++
		}
	}
	if n < 50 {
		t.Fatalf("only %d runtime libraries", n)
	}
}

// Modules built on a newer distribution (trixie, glibc 2.41) checked
// against the bookworm runtime (glibc 2.36): the GLIBC versions the old
// libc lacks are reported, both by the ceiling and by the verdef check.
func TestNewerDistroOnOlderRuntime(t *testing.T) {
	root := runtimeRoot(t, "bookworm-amd64-runtime.tar", "x86_64-linux-gnu")
	newer := extractOnce(t, "trixie-amd64-runtime.tar", func(p string) bool {
		return strings.HasPrefix(p, "usr/lib/python3.") && strings.Contains(p, "/lib-dynload/")
	})
	layer := t.TempDir()
	mods, _ := filepath.Glob(filepath.Join(newer, "usr/lib/python3.*/lib-dynload"))
	if len(mods) != 1 {
		t.Fatalf("lib-dynload in the trixie rootfs: %q", mods)
	}
	copyDynload(t, newer, path.Base(filepath.Dir(mods[0])), layer)
	r := check(t, debianConfig(elf.EM_X86_64, "x86_64-linux-gnu", layer, root))
	var over []string
	for _, f := range r.Files {
		if compareVersions(hostMaxGlibc(t, filepath.Join(layer, f.Path)), "2.36") > 0 {
			over = append(over, f.Path)
		}
	}
	if len(over) == 0 {
		t.Fatal("no trixie module needs more than glibc 2.36; pick another pair of releases")
	}
	if got := filesWith(r, KindGlibcTooNew); !slices.Equal(got, over) {
		t.Fatalf("glibc-too-new for %q, want %q", got, over)
	}
	for _, p := range over {
		var hit bool
		for _, f := range findings(r, KindMissingSymbolVersion, p) {
			if strings.Contains(f.Detail, "/lib/x86_64-linux-gnu/") && strings.Contains(f.Detail, "newest there: GLIBC_2.36") {
				hit = true
				wantContains(t, "fix", f.Fix, "glibc cannot be shipped")
			}
		}
		if !hit {
			t.Errorf("%s: no missing-symbol-version against bookworm's glibc: %+v", p, findings(r, "", p))
		}
	}
	// Without the ceiling the verdef check alone still fails them.
	cfg := debianConfig(elf.EM_X86_64, "x86_64-linux-gnu", layer, root)
	cfg.GlibcCeiling = ""
	r = check(t, cfg)
	if got := filesWith(r, KindMissingSymbolVersion); len(got) < len(over) {
		t.Fatalf("missing-symbol-version for %q, want at least %q", got, over)
	}
}

// arm64: real aarch64 modules resolve against a real aarch64 runtime root
// on an amd64 host, and machine mismatches are caught both ways.
func TestBookwormARM64(t *testing.T) {
	root := runtimeRoot(t, "bookworm-arm64-runtime.tar", "aarch64-linux-gnu")
	layer := t.TempDir()
	rels := copyDynload(t, root, "python3.11", layer)
	cfg := debianConfig(elf.EM_AARCH64, "aarch64-linux-gnu", layer, root)

	r := check(t, cfg)
	noFindings(t, r)
	var usesGlibc []string
	for _, f := range r.Files {
		want := hostMaxGlibc(t, filepath.Join(layer, f.Path))
		if f.MaxGlibc != want || want != "" && compareVersions(want, "2.17") < 0 {
			t.Errorf("%s: MaxGlibc %q, debug/elf %q (aarch64 starts at 2.17)", f.Path, f.MaxGlibc, want)
		}
		if want != "" {
			usesGlibc = append(usesGlibc, f.Path)
			if need(t, f, "libc.so.6").Real != "/usr/lib/aarch64-linux-gnu/libc.so.6" {
				t.Errorf("%s: %+v", f.Path, f.Needed)
			}
		}
	}
	if len(usesGlibc) < 10 {
		t.Fatalf("only %d modules use glibc", len(usesGlibc))
	}
	// _ssl: two libraries from the runtime, each with its own needs.
	ssl := "python/lib-dynload/_ssl.cpython-311-aarch64-linux-gnu.so"
	if got := need(t, fileOf(t, r, ssl), "libcrypto.so.3"); got.Real != "/usr/lib/aarch64-linux-gnu/libcrypto.so.3" || got.From != "system" {
		t.Fatalf("%+v", got)
	}
	bz2 := "python/lib-dynload/_bz2.cpython-311-aarch64-linux-gnu.so"
	want := Resolution{Soname: "libbz2.so.1.0", Path: "/lib/aarch64-linux-gnu/libbz2.so.1.0", Real: "/usr/lib/aarch64-linux-gnu/libbz2.so.1.0.4", From: "system"}
	if got := need(t, fileOf(t, r, bz2), "libbz2.so.1.0"); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}

	cfg.Absent = map[string]string{"libbz2.so.1.0": "test reason"}
	r = check(t, cfg)
	if got := filesWith(r, KindAbsentOnPlatform); !slices.Equal(got, []string{bz2}) || len(r.Findings) != 1 {
		t.Fatalf("absent-on-platform for %q: %+v", got, r.Findings)
	}
	wantContains(t, "detail", r.Findings[0].Detail, "test reason", "/lib/aarch64-linux-gnu/libbz2.so.1.0")

	// An amd64 copy vendored first on the search path is skipped by the
	// arm64 loader (and is itself the wrong architecture).
	cfg.Absent = nil
	layout(t, layer, map[string]string{"lib/libbz2.so.1.0": "file:" + getFixtures(t).provNew})
	r = check(t, cfg)
	one(t, r, KindWrongArchitecture, "lib/libbz2.so.1.0")
	if got := need(t, fileOf(t, r, bz2), "libbz2.so.1.0"); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if len(r.Findings) != 1 {
		t.Fatalf("%+v", r.Findings)
	}
	if err := os.Remove(filepath.Join(layer, "lib/libbz2.so.1.0")); err != nil {
		t.Fatal(err)
	}

	// aarch64 glibc starts at 2.17: a lower ceiling fails every module
	// that uses glibc.
	cfg.GlibcCeiling = "2.16"
	r = check(t, cfg)
	if got := filesWith(r, KindGlibcTooNew); !slices.Equal(got, usesGlibc) {
		t.Fatalf("glibc-too-new for %q, want %q", got, usesGlibc)
	}

	// The arm64 layer checked as amd64, and an amd64 layer checked as
	// arm64 against the arm64 runtime.
	cfg.GlibcCeiling = ""
	cfg.Machine = elf.EM_X86_64
	r = check(t, cfg)
	if got := filesWith(r, KindWrongArchitecture); len(got) != len(rels) || len(r.Findings) != len(rels) {
		t.Fatalf("wrong-architecture for %d of %d: %+v", len(got), len(rels), r.Findings)
	}
	fx := getFixtures(t)
	amd := layout(t, t.TempDir(), map[string]string{
		"python/foo/_ext.so":           "file:" + fx.extRPath,
		"python/foo.libs/libprov.so.1": "file:" + fx.provNew,
	})
	r = check(t, debianConfig(elf.EM_AARCH64, "aarch64-linux-gnu", amd, root))
	if got := filesWith(r, KindWrongArchitecture); !slices.Equal(got, []string{"python/foo.libs/libprov.so.1", "python/foo/_ext.so"}) || len(r.Findings) != 2 {
		t.Fatalf("%+v", r.Findings)
	}
	wantContains(t, "fix", r.Findings[0].Fix, "aarch64")

	// The aarch64 libraries parse like debug/elf reads them.
	libs, _ := filepath.Glob(filepath.Join(root, "usr/lib/aarch64-linux-gnu", "*.so*"))
	n := 0
	for _, p := range libs {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && !isLinkerScript(p) {
			crossCheck(t, p)
			n++
		}
	}
	if n < 50 {
		t.Fatalf("only %d runtime libraries", n)
	}
}

// linkTree mirrors dir's entries into dest: regular files as hard links
// (no copying), symbolic links as the same links.
func linkTree(t testing.TB, dir, dest string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		from, to := filepath.Join(dir, e.Name()), filepath.Join(dest, e.Name())
		switch {
		case e.Type()&os.ModeSymlink != 0:
			target, err := os.Readlink(from)
			if err != nil {
				t.Fatal(err)
			}
			err = os.Symlink(target, to)
			if err != nil {
				t.Fatal(err)
			}
		case e.Type().IsRegular():
			if err := os.Link(from, to); err != nil {
				if err := copyFile(from, to); err != nil {
					t.Fatal(err)
				}
			}
			n++
		}
	}
	return n
}

// A whole distribution library directory as a layer (lib/, on
// LD_LIBRARY_PATH), without a runtime root: every library resolves inside
// the layer, including glibc itself, and the only findings are the
// GLIBC_PRIVATE needs between glibc's own libraries.
func TestLibDirAsLayer(t *testing.T) {
	root := runtimeRoot(t, "bookworm-amd64-runtime.tar", "x86_64-linux-gnu")
	layer := t.TempDir()
	n := linkTree(t, filepath.Join(root, "usr/lib/x86_64-linux-gnu"), filepath.Join(layer, "lib"))
	cfg := lambdaConfig(layer, "")
	r := check(t, cfg)
	noErrors(t, r)
	if len(r.Files) < 50 || len(r.Files) > n {
		t.Fatalf("%d files of %d", len(r.Files), n)
	}
	for _, f := range r.Findings {
		if f.Kind != KindGlibcPrivate {
			t.Errorf("%+v", f)
		}
	}
	one(t, r, KindGlibcPrivate, "lib/libm.so.6")
	for _, f := range r.Files {
		for _, nd := range f.Needed {
			if !strings.HasPrefix(nd.Path, "/opt/lib/") || nd.From != "ld_library_path" {
				t.Errorf("%s: %+v", f.Path, nd)
			}
		}
	}
}

// BenchmarkCheck checks the bookworm library directory as a layer against
// the bookworm runtime root.
func BenchmarkCheck(b *testing.B) {
	root := filepath.Join(scratch, "bench-root")
	layer := filepath.Join(scratch, "bench-layer")
	if _, err := os.Stat(layer); err != nil {
		tarball := rootfsTar(b, "bookworm-amd64-runtime.tar")
		extractTar(b, tarball, root, func(p string) bool {
			dir := path.Dir(p)
			return dir == "." || dir == "usr/lib/x86_64-linux-gnu" || dir == "usr/lib64"
		})
		linkTree(b, filepath.Join(root, "usr/lib/x86_64-linux-gnu"), filepath.Join(layer, "python/lib"))
	}
	cfg := debianConfig(elf.EM_X86_64, "x86_64-linux-gnu", layer, root)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Check(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// ---- Debian root file systems of the dev world ----

// devHome is the dev world's state directory.
func devHome() string {
	if home := os.Getenv("GEOLAYER_DEV_HOME"); home != "" {
		return home
	}
	return "/var/tmp/geolayer-dev"
}

// rootfsTar returns the path of a dev-world rootfs tarball. A missing
// tarball fails the test: make dev-up builds them.
func rootfsTar(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(devHome(), "rootfs", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the dev world's rootfs tarball %s is missing: run `make dev-up` (GEOLAYER_DEV_HOME=%s; these tests build only with -tags devworld): %v", p, devHome(), err)
	}
	return p
}

var (
	rootfsMu    sync.Mutex
	rootfsCache = map[string]string{}
)

// runtimeRoot extracts the library directories of a runtime tarball
// (once per test binary): every entry directly in usr/lib/<triplet>/,
// usr/lib64/ and usr/lib/, the python lib-dynload modules, and the
// top-level links (lib -> usr/lib, ...). Links are kept as links.
func runtimeRoot(t *testing.T, name, triplet string) string {
	t.Helper()
	return extractOnce(t, name, func(p string) bool {
		dir := path.Dir(p)
		return dir == "." || dir == "usr/lib/"+triplet || dir == "usr/lib64" || dir == "usr/lib" ||
			strings.HasPrefix(p, "usr/lib/python3.") && strings.Contains(p, "/lib-dynload/")
	})
}

// extractOnce extracts the entries of a dev-world tarball that keep
// selects into the scratch directory, once per test binary and tarball.
func extractOnce(t *testing.T, name string, keep func(string) bool) string {
	t.Helper()
	tarball := rootfsTar(t, name)
	rootfsMu.Lock()
	defer rootfsMu.Unlock()
	if d, ok := rootfsCache[name]; ok {
		return d
	}
	dest := filepath.Join(scratch, strings.TrimSuffix(name, ".tar"))
	if n := extractTar(t, tarball, dest, keep); n < 40 {
		t.Fatalf("only %d entries extracted from %s", n, tarball)
	}
	rootfsCache[name] = dest
	return dest
}

// extractTar writes the directories, regular files, symbolic links and
// hard links whose cleaned name satisfies keep under dest, and returns how
// many it wrote.
func extractTar(t testing.TB, tarball, dest string, keep func(string) bool) int {
	t.Helper()
	f, err := os.Open(tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	tr := tar.NewReader(f) // seeks over bodies it does not read
	n := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", tarball, err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if name == "." || name == ".." || strings.HasPrefix(name, "../") || path.IsAbs(name) || !keep(name) {
			continue
		}
		out := filepath.Join(dest, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(out, 0o755)
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, out)
		case tar.TypeLink:
			err = os.Link(filepath.Join(dest, filepath.FromSlash(path.Clean(strings.TrimPrefix(h.Linkname, "./")))), out)
		case tar.TypeReg:
			var w *os.File
			if w, err = os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644); err == nil {
				_, err = io.Copy(w, tr)
				if cerr := w.Close(); err == nil {
					err = cerr
				}
			}
		default:
			continue
		}
		if err != nil {
			t.Fatalf("extracting %s: %v", name, err)
		}
		n++
	}
	return n
}
