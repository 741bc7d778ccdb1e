#!/bin/sh
# gdal_sdist.sh SRC OUT: make a PyPI-style sdist of GDAL's Python bindings
# (the `GDAL` project on PyPI) from an unpacked GDAL source tree, as GDAL's
# own release does from its CMake build folder: swig/python's setup.py
# (configured from setup.py.in), the pre-generated SWIG wrappers in
# extensions/, the osgeo/ modules, gdal-utils (osgeo_utils and the scripts),
# README.rst and LICENSE.TXT, plus a pyproject.toml. mksdist.py (next to this
# script) writes OUT/gdal-<version>.tar.gz deterministically with PKG-INFO.
# See README.md, "The GDAL sdist".
set -eu
src=$(cd "$1" && pwd) out=$2
here=$(cd "$(dirname "$0")" && pwd)
py=$src/swig/python

version=$(cat "$src/VERSION")
grep -q "GDAL_RELEASE_NAME *\"$version\"" "$src/gcore/gdal_version.h.in" \
  || { echo "gdal_sdist: VERSION $version disagrees with gcore/gdal_version.h.in" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/extensions" "$stage/osgeo" "$stage/gdal-utils"
for f in gdal_wrap.cpp gdalconst_wrap.c gdal_array_wrap.cpp gnm_wrap.cpp ogr_wrap.cpp osr_wrap.cpp; do
  # CMake post-processes the SWIG output (modify_cpp_files.cmake); the
  # shipped wrappers already carry that marker.
  grep -q POST_PROCESSING_APPLIED "$py/extensions/$f" \
    || { echo "gdal_sdist: $f is not post-processed SWIG output" >&2; exit 1; }
  cp "$py/extensions/$f" "$stage/extensions/"
done
cp "$py"/osgeo/*.py "$stage/osgeo/"
cp -R "$py/gdal-utils/osgeo_utils" "$py/gdal-utils/scripts" "$stage/gdal-utils/"
cp "$py/README.rst" "$stage/README.rst"   # CMake configures it @ONLY; it has no placeholders
cp "$src/LICENSE.TXT" "$stage/LICENSE.TXT"

# setup.py.in's placeholders, filled as GDAL's CMake does for a single-config
# build in $src/build (swig/python/CMakeLists.txt). That folder does not exist
# where the sdist is built, so setup.py takes its standalone branch and asks
# gdal-config (or --gdal-config=...) for the prefix and cflags, like PyPI's.
# GNM_ENABLED: ENABLE_GNM defaults to ON, and Debian's libgdal has GNM
# (gdal-config --gnm-enabled says yes).
bin=$src/build
sed -e "s|@PROJECT_SOURCE_DIR@|$src|g" \
    -e "s|@PROJECT_BINARY_DIR@|$bin|g" \
    -e "s|@GDAL_LIB_DIR@|'$bin'|g" \
    -e "s|@GDAL_LIB_OUTPUT_NAME@|gdal|g" \
    -e "s|@GNM_ENABLED@|True|g" \
    -e "s|@GDAL_PYTHON_VERSION@|$version|g" \
    "$py/setup.py.in" >"$stage/setup.py"
if grep -n '@[A-Za-z_]*@' "$stage/setup.py"; then
  echo "gdal_sdist: setup.py.in has placeholders this script does not know" >&2; exit 1
fi

cat >"$stage/pyproject.toml" <<'EOF'
[build-system]
# numpy: setup.py builds osgeo._gdal_array only when it can import numpy.
requires = ["setuptools>=61", "numpy>=1.0.0", "wheel"]
build-backend = "setuptools.build_meta"
EOF

find "$stage" -name __pycache__ -prune -exec rm -rf {} +
python3 "$here/mksdist.py" --name GDAL --version "$version" --out "$out" \
  --summary "GDAL: Geospatial Data Abstraction Library" --requires-python ">=3.6.0" "$stage"
