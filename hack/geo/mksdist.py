#!/usr/bin/env python3
"""Write a deterministic sdist (stdlib only).

    mksdist.py --name NAME --version V --out DIR [--requires-python SPEC] STAGING

STAGING holds the project tree (pyproject.toml, setup.py, sources). The
archive is NAME-V.tar.gz (name escaped as in wheel file names) with one top
folder NAME-V/ and a generated PKG-INFO (Metadata-Version 2.1). Members are
sorted, every mtime is 0, uid/gid 0 with empty owner names, modes 0644/0755
(from the exec bit), pax format, and the gzip header carries no file name and
mtime 0, so the same tree gives the same bytes.
"""
import argparse
import gzip
import io
import os
import re
import stat
import sys
import tarfile


def escape_name(name):
    return re.sub(r"[-_.]+", "_", name).lower()


def main(argv):
    ap = argparse.ArgumentParser(prog="mksdist.py")
    ap.add_argument("staging")
    ap.add_argument("--name", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--summary")
    ap.add_argument("--requires-python", default=">=3.8")
    args = ap.parse_args(argv)

    top = "%s-%s" % (escape_name(args.name), args.version)
    files = {}
    for dirpath, dirnames, filenames in os.walk(args.staging):
        dirnames.sort()
        for fn in filenames:
            p = os.path.join(dirpath, fn)
            st = os.lstat(p)
            if not stat.S_ISREG(st.st_mode):
                raise SystemExit("mksdist: %s is not a regular file" % p)
            with open(p, "rb") as f:
                files[os.path.relpath(p, args.staging).replace(os.sep, "/")] = (f.read(), 0o755 if st.st_mode & 0o111 else 0o644)
    if "PKG-INFO" in files:
        raise SystemExit("mksdist: the staging dir must not contain PKG-INFO (mksdist writes it)")
    pkginfo = ["Metadata-Version: 2.1", "Name: " + args.name, "Version: " + args.version,
               "Summary: " + (args.summary or "geolayer fixture " + args.name)]
    if args.requires_python:
        pkginfo.append("Requires-Python: " + args.requires_python)
    files["PKG-INFO"] = (("\n".join(pkginfo) + "\n").encode(), 0o644)

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for rel in sorted(files):
            data, mode = files[rel]
            ti = tarfile.TarInfo(top + "/" + rel)
            ti.size, ti.mode, ti.mtime = len(data), mode, 0
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            tf.addfile(ti, io.BytesIO(data))
    os.makedirs(args.out, exist_ok=True)
    dest = os.path.join(args.out, top + ".tar.gz")
    with open(dest + ".tmp", "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as gz:
            gz.write(raw.getvalue())
    os.replace(dest + ".tmp", dest)
    print(dest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
