#!/usr/bin/env python3
"""check_geo.py: prove the geospatial fixture wheels import and work.

Meant for the bare runtime stand-in (Debian minbase + python3: no GDAL, PROJ,
GEOS or numpy installed), with only PYTHONPATH pointing at the unpacked wheels:

    PYTHONPATH=/opt/geo/site python3 check_geo.py

It imports numpy, shapely, pyproj, rasterio and fiona, prints their versions
and where their native libraries were loaded from, then exercises each one:
a shapely buffer/area, a pyproj EPSG:4326 -> EPSG:3857 transform compared with
the closed-form Web Mercator formula, a GeoTIFF (EPSG:32633) written and read
back with rasterio, a GeoPackage and a GeoJSON written and read back with
fiona, and the rio/fio console-script entry points.

GDAL_DATA, PROJ_DATA and PROJ_LIB must not be set: the wheels have to find
their bundled data by themselves. Exit status 0 only if every check passed.
"""

import contextlib
import io
import math
import os
import sys
import tempfile
import time
import traceback

RESULTS = []  # (name, ok, detail)


def check(name):
    """Run the decorated function as one named check; record the outcome."""
    def wrap(fn):
        t = time.monotonic()
        try:
            detail = fn()
            RESULTS.append((name, True, detail or ""))
            print(f"ok   {name}: {detail or ''} ({time.monotonic() - t:.2f}s)", flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            RESULTS.append((name, False, f"{type(e).__name__}: {e}"))
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc(limit=4)
        return fn
    return wrap


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def pkg_dir(mod):
    return os.path.dirname(os.path.abspath(mod.__file__))


TMP = tempfile.mkdtemp(prefix="check_geo-")
MODS = {}


@check("environment")
def _():
    set_vars = [v for v in ("GDAL_DATA", "PROJ_DATA", "PROJ_LIB") if os.environ.get(v)]
    expect(not set_vars, f"{', '.join(set_vars)} set: unset it, the wheels must find their data themselves")
    # LD_LIBRARY_PATH is allowed (Lambda sets one) as long as none of its
    # folders offers the geo libraries: the wheels must bring their own.
    for d in filter(None, os.environ.get("LD_LIBRARY_PATH", "").split(":")):
        if os.path.isdir(d):
            hits = [n for n in os.listdir(d) if n.startswith(("libgdal.so", "libproj.so", "libgeos_c.so"))]
            expect(not hits, f"LD_LIBRARY_PATH folder {d} offers {hits}: the check would not prove the wheels' own copies load")
    system = [p for p in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu") if os.path.isdir(p)
              for n in os.listdir(p) if n.startswith(("libgdal.so", "libproj.so", "libgeos_c.so"))]
    return (f"python {sys.version.split()[0]}, PYTHONPATH={os.environ.get('PYTHONPATH', '')!r}, "
            f"system GDAL/PROJ/GEOS libraries: {'present (not a bare runtime)' if system else 'none (bare runtime)'}")


for _name in ("numpy", "shapely", "pyproj", "rasterio", "fiona"):
    @check(f"import {_name}")
    def _(name=_name):
        mod = __import__(name)
        MODS[name] = mod
        expect(not pkg_dir(mod).startswith("/usr/lib/python3/"), f"{name} came from Debian's dist-packages, not the wheels")
        return f"{getattr(mod, '__version__', '?')} from {pkg_dir(mod)}"


@check("versions")
def _():
    import fiona
    import pyproj
    import rasterio
    import shapely
    geos = getattr(shapely, "geos_version_string", None)
    if geos is None:  # Shapely 1.8
        from shapely.geos import geos_version_string as geos
    return (f"GDAL {rasterio.__gdal_version__} (rasterio), GDAL {fiona.__gdal_version__} (fiona), "
            f"PROJ {pyproj.proj_version_str} (pyproj), GEOS {geos} (shapely)")


@check("native libraries come from the wheels' .libs folders")
def _():
    with open("/proc/self/maps") as f:
        paths = sorted({line.split()[-1] for line in f if ".so" in line and "/" in line.split()[-1]})
    interesting = [p for p in paths if any(k in os.path.basename(p) for k in ("libgdal", "libproj", "libgeos", "libblas", "liblapack"))]
    expect(interesting, "no libgdal/libproj/libgeos loaded")
    outside = [p for p in interesting if ".libs/" not in p]
    expect(not outside, f"loaded from outside the wheels: {outside}")
    return "; ".join(sorted({os.path.relpath(p, os.path.dirname(os.path.dirname(p))) for p in interesting}))


@check("shapely buffer/area")
def _():
    from shapely.geometry import Point, box
    circle = Point(0, 0).buffer(1.0)
    expect(3.12 < circle.area < math.pi, f"unit buffer area {circle.area}")
    inter = box(0, 0, 2, 2).intersection(box(1, 1, 3, 3))
    expect(abs(inter.area - 1.0) < 1e-12, f"box intersection area {inter.area}")
    return f"unit buffer area {circle.area:.4f}, intersection area {inter.area}"


@check("pyproj EPSG:4326 -> EPSG:3857")
def _():
    import pyproj
    from pyproj import CRS, Transformer
    data_dir = pyproj.datadir.get_data_dir()
    expect(data_dir.startswith(pkg_dir(pyproj)), f"PROJ data dir {data_dir} is not the wheel's proj_dir")
    expect(CRS.from_epsg(32633).name == "WGS 84 / UTM zone 33N", "EPSG:32633 lookup in proj.db")
    lon, lat = 13.4050, 52.5200  # Berlin
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(lon, lat)
    r = 6378137.0
    ex, ey = r * math.radians(lon), r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    expect(abs(x - ex) < 1e-3 and abs(y - ey) < 1e-3, f"got ({x}, {y}), expected ({ex}, {ey})")
    return f"({lon}, {lat}) -> ({x:.3f}, {y:.3f}); data dir {os.path.relpath(data_dir, pkg_dir(pyproj))}"


TIF = os.path.join(TMP, "utm33.tif")


@check("rasterio GeoTIFF write/read (EPSG:32633)")
def _():
    import numpy as np
    import rasterio
    from rasterio.crs import CRS
    from rasterio.env import get_gdal_config
    from rasterio.transform import from_origin
    from rasterio.warp import transform_bounds
    data = (np.arange(64 * 64, dtype="uint16").reshape(64, 64) % 1000)
    transform = from_origin(500000, 5800000, 10, 10)
    profile = dict(driver="GTiff", width=64, height=64, count=1, dtype="uint16",
                   crs=CRS.from_epsg(32633), transform=transform, compress="deflate")
    with rasterio.open(TIF, "w", **profile) as dst:
        dst.write(data, 1)
    with rasterio.open(TIF) as src:
        back = src.read(1)
        crs, tr, bounds = src.crs, src.transform, src.bounds
        wkt = src.crs.to_wkt()
    expect((back == data).all(), "pixel values differ after the round trip")
    expect(crs.to_epsg() == 32633, f"CRS read back as {crs}")
    expect(tr == transform, f"transform read back as {tr}")
    expect("UTM zone 33N" in wkt, "WKT does not name UTM zone 33N")
    w, s, e, n = transform_bounds(crs, "EPSG:4326", *bounds)
    expect(abs(w - 15.0) < 1e-6, f"west edge at {w}, expected 15.0 (UTM 33 central meridian)")
    expect(52.0 < s < n < 52.5, f"latitudes {s}..{n}")
    with rasterio.Env():
        gdal_data = get_gdal_config("GDAL_DATA")
    expect(gdal_data and gdal_data.startswith(pkg_dir(rasterio)), f"GDAL_DATA is {gdal_data!r}, not the wheel's gdal_data")
    return f"{os.path.getsize(TIF)} bytes, {crs}, lon/lat bounds ({w:.4f}, {s:.4f}, {e:.4f}, {n:.4f}), GDAL_DATA=rasterio/{os.path.basename(gdal_data)}"


def fiona_round_trip(driver, path):
    import fiona
    from fiona.crs import CRS
    schema = {"geometry": "Point", "properties": {"name": "str", "value": "float"}}
    rows = [("Berlin", 13.4050, 52.5200, 1.5), ("Vienna", 16.3738, 48.2082, 2.5)]
    with fiona.open(path, "w", driver=driver, schema=schema, crs=CRS.from_epsg(4326)) as dst:
        for name, lon, lat, value in rows:
            dst.write(fiona.Feature.from_dict(
                {"geometry": {"type": "Point", "coordinates": (lon, lat)}, "properties": {"name": name, "value": value}}))
    with fiona.open(path) as src:
        feats = list(src)
        crs = src.crs
    expect(len(feats) == 2, f"{len(feats)} features read back")
    expect([f.properties["name"] for f in feats] == ["Berlin", "Vienna"], "names differ")
    expect(tuple(feats[1].geometry.coordinates) == (16.3738, 48.2082), "coordinates differ")
    expect(crs.to_epsg() == 4326, f"CRS read back as {crs}")
    return feats


@check("fiona GeoPackage write/read + transform_geom")
def _():
    import fiona
    from fiona.transform import transform_geom
    from shapely.geometry import shape
    path = os.path.join(TMP, "cities.gpkg")
    feats = fiona_round_trip("GPKG", path)
    utm = transform_geom("EPSG:4326", "EPSG:32633", {"type": "Point", "coordinates": (15.0, 52.0)})
    x, y = utm["coordinates"] if isinstance(utm, dict) else utm.coordinates
    expect(abs(x - 500000) < 1e-3, f"easting {x} on the central meridian")
    area = shape(feats[0].geometry).buffer(0.1).area
    expect(0.031 < area < 0.0315, f"buffer area {area}")
    gdal_data = fiona.env.GDALDataFinder().search_wheel()
    expect(gdal_data and gdal_data.startswith(pkg_dir(fiona)), f"fiona's wheel gdal_data not found ({gdal_data!r})")
    return f"{os.path.getsize(path)} bytes, 2 features, EPSG:4326; (15, 52) -> ({x:.3f}, {y:.3f}) in EPSG:32633"


@check("fiona GeoJSON write/read")
def _():
    path = os.path.join(TMP, "cities.geojson")
    fiona_round_trip("GeoJSON", path)
    return f"{os.path.getsize(path)} bytes"


@check("console scripts rio/fio")
def _():
    from importlib.metadata import entry_points
    eps = {ep.name: ep for ep in entry_points(group="console_scripts")}
    missing = [n for n in ("rio", "fio", "pyproj") if n not in eps]
    expect(not missing, f"no console_scripts entry point {missing}")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        eps["rio"].load()(["info", "--crs", TIF], standalone_mode=False)
    expect("32633" in out.getvalue(), f"`rio info --crs` printed {out.getvalue()!r}")
    out2 = io.StringIO()
    with contextlib.redirect_stdout(out2):
        eps["fio"].load()(["info", "--count", os.path.join(TMP, "cities.gpkg")], standalone_mode=False)
    expect(out2.getvalue().strip() == "2", f"`fio info --count` printed {out2.getvalue()!r}")
    return f"rio info --crs -> {out.getvalue().strip()}; fio info --count -> {out2.getvalue().strip()}"


# Each compiled wheel on its own, in a fresh interpreter: the checks above
# share one process, where the loader may satisfy rasterio's hashed libproj
# with pyproj's identical copy. Here nothing else is imported first.
ALONE = {
    "numpy": "import numpy as n; assert abs(n.linalg.det(n.array([[2.0, 1.0], [1.0, 3.0]])) - 5.0) < 1e-12",
    "shapely": "from shapely.geometry import Point; assert 3.12 < Point(0, 0).buffer(1).area < 3.15",
    "pyproj": "from pyproj import Transformer as T; x, y = T.from_crs(4326, 32633, always_xy=True).transform(15, 52); "
              "assert abs(x - 500000) < 1e-3, x",
    "rasterio": "from rasterio.warp import transform; xs, ys = transform('EPSG:4326', 'EPSG:32633', [15], [52]); "
                "assert abs(xs[0] - 500000) < 1e-3, xs",
    "fiona": "from fiona.transform import transform; xs, ys = transform('EPSG:4326', 'EPSG:32633', [15], [52]); "
             "assert abs(xs[0] - 500000) < 1e-3, xs",
}
for _name, _code in ALONE.items():
    @check(f"{_name} alone uses its own .libs")
    def _(name=_name, code=_code):
        import subprocess
        probe = (code + "\nimport sys\nprint('\\n'.join(sorted({l.split()[-1] for l in open('/proc/self/maps') "
                 "if '.libs/' in l})))")
        out = subprocess.run([sys.executable, "-c", probe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        expect(out.returncode == 0, out.stdout.strip().splitlines()[-1] if out.stdout.strip() else f"exit {out.returncode}")
        site = os.path.dirname(pkg_dir(MODS[name]))
        own = {d for d in os.listdir(site) if d.lower() == f"{name}.libs"}  # e.g. Fiona.libs (1.9) / fiona.libs
        # A layer builder may store byte-identical libraries once and link
        # the copies (geolayer's dedup): the kernel then maps the file the
        # link resolves to. Such a library still belongs to this wheel.
        linked = {}
        for d in own | {"numpy.libs"}:
            if os.path.isdir(os.path.join(site, d)):
                for f in os.listdir(os.path.join(site, d)):
                    p = os.path.join(site, d, f)
                    if os.path.islink(p):
                        linked[os.path.realpath(p)] = d
        libs = {linked.get(os.path.realpath(p), os.path.basename(os.path.dirname(p))) for p in out.stdout.split()}
        foreign = libs - own - {"numpy.libs"}  # numpy is a dependency of them all
        expect(not foreign, f"loaded libraries from other wheels: {sorted(foreign)}")
        return f"native libraries from {', '.join(sorted(libs)) or 'no .libs (none needed)'}"


@check("every extension module in the wheels loads (dlopen RTLD_NOW)")
def _():
    # Loads every extension module with RTLD_NOW, which also loads and binds
    # its whole vendored closure: every DT_NEEDED resolves through the RPATHs
    # patchelf wrote and every symbol is bound now, so a missing library or a
    # GLIBC_x.y this runtime lacks fails here even for modules the checks
    # above never import. Vendored libraries are not loaded on their own:
    # some Debian libraries are underlinked (bookworm's libmfhdfalt uses
    # libdfalt's symbols without a DT_NEEDED on it) and only load as part of
    # their user's closure, on Debian itself too.
    import subprocess
    site = os.path.dirname(pkg_dir(MODS["numpy"]))
    probe = (
        "import ctypes, os, sys\n"
        "site = sys.argv[1]; n = 0; bad = []\n"
        "for root, dirs, files in os.walk(site):\n"
        "    dirs[:] = sorted(d for d in dirs if not d.endswith('.libs'))\n"
        "    for f in sorted(files):\n"
        "        p = os.path.join(root, f)\n"
        "        if '.so' not in f: continue\n"
        "        with open(p, 'rb') as fh:\n"
        "            if fh.read(4) != b'\\x7fELF': continue\n"
        "        n += 1\n"
        "        try: ctypes.CDLL(p, mode=os.RTLD_NOW | os.RTLD_LOCAL)\n"
        "        except OSError as e: bad.append(str(e))\n"
        "print(n); print('\\n'.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, site], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = out.stdout.strip().splitlines()
    expect(out.returncode == 0 and lines, f"probe failed: {out.stdout[-500:]}")
    expect(len(lines) == 1, "; ".join(lines[1:6]))
    return f"{lines[0]} extension modules loaded with their closures"


failed = [r for r in RESULTS if not r[1]]
print()
for name, _ok, detail in failed:
    print(f"FAILED: {name}: {detail}")
print(f"check_geo: {len(RESULTS) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
