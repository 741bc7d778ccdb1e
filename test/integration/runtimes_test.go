//go:build integration

package integration

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/publish"
	"github.com/geolayer/geolayer/pkg/report"
)

// One layer for Lambda's python3.11 and python3.13 on both architectures,
// with the dev world's stand-ins: each runtime's site-packages holds the
// wheels chosen for it (glf-cext's cp311 and cp313 builds), the pure files
// both trees share are stored once (affine's large modules become links;
// glf-pure's console script, the same for both, is one entry), the TEST
// imports everything under each runtime, and report.json, sbom.spdx.json
// and publish.json describe the one layer for both runtimes.
func TestSeveralRuntimesInOneLayer(t *testing.T) {
	dir := project(t, "TARGET aws-lambda python3.11 python3.13\nPLATFORM linux/amd64 linux/arm64\n"+
		"REQUIRE glf-pure==1.0.0 glf-pure-dep==1.0.0 glf-cext==1.0.0 affine==2.4.0\nTEST import glf_pure, glf_cext, affine\n", nil)
	out := filepath.Join(dir, "out")
	log := buildx(t, dir, false, "-f", "Geolayerfile", "-o", out, ".")
	for _, arch := range []string{"amd64", "arm64"} {
		for _, rt := range []string{"python3.11", "python3.13"} {
			if step := "[linux/" + arch + " " + rt + "] TEST import glf_pure, glf_cext, affine"; !strings.Contains(log, step) {
				t.Errorf("no step %q in the build log", step)
			}
		}
		pdir := filepath.Join(out, "linux_"+arch)
		zr, err := zip.OpenReader(filepath.Join(pdir, "layer.zip"))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = zr.Close() }()
		links := map[string]bool{}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
			if f.Mode()&fs.ModeSymlink != 0 {
				links[f.Name] = true
			}
		}
		for _, rt := range []string{"3.11", "3.13"} {
			site := "python/lib/python" + rt + "/site-packages/"
			abi := "cpython-3" + strings.TrimPrefix(rt, "3.")
			if !slices.ContainsFunc(names, func(n string) bool {
				return strings.HasPrefix(n, site+"glf_cext") && strings.Contains(n, abi) && strings.HasSuffix(n, ".so")
			}) {
				t.Errorf("%s: no %s extension of glf_cext under %s", arch, abi, site)
			}
			for _, p := range []string{"glf_pure/__init__.py", "affine/__init__.py"} {
				if !slices.Contains(names, site+p) {
					t.Errorf("%s: no %s", arch, site+p)
				}
			}
		}
		// affine/__init__.py (20 KB) is stored once: one copy is a link
		if links["python/lib/python3.11/site-packages/affine/__init__.py"] == links["python/lib/python3.13/site-packages/affine/__init__.py"] {
			t.Errorf("%s: affine/__init__.py is not stored once (links %v)", arch, links)
		}
		scripts := 0
		for _, n := range names {
			if strings.HasPrefix(n, "bin/") {
				scripts++
			}
		}
		if scripts == 0 || len(names) != len(slices.Compact(slices.Sorted(slices.Values(names)))) {
			t.Errorf("%s: bin/ has %d entries; entries %v", arch, scripts, names)
		}

		rep, err := report.Read(filepath.Join(pdir, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for i := range rep.Packages {
			keys = append(keys, rep.Packages[i].Key())
		}
		slices.Sort(keys)
		if want := []string{"affine@python3.11", "affine@python3.13", "glf-cext@python3.11", "glf-cext@python3.13", "glf-pure-dep@python3.11", "glf-pure-dep@python3.13", "glf-pure@python3.11", "glf-pure@python3.13"}; !slices.Equal(keys, want) ||
			!slices.Equal(rep.Runtimes, []string{"python3.11", "python3.13"}) {
			t.Errorf("%s: report packages %v, runtimes %v", arch, keys, rep.Runtimes)
		}
		if rep.Dedup == nil || rep.Dedup.Files == 0 {
			t.Errorf("%s: nothing deduplicated: %+v", arch, rep.Dedup)
		}
		if !slices.ContainsFunc(rep.Shares, func(s report.Share) bool {
			return slices.Equal(s.Packages, []string{"affine@python3.11", "affine@python3.13"})
		}) {
			t.Errorf("%s: no share of both affine copies: %+v", arch, rep.Shares)
		}
		if rep.Check == nil || rep.Check.Errors != 0 {
			t.Errorf("%s: check %+v", arch, rep.Check)
		}

		raw, err := os.ReadFile(filepath.Join(pdir, publish.FileName))
		if err != nil {
			t.Fatal(err)
		}
		var pub publish.Publish
		if err := json.Unmarshal(raw, &pub); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pub.CompatibleRuntimes, []string{"python3.11", "python3.13"}) ||
			!strings.Contains(strings.Join(pub.Commands, "\n"), "--compatible-runtimes python3.11 python3.13") {
			t.Errorf("%s: publish.json runtimes %v, commands %v", arch, pub.CompatibleRuntimes, pub.Commands)
		}

		c := checkSBOM(t, pdir)
		var cext []string
		for _, p := range c.doc.Packages {
			if p.PackageName == "glf-cext" {
				cext = append(cext, p.PackageFileName)
			}
		}
		slices.Sort(cext)
		if len(cext) != 2 || !strings.Contains(cext[0], "cp311") || !strings.Contains(cext[1], "cp313") {
			t.Errorf("%s: the SBOM's glf-cext wheels %v, want the cp311 and the cp313 one", arch, cext)
		}
	}
}

// GCP runs one Python per app, with one package folder: several runtimes
// are refused at TARGET.
func TestSeveralRuntimesRefusedOnGCP(t *testing.T) {
	dir := project(t, "TARGET gcp-functions python311 python312\nREQUIRE glf-pure==1.0.0\n", nil)
	log := buildx(t, dir, true, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	for _, want := range []string{"gcp-functions python311 and python312 install into the same site-packages", "Geolayerfile:2"} {
		if !strings.Contains(log, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, tail(log, 20))
		}
	}
}

// --target lock for two runtimes writes one pylock.toml for both, and the
// layer REQUIRE --lock builds from it is byte for byte the layer built
// from the index (both runtimes' wheels, TEST under each).
func TestSeveralRuntimesLockRoundTrip(t *testing.T) {
	const head = "TARGET aws-lambda python3.11 python3.13\nPLATFORM linux/amd64\n"
	const test = "TEST import glf_pure, glf_cext\n"
	fromIndex := project(t, head+"REQUIRE glf-pure==1.0.0 glf-pure-dep==1.0.0 glf-cext==1.0.0\n"+test, nil)
	buildx(t, fromIndex, false, "-f", "Geolayerfile", "--target", "lock", "-o", filepath.Join(fromIndex, "lock"), ".")
	lock, err := os.ReadFile(filepath.Join(fromIndex, "lock", "pylock.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">=3.11,!=3.12.*,<3.14", "python_version == '3.11'", "python_version == '3.13'", "cp311", "cp313"} {
		if !strings.Contains(string(lock), want) {
			t.Errorf("pylock.toml does not say %q:\n%s", want, lock)
		}
	}
	buildx(t, fromIndex, false, "-f", "Geolayerfile", "-o", filepath.Join(fromIndex, "out"), ".")
	fromLock := project(t, head+"REQUIRE --lock=pylock.toml\n"+test, map[string]string{"pylock.toml": string(lock)})
	buildx(t, fromLock, false, "-f", "Geolayerfile", "-o", filepath.Join(fromLock, "out"), ".")
	a, err := os.ReadFile(filepath.Join(fromIndex, "out", "layer.zip"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(fromLock, "out", "layer.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("the layer from the lock (%d bytes) differs from the layer from the index (%d bytes)", len(b), len(a))
	}
}
