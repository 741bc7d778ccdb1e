//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		out := buildx(t, dir, false, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
		if strings.Contains(file, "CHECK warn") && !strings.Contains(out, "missing-library") {
			t.Errorf("CHECK warn should still report:\n%s", tail(out, 30))
		}
	}
}
