package elfcheck

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// lambdaConfig is a Lambda-like configuration for an amd64 layer. The
// fake runtime roots of these tests have no glibc: libc.so.6 is Provided.
func lambdaConfig(layer, runtime string) Config {
	cfg := Config{
		Machine:     elf.EM_X86_64,
		LayerRoot:   layer,
		MountPoint:  "/opt",
		RuntimeRoot: runtime,
		LibraryPath: lambdaPath,
		SystemDirs:  []string{"/lib64", "/usr/lib64"},
	}
	if runtime != "" {
		cfg.Provided = map[string]string{"libc.so.6": "glibc (not in the fake runtime root)"}
	}
	return cfg
}

// hostMaxGlibc computes the highest GLIBC_x.y an object needs with
// debug/elf, independently of this package's parser.
func hostMaxGlibc(t *testing.T, p string) string {
	t.Helper()
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	needs, err := f.DynamicVersionNeeds()
	if err != nil && !strings.Contains(err.Error(), "missing version table") {
		t.Fatal(err)
	}
	best := ""
	for _, n := range needs {
		for _, d := range n.Needs {
			v, ok := strings.CutPrefix(d.Dep, "GLIBC_")
			if !ok || parseVersion(v) == nil {
				continue
			}
			if best == "" || compareVersions(v, best) > 0 {
				best = v
			}
		}
	}
	return best
}

// An auditwheel-style extension module finds its grafted library through
// its $ORIGIN DT_RPATH; nothing is reported. With only a glibc-less view
// (no runtime root), libc.so.6 counts as provided.
func TestRPathExtension(t *testing.T) {
	fx := getFixtures(t)
	layer := layout(t, t.TempDir(), map[string]string{
		"python/foo/_ext.so":           "file:" + fx.extRPath,
		"python/foo.libs/libprov.so.1": "file:" + fx.provNew,
	})
	r := check(t, lambdaConfig(layer, ""))
	noFindings(t, r)
	if len(r.Files) != 2 {
		t.Fatalf("files: %+v", r.Files)
	}
	ext := fileOf(t, r, "python/foo/_ext.so")
	if got, want := need(t, ext, "libprov.so.1"), (Resolution{Soname: "libprov.so.1", Path: "/opt/python/foo.libs/libprov.so.1", From: "rpath"}); got != want {
		t.Fatalf("libprov.so.1: got %+v, want %+v", got, want)
	}
	if got := need(t, ext, "libc.so.6"); got.From != "provided" || got.Path != "" {
		t.Fatalf("libc.so.6: %+v", got)
	}
	if want := hostMaxGlibc(t, fx.extRPath); ext.MaxGlibc != want || want == "" {
		t.Fatalf("MaxGlibc %q, debug/elf says %q", ext.MaxGlibc, want)
	}
	if got := fileOf(t, r, "python/foo.libs/libprov.so.1").Soname; got != "libprov.so.1" {
		t.Fatalf("soname %q", got)
	}
}

// The grafted library is older than the one the extension was linked
// against: PROV_2.0 is missing.
func TestMissingSymbolVersion(t *testing.T) {
	fx := getFixtures(t)
	layer := layout(t, t.TempDir(), map[string]string{
		"python/foo/_ext.so":           "file:" + fx.extRPath,
		"python/foo.libs/libprov.so.1": "file:" + fx.provOld,
	})
	cfg := lambdaConfig(layer, "")
	cfg.Owner = func(rel string) string { return strings.Split(rel, "/")[1] }
	r := check(t, cfg)
	f := one(t, r, KindMissingSymbolVersion, "python/foo/_ext.so")
	if f.Severity != Error || f.Package != "foo" {
		t.Fatalf("%+v", f)
	}
	wantContains(t, "detail", f.Detail, "PROV_2.0", "libprov.so.1", "/opt/python/foo.libs/libprov.so.1", "newest there: PROV_1.0")
	if strings.Contains(f.Detail, "PROV_1.0 from") {
		t.Fatalf("PROV_1.0 is defined and must not be reported: %s", f.Detail)
	}
	if len(r.Errors()) != 1 {
		t.Fatalf("errors: %+v", r.Errors())
	}
}

// DT_RPATH beats LD_LIBRARY_PATH, DT_RUNPATH does not: with an old
// libprov.so.1 in the runtime's /lib64, the RPATH module still gets its
// grafted copy, the RUNPATH module gets the runtime's (shadowed warning
// and a missing version).
func TestRPathVersusRunPath(t *testing.T) {
	fx := getFixtures(t)
	runtime := layout(t, t.TempDir(), map[string]string{"lib64/libprov.so.1": "file:" + fx.provOld})
	for _, tc := range []struct {
		ext        string
		from, path string
		broken     bool
	}{
		{fx.extRPath, "rpath", "/opt/python/foo.libs/libprov.so.1", false},
		{fx.extRunPath, "ld_library_path", "/lib64/libprov.so.1", true},
	} {
		t.Run(filepath.Base(tc.ext), func(t *testing.T) {
			layer := layout(t, t.TempDir(), map[string]string{
				"python/foo/_ext.so":           "file:" + tc.ext,
				"python/foo.libs/libprov.so.1": "file:" + fx.provNew,
			})
			r := check(t, lambdaConfig(layer, runtime))
			got := need(t, fileOf(t, r, "python/foo/_ext.so"), "libprov.so.1")
			if got.From != tc.from || got.Path != tc.path {
				t.Fatalf("got %+v, want from %s path %s", got, tc.from, tc.path)
			}
			if !tc.broken {
				noFindings(t, r)
				return
			}
			one(t, r, KindMissingSymbolVersion, "python/foo/_ext.so")
			s := one(t, r, KindShadowed, "python/foo.libs/libprov.so.1")
			if s.Severity != Warning {
				t.Fatalf("%+v", s)
			}
			wantContains(t, "detail", s.Detail, "/lib64/libprov.so.1", "/opt/python/foo.libs/libprov.so.1", "/opt/python/foo/_ext.so")
		})
	}
}

// The same soname in the runtime's /lib64 and the layer's lib/: with the
// Lambda LD_LIBRARY_PATH (/lib64 first) the runtime wins and the layer copy
// is reported as shadowed; with /opt/lib first the layer wins silently.
func TestShadowing(t *testing.T) {
	fx := getFixtures(t)
	runtime := layout(t, t.TempDir(), map[string]string{"lib64/libprov.so.1": "file:" + fx.provNew})
	layer := layout(t, t.TempDir(), map[string]string{
		"lib/libprov.so.1":      "file:" + fx.provNew,
		"python/bar/_c.so":      "file:" + fx.user,
		"python/baz/_d.so":      "file:" + fx.user,
		"lib/libunrelated.so.1": "file:" + fx.needsMid, // irrelevant to libprov
	})
	cfg := lambdaConfig(layer, runtime)
	cfg.Owner = func(rel string) string {
		if strings.HasPrefix(rel, "lib/") {
			return "libprov-bundle"
		}
		return ""
	}
	r := check(t, cfg)
	s := one(t, r, KindShadowed, "lib/libprov.so.1")
	if s.Severity != Warning || s.Package != "libprov-bundle" {
		t.Fatalf("%+v", s)
	}
	wantContains(t, "detail", s.Detail, "/lib64/libprov.so.1", "/opt/lib/libprov.so.1", "/opt/python/bar/_c.so", "/opt/python/baz/_d.so")
	if n := len(findings(r, KindShadowed, "")); n != 1 {
		t.Fatalf("%d shadowed findings, want 1", n)
	}
	if got := need(t, fileOf(t, r, "python/bar/_c.so"), "libprov.so.1"); got.Path != "/lib64/libprov.so.1" || got.From != "ld_library_path" {
		t.Fatalf("%+v", got)
	}

	cfg.LibraryPath = []string{"/opt/lib", "/lib64", "/usr/lib64"}
	r = check(t, cfg)
	if len(findings(r, KindShadowed, "")) != 0 {
		t.Fatalf("layer first: %+v", r.Findings)
	}
	if got := need(t, fileOf(t, r, "python/bar/_c.so"), "libprov.so.1"); got.Path != "/opt/lib/libprov.so.1" {
		t.Fatalf("%+v", got)
	}
}

// A soname present in the runtime image but listed in Absent is skipped;
// with no other copy it is an absent-on-platform error naming the reason,
// with a copy in the layer's lib/ it resolves there.
func TestAbsent(t *testing.T) {
	fx := getFixtures(t)
	runtime := layout(t, t.TempDir(), map[string]string{"usr/lib64/libprov.so.1": "file:" + fx.provNew})
	const why = "absent on the real platform (example#1)"
	layer := layout(t, t.TempDir(), map[string]string{"python/bar/_c.so": "file:" + fx.user})
	cfg := lambdaConfig(layer, runtime)

	r := check(t, cfg)
	noFindings(t, r)
	if got := need(t, fileOf(t, r, "python/bar/_c.so"), "libprov.so.1"); got.Path != "/usr/lib64/libprov.so.1" {
		t.Fatalf("without Absent: %+v", got)
	}

	cfg.Absent = map[string]string{"libprov.so.1": why}
	r = check(t, cfg)
	f := one(t, r, KindAbsentOnPlatform, "python/bar/_c.so")
	if f.Severity != Error {
		t.Fatalf("%+v", f)
	}
	wantContains(t, "detail", f.Detail, "libprov.so.1", why, "/usr/lib64/libprov.so.1")
	wantContains(t, "fix", f.Fix, "vendor libprov.so.1")
	if len(r.Errors()) != 1 {
		t.Fatalf("%+v", r.Errors())
	}
	if got := need(t, fileOf(t, r, "python/bar/_c.so"), "libprov.so.1"); got.From != "" || got.Path != "" {
		t.Fatalf("absent library resolved: %+v", got)
	}

	// Without a runtime root the Absent entry still explains nothing is
	// there: plain missing-library.
	layer2 := layout(t, t.TempDir(), map[string]string{
		"python/bar/_c.so": "file:" + fx.user,
		"lib/libprov.so.1": "file:" + fx.provNew,
	})
	cfg.LayerRoot = layer2
	r = check(t, cfg)
	noFindings(t, r)
	if got := need(t, fileOf(t, r, "python/bar/_c.so"), "libprov.so.1"); got.Path != "/opt/lib/libprov.so.1" || got.From != "ld_library_path" {
		t.Fatalf("layer copy: %+v", got)
	}
}

// A library from the runtime image is followed: its own dependency being
// absent on the platform breaks the layer file that loads it.
func TestRuntimeDependencyAbsent(t *testing.T) {
	fx := getFixtures(t)
	runtime := layout(t, t.TempDir(), map[string]string{
		"usr/lib64/libmid.so.1":  "file:" + fx.mid,
		"usr/lib64/libprov.so.1": "file:" + fx.provNew,
	})
	layer := layout(t, t.TempDir(), map[string]string{"python/m/_m.so": "file:" + fx.needsMid})
	cfg := lambdaConfig(layer, runtime)
	noFindings(t, check(t, cfg))

	cfg.Absent = map[string]string{"libprov.so.1": "not on the platform"}
	r := check(t, cfg)
	f := one(t, r, KindAbsentOnPlatform, "python/m/_m.so")
	wantContains(t, "detail", f.Detail, "via /usr/lib64/libmid.so.1", "libprov.so.1", "not on the platform")

	// An old libprov in the layer's lib/ satisfies the soname, but not
	// libmid's PROV_2.0 need.
	layer = layout(t, t.TempDir(), map[string]string{
		"python/m/_m.so":   "file:" + fx.needsMid,
		"lib/libprov.so.1": "file:" + fx.provOld,
	})
	cfg.LayerRoot = layer
	r = check(t, cfg)
	f = one(t, r, KindMissingSymbolVersion, "python/m/_m.so")
	wantContains(t, "detail", f.Detail, "via /usr/lib64/libmid.so.1", "PROV_2.0", "/opt/lib/libprov.so.1")
}

func TestMissingLibrary(t *testing.T) {
	fx := getFixtures(t)
	layer := layout(t, t.TempDir(), map[string]string{"python/g/_g.so": "file:" + fx.needsGone})
	cfg := lambdaConfig(layer, "")
	cfg.Owner = func(string) string { return "gpkg" }
	r := check(t, cfg)
	f := one(t, r, KindMissingLibrary, "python/g/_g.so")
	if f.Severity != Error || f.Package != "gpkg" {
		t.Fatalf("%+v", f)
	}
	wantContains(t, "detail", f.Detail, "libgone.so.1", "ld_library_path /lib64:/usr/lib64:", ":/opt/lib", "system /lib64:/usr/lib64")
	wantContains(t, "fix", f.Fix, "auditwheel repair")
	if got := need(t, fileOf(t, r, "python/g/_g.so"), "libgone.so.1"); got.From != "" || got.Path != "" {
		t.Fatalf("%+v", got)
	}
	if len(r.Errors()) != 1 {
		t.Fatalf("%+v", r.Errors())
	}

	// With a runtime root, glibc is looked up there like anything else: an
	// empty root lacks libc.so.6 too.
	cfg.RuntimeRoot = t.TempDir()
	cfg.Provided = nil
	r = check(t, cfg)
	var names []string
	for _, f := range findings(r, KindMissingLibrary, "python/g/_g.so") {
		names = append(names, strings.Fields(f.Detail)[1])
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"libc.so.6:", "libgone.so.1:"}) {
		t.Fatalf("missing: %q", names)
	}

	// Provided covers a soname without a file.
	cfg.Provided = map[string]string{"libc.so.6": "glibc", "libgone.so.1": "the platform has it"}
	r = check(t, cfg)
	noFindings(t, r)
	if got := need(t, fileOf(t, r, "python/g/_g.so"), "libgone.so.1"); got.From != "provided" {
		t.Fatalf("%+v", got)
	}
}

// -z nodefaultlib: the system directories are not searched.
func TestNoDefaultLib(t *testing.T) {
	fx := getFixtures(t)
	runtime := layout(t, t.TempDir(), map[string]string{"usr/lib64/libprov.so.1": "file:" + fx.provNew})
	layer := layout(t, t.TempDir(), map[string]string{
		"python/a/_plain.so":    "file:" + fx.user,
		"python/a/_nodeflib.so": "file:" + fx.nodeflib,
	})
	cfg := lambdaConfig(layer, runtime)
	cfg.LibraryPath = nil
	r := check(t, cfg)
	if got := need(t, fileOf(t, r, "python/a/_plain.so"), "libprov.so.1"); got.From != "system" || got.Path != "/usr/lib64/libprov.so.1" {
		t.Fatalf("%+v", got)
	}
	one(t, r, KindMissingLibrary, "python/a/_nodeflib.so")
	if len(r.Errors()) != 1 {
		t.Fatalf("%+v", r.Errors())
	}
}

// GLIBC version needs: MaxGlibc agrees with debug/elf, and needs above the
// ceiling are errors, compared numerically.
func TestGlibcCeiling(t *testing.T) {
	fx := getFixtures(t)
	layer := layout(t, t.TempDir(), map[string]string{"bin/tool": "file:" + fx.tool})
	cfg := lambdaConfig(layer, "")
	want := hostMaxGlibc(t, fx.tool)
	if compareVersions(want, "2.25") < 0 {
		t.Fatalf("the tool calls getrandom (GLIBC_2.25) but debug/elf says max %s", want)
	}

	r := check(t, cfg)
	noFindings(t, r)
	if got := fileOf(t, r, "bin/tool").MaxGlibc; got != want {
		t.Fatalf("MaxGlibc %q, want %q", got, want)
	}

	cfg.GlibcCeiling = want
	noFindings(t, check(t, cfg))

	cfg.GlibcCeiling = "2.2"
	r = check(t, cfg)
	f := one(t, r, KindGlibcTooNew, "bin/tool")
	if f.Severity != Error {
		t.Fatalf("%+v", f)
	}
	wantContains(t, "detail", f.Detail, "GLIBC_2.25", "GLIBC_"+want, "2.2")
	wantContains(t, "fix", f.Fix, "manylinux_2_2 or lower", "BUILD")

	// 2.24 < 2.25 numerically, although "2.3" > "2.25" as strings.
	cfg.GlibcCeiling = "2.24"
	f = one(t, check(t, cfg), KindGlibcTooNew, "bin/tool")
	wantContains(t, "detail", f.Detail, "GLIBC_2.25")
	if strings.Contains(f.Detail, "GLIBC_2.2.5") {
		t.Fatalf("2.2.5 is below 2.24: %s", f.Detail)
	}

	cfg.GlibcCeiling = "two"
	if _, err := Check(cfg); err == nil {
		t.Fatal("a bad ceiling was accepted")
	}
}

// A loadable ELF for another machine is an error; non-loadable objects
// (relocatable objects, archives) and non-ELF files are not checked.
func TestWrongArchitecture(t *testing.T) {
	fx := getFixtures(t)
	tmp := t.TempDir()
	arm := patchMachine(t, fx.provNew, filepath.Join(tmp, "arm.so"), elf.EM_AARCH64)
	armObj := patchMachine(t, fx.obj, filepath.Join(tmp, "arm.o"), elf.EM_AARCH64)
	layer := layout(t, t.TempDir(), map[string]string{
		"python/x/_arm.so":  "file:" + arm,
		"python/x/arm.o":    "file:" + armObj,
		"python/x/user.o":   "file:" + fx.obj,
		"python/x/libu.a":   "file:" + fx.archive,
		"python/x/README":   "data:not an ELF file",
		"python/x/empty.so": "data:",
	})
	r := check(t, lambdaConfig(layer, ""))
	f := one(t, r, KindWrongArchitecture, "python/x/_arm.so")
	if f.Severity != Error {
		t.Fatalf("%+v", f)
	}
	wantContains(t, "detail", f.Detail, "aarch64", "x86_64")
	if len(r.Findings) != 1 || len(r.Files) != 1 {
		t.Fatalf("findings %+v files %+v", r.Findings, r.Files)
	}

	// The whole amd64 fixture layer checked as arm64.
	layer = layout(t, t.TempDir(), map[string]string{
		"python/foo/_ext.so":           "file:" + fx.extRPath,
		"python/foo.libs/libprov.so.1": "file:" + fx.provNew,
		"bin/tool":                     "file:" + fx.tool,
	})
	cfg := lambdaConfig(layer, "")
	cfg.Machine = elf.EM_AARCH64
	r = check(t, cfg)
	if n := len(findings(r, KindWrongArchitecture, "")); n != 3 || len(r.Findings) != 3 {
		t.Fatalf("%+v", r.Findings)
	}
}

// The loader skips a candidate of the wrong machine and keeps searching.
func TestWrongArchitectureCandidateSkipped(t *testing.T) {
	fx := getFixtures(t)
	arm := patchMachine(t, fx.provNew, filepath.Join(t.TempDir(), "libprov.so.1"), elf.EM_AARCH64)
	runtime := layout(t, t.TempDir(), map[string]string{"usr/lib64/libprov.so.1": "file:" + fx.provNew})
	layer := layout(t, t.TempDir(), map[string]string{
		"lib/libprov.so.1": "file:" + arm,
		"python/u/_u.so":   "file:" + fx.user,
	})
	cfg := lambdaConfig(layer, runtime)
	cfg.LibraryPath = []string{"/opt/lib"}
	r := check(t, cfg)
	if got := need(t, fileOf(t, r, "python/u/_u.so"), "libprov.so.1"); got.Path != "/usr/lib64/libprov.so.1" || got.From != "system" {
		t.Fatalf("%+v", got)
	}
	one(t, r, KindWrongArchitecture, "lib/libprov.so.1")
	if len(findings(r, KindShadowed, "")) != 0 {
		t.Fatalf("a wrong-architecture copy cannot be shadowed: %+v", r.Findings)
	}

	cfg.RuntimeRoot = ""
	r = check(t, cfg)
	f := one(t, r, KindMissingLibrary, "python/u/_u.so")
	wantContains(t, "detail", f.Detail, "skipped /opt/lib/libprov.so.1 (wrong architecture)")
}

// Symbolic links inside the layer resolve (chains, absolute targets
// inside the mount); nothing outside the layer and runtime root is read.
func TestSymlinks(t *testing.T) {
	fx := getFixtures(t)
	outside := t.TempDir()
	hostLib := filepath.Join(outside, "libprov.so.1")
	if err := copyFile(fx.provNew, hostLib); err != nil {
		t.Fatal(err)
	}
	runtime := t.TempDir()
	layer := layout(t, t.TempDir(), map[string]string{
		"lib/libprov.so.1.2.3":    "file:" + fx.provNew,
		"lib/libprov.so.1.2":      "link:libprov.so.1.2.3",
		"lib/libprov.so.1":        "link:libprov.so.1.2",
		"python/u/_u.so":          "file:" + fx.user,
		"python/m/libmid.so.1":    "link:/opt/python/real/libmid.so.1",
		"python/real/libmid.so.1": "file:" + fx.mid,
		"python/m/_m.so":          "file:" + fx.needsMid,
		"lib/libmid.so.1":         "link:../python/m/libmid.so.1",
		// Escapes: an absolute host path and a run of "..": both stay in
		// the run-time view, where they do not exist.
		"lib/libesc.so.1":  "link:" + hostLib,
		"lib/libesc2.so.1": "link:../../../../../../../../.." + hostLib,
		"lib/loop-a.so":    "link:loop-b.so",
		"lib/loop-b.so":    "link:loop-a.so",
	})
	cfg := lambdaConfig(layer, runtime)
	r := check(t, cfg)
	got := need(t, fileOf(t, r, "python/u/_u.so"), "libprov.so.1")
	if want := (Resolution{Soname: "libprov.so.1", Path: "/opt/lib/libprov.so.1", Real: "/opt/lib/libprov.so.1.2.3", From: "ld_library_path"}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	got = need(t, fileOf(t, r, "python/m/_m.so"), "libmid.so.1")
	if got.Real != "/opt/python/real/libmid.so.1" {
		t.Fatalf("%+v", got)
	}
	// Same-directory links (the libprov chain) are aliases, not files of
	// their own; a link to an ELF file in another directory is checked at
	// the link's path, whose directory is its $ORIGIN there (a layer
	// builder's deduplicated copy).
	var paths []string
	for _, f := range r.Files {
		paths = append(paths, f.Path)
	}
	if want := []string{"lib/libmid.so.1", "lib/libprov.so.1.2.3", "python/m/_m.so", "python/m/libmid.so.1", "python/real/libmid.so.1", "python/u/_u.so"}; !slices.Equal(paths, want) {
		t.Fatalf("files: %v, want %v", paths, want)
	}
	broken := findings(r, KindBrokenSymlink, "")
	var names []string
	for _, f := range broken {
		names = append(names, f.File)
	}
	if want := []string{"lib/libesc.so.1", "lib/libesc2.so.1", "lib/loop-a.so", "lib/loop-b.so"}; !slices.Equal(names, want) {
		t.Fatalf("broken links %q, want %q", names, want)
	}
	noErrors(t, r)

	// A module needing the escaping name does not find the host file.
	layer2 := layout(t, t.TempDir(), map[string]string{
		"lib/libprov.so.1": "link:" + hostLib,
		"python/u/_u.so":   "file:" + fx.user,
	})
	cfg.LayerRoot = layer2
	r = check(t, cfg)
	one(t, r, KindMissingLibrary, "python/u/_u.so")
}

// Malformed input is reported, never a panic; a non-ELF file in a search
// directory stops the search like in ld.so.
func TestMalformed(t *testing.T) {
	fx := getFixtures(t)
	full, err := os.ReadFile(fx.provNew)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	trunc := filepath.Join(tmp, "trunc.so")
	if err := os.WriteFile(trunc, full[:40], 0o644); err != nil {
		t.Fatal(err)
	}
	// Intact header, dynamic segment cut off.
	cut := filepath.Join(tmp, "cut.so")
	if err := os.WriteFile(cut, full[:2000], 0o644); err != nil {
		t.Fatal(err)
	}
	layer := layout(t, t.TempDir(), map[string]string{
		"python/t/trunc.so":  "file:" + trunc,
		"python/t/cut.so":    "file:" + cut,
		"python/t/magic.so":  "data:\x7fELF\x02\x01\x01",
		"python/t/elfonly":   "data:\x7fELF",
		"python/t/notelf.so": "data:\x7fELG-not-elf",
		"lib/libprov.so.1":   "data:/* GNU ld script */ INPUT(libprov.so.1.real)",
		"python/u/_u.so":     "file:" + fx.user,
	})
	r := check(t, lambdaConfig(layer, ""))
	for _, p := range []string{"python/t/trunc.so", "python/t/cut.so", "python/t/elfonly", "python/t/magic.so"} {
		if f := one(t, r, KindMalformed, p); f.Severity != Error {
			t.Fatalf("%+v", f)
		}
	}
	f := one(t, r, KindMalformed, "python/u/_u.so")
	wantContains(t, "detail", f.Detail, "/opt/lib/libprov.so.1", "invalid ELF header")
	if len(findings(r, KindMissingLibrary, "")) != 0 {
		t.Fatalf("%+v", r.Findings)
	}
}

// Equal inputs give identical, sorted results and JSON; JSON round-trips.
func TestDeterministicJSON(t *testing.T) {
	fx := getFixtures(t)
	runtime := layout(t, t.TempDir(), map[string]string{"lib64/libprov.so.1": "file:" + fx.provOld})
	layer := layout(t, t.TempDir(), map[string]string{
		"python/foo/_ext.so":           "file:" + fx.extRunPath,
		"python/foo.libs/libprov.so.1": "file:" + fx.provNew,
		"python/g/_g.so":               "file:" + fx.needsGone,
		"python/a/_a.so":               "file:" + fx.needsGone,
		"bin/tool":                     "file:" + fx.tool,
		"lib/libprov.so.1":             "file:" + fx.provNew,
	})
	cfg := lambdaConfig(layer, runtime)
	cfg.GlibcCeiling = "2.17"
	var outs [][]byte
	for range 3 {
		b, err := json.Marshal(check(t, cfg))
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) || !bytes.Equal(outs[0], outs[2]) {
		t.Fatalf("JSON differs between runs:\n%s\n%s", outs[0], outs[1])
	}
	var back Result
	if err := json.Unmarshal(outs[0], &back); err != nil {
		t.Fatal(err)
	}
	r := check(t, cfg)
	if !reflect.DeepEqual(&back, r) {
		t.Fatalf("JSON round trip differs:\n%+v\n%+v", back, *r)
	}
	if !slices.IsSortedFunc(r.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) }) {
		t.Fatal("files not sorted")
	}
	if !slices.IsSortedFunc(r.Findings, func(a, b Finding) int { return strings.Compare(a.File, b.File) }) {
		t.Fatal("findings not sorted")
	}
	for _, want := range []string{`"severity":"error"`, `"severity":"warning"`, `"kind":"glibc-too-new"`, `"kind":"shadowed"`, `"from":"ld_library_path"`} {
		if !bytes.Contains(outs[0], []byte(want)) {
			t.Errorf("JSON lacks %s:\n%s", want, outs[0])
		}
	}

	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	errs, warns := len(r.Errors()), len(r.Findings)-len(r.Errors())
	if errs == 0 || warns == 0 {
		t.Fatalf("the scenario should give errors and warnings: %+v", r.Findings)
	}
	wantContains(t, "summary", lines[0], "6 ELF files", "errors", "warning")
	if len(lines) != 1+2*len(r.Findings) {
		t.Fatalf("want a line and a fix per finding:\n%s", text.String())
	}
	wantContains(t, "text", text.String(), "error   missing-library: python/a/_a.so: needs libgone.so.1", "        fix: ")
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	ok := Config{Machine: elf.EM_X86_64, LayerRoot: dir, MountPoint: "/opt"}
	if _, err := Check(ok); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Config){
		"machine":   func(c *Config) { c.Machine = 0 },
		"mount":     func(c *Config) { c.MountPoint = "opt" },
		"libpath":   func(c *Config) { c.LibraryPath = []string{"lib"} },
		"sysdirs":   func(c *Config) { c.SystemDirs = []string{""} },
		"ceiling":   func(c *Config) { c.GlibcCeiling = "2.x" },
		"layer":     func(c *Config) { c.LayerRoot = filepath.Join(dir, "nope") },
		"runtime":   func(c *Config) { c.RuntimeRoot = filepath.Join(dir, "nope") },
		"layerfile": func(c *Config) { c.LayerRoot = "/etc/hostname" },
	} {
		c := ok
		mod(&c)
		if _, err := Check(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	r, err := Check(ok)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	if string(b) != `{"files":[],"findings":[]}` {
		t.Fatalf("empty result JSON: %s", b)
	}
}
