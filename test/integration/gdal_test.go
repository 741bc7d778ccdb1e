//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/report"
)

// gdalLayer compiles GDAL's Python bindings (PyPI publishes GDAL as an sdist
// only) against the build stage's libgdal, installed by RUN from Debian's
// -dev packages, and lets the vendor step ship libgdal's closure once in
// lib/ (/opt/lib). PROJ's data is not a library and is not vendored: the
// layer takes proj.db from the pyproj wheel (the same PROJ 9.1.1) and ENV
// points PROJ_DATA at it, which TEST sees as a configured function would.
// --glibc=2.36: the stand-in runtime is Debian bookworm (the real
// python3.11 runtime is Amazon Linux 2, glibc 2.26, which Debian's
// libraries are too new for). numpy for the build comes from pip, which in
// the SAM image is the runtime's (/var/lang/bin/pip): the distribution's
// python3-numpy package would go to the operating system's Python, as
// `yum install python3-numpy` does on the real SAM images, and GDAL's
// setup would then build without gdal_array. __INDEX__ is the dev index.
const gdalLayer = `TARGET aws-lambda python3.11 --glibc=2.36
PLATFORM linux/amd64
REQUIRE gdal==3.6.2 numpy==1.24.2 pyproj==3.4.1
BUDGET unzipped=1GiB zipped=1GiB
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \
    apt-get update && apt-get install -y --no-install-recommends libgdal-dev && \
    pip install --index-url __INDEX__ numpy==1.24.2
BUILD gdal --no-build-isolation
ENV PROJ_DATA=/opt/python/lib/python3.11/site-packages/pyproj/proj_dir/share/proj
TEST import numpy as np; from osgeo import gdal, gdal_array; gdal.UseExceptions(); a = np.arange(64 * 48, dtype="int16").reshape(48, 64); gdal.GetDriverByName("GTiff").CreateCopy("/tmp/t.tif", gdal_array.OpenArray(a), options=["COMPRESS=DEFLATE"]); b = gdal.Open("/tmp/t.tif").ReadAsArray(); assert (a == b).all(); assert gdal.VersionInfo() == "3060200"; print("gdal GeoTIFF round trip ok")
TEST from osgeo import ogr; ogr.UseExceptions(); d = ogr.GetDriverByName("GPKG").CreateDataSource("/tmp/p.gpkg"); l = d.CreateLayer("p", geom_type=ogr.wkbPoint); f = ogr.Feature(l.GetLayerDefn()); f.SetGeometry(ogr.CreateGeometryFromWkt("POINT (13.405 52.52)")); l.CreateFeature(f); f = l = d = None; d = ogr.Open("/tmp/p.gpkg"); f = d.GetLayer(0).GetNextFeature(); g = f.GetGeometryRef().ExportToWkt(); assert g == "POINT (13.405 52.52)", g; print("ogr GeoPackage ok")
TEST from osgeo import osr; osr.UseExceptions(); s = osr.SpatialReference(); s.ImportFromEPSG(4326); u = osr.SpatialReference(); u.ImportFromEPSG(32633); x = osr.CoordinateTransformation(s, u).TransformPoint(52.0, 15.0); assert abs(x[0] - 500000) < 1e-3, x; print("osr EPSG:4326 -> 32633 ok", x)
`

// The geo-scale proof of RUN + BUILD + vendoring (issue 6): GDAL's bindings
// compiled from the sdist in the build stage, libgdal's whole closure vendored
// once into lib/, the static check passing and the bindings working in the
// bare runtime stand-in (which has no GDAL): GeoTIFF, GeoPackage and a CRS
// transformation (GDAL 3.6's bindings crash if a data source or feature is
// freed while its layer or geometry is in use, hence the explicit variables). linux/amd64 only: compiling GDAL's SWIG wrappers under
// emulation takes far too long for a test.
func TestGDALBindingsBuiltAgainstSharedLibgdal(t *testing.T) {
	requireGeoOnIndex(t, "gdal")
	dir := project(t, strings.ReplaceAll(gdalLayer, "__INDEX__", env.indexURL), nil)
	out := filepath.Join(dir, "out")
	buildx(t, dir, false, "-f", "Geolayerfile", "-o", out, ".")
	rep, err := report.Read(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	native := nativeLibraries(rep)
	if native == nil {
		t.Fatal("no native-libraries package in the report")
	}
	bySoname := map[string]report.VendoredLib{}
	for _, v := range native.Vendored {
		bySoname[v.Soname] = v
		if !strings.HasPrefix(v.Path, "lib/") || v.Bytes <= 0 || len(v.NeededBy) == 0 {
			t.Errorf("vendored %+v", v)
		}
	}
	gdalLib, ok := bySoname["libgdal.so.32"]
	if !ok || !strings.HasPrefix(gdalLib.Source, "/usr/lib/x86_64-linux-gnu/libgdal.so.32") {
		t.Fatalf("libgdal.so.32 not vendored from the build stage: %+v", gdalLib)
	}
	ext := false
	for _, n := range gdalLib.NeededBy {
		ext = ext || strings.Contains(n, "site-packages/osgeo/_gdal.cpython-311")
	}
	if !ext {
		t.Errorf("libgdal.so.32 is needed by %v, not by osgeo/_gdal", gdalLib.NeededBy)
	}
	for _, want := range []string{"libproj.so.25", "libgeos_c.so.1"} {
		if _, ok := bySoname[want]; !ok {
			t.Errorf("%s (libgdal's dependency) not vendored", want)
		}
	}
	for _, never := range []string{"libc.so.6", "libm.so.6", "libpython3.11.so.1.0", "libz.so.1", "libstdc++.so.6"} {
		if _, ok := bySoname[never]; ok {
			t.Errorf("%s is on the runtime and must not be vendored", never)
		}
	}
	if rep.Check == nil || rep.Check.Errors != 0 || rep.Check.Files < len(native.Vendored) {
		t.Errorf("static check: %+v", rep.Check)
	}
	// Each library is in lib/ once, and nowhere else in the layer.
	zf := readZip(t, filepath.Join(out, "layer.zip"))
	copies := 0
	for name, f := range zf {
		if strings.Contains(filepath.Base(name), "libgdal.so") && f.Mode()&os.ModeSymlink == 0 {
			copies++
		}
	}
	if copies != 1 {
		t.Errorf("%d regular libgdal files in the layer, want 1", copies)
	}
	// The SBOM: every package and vendored library with its hash
	// (checkSBOM), GDAL's bindings with the sdist and the build image, and
	// each library with the Debian package that installed it.
	c := checkSBOM(t, out)
	fl := c.files["./lib/"+filepath.Base(gdalLib.Source)]
	if gdalLib.OSPackage == nil || gdalLib.OSPackage.Name != "libgdal32" || gdalLib.OSPackage.Distro != "debian" || gdalLib.OSPackage.Version == "" {
		t.Errorf("libgdal.so.32's package: %+v, want Debian's libgdal32", gdalLib.OSPackage)
	} else if fl == nil || !strings.Contains(fl.FileComment, "libgdal32 "+gdalLib.OSPackage.Version) ||
		c.purls["pkg:deb/debian/libgdal32@"+strings.ReplaceAll(gdalLib.OSPackage.Version, "+", "%2B")+"?arch=amd64"] == nil {
		t.Errorf("the SBOM does not tie libgdal.so.32 to Debian's libgdal32: %+v", fl)
	}
	withPkg := 0
	for _, v := range native.Vendored {
		if v.OSPackage != nil {
			withPkg++
		}
	}
	if withPkg != len(native.Vendored) {
		t.Errorf("%d of %d vendored libraries have their Debian package (all came from apt)", withPkg, len(native.Vendored))
	}
	var gdalPkg int64
	for _, p := range rep.Packages {
		if p.Name == "gdal" {
			gdalPkg = p.Bytes
		}
	}
	t.Logf("GDAL bindings layer: %d vendored libraries, %.1f MiB in lib/, GDAL bindings %.1f MiB, layer %.1f MiB unzipped / %.1f MiB zipped",
		len(native.Vendored), float64(native.Bytes)/(1<<20), float64(gdalPkg)/(1<<20), float64(rep.Totals.Unzipped)/(1<<20), float64(rep.Totals.Zipped)/(1<<20))
}

// nativeLibraries is the report's package of vendored libraries, or nil.
func nativeLibraries(rep *report.Report) *report.Package {
	for i, p := range rep.Packages {
		if p.Name == "native-libraries" {
			return &rep.Packages[i]
		}
	}
	return nil
}
