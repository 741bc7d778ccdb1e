//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/report"
)

// The static check refuses, without running anything and on both
// architectures, the fixture wheels that pip and geolayer install but that
// would fail at import on the real platform; each error names the file,
// the package, the problem and a fix, and nothing is exported.
func TestStaticCheckCatchesWhatImportWouldNot(t *testing.T) {
	cases := []struct {
		name, file string
		want       []string
	}{
		{"glibc newer than the tag says", "TARGET aws-lambda python3.11\nPLATFORM linux/amd64 linux/arm64\nREQUIRE glf-liar==1.0.0\n",
			[]string{"glibc-too-new", "[glf-liar]", "GLIBC_2.34", "2.26", "older manylinux", "[linux/arm64] check the layer", "[linux/amd64] check the layer"}},
		{"library nowhere", "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE glf-missing==1.0.0\n",
			[]string{"missing-library", "[glf-missing]", "libglfgone.so.1", "fix: "}},
		{"library the real AL2023 runtime lacks", "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE glf-expat==1.0.0\n",
			[]string{"absent-on-platform", "[glf-expat]", "libexpat.so.1", "eoapi-cdk#181"}},
		{"x86-64 object in an arm64 layer", "TARGET aws-lambda python3.13\nPLATFORM linux/arm64\nREQUIRE glf-wrongarch==1.0.0\n",
			[]string{"wrong-architecture", "[glf-wrongarch]", "x86", "aarch64"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := project(t, c.file, nil)
			out := buildx(t, dir, true, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("want %q in:\n%s", w, tail(out, 40))
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
				t.Error("a failed check exported something")
			}
		})
	}

	// The same wheels pass where the platform really has what they need:
	// AL2's Lambda python3.11 keeps libexpat; CHECK warn reports without
	// failing; the honest amd64 glf-wrongarch wheel is fine.
	for _, file := range []string{
		"TARGET aws-lambda python3.11\nPLATFORM linux/amd64 linux/arm64\nREQUIRE glf-expat==1.0.0\nTEST import glf_expat\n",
		"TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nREQUIRE glf-missing==1.0.0\nCHECK warn\n",
		"TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nREQUIRE glf-wrongarch==1.0.0\n",
	} {
		dir := project(t, file, nil)
		buildx(t, dir, false, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
		if strings.Contains(file, "CHECK warn") {
			// The step's log shows only when it runs; the report always has it.
			rep, err := report.Read(filepath.Join(dir, "out", "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Check == nil || rep.Check.Errors != 1 || len(rep.Check.Findings) == 0 || rep.Check.Findings[0].Kind != "missing-library" {
				t.Errorf("CHECK warn should still report the missing library in report.json: %+v", rep.Check)
			}
		}
	}
}

// A library the layer ships in /opt/lib that the runtime's own copy shadows
// (Lambda's LD_LIBRARY_PATH searches /lib64 and /usr/lib64 first) is
// reported with both paths. The Debian stand-ins keep their libraries in
// multiarch folders, which Lambda's LD_LIBRARY_PATH does not name, so the
// runtime root here is the stand-in's file system with libexpat also placed
// where Amazon Linux has it (/usr/lib64); checked with `geolayer check`.
func TestStaticCheckReportsShadowedLibrary(t *testing.T) {
	bin := geolayerCLI(t)
	for _, arch := range []string{"amd64", "arm64"} {
		triple := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}[arch]
		dir := project(t, "TARGET aws-lambda python3.11\nPLATFORM linux/"+arch+"\nREQUIRE glf-expat==1.0.0\n", nil)
		layer := filepath.Join(dir, "layer")
		buildx(t, dir, false, "-f", "Geolayerfile", "--target", "dir", "-o", layer, ".")
		root := filepath.Join(t.TempDir(), "runtime")
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		run(t, "", false, "tar", "-xf", filepath.Join(env.devHome, "rootfs", "bookworm-"+arch+"-runtime.tar"), "-C", root, "--exclude=./dev/*")
		real := filepath.Join(root, "usr", "lib", triple, "libexpat.so.1.8.10")
		for _, dst := range []string{filepath.Join(root, "usr", "lib64", "libexpat.so.1"), filepath.Join(layer, "lib", "libexpat.so.1")} {
			run(t, "", false, "install", "-D", "-m", "0644", real, dst)
		}
		out := run(t, "", false, bin, "check", layer, "--profile", "aws-lambda:python3.11", "--platform", "linux/"+arch, "--runtime-root", root, "--glibc", "2.36")
		// /lib64 is /usr/lib64 (merged /usr): the loader finds it there first.
		for _, want := range []string{"warning shadowed", "/opt/lib/libexpat.so.1", "/lib64/libexpat.so.1", "glf_expat/_core"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: want %q in:\n%s", arch, want, tail(out, 20))
			}
		}
	}
}

// With CHECK warn a layer that cannot load still reaches TEST: the failing
// TEST shows the traceback and what the static check found about the
// library the ImportError names.
func TestFailingTestExplainedByCheck(t *testing.T) {
	dir := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE glf-missing==1.0.0\nCHECK warn\nTEST import glf_missing\n", nil)
	out := buildx(t, dir, true, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	for _, want := range []string{"Traceback (most recent call last)", "libglfgone.so.1", "the static check explains it", "missing-library", "[glf-missing]", ">>> TEST import glf_missing"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, tail(out, 40))
		}
	}
}
