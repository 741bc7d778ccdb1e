#!/usr/bin/env python3
"""The proof for the GDAL sdist: the wheel pip built from it works.

Run with PYTHONPATH pointing at `pip install --target` of that wheel, on a
system with libgdal (the build image with libgdal-dev) and numpy. Prints one
line per check and `N passed, M failed`; exits 1 on any failure.
"""
import os
import sys
import tempfile
import traceback

results = []


def check(name):
    def run(fn):
        try:
            detail = fn()
            results.append(True)
            print("ok    %s%s" % (name, ": " + detail if detail else ""))
        except Exception:
            results.append(False)
            print("FAIL  %s\n%s" % (name, traceback.format_exc()))
        return fn
    return run


@check("import osgeo (gdal, ogr, osr, gdal_array, gnm, gdalconst) from PYTHONPATH")
def _():
    global gdal, ogr, osr, gdal_array, gnm, np
    import numpy as np
    from osgeo import gdal, ogr, osr, gdal_array, gnm, gdalconst  # noqa: F401
    site = os.environ["PYTHONPATH"].split(os.pathsep)[0]
    for m in (gdal, ogr, osr, gdal_array, gnm):
        assert m.__file__.startswith(site + "/"), m.__file__
    exts = sorted(f for f in os.listdir(os.path.join(site, "osgeo")) if f.endswith(".so"))
    assert len(exts) == 6, exts
    gdal.UseExceptions(); ogr.UseExceptions(); osr.UseExceptions()
    return "%s; numpy %s; extensions: %s" % (os.path.dirname(gdal.__file__), np.__version__, " ".join(exts))


@check("gdal.VersionInfo() == '3060200'")
def _():
    v = gdal.VersionInfo()
    assert v == "3060200", v
    return "%s (%s)" % (v, gdal.VersionInfo("RELEASE_NAME"))


@check("_gdal links the system libgdal")
def _():
    with open("/proc/self/maps") as f:
        libs = sorted({l.split()[-1] for l in f if "libgdal.so" in l})
    assert libs and all(p.startswith("/usr/lib/") for p in libs), libs
    return " ".join(libs)


@check("gdal_array: GeoTIFF round trip of numpy data (/vsimem and /tmp)")
def _():
    data = (np.arange(64 * 48, dtype=np.int16).reshape(48, 64) * 7) - 5000
    gt = (500000.0, 10.0, 0.0, 5800000.0, 0.0, -10.0)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    out = []
    with tempfile.TemporaryDirectory() as d:
        for path in ("/vsimem/check.tif", os.path.join(d, "check.tif")):
            ds = gdal_array.OpenArray(data)
            ds.SetGeoTransform(gt)
            ds.SetProjection(srs.ExportToWkt())
            tif = gdal.GetDriverByName("GTiff").CreateCopy(path, ds, options=["COMPRESS=DEFLATE"])
            tif = ds = None
            back = gdal.Open(path)
            arr = back.ReadAsArray()
            assert arr.dtype == np.int16 and arr.shape == (48, 64), (arr.dtype, arr.shape)
            assert (arr == data).all()
            assert back.GetGeoTransform() == gt, back.GetGeoTransform()
            got = osr.SpatialReference(wkt=back.GetProjection())
            assert got.GetAuthorityCode(None) == "32633", got.GetAuthorityCode(None)
            assert gdal_array.LoadFile(path).sum() == data.sum()
            back = None
            out.append(path.split("/")[1])
        gdal.Unlink("/vsimem/check.tif")
    return "64x48 int16 deflate, EPSG:32633, pixels/geotransform/CRS equal (%s)" % ", ".join(out)


@check("ogr: GeoPackage and GeoJSON with one point, written and read back")
def _():
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    out = []
    with tempfile.TemporaryDirectory() as d:
        for drv, name in (("GPKG", "check.gpkg"), ("GeoJSON", "check.geojson")):
            path = os.path.join(d, name)
            ds = ogr.GetDriverByName(drv).CreateDataSource(path)
            lyr = ds.CreateLayer("places", srs, ogr.wkbPoint)
            lyr.CreateField(ogr.FieldDefn("name", ogr.OFTString))
            feat = ogr.Feature(lyr.GetLayerDefn())
            feat.SetField("name", "Berlin")
            feat.SetGeometry(ogr.CreateGeometryFromWkt("POINT (13.405 52.52)"))
            lyr.CreateFeature(feat)
            feat = lyr = ds = None
            ds = ogr.Open(path)
            lyr = ds.GetLayer(0)
            assert lyr.GetFeatureCount() == 1, lyr.GetFeatureCount()
            f = lyr.GetNextFeature()
            g = f.GetGeometryRef()
            assert f.GetField("name") == "Berlin" and (g.GetX(), g.GetY()) == (13.405, 52.52), (f.GetField("name"), g.ExportToWkt())
            assert lyr.GetSpatialRef().GetAuthorityCode(None) == "4326"
            ds = None
            out.append(drv)
    return "%s: Berlin POINT (13.405 52.52), EPSG:4326" % " and ".join(out)


@check("osr: EPSG:4326 (15E, 52N) to EPSG:32633 gives easting 500000")
def _():
    a, b = osr.SpatialReference(), osr.SpatialReference()
    a.ImportFromEPSG(4326); b.ImportFromEPSG(32633)
    a.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    b.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    x, y, _ = osr.CoordinateTransformation(a, b).TransformPoint(15.0, 52.0)
    assert abs(x - 500000.0) < 1e-3, x
    return "(%.3f, %.3f), %s" % (x, y, b.GetName())


@check("drivers: GTiff, GPKG, GeoJSON, MEM; GNM is built")
def _():
    for n in ("GTiff", "MEM"):
        assert gdal.GetDriverByName(n) is not None, n
    for n in ("GPKG", "GeoJSON"):
        assert ogr.GetDriverByName(n) is not None, n
    assert gdal.GetDriverByName("GNMFile") is not None, "GNMFile"
    return "%d GDAL drivers registered" % gdal.GetDriverCount()


passed, failed = results.count(True), results.count(False)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
