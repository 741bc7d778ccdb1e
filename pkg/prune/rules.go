package prune

import (
	"maps"
	"slices"
)

// Sources of the built-in rules.
const (
	SourceDefault = "default"
	SourceGeo     = "preset geo"
	SourceGeoCLI  = "preset geo-cli"
)

// Built-in KEEPs. They protect files from the default and preset PRUNE
// rules and are always active (also with NoDefaults). A Geolayerfile PRUNE
// still removes them, with a warning built from Reason.
var protectRules = []Rule{
	// License texts: most licenses require shipping them with the code.
	keep(`[Ll][Ii][Cc][Ee][Nn][CcSs][Ee]*`, "license text; most licenses require it to ship with the code"),
	keep(`[Cc][Oo][Pp][Yy][Ii][Nn][Gg]*`, "license text (COPYING); most licenses require it to ship with the code"),
	keep(`[Cc][Oo][Pp][Yy][Rr][Ii][Gg][Hh][Tt]*`, "copyright notice (vcpkg and Debian style); licenses require it to ship with the code"),
	keep(`[Nn][Oo][Tt][Ii][Cc][Ee]*`, "NOTICE file; the Apache License requires it to ship with the code"),
	keep(`[Aa][Uu][Tt][Hh][Oo][Rr][Ss]*`, "AUTHORS file; BSD-style licenses name the copyright holders through it"),
	keep(`*.dist-info/licenses/`, "license files recorded in the metadata (PEP 639 License-File)"),
	// Metadata read at run time.
	keep(`*.dist-info/METADATA`, "importlib.metadata.version() reads METADATA; pyproj 3.4.0 failed to import without it (pyproj4/pyproj#1155), so did werkzeug and others (serverless-python-requirements#441, #296)"),
	keep(`*.dist-info/entry_points.txt`, "entry points drive plugin discovery and console scripts (importlib.metadata.entry_points(); rasterio's rio subcommands, fiona's fio)"),
	keep(`*.dist-info/top_level.txt`, "maps import names to distributions (importlib.metadata.packages_distributions())"),
	keep(`*.dist-info/WHEEL`, "records how the package was built (Root-Is-Purelib, tags); tools inspecting an install read it"),
	// Data read at import or first use.
	keepFor([]string{"numpy"}, `numpy/_core/tests/__init__.py`, "numpy 2.x imports numpy._core.tests._natype from numpy.testing; wheels without it failed to import (numpy/numpy#28936); scipy's array_api_compat needs numpy._core.tests (amazon-braket-examples#819)"),
	keepFor([]string{"numpy"}, `numpy/_core/tests/_natype.py`, "numpy 2.x imports numpy._core.tests._natype from numpy.testing; wheels without it failed to import (numpy/numpy#28936)"),
	keep(`**/proj_data/**/proj.db`, "PROJ cannot transform without proj.db; rasterio and fiona fall back to their proj_data when PROJ_DATA/PROJ_LIB are unset, and a proj.db from another PROJ version fails with DATABASE.LAYOUT.VERSION errors (lambgeo/docker-lambda#86)"),
	keep(`**/share/proj/**/proj.db`, "PROJ cannot transform without proj.db; pyproj uses its own proj_dir/share/proj before PROJ_DATA (pyproj datadir.py)"),
	keep(`**/gdal_data/gdalvrt.xsd`, "rasterio uses its wheel's gdal_data as GDAL_DATA only if gdalvrt.xsd is there (rasterio/_env.pyx)"),
}

// bytecodePatterns are the default rules that BYTECODE turns off.
var bytecodePatterns = map[string]bool{"__pycache__/": true, "*.pyc": true, "*.pyo": true}

// Projects that compile C, C++ or Cython at run time and read their own
// headers and sources to do so.
var compilesAtRunTime = []string{
	"cffi", "cython", "numba", "pythran", "pybind11", "nanobind",
	"cupy", "cupy-*", "pyopencl", "pycuda", "torch", "triton",
}

// Projects that read .pyi stubs at run time (type checkers and IDE engines).
var readsStubs = []string{"mypy", "basedmypy", "jedi", "typeshed-client", "pytype", "pyre-check"}

const (
	whyBytecode = "bytecode cache; Python compiles in memory when it is missing (a read-only layer is never written to), and caches are not reproducible unless built with --invalidation-mode unchecked-hash (PEP 552); BYTECODE keeps them"
	whyCSource  = "C/C++/Cython source or header: needed only to compile against the package (numpy.get_include() headers such as numpy/_core/include, .pxd files for cimport), never at import"
	whyStubs    = "type stubs and the PEP 561 marker are read by type checkers only"
	whyDocs     = "documentation or examples inside a package; only directories without Python code are removed (botocore.docs, for one, is imported by botocore.client)"
	whyRecord   = "install bookkeeping (PEP 376/627): RECORD lists files for uninstallers and importlib.metadata.files(); INSTALLER and REQUESTED name the tool and the request. Nothing in a deployed layer installs or uninstalls"
)

// defaultRules are the default PRUNE rules (off with NoDefaults).
var defaultRules = []Rule{
	prune(`__pycache__/`, whyBytecode),
	prune(`*.pyc`, whyBytecode),
	prune(`*.pyo`, "optimized bytecode of Python < 3.5 (PEP 488 replaced .pyo); never loaded"),

	pruneExcept(compilesAtRunTime, `*.c`, whyCSource),
	pruneExcept(compilesAtRunTime, `*.h`, whyCSource),
	pruneExcept(compilesAtRunTime, `*.cpp`, whyCSource),
	pruneExcept(compilesAtRunTime, `*.hpp`, whyCSource),
	pruneExcept(compilesAtRunTime, `*.cc`, whyCSource),
	pruneExcept(compilesAtRunTime, `*.cxx`, whyCSource),
	pruneExcept(compilesAtRunTime, `*.pyx`, whyCSource),
	pruneExcept(compilesAtRunTime, `*.pxd`, whyCSource),
	pruneExcept(compilesAtRunTime, `*.pxi`, whyCSource),

	pruneExcept(readsStubs, `*.pyi`, whyStubs),
	pruneExcept(readsStubs, `py.typed`, whyStubs),

	// "*/" anchors below a top-level directory: a top-level package that is
	// literally called docs or examples is never touched.
	{Pattern: `*/**/doc/`, Source: SourceDefault, Reason: whyDocs, NoCodeBelow: true},
	{Pattern: `*/**/docs/`, Source: SourceDefault, Reason: whyDocs, NoCodeBelow: true},
	{Pattern: `*/**/examples/`, Source: SourceDefault, Reason: whyDocs, NoCodeBelow: true},
	pruneFor([]string{"numpy"}, `numpy/doc/`, "numpy < 2 ships numpy/doc (docstring-only modules) that nothing imports; lambgeo/geo-layer deletes it"),
	pruneFor([]string{"shapely"}, `shapely/examples/`, "shapely 1.x example scripts; nothing in shapely imports them"),

	// Tests, allow-listed per project (see TestsAllowList).
	pruneFor([]string{"shapely"}, `shapely/tests/`, "shapely's test suite; shapely.testing is a separate module, and nothing outside shapely/tests imports shapely.tests (checked at shapely 330e9d33)"),
	pruneFor([]string{"pandas"}, `pandas/tests/`, "pandas' test suite (the largest directory of the wheel); the public helpers live in pandas.testing and pandas._testing, which stay"),
	pruneFor([]string{"geopandas"}, `geopandas/**/tests/`, "geopandas' test suites (geopandas/tests, io/tests, tools/tests); only geopandas/conftest.py, a pytest file, imports geopandas.tests (checked at geopandas 81efcbee)"),
	pruneFor([]string{"scipy"}, `scipy/**/tests/`, "scipy's per-module test suites; scipy._lib._testutils stays, and no runtime module imports scipy.*.tests (checked at scipy 3dbf660a; only the developer script special/_precompute does)"),

	prune(`*.dist-info/RECORD`, whyRecord),
	prune(`*.dist-info/INSTALLER`, whyRecord),
	prune(`*.dist-info/REQUESTED`, whyRecord),
}

// PROJ data locations: rasterio/, fiona/ and pyogrio/ wheels carry
// <pkg>/proj_data; pyproj carries pyproj/proj_dir/share/proj; source
// builds and conda-style trees use share/proj.
var projDirs = []string{`**/proj_data/`, `**/share/proj/`}

// PROJ grid formats: GeoTIFF (PROJ >= 7), NTv2, GTX and BYN vertical
// grids, the .lla sources of the old ctable grids, and JSON deformation
// models and triangulations.
var projGridExts = []struct{ ext, what string }{
	{"tif", "GeoTIFF datum or geoid grid (PROJ >= 7)"},
	{"tiff", "GeoTIFF datum or geoid grid"},
	{"gsb", "NTv2 horizontal grid"},
	{"gtx", "GTX vertical (geoid) grid"},
	{"byn", "BYN vertical grid (Natural Resources Canada)"},
	{"lla", "ASCII source of an old ctable2 grid"},
	{"json", "JSON deformation model or triangulation (the *.schema.json files stay)"},
}

const whyGrid = "; optional: PROJ runs without it, picks a less accurate or ballpark transformation, or fetches it from cdn.proj.org with PROJ_NETWORK=ON. proj.db, proj.ini, the *.schema.json files and the small init files (ITRF*, world, other.extra, nad.lst, nad27, nad83, CH, GL27) stay"

func geoRules() []Rule {
	var out []Rule
	for _, dir := range projDirs {
		for _, g := range projGridExts {
			out = append(out, Rule{Pattern: dir + "**/*." + g.ext, Source: SourceGeo, Reason: "PROJ " + g.what + whyGrid})
		}
		out = append(out, Rule{Pattern: dir + "**/*.schema.json", Keep: true, Source: SourceGeo,
			Reason: "JSON schemas PROJ validates PROJJSON, deformation models and triangulations against"})
	}
	for _, dir := range []string{`**/gdal_data/`, `**/share/gdal/`} {
		out = append(out, Rule{Pattern: dir + "GDALLogo*.svg", Source: SourceGeo,
			Reason: "GDAL logo artwork installed for applications; GDAL's drivers never open it. All other GDAL data stays: drivers read it lazily (GRIB tables, S-57, DXF header/trailer, GML registries, tms_*.json, osmconf.ini…) and which ones a function needs depends on its data"})
	}
	return out
}

const whyRio = "rasterio.features imports rasterio.rio.helpers (coords) at import time (rasterio/features.py), so these stay with the rest of rasterio/rio gone"

func geoCLIRules() []Rule {
	return []Rule{
		pruneWith(SourceGeoCLI, []string{"rasterio"}, `rasterio/rio/`, "the rio command line (click commands); the library does not need it, but the rio console script and the rasterio.rio_commands entry points stop working"),
		keepWith(SourceGeoCLI, []string{"rasterio"}, `rasterio/rio/__init__.py`, whyRio),
		keepWith(SourceGeoCLI, []string{"rasterio"}, `rasterio/rio/helpers.py`, whyRio),
		keepWith(SourceGeoCLI, []string{"rasterio"}, `rasterio/rio/__pycache__/__init__.*`, whyRio),
		keepWith(SourceGeoCLI, []string{"rasterio"}, `rasterio/rio/__pycache__/helpers.*`, whyRio),
		pruneWith(SourceGeoCLI, []string{"fiona"}, `fiona/fio/`, "the fio command line (click commands); no fiona module outside fiona/fio imports it (checked at Fiona ec9768a), but the fio console script stops working"),
	}
}

var presets = map[string][]Rule{
	"geo":     geoRules(),
	"geo-cli": geoCLIRules(),
}

// PresetNames lists the presets Options.Presets accepts.
func PresetNames() []string { return slices.Sorted(maps.Keys(presets)) }

// Builtin returns a copy of a built-in rule set: "protect" (the built-in
// KEEPs), "default", or a preset name. Project-specific rules are included
// for every project.
func Builtin(name string) ([]Rule, bool) {
	switch name {
	case "protect":
		return cloneRules(protectRules), true
	case "default":
		return cloneRules(defaultRules), true
	}
	p, ok := presets[name]
	return cloneRules(p), ok
}

// TestsAllowList maps projects to the test directories the defaults remove
// for them. Only projects whose test directories nothing imports at run
// time are listed; NumPy is deliberately absent (numpy.testing imported
// numpy._core.tests._natype in NumPy 2.x, numpy/numpy#28936).
func TestsAllowList() map[string][]string {
	out := map[string][]string{}
	for _, r := range defaultRules {
		if len(r.Projects) == 1 && isTestsPattern(r.Pattern) {
			out[r.Projects[0]] = append(out[r.Projects[0]], r.Pattern)
		}
	}
	return out
}

func isTestsPattern(p string) bool {
	return len(p) > len("tests/") && p[len(p)-len("tests/"):] == "tests/"
}

func cloneRules(in []Rule) []Rule {
	out := make([]Rule, len(in))
	for i, r := range in {
		r.Projects = slices.Clone(r.Projects)
		r.Except = slices.Clone(r.Except)
		out[i] = r
	}
	return out
}

func prune(p, why string) Rule { return Rule{Pattern: p, Source: SourceDefault, Reason: why} }
func keep(p, why string) Rule {
	return Rule{Pattern: p, Keep: true, Source: SourceDefault, Reason: why}
}

func pruneFor(projects []string, p, why string) Rule {
	return Rule{Pattern: p, Source: SourceDefault, Reason: why, Projects: projects}
}

func keepFor(projects []string, p, why string) Rule {
	return Rule{Pattern: p, Keep: true, Source: SourceDefault, Reason: why, Projects: projects}
}

func pruneExcept(except []string, p, why string) Rule {
	return Rule{Pattern: p, Source: SourceDefault, Reason: why, Except: except}
}

func pruneWith(source string, projects []string, p, why string) Rule {
	return Rule{Pattern: p, Source: source, Reason: why, Projects: projects}
}

func keepWith(source string, projects []string, p, why string) Rule {
	return Rule{Pattern: p, Keep: true, Source: source, Reason: why, Projects: projects}
}
