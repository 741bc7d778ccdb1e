// Package prune decides which files of one installed Python package to
// leave out of a layer, and says why for each one.
//
// The tree it works on is a site-packages directory holding one
// distribution: its import packages and modules, its <name>-<version>.dist-info
// directory and, for auditwheel-repaired wheels, <name>.libs. Patterns are
// relative to that site-packages directory, so "numpy/_core/include/" and
// "*.dist-info/RECORD" mean what they say whatever the layer layout
// (python/ or python/lib/python3.X/site-packages/) is.
//
// # API
//
//	m, err := prune.Compile(prune.Options{
//		Rules:    []prune.Rule{{Pattern: "**/*.pyx", Source: "Geolayerfile:12"}},
//		Presets:  []string{"geo"},
//		Package:  "rasterio",
//	})
//	res, err := prune.Copy("/in/site-packages", "/out/site-packages", m)
//
// Compile validates every pattern (a *PatternError names the pattern and
// its Source). Matcher.Match and Matcher.Decide answer for one path; Plan
// walks a tree without writing anything; Copy copies a tree leaving the
// removed files out (modes, mtimes and symlinks preserved, directories that
// pruning empties not created); Apply removes a plan's files in place. The
// Result lists every removed file with the rule that removed it, the
// directories that disappear, bytes and counts per rule, and warnings, all
// sorted, so two runs over the same tree give the same report.
//
// # Pattern syntax
//
// Patterns follow .gitignore (git help gitignore), relative to site-packages:
//
//   - "*" matches any run of characters except "/"; "?" one character
//     except "/"; "[a-z]", "[!a-z]" or "[^a-z]" one character of (or not
//     of) a set, with ranges and POSIX classes such as "[[:digit:]]".
//   - "\" makes the next character literal: "\*", "\?", "\[", "\!".
//   - "**" as a whole path segment matches any number of directories:
//     "**/tests/" (any depth, including the top), "a/**/b" (a/b, a/x/b,
//     a/x/y/b), "a/**" (everything inside a, but not a itself). Elsewhere
//     "**" is the same as "*".
//   - A pattern with a "/" at the start or in the middle is anchored at
//     site-packages ("/six.py", "numpy/doc/"); otherwise it matches at any
//     depth ("*.pyc", "__pycache__/").
//   - A trailing "/" matches directories only, and then everything below
//     them.
//   - A pattern that matches a directory matches everything below it.
//   - Matching is case-sensitive; "." and ".." segments and empty segments
//     ("a//b") are errors.
//
// Two things differ from git:
//
//   - KEEP always wins over PRUNE, whatever the order of the lines. A KEEP
//     can rescue a single file from inside a pruned directory:
//     "PRUNE numpy/_core/tests/" with "KEEP numpy/_core/tests/_natype.py"
//     keeps that one file (and the directory holding it). Planning never
//     short-cuts a pruned directory: every file is decided on its own.
//   - Inside PRUNE, "!pattern" is accepted as a KEEP. In KEEP a leading
//     "!" is an error (a KEEP already negates).
//
// A removed file is attributed to the first PRUNE rule that removes it in
// this order: defaults, presets, then the Geolayerfile's PRUNE lines.
//
// # Built-in KEEPs
//
// Some files are protected from the default and preset PRUNE rules. The
// protection is always on (also with PRUNE --no-defaults). A Geolayerfile
// PRUNE still removes a protected file, because the user asked for it, but
// the Result then carries a Warning naming the rule, the protection and the
// files:
//
//	pattern                                  why
//	[Ll][Ii][Cc][Ee][Nn][CcSs][Ee]*          license texts anywhere (LICENSE, License.txt, LICENCE, licenses/)
//	[Cc][Oo][Pp][Yy][Ii][Nn][Gg]*            COPYING
//	[Cc][Oo][Pp][Yy][Rr][Ii][Gg][Hh][Tt]*    copyright (vcpkg and Debian style, e.g. in share/proj)
//	[Nn][Oo][Tt][Ii][Cc][Ee]*                NOTICE (Apache License)
//	[Aa][Uu][Tt][Hh][Oo][Rr][Ss]*            AUTHORS
//	*.dist-info/licenses/                    PEP 639 license files
//	*.dist-info/METADATA                     importlib.metadata.version(); pyproj 3.4.0 failed to import without it (pyproj4/pyproj#1155)
//	*.dist-info/entry_points.txt             plugins and console scripts
//	*.dist-info/top_level.txt                importlib.metadata.packages_distributions()
//	*.dist-info/WHEEL                        build record read by tools inspecting an install
//	numpy/_core/tests/__init__.py, _natype.py  numpy 2.x numpy.testing imports numpy._core.tests._natype (numpy/numpy#28936)  [numpy only]
//	**/proj_data/**/proj.db                  PROJ's database (rasterio, fiona, pyogrio wheels)
//	**/share/proj/**/proj.db                 PROJ's database (pyproj's proj_dir/share/proj, source builds)
//	**/gdal_data/gdalvrt.xsd                 rasterio only uses its gdal_data as GDAL_DATA if this file is there
//
// # Default PRUNE rules
//
// On unless PRUNE --no-defaults:
//
//	pattern                       removes                                       notes
//	__pycache__/  *.pyc           bytecode caches                                off with BYTECODE; Python compiles in memory when missing (costs cold-start time; a read-only layer is never written to)
//	*.pyo                         pre-PEP 488 optimized bytecode                 off with BYTECODE; never loaded by Python 3.5+
//	*.c *.h *.cpp *.hpp *.cc      C/C++ sources and headers                      not for projects that compile at run time: cffi, cython,
//	*.cxx *.pyx *.pxd *.pxi       Cython sources and declarations                numba, pythran, pybind11, nanobind, cupy, cupy-*, pyopencl, pycuda, torch, triton
//	*.pyi  py.typed               type stubs and the PEP 561 marker              not for mypy, basedmypy, jedi, typeshed-client, pytype, pyre-check
//	*/**/doc/ */**/docs/          documentation and examples below a            only directories with no Python code at any depth (.py, .pyc,
//	*/**/examples/                top-level directory (depth >= 2)              .so, .pyd): botocore.docs is imported by botocore.client
//	numpy/doc/                    numpy < 2 docstring-only modules              numpy only; nothing imports them
//	shapely/examples/             shapely 1.x example scripts                   shapely only
//	shapely/tests/ pandas/tests/  test suites of allow-listed projects          see below
//	geopandas/**/tests/ scipy/**/tests/
//	*.dist-info/RECORD            install bookkeeping                            importlib.metadata.files() returns None without RECORD;
//	*.dist-info/INSTALLER                                                       nothing in a deployed layer installs or uninstalls
//	*.dist-info/REQUESTED
//
// Headers a package exposes for building against it are removed too:
// numpy's numpy/_core/include (numpy.get_include()) is only needed to
// compile extensions, never to import numpy. Static archives (.a) and
// pkg-config files are left alone.
//
// Tests are removed only for projects on an allow-list (TestsAllowList),
// because some projects import their tests at run time:
//
//	project     directories             checked
//	shapely     shapely/tests/          only shapely/tests imports shapely.tests (shapely 330e9d33); shapely.testing is a separate module
//	pandas      pandas/tests/           pandas.testing and pandas._testing are separate and stay
//	geopandas   geopandas/**/tests/     only geopandas/conftest.py (pytest) imports geopandas.tests (81efcbee)
//	scipy       scipy/**/tests/         no runtime module imports scipy.*.tests (3dbf660a); scipy._lib._testutils stays
//
// Not listed, on purpose: numpy (numpy.testing imported
// numpy._core.tests._natype in 2.x, numpy/numpy#28936; scipy's vendored
// array_api_compat needs numpy._core.tests, amazon-braket-examples#819).
// pyproj, rasterio and fiona keep their tests outside the package (test/,
// tests/ at the repository root), so their wheels have none. Directories
// called testing/ are never removed by default: numpy.testing,
// pandas.testing, xarray.testing and shapely.testing are public APIs.
//
// # Preset geo
//
// PRUNE --preset=geo removes optional PROJ data and GDAL artwork. In
// **/proj_data/ (rasterio, fiona, pyogrio) and **/share/proj/ (pyproj's
// proj_dir/share/proj, source builds):
//
//	**/*.tif **/*.tiff     GeoTIFF datum and geoid grids (PROJ >= 7)
//	**/*.gsb               NTv2 grids
//	**/*.gtx **/*.byn      vertical grids
//	**/*.lla               sources of old ctable2 grids
//	**/*.json              deformation models and triangulations; the *.schema.json files are kept (built-in KEEP of the preset)
//
// Grids are optional: without one PROJ picks another (possibly ballpark)
// transformation, or downloads the grid from cdn.proj.org when
// PROJ_NETWORK=ON. Kept: proj.db, proj.ini, projjson.schema.json,
// deformation_model.schema.json, triangulation.schema.json, ITRF*, world,
// other.extra, nad.lst, nad27, nad83, CH, GL27 and anything else without a
// grid extension. PyPI wheels of pyproj, rasterio and fiona currently ship
// no grids, so the preset matters for source builds that copied a system
// PROJ data directory with proj-data installed (22.7 MB on Debian 12), and
// for older wheels that bundled proj-datumgrid.
//
// In **/gdal_data/ and **/share/gdal/, only GDALLogo*.svg (artwork for
// applications; GDAL never opens it) is removed. The rest of GDAL's data
// (about 2.2 MB, 0.35 MB deflated) stays: drivers read it lazily (GRIB
// tables, S-57 catalogues, DXF header.dxf/trailer.dxf, GML .gfs and
// gml_registry.xml, tms_*.json tile matrix sets, osmconf.ini, NITF and PDS4
// templates, ...), which ones a function needs depends on its data, and
// other code detects a GDAL_DATA directory by marker files (gdalvrt.xsd for
// rasterio, gdalicon.png elsewhere). Duplicate proj.db files across
// packages are not this package's business: they must match the PROJ each
// package links.
//
// # Preset geo-cli
//
// Command-line interfaces, only on request (PRUNE --preset=geo-cli):
//
//	rasterio/rio/   [rasterio]  except rasterio/rio/__init__.py, rasterio/rio/helpers.py and their
//	                            caches rasterio/rio/__pycache__/__init__.* and rasterio/rio/__pycache__/helpers.*:
//	                            rasterio.features imports rasterio.rio.helpers (rasterio/features.py)
//	fiona/fio/      [fiona]     nothing outside fiona/fio imports it
//
// The entry points stay in the dist-info, so the rio and fio console
// scripts (and rasterio.rio_commands plugins) break. click, cligj and
// click-plugins are separate distributions and stay.
//
// # Extending
//
// A built-in rule is a Rule with a Source, a Reason and optionally
// Projects/Except (PEP 503 names, path.Match globs) and NoCodeBelow. Add it
// to defaultRules or a preset in rules.go; a built-in KEEP (Keep true) is a
// protection. Builtin and TestsAllowList expose the tables for reports and
// documentation.
package prune
