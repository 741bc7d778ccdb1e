//go:build integration

package integration

import (
	"archive/zip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/report"
)

// TEST --profile-imports puts the import time of every module the TEST
// imports into report.json (and report.html, and the build log), for each
// platform, arm64 marked emulated; layer.zip is the same as without it.
func TestImportTimesInReport(t *testing.T) {
	const base = "TARGET aws-lambda python3.13\nPLATFORM linux/amd64 linux/arm64\nREQUIRE glf-pure==1.1.0 glf-pure-dep==1.0.0 glf-cext==1.0.0\n"
	dir := project(t, archiveRuns(t, base+"TEST --profile-imports import glf_pure, glf_cext\n"), nil)
	out := filepath.Join(dir, "out")
	log := buildx(t, dir, false, "-f", "Geolayerfile", "--target", "zip", "-o", out, ".")

	for _, c := range []struct {
		arch     string
		emulated bool
	}{{"amd64", false}, {"arm64", true}} {
		rep, err := report.Read(filepath.Join(out, "linux_"+c.arch, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Schema != report.SchemaV2 {
			t.Errorf("%s: schema %q", c.arch, rep.Schema)
		}
		im := rep.Imports
		if im == nil {
			t.Fatalf("%s: report.json has no imports section", c.arch)
		}
		if im.Emulated != c.emulated {
			t.Errorf("%s: emulated = %v, want %v", c.arch, im.Emulated, c.emulated)
		}
		if !strings.HasPrefix(im.Python, "3.13") || im.MountPoint != "/opt" {
			t.Errorf("%s: python %q mount %q", c.arch, im.Python, im.MountPoint)
		}
		got := map[string]report.ImportedModule{}
		for _, m := range im.Modules {
			got[m.Module] = m
		}
		for mod, pkg := range map[string]string{"glf_pure": "glf-pure", "glf_cext": "glf-cext"} {
			m, ok := got[mod]
			if !ok {
				t.Errorf("%s: no import time for %s: %+v", c.arch, mod, im.Modules)
				continue
			}
			if m.Package != pkg || m.Test != 1 || m.CumulativeMicros <= 0 || m.CumulativeMicros < m.SelfMicros || m.Mapped == nil {
				t.Errorf("%s: %s: %+v", c.arch, mod, m)
			}
		}
		// The C extension's shared object is mapped by its import.
		if m := got["glf_cext"]; m.Mapped != nil && (m.Mapped.Files < 1 || m.Mapped.Bytes <= 0) {
			t.Errorf("%s: glf_cext mapped nothing: %+v", c.arch, m.Mapped)
		}
		// The build log has the table for this platform.
		if !regexp.MustCompile(`Import times, linux/` + c.arch + `, CPython 3\.13`).MatchString(log) {
			t.Errorf("%s: no import-time table in the build log:\n%s", c.arch, tail(log, 60))
		}
		if !regexp.MustCompile(`(?m)\b1\s+glf_cext\s+glf-cext\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+\d+\s+` + map[bool]string{true: "yes", false: "no"}[c.emulated] + `\b`).MatchString(log) {
			t.Errorf("%s: no glf_cext row in the build log:\n%s", c.arch, tail(log, 60))
		}
	}

	// The flag changes report.json only: layer.zip is the same bytes.
	plain := project(t, base+"TEST import glf_pure, glf_cext\n", nil)
	pout := filepath.Join(plain, "out")
	buildx(t, plain, false, "-f", "Geolayerfile", "--target", "zip", "--platform", "linux/amd64", "-o", pout, ".")
	a, err := os.ReadFile(filepath.Join(out, "linux_amd64", "layer.zip"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(pout, "layer.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("layer.zip differs with --profile-imports (%d vs %d bytes)", len(a), len(b))
	}
	if _, err := zip.OpenReader(filepath.Join(pout, "layer.zip")); err != nil {
		t.Error(err)
	}
	if rep, err := report.Read(filepath.Join(pout, "report.json")); err != nil || rep.Imports != nil {
		t.Errorf("without the flag: imports %+v, err %v", rep, err)
	}
}

// --target report: report.html has the import-time section.
func TestImportTimesInHTML(t *testing.T) {
	dir := project(t, "TARGET aws-lambda python3.13\nPLATFORM linux/amd64\nREQUIRE glf-pure==1.1.0 glf-pure-dep==1.0.0 glf-cext==1.0.0\nTEST --profile-imports import glf_pure, glf_cext\n", nil)
	out := filepath.Join(dir, "out")
	buildx(t, dir, false, "-f", "Geolayerfile", "--target", "report", "-o", out, ".")
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h2>Import times</h2>", "<td>glf_cext</td><td>glf-cext</td>", "<td>glf_pure</td><td>glf-pure</td>"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	rep, err := report.Read(filepath.Join(out, "report.json"))
	if err != nil || rep.Imports == nil || len(rep.Imports.Modules) < 2 {
		t.Errorf("report.json imports: %+v, %v", rep, err)
	}
}
