//go:build integration

package integration

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/report"
)

var fixtureRequirements = strings.Join([]string{
	"glf-pure==1.0.0",
	"glf-pure-dep==1.0.0",
	"glf-cext==1.0.0",
	"glf-abi3==1.0.0",
	"glf-vendored==1.0.0",
	"glf-data==1.0.0",
	"glf-meta==1.0.0",
	"glf-plugins==1.0.0",
	"glf-plugin-a==1.0.0",
}, "\n") + "\n"

const fixtureTest = `TEST import glf_pure, glf_cext, glf_abi3, glf_vendored, glf_data, glf_meta, glf_plugins; \
    assert glf_cext.add(2, 3) == 5`

func fixtureProject(t *testing.T, python string) string {
	return project(t, "TARGET aws-lambda python"+python+"\nPLATFORM linux/amd64 linux/arm64\nREQUIRE -r requirements.txt\n"+fixtureTest+"\n",
		map[string]string{"requirements.txt": fixtureRequirements})
}

// readZip returns the entries of a zip by name.
func readZip(t *testing.T, path string) map[string]*zip.File {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	t.Cleanup(func() { _ = zr.Close() })
	out := map[string]*zip.File{}
	for _, f := range zr.File {
		if _, dup := out[f.Name]; dup {
			t.Errorf("%s: duplicate entry %s", path, f.Name)
		}
		out[f.Name] = f
	}
	return out
}

func elfMachine(t *testing.T, f *zip.File) elf.Machine {
	t.Helper()
	ef, err := elf.NewFile(bytes.NewReader(zipData(t, f)))
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return ef.Machine
}

// unzipTo extracts a layer (files, modes, symlinks) into dir.
func unzipTo(t *testing.T, zipPath, dir string) {
	t.Helper()
	run(t, "", false, "unzip", "-q", "-o", zipPath, "-d", dir)
}

// The whole path through docker buildx: both platforms in one call, zip
// target, report beside each zip, per-platform native code.
func TestFrontendZipBothPlatformsWithBuildx(t *testing.T) {
	dir := fixtureProject(t, "3.13")
	out := filepath.Join(dir, "out")
	buildx(t, dir, false, "-f", "Geolayerfile", "-o", out, ".")
	site := "python/lib/python3.13/site-packages/"
	for plat, machine := range map[string]elf.Machine{"linux_amd64": elf.EM_X86_64, "linux_arm64": elf.EM_AARCH64} {
		zpath := filepath.Join(out, plat, "layer.zip")
		entries := readZip(t, zpath)
		for _, want := range []string{site + "glf_pure/__init__.py", site + "glf_data/share/glf/glf.db", "bin/glf-pure"} {
			if entries[want] == nil {
				t.Errorf("%s: missing %s", plat, want)
			}
		}
		nso := 0
		for name, f := range entries {
			if strings.Contains(name, ".dist-info/") && strings.HasSuffix(name, "/RECORD") {
				continue
			}
			if strings.HasSuffix(name, ".so") || strings.Contains(name, ".so.") {
				nso++
				if m := elfMachine(t, f); m != machine {
					t.Errorf("%s: %s is %v, want %v", plat, name, m, machine)
				}
			}
			if mode := f.Mode(); mode.IsRegular() && mode.Perm()&0o444 != 0o444 {
				t.Errorf("%s: %s is not world-readable (%v)", plat, name, mode)
			}
		}
		if nso < 3 {
			t.Errorf("%s: expected native code from glf-cext, glf-abi3 and glf-vendored, found %d ELF files", plat, nso)
		}
		rep, err := report.Read(filepath.Join(out, plat, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Packages) != 9 || rep.Totals.Zipped == 0 || rep.Totals.Unzipped == 0 {
			b, _ := json.MarshalIndent(rep, "", " ")
			t.Errorf("%s: report looks wrong:\n%s", plat, b)
		}
		st, _ := os.Stat(zpath)
		if st.Size() != rep.Totals.Zipped {
			t.Errorf("%s: report says %d zipped bytes, layer.zip has %d", plat, rep.Totals.Zipped, st.Size())
		}
	}
}

// A layer unzipped into the bare runtime stand-in at /opt imports on both
// architectures (arm64 emulated) with only the platform's environment (the
// Lambda image's PATH, which functions see too: awsdocs/aws-lambda-developer-
// guide#89, and LD_LIBRARY_PATH; the interpreter Lambda runs,
// /var/lang/bin/python3.X), and every fixture's functional check passes.
func TestLayerImportsInBareRuntime(t *testing.T) {
	for _, py := range []string{"3.11", "3.13"} {
		t.Run("python"+py, func(t *testing.T) {
			dir := fixtureProject(t, py)
			out := filepath.Join(dir, "out")
			buildx(t, dir, false, "-f", "Geolayerfile", "-o", out, ".")
			ctx := t.TempDir()
			for _, arch := range []string{"amd64", "arm64"} {
				unzipTo(t, filepath.Join(out, "linux_"+arch, "layer.zip"), filepath.Join(ctx, "layer-"+arch))
			}
			run(t, "", false, "cp", "-r", filepath.Join(repoRoot(t), "hack", "fixtures", "checks"), filepath.Join(ctx, "checks"))
			df := `FROM public.ecr.aws/lambda/python:` + py + `
ARG TARGETARCH
COPY layer-${TARGETARCH}/ /opt/
COPY checks/ /checks/
RUN env -i PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin \
      LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib \
      PYTHONPATH=/opt/python/lib/python` + py + `/site-packages:/opt/python \
      sh -c 'set -e; for c in /checks/check_*.py; do echo "== $c"; /var/lang/bin/python` + py + ` "$c"; done' > /checks.log 2>&1 || (cat /checks.log; exit 1)
RUN cat /checks.log
`
			if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644); err != nil {
				t.Fatal(err)
			}
			o := run(t, ctx, false, "docker", "buildx", "build", "--builder", env.builder, "--progress=plain", "--no-cache",
				"--platform", "linux/amd64,linux/arm64", ".")
			if strings.Count(o, "== /checks/check_") < 2*5 {
				t.Errorf("expected every check to run on both platforms:\n%s", tail(o, 60))
			}
		})
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// debugBytes sums the sizes of an ELF file's .debug_* sections.
func debugBytes(t *testing.T, data []byte) (n int64) {
	t.Helper()
	ef, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ef.Sections {
		if strings.HasPrefix(s.Name, ".debug_") {
			n += int64(s.Size)
		}
	}
	return n
}

func zipData(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The default STRIP (unneeded) removes the -g fixture's debug info on both
// architectures, leaves the patchelf'ed vendored library untouched (and says
// so in the report), and the layer still imports (TestLayerImportsInBareRuntime
// runs the same defaults in the bare runtime).
func TestStripRemovesDebugInfoSafely(t *testing.T) {
	dir := fixtureProject(t, "3.13")
	out := filepath.Join(dir, "out")
	buildx(t, dir, false, "-f", "Geolayerfile", "-o", out, ".")
	wheels := t.TempDir()
	for plat, arch := range map[string]string{"linux_amd64": "x86_64", "linux_arm64": "aarch64"} {
		entries := readZip(t, filepath.Join(out, plat, "layer.zip"))
		rep, err := report.Read(filepath.Join(out, plat, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var cext, vendored *report.Package
		for i := range rep.Packages {
			switch rep.Packages[i].Name {
			case "glf-cext":
				cext = &rep.Packages[i]
			case "glf-vendored":
				vendored = &rep.Packages[i]
			}
		}
		if cext == nil || cext.Strip == nil || cext.Strip.SavedBytes <= 0 {
			t.Fatalf("%s: glf-cext was not stripped: %+v", plat, cext)
		}
		// Compare with the .so in the wheel as published.
		whl := filepath.Join(wheels, cext.Wheel)
		if _, err := os.Stat(whl); err != nil {
			fetchFromPage(t, "glf-cext", cext.Wheel, wheels)
		}
		orig := readZip(t, whl)
		for name, f := range orig {
			if !strings.HasSuffix(name, ".so") {
				continue
			}
			before := debugBytes(t, zipData(t, f))
			layerName := "python/lib/python3.13/site-packages/" + name
			lf := entries[layerName]
			if lf == nil {
				t.Fatalf("%s: %s missing from the layer", plat, layerName)
			}
			after := debugBytes(t, zipData(t, lf))
			if before == 0 || float64(before-after) < 0.9*float64(before) {
				t.Errorf("%s: %s: debug bytes %d -> %d, want at least 90%% removed", plat, name, before, after)
			}
			t.Logf("%s (%s): %s debug bytes %d -> %d; file %d -> %d bytes", plat, arch, name, before, after, f.UncompressedSize64, lf.UncompressedSize64)
		}
		if vendored == nil || vendored.Strip == nil {
			t.Fatalf("%s: no strip report for glf-vendored", plat)
		}
		sawLib := false
		for _, s := range vendored.Strip.Skipped {
			if strings.Contains(s.Path, "glf_vendored.libs/libglfvec-") {
				sawLib = true
			}
		}
		if !sawLib {
			t.Errorf("%s: the patchelf'ed vendored library should be left untouched and reported: %+v", plat, vendored.Strip)
		}
	}
}

// On a builder that cannot run linux/arm64 (no emulation: the worker lists
// only linux/amd64), an arm64 layer still builds (every step runs on the
// build host), its TEST is skipped with a warning at the TEST line, and
// TEST --required turns that into an error.
func TestArm64TestSkippedWithoutEmulation(t *testing.T) {
	addr := startDaemonWith(t, []string{"linux/amd64"}, true)
	if w := run(t, "", false, "buildctl", "--addr", addr, "debug", "workers", "-v"); strings.Contains(w, "arm64") {
		t.Fatalf("the daemon without emulation still lists arm64:\n%s", w)
	}
	build := func(file string, wantErr bool) string {
		dir := project(t, file, nil)
		return run(t, dir, wantErr, "buildctl", "--addr", addr, "build", "--progress=plain",
			"--frontend", "gateway.v0", "--opt", "source="+env.frontendImage,
			"--local", "context="+dir, "--local", "dockerfile="+dir, "--opt", "filename=Geolayerfile",
			"--opt", "build-arg:GEOLAYER_INDEX_URL="+env.indexURL, "--opt", "platform=linux/arm64",
			"--output", "type=local,dest="+filepath.Join(dir, "out"))
	}
	file := "TARGET aws-lambda python3.13\nREQUIRE glf-cext==1.0.0\nTEST import glf_cext\n"
	out := build(file, false)
	// The skip is a warning at the TEST line and a named step (buildctl's
	// plain progress does not always print warnings).
	for _, want := range []string{"TEST(s) skipped for linux/arm64", "no emulation", "check the layer"} {
		if !strings.Contains(out, want) {
			t.Errorf("the build should warn %q:\n%s", want, tail(out, 40))
		}
	}
	if strings.Contains(out, "] TEST import glf_cext") {
		t.Errorf("the arm64 TEST ran on a builder without arm64:\n%s", tail(out, 40))
	}
	out = build(strings.Replace(file, "TEST import", "TEST --required import", 1), true)
	for _, want := range []string{"TEST --required: the builder cannot run linux/arm64", ">>> TEST --required import glf_cext"} {
		if !strings.Contains(out, want) {
			t.Errorf("TEST --required should fail with %q:\n%s", want, tail(out, 40))
		}
	}
}

// BYTECODE compiles every module with the target's CPython into
// unchecked-hash pycs that the runtime uses (the layer is mounted read-only
// in TEST, so a pyc that exists came from the layer), and a --no-cache
// rebuild gives the same bytes.
func TestBytecode(t *testing.T) {
	dir := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE glf-pure==1.1.0 glf-pure-dep==1.0.0 glf-cext==1.0.0\nBYTECODE\n"+
		"TEST import glf_pure, glf_cext, sys, os; c = sys.modules['glf_pure'].__cached__; assert c.endswith('.cpython-313.pyc') and c.startswith('/opt/python/'), c; assert os.path.exists(c), c\n", nil)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	buildx(t, dir, false, "-f", "Geolayerfile", "-o", a, ".")
	buildx(t, dir, false, "-f", "Geolayerfile", "--no-cache", "-o", b, ".")
	for _, p := range []string{"linux_amd64", "linux_arm64"} {
		if sha(t, filepath.Join(a, p, "layer.zip")) != sha(t, filepath.Join(b, p, "layer.zip")) {
			t.Errorf("%s: BYTECODE layers differ between two builds", p)
		}
		names := zipNames(t, filepath.Join(a, p, "layer.zip"))
		if !names["python/lib/python3.13/site-packages/glf_pure/__pycache__/__init__.cpython-313.pyc"] {
			t.Errorf("%s: no bytecode for glf_pure", p)
		}
		rep, err := report.Read(filepath.Join(a, p, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, pk := range rep.Packages {
			if pk.Bytecode == nil || pk.Bytecode.Optimize != 0 || pk.Bytecode.AddedBytes <= 0 {
				t.Errorf("%s: %s: bytecode report %+v", p, pk.Name, pk.Bytecode)
			}
		}
	}
}

// PRUNE --collect-licenses writes THIRD_PARTY_LICENSES at the layer root
// with what every package declares, and counts it in the report.
func TestCollectLicenses(t *testing.T) {
	dir := project(t, "TARGET aws-lambda python3.11 --glibc=2.36\nPLATFORM linux/amd64\nREQUIRE numpy shapely pyproj rasterio fiona\nBUDGET unzipped=1GiB zipped=1GiB\nPRUNE --collect-licenses\n", nil)
	out := filepath.Join(dir, "out")
	buildx(t, dir, false, "-f", "Geolayerfile", "-o", out, ".")
	zr, err := zip.OpenReader(filepath.Join(out, "layer.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = zr.Close() }()
	var text string
	for _, f := range zr.File {
		if f.Name == "THIRD_PARTY_LICENSES" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			_ = rc.Close()
			text = string(b)
		}
	}
	if text == "" {
		t.Fatal("layer.zip has no THIRD_PARTY_LICENSES at its root")
	}
	for _, pkg := range []string{"numpy", "rasterio", "fiona", "pyproj", "shapely"} {
		if !strings.Contains(text, pkg+" ") {
			t.Errorf("THIRD_PARTY_LICENSES says nothing about %s:\n%s", pkg, text[:min(len(text), 2000)])
		}
	}
	rep, err := report.Read(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range rep.Packages {
		found = found || p.Name == "third-party-licenses" && p.Bytes == int64(len(text))
	}
	if !found {
		t.Errorf("report.json does not count THIRD_PARTY_LICENSES")
	}
}

// BUILD compiles the sdist-only fixture in the build image of each target
// platform (arm64 emulated) in one build; the wheels install, pass the
// static check and import in the runtime stand-ins; a rebuild is cached.
func TestBuildFromSdist(t *testing.T) {
	file := "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE glf-sdistonly==1.0.0\nBUILD glf-sdistonly\n" +
		"TEST import glf_sdistonly, platform; print('sdist import ok', platform.machine())\n"
	dir := project(t, file, nil)
	out := buildx(t, dir, false, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	for _, want := range []string{"[linux/amd64] BUILD glf-sdistonly 1.0.0 from source", "[linux/arm64] BUILD glf-sdistonly 1.0.0 from source"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing step %q", want)
		}
	}
	for _, arch := range []string{"amd64", "arm64"} {
		rep, err := report.Read(filepath.Join(dir, "out", "linux_"+arch, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		ok := false
		for _, p := range rep.Packages {
			ok = ok || p.Name == "glf-sdistonly" && strings.Contains(p.Wheel, "linux_") &&
				p.Built != nil && p.Built.Sdist == "glf_sdistonly-1.0.0.tar.gz" && strings.Contains(p.Built.BuildImage, "@sha256:")
		}
		// The SBOM names the compiled wheel, the sdist and the build image.
		checkSBOM(t, filepath.Join(dir, "out", "linux_"+arch))
		if !ok || rep.Check == nil || rep.Check.Errors != 0 || rep.Check.Files == 0 {
			t.Errorf("%s: built package or check missing from the report: %+v %+v", arch, rep.Packages, rep.Check)
		}
	}
	executed, _ := buildctlRaw(t, env.buildkitHost, dir, filepath.Join(dir, "again"), "platform=linux/amd64,linux/arm64")
	for _, n := range executed {
		if !notAStep(n) {
			t.Errorf("a rebuild re-executed %q", n)
		}
	}
}
