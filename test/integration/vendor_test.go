//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/report"
)

// runLibrary is a RUN that builds libglfnative 1.0.0 from source into the
// build stage's /usr/local (soname libglfnative.so.1, the usual link chain),
// the way a team builds a C library its extension needs. It also proves a
// RUN secret mount arrives (its sha256 prefix is compared, so the value
// itself is nowhere in the Geolayerfile) and uses a cache mount. ldconfig
// by its path: RUN has the image's PATH, and the Lambda/SAM images' PATH
// has no sbin directory.
const runLibrary = `RUN --mount=type=secret,id=glf-run-token,env=GLF_RUN_TOKEN,required \
    --mount=type=cache,target=/var/cache/glfnative,sharing=locked \
    test "$(printf %s "$GLF_RUN_TOKEN" | sha256sum | cut -c1-16)" = 6cc0eaf5edb46f1d && \
    mkdir -p /usr/local/include /usr/local/lib /tmp/glfnative && \
    printf 'long glfnative_answer(long v);\nconst char *glfnative_name(void);\n' >/usr/local/include/glfnative.h && \
    printf '#include "glfnative.h"\nlong glfnative_answer(long v) { return 6 * v + 0x42; }\nconst char *glfnative_name(void) { return "libglfnative 1.0.0"; }\n' >/tmp/glfnative/glfnative.c && \
    gcc -shared -fPIC -O2 -g -I/usr/local/include -Wl,-soname,libglfnative.so.1 -o /usr/local/lib/libglfnative.so.1.0.0 /tmp/glfnative/glfnative.c && \
    ln -sf libglfnative.so.1.0.0 /usr/local/lib/libglfnative.so.1 && \
    ln -sf libglfnative.so.1 /usr/local/lib/libglfnative.so && \
    /sbin/ldconfig && date >/var/cache/glfnative/last-build
`

// Done criterion 2 of #6: an extension linking a library that RUN installed
// in the build stage gets that library vendored into the layer's library
// folder (Lambda: lib/, i.e. /opt/lib) and imports in the bare runtime
// stand-in, which lacks it, on both architectures (arm64 compiled under
// emulation); the static check passes; the report names the library, who
// needs it and its size; the RUN secret reaches RUN and nothing else; a
// rebuild executes nothing.
func TestRunLibraryVendored(t *testing.T) {
	const token = "run-token-3141"
	t.Setenv("GLF_RUN_TOKEN", token)
	file := "TARGET aws-lambda python3.11\nPLATFORM linux/amd64 linux/arm64\nREQUIRE glf-linked==1.0.0\n" + runLibrary +
		"BUILD glf-linked\n" +
		"TEST import glf_linked, os; assert glf_linked.answer(1) == 72, glf_linked.answer(1); print('linked ok', glf_linked.library(), os.path.realpath('/opt/lib/libglfnative.so.1'))\n"
	dir := project(t, file, nil)
	// --no-cache: the assertions read the RUN, vendor and TEST steps' logs,
	// which a cached step does not print.
	out := buildx(t, dir, false, "-f", "Geolayerfile", "--no-cache", "--secret", "id=glf-run-token,env=GLF_RUN_TOKEN", "-o", filepath.Join(dir, "out"), ".")
	for _, want := range []string{
		"[linux/amd64] RUN --mount", "[linux/arm64] RUN --mount",
		"[linux/amd64] vendor the libraries the compiled packages need from the build stage",
		"linked ok libglfnative 1.0.0 /opt/lib/libglfnative.so.1.0.0",
	} {
		if !strings.Contains(out, want) && !strings.Contains(out, strings.Replace(want, "RUN --mount", "RUN test", 1)) {
			t.Errorf("missing %q in the build log", want)
		}
	}
	if strings.Contains(out, token) {
		t.Errorf("the build log contains the RUN secret")
	}
	for _, arch := range []string{"amd64", "arm64"} {
		pdir := filepath.Join(dir, "out", "linux_"+arch)
		rep, err := report.Read(filepath.Join(pdir, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		native := nativeLibraries(rep)
		if native == nil || len(native.Vendored) != 1 {
			t.Fatalf("%s: want one vendored library in the report, got %+v", arch, native)
		}
		v := native.Vendored[0]
		if v.Soname != "libglfnative.so.1" || v.Path != "lib/libglfnative.so.1" || v.Source != "/usr/local/lib/libglfnative.so.1.0.0" ||
			v.Bytes <= 0 || len(v.NeededBy) != 1 || !strings.Contains(v.NeededBy[0], "glf_linked/_linked.cpython-311-") {
			t.Errorf("%s: vendored library %+v", arch, v)
		}
		if native.Strip == nil || native.Strip.Files != 1 {
			t.Errorf("%s: the -g library should have been stripped: %+v", arch, native.Strip)
		}
		if rep.Check == nil || rep.Check.Errors != 0 || rep.Check.Files < 2 {
			t.Errorf("%s: static check: %+v", arch, rep.Check)
		}
		// A library RUN built is in no package database: the SBOM has the
		// file and its hashes, and no OS package.
		c := checkSBOM(t, pdir)
		if v.OSPackage != nil || c.files["./lib/libglfnative.so.1.0.0"] == nil {
			t.Errorf("%s: libglfnative in the SBOM: package %+v, file %+v", arch, v.OSPackage, c.files["./lib/libglfnative.so.1.0.0"])
		}
		zf := readZip(t, filepath.Join(pdir, "layer.zip"))
		lib, link := zf["lib/libglfnative.so.1.0.0"], zf["lib/libglfnative.so.1"]
		if lib == nil || link == nil || link.Mode()&os.ModeSymlink == 0 || string(zipData(t, link)) != "libglfnative.so.1.0.0" {
			t.Fatalf("%s: lib/ should hold libglfnative.so.1.0.0 and the soname link to it", arch)
		}
		if m := elfMachine(t, lib); m.String() != map[string]string{"amd64": "EM_X86_64", "arm64": "EM_AARCH64"}[arch] {
			t.Errorf("%s: vendored library is %v", arch, m)
		}
		for name := range zf {
			if strings.HasPrefix(name, "lib/") && name != "lib/" && name != "lib/libglfnative.so.1.0.0" && name != "lib/libglfnative.so.1" {
				t.Errorf("%s: unexpected vendored file %s (the runtime has it)", arch, name)
			}
		}
		if err := filepath.Walk(pdir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), token) {
					t.Errorf("%s contains the RUN secret", p)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	executed, _ := buildctlRaw(t, env.buildkitHost, dir, filepath.Join(dir, "again"), "platform=linux/amd64,linux/arm64",
		"--secret=id=glf-run-token,env=GLF_RUN_TOKEN")
	for _, n := range executed {
		if !notAStep(n) {
			t.Errorf("a rebuild re-executed %q", n)
		}
	}
}
