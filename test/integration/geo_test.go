//go:build integration

package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/report"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The realistic geo set (Debian's numpy, shapely, pyproj, rasterio, fiona
// repackaged as auditwheel-style wheels) goes through the whole frontend:
// pip resolution in the build image, per-package install and archive, TEST
// on both architectures; the zipped layer, unzipped at /opt in the bare
// runtime stand-in, imports, reads/writes a GeoTIFF and transforms a
// coordinate with only the platform's environment.
//
// The stand-in for python3.11 is Debian bookworm (glibc 2.36) and the geo
// wheels are honestly tagged manylinux_2_34/2_35, above AL2's 2.26: the
// ceiling is raised with --glibc to match the stand-in, as a user targeting
// a custom runtime would.
func TestGeoLayerWorksInBareRuntime(t *testing.T) {
	requireGeoOnIndex(t, "rasterio")
	dir := project(t, `TARGET aws-lambda python3.11 --glibc=2.36
PLATFORM linux/amd64 linux/arm64
REQUIRE numpy shapely pyproj rasterio fiona
# Unslimmed, this set is over Lambda's 250 MB: raise the budget for the test.
BUDGET unzipped=1GiB zipped=1GiB
TEST import numpy, shapely, pyproj, rasterio, fiona; \
    from pyproj import Transformer; \
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(15, 0); \
    assert abs(x - 1669792.36) < 1, x
`, nil)
	out := filepath.Join(dir, "out")
	buildx(t, dir, false, "-f", "Geolayerfile", "-o", out, ".")
	ctx := t.TempDir()
	for _, arch := range []string{"amd64", "arm64"} {
		rep, err := report.Read(filepath.Join(out, "linux_"+arch, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, p := range rep.Packages {
			names[p.Name] = true
		}
		for _, want := range []string{"numpy", "shapely", "pyproj", "rasterio", "fiona", "affine", "click"} {
			if !names[want] {
				t.Errorf("%s: %s missing from the layer: %v", arch, want, names)
			}
		}
		// The static check ran against the runtime stand-in and passed.
		if rep.Check == nil || rep.Check.Errors != 0 || rep.Check.Files < 200 {
			t.Errorf("%s: static check summary %+v: want every one of the ~300 ELF files checked, no errors", arch, rep.Check)
		}
		t.Logf("%s: geo layer %d packages, %d files, %.1f MB unzipped, %.1f MB zipped", arch,
			len(rep.Packages), rep.Totals.Files, float64(rep.Totals.Unzipped)/1e6, float64(rep.Totals.Zipped)/1e6)
		unzipTo(t, filepath.Join(out, "linux_"+arch, "layer.zip"), filepath.Join(ctx, "layer-"+arch))
		cliCheckMatchesBuild(t, filepath.Join(out, "linux_"+arch, "layer.zip"), arch, rep)
	}
	run(t, "", false, "cp", filepath.Join(repoRoot(t), "hack", "geo", "check_geo.py"), filepath.Join(ctx, "check_geo.py"))
	df := `FROM public.ecr.aws/lambda/python:3.11
ARG TARGETARCH
COPY layer-${TARGETARCH}/ /opt/
COPY check_geo.py /check_geo.py
RUN env -i PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin \
      LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib \
      PYTHONPATH=/opt/python/lib/python3.11/site-packages:/opt/python \
      /var/lang/bin/python3.11 /check_geo.py > /check.log 2>&1 || (cat /check.log; exit 1)
RUN cat /check.log
`
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	o := run(t, ctx, false, "docker", "buildx", "build", "--builder", env.builder, "--progress=plain", "--no-cache",
		"--platform", "linux/amd64,linux/arm64", ".")
	if strings.Count(o, "0 failed") < 2 {
		t.Errorf("check_geo.py did not pass on both platforms:\n%s", tail(o, 60))
	}
}

// The same geo layer with one vendored library pruned fails the static
// check, before anything runs, on both platforms, naming the library, the
// file that needs it and the package.
func TestGeoCheckCatchesMissingVendoredLibrary(t *testing.T) {
	dir := project(t, `TARGET aws-lambda python3.11 --glibc=2.36
PLATFORM linux/amd64 linux/arm64
REQUIRE numpy shapely pyproj rasterio fiona
BUDGET unzipped=1GiB zipped=1GiB
PRUNE "rasterio.libs/libproj-*"
`, nil)
	out := buildx(t, dir, true, "-f", "Geolayerfile", "-o", filepath.Join(dir, "out"), ".")
	for _, want := range []string{"missing-library", "libproj-", "rasterio.libs/libgdal-", "[rasterio]", "static check against the runtime failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("the failed check should mention %q:\n%s", want, tail(out, 40))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Errorf("a failed check exported something")
	}
}

// cliCheckMatchesBuild runs `geolayer check` on the exported zip against
// the same runtime stand-in: the same files and no errors at the same
// glibc ceiling; at the profile's own ceiling (AL2's 2.26) the geo wheels,
// honestly tagged manylinux_2_34/2_35, are too new, and it says so.
func cliCheckMatchesBuild(t *testing.T, zipPath, arch string, rep *report.Report) {
	t.Helper()
	bin := geolayerCLI(t)
	img := env.registry + "/lambda/python:3.11"
	args := []string{"check", zipPath, "--profile", "aws-lambda:python3.11", "--platform", "linux/" + arch, "--runtime-image", img, "--json"}
	out := run(t, "", false, bin, append(args, "--glibc", "2.36")...)
	var res struct {
		Files    []json.RawMessage `json:"files"`
		Findings []struct {
			Severity string `json:"severity"`
			Kind     string `json:"kind"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res); err != nil {
		t.Fatalf("geolayer check --json: %v\n%s", err, tail(out, 20))
	}
	errs := 0
	for _, f := range res.Findings {
		if f.Severity == "error" {
			errs++
		}
	}
	if rep.Check == nil || len(res.Files) != rep.Check.Files || errs != rep.Check.Errors {
		t.Errorf("%s: geolayer check on the zip saw %d files and %d errors; the build saw %+v", arch, len(res.Files), errs, rep.Check)
	}
	out = run(t, "", true, bin, args...)
	if !strings.Contains(out, "glibc-too-new") || !strings.Contains(out, "2.26") {
		t.Errorf("%s: at AL2's glibc 2.26 the geo layer must fail with glibc-too-new:\n%s", arch, tail(out, 20))
	}
}

// The image target sets PROJ_DATA only where one package bundles PROJ
// data (it cannot shadow another's proj.db then), and leaves it unset when
// several do, so each finds its own copy.
func TestImageDataEnvOnlyWhereSafe(t *testing.T) {
	envOf := func(reqs string) string {
		dir := project(t, "TARGET aws-lambda python3.11 --glibc=2.36\nPLATFORM linux/amd64\nREQUIRE "+reqs+"\nBUDGET unzipped=1GiB zipped=1GiB\n", nil)
		ref := env.registry + "/geolayer-test/geo-env:" + strings.ReplaceAll(strings.Fields(reqs)[len(strings.Fields(reqs))-1], "=", "-")
		buildx(t, dir, false, "-f", "Geolayerfile", "--target", "image", "-o", "type=image,name="+ref+",push=true,registry.insecure=true", ".")
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(r)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(cf.Config.Env, " ")
	}
	if e := envOf("pyproj==3.4.1 certifi==2022.9.24"); !strings.Contains(e, "PROJ_DATA=/opt/python/lib/python3.11/site-packages/pyproj/proj_dir/share/proj") {
		t.Errorf("pyproj alone: the image should set PROJ_DATA to pyproj's data: %s", e)
	}
	if e := envOf("numpy==1.24.2 pyproj==3.4.1 certifi==2022.9.24 rasterio==1.3.5"); strings.Contains(e, "PROJ_DATA=") || strings.Contains(e, "GDAL_DATA=") && !strings.Contains(e, "rasterio/gdal_data") {
		t.Errorf("pyproj with rasterio: PROJ_DATA must stay unset: %s", e)
	}
}

// requireGeoOnIndex fails the test unless the index serves the geo fixture
// set's project (it is left out with GEOLAYER_SKIP_GEO=1).
func requireGeoOnIndex(t *testing.T, project string) {
	t.Helper()
	resp, err := http.Get(env.indexURL + project + "/")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s (geo fixture set) is not on the index (was the world brought up with GEOLAYER_SKIP_GEO=1?): %s", project, resp.Status)
	}
}
