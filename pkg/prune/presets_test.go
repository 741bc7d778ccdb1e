package prune

import (
	"os"
	"path"
	"slices"
	"strings"
	"testing"
)

var numpyTree = []string{
	"numpy/__init__.py",
	"numpy/__init__.pyi",
	"numpy/__init__.pxd",
	"numpy/__init__.cython-30.pxd",
	"numpy/py.typed",
	"numpy/__pycache__/__init__.cpython-312.pyc",
	"numpy/_core/__init__.py",
	"numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so@4000",
	"numpy/_core/include/numpy/ndarraytypes.h@900",
	"numpy/_core/include/numpy/npy_common.h@300",
	"numpy/_core/include/numpy/random/distributions.h",
	"numpy/_core/lib/libnpymath.a",
	"numpy/_core/lib/npy-pkg-config/npymath.ini",
	"numpy/_core/tests/__init__.py",
	"numpy/_core/tests/_natype.py",
	"numpy/_core/tests/test_multiarray.py",
	"numpy/_core/tests/data/astype_copy.pkl",
	"numpy/testing/__init__.py",
	"numpy/testing/_private/utils.py",
	"numpy/random/_examples/cython/extending.pyx",
	"numpy/random/_examples/numba/extending.py",
	"numpy/random/_bounded_integers.pxd",
	"numpy/f2py/__init__.py",
	"numpy/f2py/src/fortranobject.c",
	"numpy/f2py/src/fortranobject.h",
	"numpy.libs/libscipy_openblas64_-ff651d7f.so@8000",
	"numpy-2.2.6.dist-info/METADATA",
	"numpy-2.2.6.dist-info/RECORD@700",
	"numpy-2.2.6.dist-info/INSTALLER",
	"numpy-2.2.6.dist-info/REQUESTED",
	"numpy-2.2.6.dist-info/WHEEL",
	"numpy-2.2.6.dist-info/entry_points.txt",
	"numpy-2.2.6.dist-info/LICENSE.txt",
}

func TestNumpyDefaults(t *testing.T) {
	res, removed, _ := planTree(t, Options{Package: "numpy"}, numpyTree...)
	expectRemoved(t, removed, SourceDefault,
		"numpy/__init__.pyi", "numpy/__init__.pxd", "numpy/__init__.cython-30.pxd", "numpy/py.typed",
		"numpy/__pycache__/__init__.cpython-312.pyc",
		"numpy/_core/include/numpy/ndarraytypes.h", "numpy/_core/include/numpy/npy_common.h",
		"numpy/_core/include/numpy/random/distributions.h",
		"numpy/random/_examples/cython/extending.pyx", "numpy/random/_bounded_integers.pxd",
		"numpy/f2py/src/fortranobject.c", "numpy/f2py/src/fortranobject.h",
		"numpy-2.2.6.dist-info/RECORD", "numpy-2.2.6.dist-info/INSTALLER", "numpy-2.2.6.dist-info/REQUESTED",
	)
	// NumPy is not on the tests allow-list: numpy.testing imports
	// numpy._core.tests._natype in NumPy 2.x.
	expectKept(t, removed,
		"numpy/_core/tests/__init__.py", "numpy/_core/tests/_natype.py", "numpy/_core/tests/test_multiarray.py",
		"numpy/_core/tests/data/astype_copy.pkl",
		"numpy/__init__.py", "numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so",
		"numpy/_core/lib/libnpymath.a", "numpy/testing/_private/utils.py",
		"numpy/random/_examples/numba/extending.py",
		"numpy.libs/libscipy_openblas64_-ff651d7f.so",
		"numpy-2.2.6.dist-info/METADATA", "numpy-2.2.6.dist-info/WHEEL",
		"numpy-2.2.6.dist-info/entry_points.txt", "numpy-2.2.6.dist-info/LICENSE.txt",
	)
	// Directories that pruning empties go too; their parents stay.
	var dirs []string
	for _, d := range res.Dirs {
		dirs = append(dirs, d.Path)
	}
	want := []string{"numpy/__pycache__", "numpy/_core/include", "numpy/f2py/src", "numpy/random/_examples/cython"}
	if !slices.Equal(dirs, want) {
		t.Errorf("removed dirs = %q, want %q", dirs, want)
	}
	for _, d := range res.Dirs {
		switch d.Path {
		case "numpy/__pycache__":
			if d.Rule == nil || d.Rule.Pattern != "__pycache__/" {
				t.Errorf("%s: rule %v, want __pycache__/", d.Path, d.Rule)
			}
		case "numpy/_core/include":
			// Emptied by *.h, not matched itself.
			if d.Rule != nil || d.Files != 3 || d.Bytes != 900+300+int64(len("numpy/_core/include/numpy/random/distributions.h")) {
				t.Errorf("%s: %+v", d.Path, d)
			}
		}
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %+v", res.Warnings)
	}
}

// A user who prunes every tests directory loses numpy's _natype and is
// told why that breaks numpy.testing.
func TestNumpyUserPruneOfTestsWarns(t *testing.T) {
	res, removed, _ := planTree(t, Options{Package: "numpy", Rules: []Rule{pr("**/tests/")}}, numpyTree...)
	expectRemoved(t, removed, "Geolayerfile:1", "numpy/_core/tests/_natype.py", "numpy/_core/tests/test_multiarray.py")
	var natype *Warning
	for i, w := range res.Warnings {
		if slices.Contains(w.Paths, "numpy/_core/tests/_natype.py") {
			natype = &res.Warnings[i]
		}
	}
	if natype == nil || !strings.Contains(natype.Message, "numpy/numpy#28936") || natype.Rule.Pattern != "**/tests/" {
		t.Fatalf("no _natype warning: %+v", res.Warnings)
	}
	// With a KEEP the user rescues it, and the warning goes away.
	res, removed, _ = planTree(t, Options{Package: "numpy", Rules: []Rule{pr("**/tests/"), kp("numpy/_core/tests/_natype.py"), kp("numpy/_core/tests/__init__.py")}}, numpyTree...)
	expectKept(t, removed, "numpy/_core/tests/_natype.py", "numpy/_core/tests/__init__.py")
	expectRemoved(t, removed, "Geolayerfile:1", "numpy/_core/tests/test_multiarray.py", "numpy/_core/tests/data/astype_copy.pkl")
	if len(res.Warnings) != 0 {
		t.Errorf("warnings after KEEP: %+v", res.Warnings)
	}
}

func TestNumpy1Doc(t *testing.T) {
	tree := []string{"numpy/__init__.py", "numpy/doc/__init__.py", "numpy/doc/constants.py", "numpy/doc/ufuncs.py"}
	_, removed, _ := planTree(t, Options{Package: "numpy"}, tree...)
	expectRemoved(t, removed, SourceDefault, "numpy/doc/constants.py", "numpy/doc/__init__.py")
	// For any other project a docs directory holding code stays.
	_, removed, _ = planTree(t, Options{Package: "othernumpy"}, tree...)
	expectKept(t, removed, "numpy/doc/constants.py")
}

var shapelyTree = []string{
	"shapely/__init__.py",
	"shapely/lib.cpython-312-x86_64-linux-gnu.so@3000",
	"shapely/testing.py",
	"shapely/_geometry.pyi",
	"shapely/tests/__init__.py",
	"shapely/tests/common.py",
	"shapely/tests/test_creation.py@1200",
	"shapely/tests/geometry/test_point.py@800",
	"shapely/tests/legacy/data/linearring_1.8.5.post1.pickle@100",
	"shapely/tests/__pycache__/common.cpython-312.pyc",
	"shapely.libs/libgeos-d5f4b8ef.so.3.13.1@5000",
	"shapely-2.1.1.dist-info/METADATA",
	"shapely-2.1.1.dist-info/RECORD",
	"shapely-2.1.1.dist-info/WHEEL",
	"shapely-2.1.1.dist-info/top_level.txt",
	"shapely-2.1.1.dist-info/licenses/LICENSE.txt",
	"shapely-2.1.1.dist-info/licenses/LICENSE_GEOS",
}

func TestShapelyTests(t *testing.T) {
	for _, pkg := range []string{"shapely", "Shapely"} { // normalized either way
		res, removed, _ := planTree(t, Options{Package: pkg}, shapelyTree...)
		expectRemoved(t, removed, SourceDefault,
			"shapely/tests/__init__.py", "shapely/tests/common.py", "shapely/tests/test_creation.py",
			"shapely/tests/geometry/test_point.py", "shapely/tests/legacy/data/linearring_1.8.5.post1.pickle",
			"shapely/tests/__pycache__/common.cpython-312.pyc", "shapely/_geometry.pyi",
			"shapely-2.1.1.dist-info/RECORD")
		expectKept(t, removed, "shapely/testing.py", "shapely/__init__.py", "shapely/lib.cpython-312-x86_64-linux-gnu.so",
			"shapely.libs/libgeos-d5f4b8ef.so.3.13.1", "shapely-2.1.1.dist-info/METADATA",
			"shapely-2.1.1.dist-info/top_level.txt", "shapely-2.1.1.dist-info/WHEEL",
			"shapely-2.1.1.dist-info/licenses/LICENSE.txt", "shapely-2.1.1.dist-info/licenses/LICENSE_GEOS")
		if removed["shapely/tests/test_creation.py"].Pattern != "shapely/tests/" {
			t.Errorf("test file attributed to %v", removed["shapely/tests/test_creation.py"])
		}
		// shapely/tests goes as one directory, attributed to its rule.
		found := false
		for _, d := range res.Dirs {
			if d.Path == "shapely/tests" {
				found = true
				if d.Rule == nil || d.Rule.Pattern != "shapely/tests/" || d.Files != 6 {
					t.Errorf("shapely/tests: %+v", d)
				}
			}
			if strings.HasPrefix(d.Path, "shapely/tests/") {
				t.Errorf("nested dir %s listed; only the top-most removed directory should be", d.Path)
			}
		}
		if !found {
			t.Errorf("shapely/tests not in Dirs: %+v", res.Dirs)
		}
	}
	// Tests are allow-listed per project: without a project name, or for
	// another project, they stay.
	for _, pkg := range []string{"", "numpy", "shapely-extra"} {
		_, removed, _ := planTree(t, Options{Package: pkg}, shapelyTree...)
		expectKept(t, removed, "shapely/tests/test_creation.py")
	}
}

func TestTestsAllowList(t *testing.T) {
	list := TestsAllowList()
	if _, ok := list["numpy"]; ok {
		t.Fatal("numpy must not be on the tests allow-list")
	}
	for _, p := range []string{"shapely", "pandas", "scipy", "geopandas"} {
		if len(list[p]) == 0 {
			t.Errorf("%s missing from the allow-list", p)
		}
	}
	_, removed, _ := planTree(t, Options{Package: "scipy"},
		"scipy/linalg/tests/test_basic.py", "scipy/sparse/linalg/_dsolve/tests/test_linsolve.py",
		"scipy/_lib/_testutils.py", "scipy/linalg/_basic.py")
	expectRemoved(t, removed, SourceDefault, "scipy/linalg/tests/test_basic.py", "scipy/sparse/linalg/_dsolve/tests/test_linsolve.py")
	expectKept(t, removed, "scipy/_lib/_testutils.py", "scipy/linalg/_basic.py")
	_, removed, _ = planTree(t, Options{Package: "geopandas"},
		"geopandas/tests/test_geodataframe.py", "geopandas/io/tests/test_file.py", "geopandas/testing.py", "geopandas/conftest.py")
	expectRemoved(t, removed, SourceDefault, "geopandas/tests/test_geodataframe.py", "geopandas/io/tests/test_file.py")
	expectKept(t, removed, "geopandas/testing.py", "geopandas/conftest.py")
}

var projFiles = []string{
	"proj.db@8000", "proj.ini", "projjson.schema.json", "deformation_model.schema.json", "triangulation.schema.json",
	"ITRF2000", "ITRF2014", "ITRF2020", "world", "other.extra", "nad.lst", "CH", "GL27", "nad27", "nad83",
}

var projGrids = []string{
	"us_noaa_alaska.tif@3000", "ca_nrc_ntv2_0.tif@2000", "BETA2007.gsb@500", "egm96_15.gtx@4000",
	"CGG2013n83a.byn@300", "conus.lla@100", "nz_linz_nzgd2000-20180701.json@200", "sub/dk_sdfe_dvr90.tif@100",
}

func under(dir string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = dir + n
	}
	return out
}

func pathsOf(specs []string) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i], _, _ = strings.Cut(s, "@")
	}
	return out
}

func pyprojTree() []string {
	tree := []string{
		"pyproj/__init__.py", "pyproj/_crs.cpython-312-x86_64-linux-gnu.so@2000", "pyproj/_crs.pyi",
		"pyproj/_crs.pxd", "pyproj/proj.pxi", "pyproj/py.typed", "pyproj/datadir.py",
		"pyproj.libs/libproj-8f1b7a50.so.25.9.6.1@6000",
		"pyproj-3.7.1.dist-info/METADATA", "pyproj-3.7.1.dist-info/RECORD", "pyproj-3.7.1.dist-info/WHEEL",
		"pyproj-3.7.1.dist-info/top_level.txt", "pyproj-3.7.1.dist-info/entry_points.txt",
		"pyproj-3.7.1.dist-info/licenses/LICENSE", "pyproj-3.7.1.dist-info/licenses/LICENSE_proj",
	}
	tree = append(tree, under("pyproj/proj_dir/share/proj/", projFiles)...)
	tree = append(tree, under("pyproj/proj_dir/share/proj/", projGrids)...)
	return tree
}

func TestPyprojGeo(t *testing.T) {
	dataDir := "pyproj/proj_dir/share/proj/"
	// Defaults alone leave PROJ data alone.
	_, removed, _ := planTree(t, Options{Package: "pyproj"}, pyprojTree()...)
	expectKept(t, removed, under(dataDir, pathsOf(projGrids))...)
	expectKept(t, removed, under(dataDir, pathsOf(projFiles))...)
	expectRemoved(t, removed, SourceDefault, "pyproj/_crs.pyi", "pyproj/_crs.pxd", "pyproj/proj.pxi", "pyproj/py.typed")

	res, removed, _ := planTree(t, Options{Package: "pyproj", Presets: []string{"geo"}}, pyprojTree()...)
	expectRemoved(t, removed, SourceGeo, under(dataDir, pathsOf(projGrids))...)
	expectKept(t, removed, under(dataDir, pathsOf(projFiles))...)
	expectKept(t, removed, "pyproj/datadir.py", "pyproj-3.7.1.dist-info/METADATA", "pyproj-3.7.1.dist-info/licenses/LICENSE_proj")
	if r := removed[dataDir+"nz_linz_nzgd2000-20180701.json"]; r == nil || r.Pattern != "**/share/proj/**/*.json" {
		t.Errorf("JSON grid removed by %v", r)
	}
	// The grids' per-rule bytes add up.
	var geoBytes int64
	for _, s := range res.Rules {
		if s.Rule.Source == SourceGeo {
			geoBytes += s.Bytes
		}
	}
	if geoBytes != 3000+2000+500+4000+300+100+200+100 {
		t.Errorf("geo preset removed %d bytes", geoBytes)
	}
	// NoDefaults with the preset: only the grids go.
	_, removed, _ = planTree(t, Options{Package: "pyproj", NoDefaults: true, Presets: []string{"geo"}}, pyprojTree()...)
	expectKept(t, removed, "pyproj/_crs.pyi", "pyproj-3.7.1.dist-info/RECORD")
	expectRemoved(t, removed, SourceGeo, dataDir+"egm96_15.gtx")
}

func rasterioTree() []string {
	tree := []string{
		"rasterio/__init__.py", "rasterio/features.py", "rasterio/_base.cpython-312-x86_64-linux-gnu.so@2000",
		"rasterio/_base.pxd", "rasterio/gdal.pxi",
		"rasterio/rio/__init__.py", "rasterio/rio/helpers.py", "rasterio/rio/main.py", "rasterio/rio/calc.py@700",
		"rasterio/rio/__pycache__/__init__.cpython-312.pyc", "rasterio/rio/__pycache__/helpers.cpython-312.pyc",
		"rasterio/rio/__pycache__/calc.cpython-312.pyc",
		"rasterio/gdal_data/gdalvrt.xsd", "rasterio/gdal_data/GDALLogoColor.svg@600", "rasterio/gdal_data/GDALLogoBW.svg@500",
		"rasterio/gdal_data/gdalicon.png", "rasterio/gdal_data/gt_datum.csv", "rasterio/gdal_data/header.dxf",
		"rasterio/gdal_data/grib2_center.csv", "rasterio/gdal_data/tms_NZTM2000.json", "rasterio/gdal_data/osmconf.ini",
		"rasterio/gdal_data/gdalmdiminfo_output.schema.json", "rasterio/gdal_data/LICENSE.TXT",
		"rasterio.libs/libgdal-a1b2c3d4.so.36.3.10.3@9000",
		"rasterio-1.4.3.dist-info/METADATA", "rasterio-1.4.3.dist-info/RECORD", "rasterio-1.4.3.dist-info/INSTALLER",
		"rasterio-1.4.3.dist-info/WHEEL", "rasterio-1.4.3.dist-info/entry_points.txt",
		"rasterio-1.4.3.dist-info/top_level.txt", "rasterio-1.4.3.dist-info/licenses/LICENSE.txt",
		"rasterio-1.4.3.dist-info/licenses/AUTHORS.txt",
	}
	tree = append(tree, under("rasterio/proj_data/", projFiles)...)
	tree = append(tree, "rasterio/proj_data/us_nga_egm96_15.tif@900")
	return tree
}

func TestRasterioGeo(t *testing.T) {
	_, removed, _ := planTree(t, Options{Package: "rasterio", Presets: []string{"geo"}}, rasterioTree()...)
	expectRemoved(t, removed, SourceGeo, "rasterio/gdal_data/GDALLogoColor.svg", "rasterio/gdal_data/GDALLogoBW.svg",
		"rasterio/proj_data/us_nga_egm96_15.tif")
	expectKept(t, removed, under("rasterio/proj_data/", pathsOf(projFiles))...)
	expectKept(t, removed, "rasterio/gdal_data/gdalvrt.xsd", "rasterio/gdal_data/gdalicon.png", "rasterio/gdal_data/gt_datum.csv",
		"rasterio/gdal_data/header.dxf", "rasterio/gdal_data/grib2_center.csv", "rasterio/gdal_data/tms_NZTM2000.json",
		"rasterio/gdal_data/osmconf.ini", "rasterio/gdal_data/gdalmdiminfo_output.schema.json", "rasterio/gdal_data/LICENSE.TXT",
		// geo is not geo-cli: the rio CLI stays.
		"rasterio/rio/main.py", "rasterio/rio/calc.py",
		"rasterio-1.4.3.dist-info/entry_points.txt")
}

func TestGeoCLI(t *testing.T) {
	res, removed, _ := planTree(t, Options{Package: "rasterio", Presets: []string{"geo-cli"}, Bytecode: true}, rasterioTree()...)
	expectRemoved(t, removed, SourceGeoCLI, "rasterio/rio/main.py", "rasterio/rio/calc.py", "rasterio/rio/__pycache__/calc.cpython-312.pyc")
	// rasterio.features imports rasterio.rio.helpers.
	expectKept(t, removed, "rasterio/rio/__init__.py", "rasterio/rio/helpers.py",
		"rasterio/rio/__pycache__/__init__.cpython-312.pyc", "rasterio/rio/__pycache__/helpers.cpython-312.pyc",
		"rasterio/features.py", "rasterio-1.4.3.dist-info/entry_points.txt")
	for _, d := range res.Dirs {
		if strings.HasPrefix(d.Path, "rasterio/rio") {
			t.Errorf("%s removed as a whole", d.Path)
		}
	}
	// Bytecode: caches of the remaining modules stay.
	expectKept(t, removed, "rasterio/rio/__pycache__/helpers.cpython-312.pyc")

	res, removed, _ = planTree(t, Options{Package: "fiona", Presets: []string{"geo-cli"}},
		"fiona/__init__.py", "fiona/fio/__init__.py", "fiona/fio/main.py", "fiona/fio/cat.py",
		"fiona-1.10.1.dist-info/entry_points.txt")
	expectRemoved(t, removed, SourceGeoCLI, "fiona/fio/__init__.py", "fiona/fio/main.py", "fiona/fio/cat.py")
	expectKept(t, removed, "fiona/__init__.py", "fiona-1.10.1.dist-info/entry_points.txt")
	if len(res.Dirs) != 1 || res.Dirs[0].Path != "fiona/fio" || res.Dirs[0].Rule == nil || res.Dirs[0].Rule.Pattern != "fiona/fio/" {
		t.Errorf("dirs = %+v, want fiona/fio by its rule", res.Dirs)
	}
	// geo-cli rules are project-specific: a different package keeps a
	// directory that happens to be called rasterio/rio.
	_, removed, _ = planTree(t, Options{Package: "other", Presets: []string{"geo-cli"}}, "rasterio/rio/main.py")
	expectKept(t, removed, "rasterio/rio/main.py")
}

// TestDistInfoNeverRemovedByBuiltins runs every built-in rule set for many
// projects over dist-info directories and license files.
func TestDistInfoNeverRemovedByBuiltins(t *testing.T) {
	must := []string{
		"x-1.0.dist-info/METADATA", "x-1.0.dist-info/WHEEL", "x-1.0.dist-info/entry_points.txt",
		"x-1.0.dist-info/top_level.txt", "x-1.0.dist-info/LICENSE", "x-1.0.dist-info/LICENSE.txt",
		"x-1.0.dist-info/COPYING", "x-1.0.dist-info/NOTICE", "x-1.0.dist-info/AUTHORS.rst",
		"x-1.0.dist-info/licenses/LICENSE", "x-1.0.dist-info/licenses/vendor/numpy/random/LICENSE.md",
		"x-1.0.dist-info/licenses/vendor/gdal/data.c", "x-1.0.dist-info/licenses/setup.py.pyi",
		"x/LICENSE", "x/tests/LICENSE.txt", "x/include/License.h", "x/src/COPYING.c", "x/docs/LICENSE.rst",
		"x/proj_data/copyright", "x/share/proj/copyright",
		"scipy/linalg/tests/LICENSE", "shapely/tests/NOTICE.txt",
	}
	gone := []string{"x-1.0.dist-info/RECORD", "x-1.0.dist-info/INSTALLER", "x-1.0.dist-info/REQUESTED"}
	projects := []string{"", "x", "numpy", "shapely", "scipy", "pandas", "geopandas", "rasterio", "fiona", "pyproj", "cython"}
	for _, pkg := range projects {
		_, removed, _ := planTree(t, Options{Package: pkg, Presets: PresetNames()}, append(append([]string{}, must...), gone...)...)
		expectKept(t, removed, must...)
		expectRemoved(t, removed, SourceDefault, gone...)
	}
	// Nested dist-info-looking paths are not dist-info directories.
	_, removed, _ := planTree(t, Options{}, "pkg/vendored/y-1.0.dist-info/RECORD")
	expectKept(t, removed, "pkg/vendored/y-1.0.dist-info/RECORD")
}

func TestUserPruneOfMetadataWarns(t *testing.T) {
	res, removed, _ := planTree(t, Options{Package: "x", Rules: []Rule{{Pattern: "*.dist-info/", Source: "Geolayerfile:9"}}},
		"x/__init__.py", "x-1.0.dist-info/METADATA", "x-1.0.dist-info/RECORD", "x-1.0.dist-info/licenses/LICENSE")
	expectRemoved(t, removed, "", "x-1.0.dist-info/METADATA", "x-1.0.dist-info/licenses/LICENSE", "x-1.0.dist-info/RECORD")
	var msgs []string
	for _, w := range res.Warnings {
		msgs = append(msgs, w.Message)
		if w.Rule == nil || w.Rule.Source != "Geolayerfile:9" {
			t.Errorf("warning without the user rule: %+v", w)
		}
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"pyproj4/pyproj#1155", "license text"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings do not mention %s:\n%s", want, all)
		}
	}
	if len(res.Warnings) != 2 {
		t.Errorf("want 2 warnings (METADATA, licenses), got %d:\n%s", len(res.Warnings), all)
	}
	// RECORD is a default removal anyway: it is attributed to the default.
	if r := removed["x-1.0.dist-info/RECORD"]; r.Source != SourceDefault {
		t.Errorf("RECORD attributed to %v", r)
	}
}

func TestDocsDirectories(t *testing.T) {
	tree := []string{
		"pkg/__init__.py", "pkg/docs/index.rst", "pkg/docs/img/logo.png", "pkg/sub/doc/guide.md",
		"pkg/examples/demo.ipynb",
		"pkg/examples2/demo.py",
		// botocore.docs is imported by botocore.client.
		"botocore/docs/__init__.py", "botocore/docs/client.py", "botocore/docs/bcdoc/restdoc.py",
		// Python code without __init__.py (a namespace package) also stays.
		"ns/examples/sub/demo.py", "ns/examples/README.txt",
		// A top-level package called docs is never touched.
		"docs/index.rst", "docs/__init__.py",
	}
	_, removed, _ := planTree(t, Options{Package: "pkg"}, tree...)
	expectRemoved(t, removed, SourceDefault, "pkg/docs/index.rst", "pkg/docs/img/logo.png", "pkg/sub/doc/guide.md", "pkg/examples/demo.ipynb")
	expectKept(t, removed, "pkg/examples2/demo.py", "botocore/docs/__init__.py", "botocore/docs/client.py",
		"botocore/docs/bcdoc/restdoc.py", "ns/examples/sub/demo.py", "ns/examples/README.txt", "docs/index.rst")
	// Match sees paths only and cannot tell: it never applies these rules.
	m, err := Compile(Options{Package: "pkg"})
	if err != nil {
		t.Fatal(err)
	}
	if rm, _ := m.Match("pkg/docs/index.rst", false); rm {
		t.Error("Match applied a NoCodeBelow rule")
	}
	if d := m.Decide("pkg/docs/index.rst", false, func(string) bool { return false }); !d.Remove {
		t.Error("Decide with a code-free tree did not apply the docs rule")
	}
}

func TestBytecode(t *testing.T) {
	tree := []string{"pkg/__init__.py", "pkg/__pycache__/__init__.cpython-312.pyc", "pkg/old.pyc", "pkg/legacy.pyo", "pkg/x.h"}
	_, removed, _ := planTree(t, Options{}, tree...)
	expectRemoved(t, removed, SourceDefault, "pkg/__pycache__/__init__.cpython-312.pyc", "pkg/old.pyc", "pkg/legacy.pyo", "pkg/x.h")
	_, removed, _ = planTree(t, Options{Bytecode: true}, tree...)
	expectKept(t, removed, "pkg/__pycache__/__init__.cpython-312.pyc", "pkg/old.pyc", "pkg/legacy.pyo")
	expectRemoved(t, removed, SourceDefault, "pkg/x.h")
	_, removed, _ = planTree(t, Options{NoDefaults: true}, tree...)
	if len(removed) != 0 {
		t.Errorf("NoDefaults removed %v", removed)
	}
}

func TestRunTimeCompilersKeepSources(t *testing.T) {
	tree := []string{"Cython/Includes/libc/stdio.pxd", "cupy/_core/include/cupy/carray.cuh", "cupy/_core/include/cupy/complex.h",
		"mypy/typeshed/stdlib/os/__init__.pyi", "cffi/parse_c_type.h"}
	for pkg, paths := range map[string][]string{
		"Cython":       {"Cython/Includes/libc/stdio.pxd"},
		"cupy-cuda12x": {"cupy/_core/include/cupy/complex.h"},
		"cffi":         {"cffi/parse_c_type.h"},
		"mypy":         {"mypy/typeshed/stdlib/os/__init__.pyi"},
	} {
		_, removed, _ := planTree(t, Options{Package: pkg}, tree...)
		expectKept(t, removed, paths...)
	}
	_, removed, _ := planTree(t, Options{Package: "somethingelse"}, tree...)
	expectRemoved(t, removed, SourceDefault, "Cython/Includes/libc/stdio.pxd", "cupy/_core/include/cupy/complex.h",
		"cffi/parse_c_type.h", "mypy/typeshed/stdlib/os/__init__.pyi")
}

func TestBuiltinRulesAreDocumented(t *testing.T) {
	for _, name := range append([]string{"protect", "default"}, PresetNames()...) {
		rules, ok := Builtin(name)
		if !ok || len(rules) == 0 {
			t.Fatalf("Builtin(%q) = %v, %v", name, rules, ok)
		}
		for _, r := range rules {
			if r.Reason == "" || r.Source == "" {
				t.Errorf("%s: %v has no reason or source", name, r)
			}
			if _, problem := parsePattern(r.Pattern); problem != "" {
				t.Errorf("%s: %q: %s", name, r.Pattern, problem)
			}
		}
	}
	if _, ok := Builtin("nope"); ok {
		t.Error("Builtin(nope) ok")
	}
}

// TestDocMentionsEveryBuiltinRule keeps doc.go's tables in step with the
// rule tables.
func TestDocMentionsEveryBuiltinRule(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, name := range append([]string{"protect", "default"}, PresetNames()...) {
		rules, _ := Builtin(name)
		for _, r := range rules {
			p := r.Pattern
			for _, dir := range []string{"**/proj_data/", "**/share/proj/", "**/gdal_data/", "**/share/gdal/"} {
				if strings.HasPrefix(p, dir) && p != dir+"**/proj.db" && p != dir+"gdalvrt.xsd" {
					p = strings.TrimPrefix(p, dir)
				}
			}
			if !strings.Contains(text, p) && !strings.Contains(text, path.Base(p)) {
				t.Errorf("doc.go does not mention %s rule %q", name, r.Pattern)
			}
			for _, proj := range append(slices.Clone(r.Projects), r.Except...) {
				if !strings.Contains(text, proj) {
					t.Errorf("doc.go does not mention project %q of rule %q", proj, r.Pattern)
				}
			}
		}
	}
	if !strings.Contains(text, "--preset=geo-cli") {
		t.Error("doc.go does not explain geo-cli")
	}
}
