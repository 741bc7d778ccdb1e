//go:build integration

package integration

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pycMagic is the first four bytes of a .pyc per CPython version
// (importlib.util.MAGIC_NUMBER: 3495 for 3.11, 3571 for 3.13, little
// endian, then \r\n).
var pycMagic = map[string][]byte{"3.11": {0xa7, 0x0d, 0x0d, 0x0a}, "3.13": {0xf3, 0x0d, 0x0d, 0x0a}}

// In the strict Lambda stand-ins (CPython only under /var/lang, a decoy of
// another version at /usr/bin/python3 in the SAM build image), every step
// that runs Python uses the target's own interpreter, for both
// architectures in one build: RUN sees the image's PATH; pip's resolver,
// BUILD, BYTECODE and TEST name /var/lang/bin/python3.13; the compiled
// extension has 3.13's suffix for its machine, the pycs 3.13's magic
// number, and TEST prints sys.executable from the runtime image.
func TestLambdaStepsRunTheTargetsInterpreter(t *testing.T) {
	file := "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\n" +
		"REQUIRE glf-sdistonly==1.0.0 glf-pure\n" +
		`RUN test "$(command -v python3)" = /var/lang/bin/python3 && test "$PWD" = /var/task && python3 -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version' && echo "run-python-ok $(uname -m)"` + "\n" +
		"BUILD glf-sdistonly\nBYTECODE\n" +
		// The build succeeds only if TEST ran the runtime's interpreter with
		// Lambda's sys.path order (asserted, so a cached TEST proves it too).
		"TEST import sys, glf_sdistonly, glf_pure; print('test-python', sys.executable, '%d.%d' % sys.version_info[:2], sys.path[:5]); " +
		"assert sys.executable == '/var/lang/bin/python3.13', sys.executable; " +
		"assert sys.path[:5] == ['/var/task', '/opt/python/lib/python3.13/site-packages', '/opt/python', '/var/lang/lib/python3.13/site-packages', '/var/runtime'], sys.path\n"
	dir := project(t, file, nil)
	// Not --no-cache: the arm64 BUILD runs emulated for minutes; RUN and
	// TEST assert what they check, so their cached results prove it, and
	// the step names below are printed for cached steps too.
	out := buildx(t, dir, false, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	for _, want := range []string{
		"[linux/amd64] check the build image's Python (/var/lang/bin/python3.13)",
		"[linux/arm64] check the build image's Python (/var/lang/bin/python3.13)",
		"[linux/arm64] check the runtime image's Python (/var/lang/bin/python3.13)",
		"resolve requirements with pip for cp313 (/var/lang/bin/python3.13)",
		`[linux/amd64] RUN test "$(command -v python3)" = /var/lang/bin/python3`,
		`[linux/arm64] RUN test "$(command -v python3)" = /var/lang/bin/python3`,
		"[linux/amd64] BUILD glf-sdistonly 1.0.0 from source with /var/lang/bin/python3.13",
		"[linux/arm64] BUILD glf-sdistonly 1.0.0 from source with /var/lang/bin/python3.13",
		"bytecode glf-pure", "-O0, /var/lang/bin/python3.13)",
		"[linux/amd64] TEST import sys, glf_sdistonly", "[linux/arm64] TEST import sys, glf_sdistonly",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in the build log", want)
		}
	}
	for arch, machine := range map[string]string{"amd64": "x86_64", "arm64": "aarch64"} {
		files := readZip(t, filepath.Join(dir, "out", "linux_"+arch, "layer.zip"))
		ext := ".cpython-313-" + machine + "-linux-gnu.so"
		var exts, pycs int
		for name, f := range files {
			if regexp.MustCompile(`\.cpython-[0-9]+[a-z]*-[^./]+\.so$`).MatchString(name) {
				exts++
				if !strings.HasSuffix(name, ext) {
					t.Errorf("%s: %s is not a %s extension", arch, name, ext)
				}
			}
			if strings.HasSuffix(name, ".pyc") {
				pycs++
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				head := make([]byte, 4)
				_, err = io.ReadFull(rc, head)
				_ = rc.Close()
				if err != nil || !bytes.Equal(head, pycMagic["3.13"]) {
					t.Errorf("%s: %s starts %x, want CPython 3.13's magic %x", arch, name, head, pycMagic["3.13"])
				}
			}
		}
		if exts == 0 || pycs == 0 {
			t.Errorf("%s: %d extension modules, %d pycs in the layer", arch, exts, pycs)
		}
	}
}

// An image that has only the decoy (the SAM build stand-in without
// /var/lang: python3 on its PATH is another CPython) is refused before any
// step runs, naming the image and the interpreter it has, at TARGET.
func TestDecoyOnlyBuildImageIsRefused(t *testing.T) {
	ref := env.registry + "/geolayer/decoy-only:py313"
	img := t.TempDir()
	if err := os.WriteFile(filepath.Join(img, "Dockerfile"), []byte("FROM public.ecr.aws/sam/build-python3.13\nRUN rm -rf /var/lang\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, img, false, "docker", "buildx", "build", "--builder", env.builder, "--progress=plain", "--platform", "linux/amd64",
		"--output", "type=image,name="+ref+",push=true,registry.insecure=true", img)
	dir := project(t, "TARGET aws-lambda python3.13 --build-image="+ref+"\nPLATFORM linux/amd64\nREQUIRE glf-pure==1.1.0\nBYTECODE\n", nil)
	out := buildx(t, dir, true, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	for _, want := range []string{
		"aws-lambda python3.13, linux/amd64: the build image " + ref,
		"at /usr/bin/python3", "not the target's CPython 3.13 (cp313, x86_64)",
		">>> TARGET aws-lambda python3.13",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, tail(out, 30))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Errorf("a refused build exported something")
	}
}

// Azure's python3.10/3.11 images are Debian 11 (glibc 2.31): a wheel whose
// extension needs GLIBC_2.34 symbols (glf-liar, tagged manylinux_2_17) is
// refused there by the static check, while the same package passes for
// python3.13 (Debian 12, glibc 2.36).
func TestAzure311RefusesWheelsNeedingNewerGlibc(t *testing.T) {
	dir := project(t, "TARGET azure-functions python3.11\nREQUIRE glf-liar==1.0.0\n", nil)
	out := buildx(t, dir, true, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	for _, want := range []string{"GLIBC_2.34", "2.31"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, tail(out, 30))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "layer.zip")); err == nil {
		t.Errorf("a refused build exported layer.zip")
	}
	ok := project(t, "TARGET azure-functions python3.13\nREQUIRE glf-liar==1.0.0\n", nil)
	buildx(t, ok, false, "-f", "Geolayerfile", "-o", filepath.Join(ok, "out"), ".")
}

// Each platform's runtime stand-in runs TEST with its own CPython, found
// where the image keeps it (its PATH for Azure and GCP) and checked to be
// the target's version.
func TestTestRunsEachPlatformsInterpreter(t *testing.T) {
	for _, c := range []struct{ target, version string }{
		{"azure-functions python3.11", "3.11"},
		// No CPython 3.12 source is in Debian's archive to build an Azure
		// 3.12 stand-in from (hack/README.md): 3.13, also bookworm, instead.
		{"azure-functions python3.13", "3.13"},
		{"gcp-functions python311", "3.11"},
		{"gcp-functions python313", "3.13"},
		{"aws-lambda python3.11\nPLATFORM linux/amd64 linux/arm64", "3.11"},
	} {
		t.Run(strings.Fields(c.target)[0]+"-"+c.version, func(t *testing.T) {
			dir := project(t, "TARGET "+c.target+"\nREQUIRE glf-pure==1.1.0 glf-pure-dep==1.0.0\nTEST import glf_pure, sys; print('test-python', sys.executable, '%d.%d' % sys.version_info[:2])\n", nil)
			out := buildx(t, dir, false, "-f", "Geolayerfile", "--no-cache", "-o", filepath.Join(dir, "out"), ".")
			if !regexp.MustCompile(`test-python /\S+ ` + regexp.QuoteMeta(c.version)).MatchString(out) {
				t.Errorf("TEST did not print a %s interpreter:\n%s", c.version, tail(out, 30))
			}
		})
	}
}
