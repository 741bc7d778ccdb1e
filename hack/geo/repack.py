#!/usr/bin/env python3
"""repack.py: turn Debian's installed python3-* packages into manylinux-style wheels.

This builds geolayer's "realistic geospatial fixture set". It runs inside a
Debian build image (the bookworm or trixie stand-in for
public.ecr.aws/sam/build-python3.X) of the build platform, on the packages
sysroot.py unpacked into --root for the target architecture (amd64 or arm64;
nothing of the target is run, so arm64 needs no emulation), and writes one
wheel per Python distribution into --out:

  * files come from the Debian package's /usr/lib/python3/dist-packages entries
    (its file list); symlinks are followed inside the root (a wheel cannot
    hold symlinks);
  * METADATA is the package's own metadata (dist-info METADATA or egg-info
    PKG-INFO) with Version = Debian's upstream version and Requires-Dist
    rebuilt from upstream's requirements plus Debian's run-time Depends;
  * compiled packages get their shared-library closure vendored the way
    `auditwheel repair` does it: every DT_NEEDED library outside the manylinux
    whitelist is copied (with its own non-whitelisted closure) into
    `<Name>.libs/` under a hashed name, `patchelf --set-soname` gives it that
    name, every ELF in the wheel gets `--replace-needed` for each vendored
    library and an RPATH of `$ORIGIN/<path to Name.libs>`, vendored libraries
    get `$ORIGIN`;
  * the platform tag is the oldest manylinux policy whose symbol-version limits
    (GLIBC, GLIBCXX, CXXABI, GCC, ZLIB, LIBATOMIC) cover every version needed
    by every ELF in the finished wheel, vendored libraries included;
  * pyproj, rasterio and fiona get the PROJ/GDAL data that their PyPI wheels
    bundle;
  * the zip is deterministic: sorted entries, 1980-01-01 timestamps, fixed
    modes, RECORD last.

Only the standard library is used; external tool: patchelf (it edits ELF
files of any architecture). ELF headers are read by the small parser below
(no readelf text scraping); DT_NEEDED names are resolved the way the target's
dynamic loader would (Resolver), not with ldd, which would run the target's
loader.

Usage:
  sysroot.py --arch arm64 /sysroot python3-numpy ...
  repack.py --root /sysroot --out /out/dists [--reuse DIR] [--report FILE] [--policy-json FILE]
            python3-numpy python3-shapely python3-pyproj python3-rasterio python3-fiona
"""

import argparse
import base64
import csv
import fnmatch
import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

DIST_PACKAGES = "/usr/lib/python3/dist-packages/"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
GENERATOR = "geolayer-hack-geo-repack 1"

# ---------------------------------------------------------------------------
# Fixed knowledge about the Debian packages (each entry says why).
# ---------------------------------------------------------------------------

# Debian splits some upstream distributions over several binary packages.
# Their dist-packages files go into the wheel of the named package.
MERGE_INTO = {
    # pkg_resources is part of the setuptools distribution upstream.
    "python3-pkg-resources": "python3-setuptools",
    # trixie: numpy's C headers/static libs (reached through symlinks from
    # dist-packages/numpy/...), part of the numpy wheel upstream.
    "python3-numpy-dev": "python3-numpy",
}

# Debian packages that are pieces of CPython's own standard library (Debian
# splits them off the interpreter). A dependency on them is not a wheel.
STDLIB_PACKAGES = {"python3-distutils", "python3-lib2to3", "python3-venv", "python3-tk"}

# Debian run-time dependencies that are not dependencies of the upstream
# distribution and are not needed to import or use it. Each is left out of
# Requires-Dist and out of the set.
DEBIAN_ONLY_DEPS = {
    ("snuggs", "python3-lxml"): "snuggs never imports lxml (grep snuggs/); upstream does not require it",
    ("numpy", "python3-pkg-resources"): "upstream numpy declares no run-time dependencies; `import numpy` does not use pkg_resources",
}

# Debian renames some console scripts; PyPI's wheels use upstream's names.
CONSOLE_SCRIPT_RENAMES = {
    "rasterio": {"rasterio": "rio"},  # Debian: `rasterio = rasterio.rio.main:main_group`
    "fiona": {"fiona": "fio"},        # Debian: `fiona = fiona.fio.main:main_group`
}

# Data the PyPI wheels bundle (see platforms-and-standards.md section 6):
# normalized dist name -> [(folder inside the wheel, folder on the system, kind)]
DATA_BUNDLES = {
    "pyproj": [("pyproj/proj_dir/share/proj", "/usr/share/proj", "proj")],
    "rasterio": [("rasterio/gdal_data", "/usr/share/gdal", "gdal"),
                 ("rasterio/proj_data", "/usr/share/proj", "proj")],
    "fiona": [("fiona/gdal_data", "/usr/share/gdal", "gdal"),
              ("fiona/proj_data", "/usr/share/proj", "proj")],
}
# PROJ grid files are not part of the PyPI wheels (PROJ fetches them from its
# CDN on demand); only proj.db, proj.ini, the init files and schemas are.
PROJ_GRID_SUFFIXES = (".tif", ".tiff", ".gsb", ".gtx", ".byn", ".lla", ".gvb", ".ct2")
# Files whose presence the packages test to accept a data folder.
DATA_MARKERS = {"proj": ["proj.db"], "gdal": ["header.dxf", "gdalvrt.xsd"]}

# ---------------------------------------------------------------------------
# manylinux policies (auditwheel's policy JSON, reduced to its facts).
# For each policy and architecture: the highest allowed version per symbol
# version prefix; a prefix listed with None allows nothing. Symbol versions of
# prefixes not listed (e.g. OPENSSL_3.0.0 of a vendored library) are ignored,
# as auditwheel does. Comparing against the maximum is equivalent to
# auditwheel's set inclusion for every version that glibc, libstdc++ and
# libgcc actually define. --policy-json FILE uses the real JSON instead.
# ---------------------------------------------------------------------------

_WHITELIST_2_17 = [
    "libatomic.so.1", "libgcc_s.so.1", "libstdc++.so.6", "libm.so.6", "libanl.so.1", "libdl.so.2",
    "librt.so.1", "libc.so.6", "libnsl.so.1", "libutil.so.1", "libpthread.so.0", "libX11.so.6",
    "libXext.so.6", "libXrender.so.1", "libICE.so.6", "libSM.so.6", "libGL.so.1",
    "libgobject-2.0.so.0", "libgthread-2.0.so.0", "libglib-2.0.so.0", "libresolv.so.2",
    "libexpat.so.1", "libz.so.1",
]
_WHITELIST_2_24 = _WHITELIST_2_17 + ["libmvec.so.1"]

#   policy            GLIBC   GLIBCXX   CXXABI    GCC       ZLIB       LIBATOMIC
_X86_64 = [
    ("manylinux_2_17", "2.17", "3.4.19", "1.3.7", "4.8.0", "1.2.5.2", None),
    ("manylinux_2_24", "2.24", "3.4.22", "1.3.10", "4.8.0", "1.2.5.2", "1.2"),
    ("manylinux_2_26", "2.26", "3.4.22", "1.3.10", "4.8.0", "1.2.5.2", "1.2"),
    ("manylinux_2_27", "2.27", "3.4.24", "1.3.11", "7.0.0", "1.2.9", "1.2"),
    ("manylinux_2_28", "2.28", "3.4.24", "1.3.11", "7.0.0", "1.2.9", "1.2"),
    ("manylinux_2_31", "2.31", "3.4.28", "1.3.12", "7.0.0", "1.2.9", "1.2"),
    ("manylinux_2_34", "2.34", "3.4.29", "1.3.13", "7.0.0", "1.2.9", "1.2"),
    ("manylinux_2_35", "2.35", "3.4.30", "1.3.13", "12.0.0", "1.2.9", "1.2"),
    ("manylinux_2_36", "2.36", "3.4.30", "1.3.13", "12.0.0", "1.2.9", "1.2"),
    ("manylinux_2_37", "2.36", "3.4.30", "1.3.13", "12.0.0", "1.2.12", "1.2"),
    ("manylinux_2_38", "2.38", "3.4.30", "1.3.13", "12.0.0", "1.2.12", "1.2"),
    ("manylinux_2_39", "2.39", "3.4.33", "1.3.15", "14.0.0", "1.2.12", "1.2"),
    ("manylinux_2_40", "2.40", "3.4.33", "1.3.15", "14.0.0", "1.2.12", "1.2"),
    ("manylinux_2_41", "2.41", "3.4.33", "1.3.15", "14.0.0", "1.2.12", "1.2"),
]
_AARCH64 = [
    ("manylinux_2_17", "2.18", "3.4.19", "1.3.7", "4.7.0", "1.2.5.2", "1.0"),
    ("manylinux_2_24", "2.24", "3.4.22", "1.3.10", "4.7.0", "1.2.5.2", "1.2"),
    ("manylinux_2_26", "2.26", "3.4.24", "1.3.11", "7.0.0", "1.2.5.2", "1.2"),
    ("manylinux_2_27", "2.27", "3.4.24", "1.3.11", "7.0.0", "1.2.9", "1.2"),
    ("manylinux_2_28", "2.28", "3.4.24", "1.3.11", "7.0.0", "1.2.9", "1.2"),
    ("manylinux_2_31", "2.31", "3.4.28", "1.3.12", "7.0.0", "1.2.9", "1.2"),
    ("manylinux_2_34", "2.34", "3.4.29", "1.3.13", "11.0", "1.2.9", "1.2"),
    ("manylinux_2_35", "2.35", "3.4.30", "1.3.13", "11.0", "1.2.9", "1.2"),
    ("manylinux_2_36", "2.36", "3.4.30", "1.3.13", "11.0", "1.2.9", "1.2"),
    ("manylinux_2_37", "2.36", "3.4.30", "1.3.13", "11.0", "1.2.12", "1.2"),
    ("manylinux_2_38", "2.38", "3.4.30", "1.3.13", "11.0", "1.2.12", "1.2"),
    ("manylinux_2_39", "2.39", "3.4.33", "1.3.15", "14.0.0", "1.2.12", "1.2"),
    ("manylinux_2_40", "2.40", "3.4.33", "1.3.15", "14.0.0", "1.2.12", "1.2"),
    ("manylinux_2_41", "2.41", "3.4.33", "1.3.15", "14.0.0", "1.2.12", "1.2"),
]
# Non-numeric versions the policies allow.
_SPECIALS = {
    "CXXABI": {"TM_1": "manylinux_2_17", "FLOAT128": "manylinux_2_24"},  # FLOAT128: x86_64 only
    "GLIBC": {"ABI_DT_RELR": "manylinux_2_36"},
}


def _vkey(v):
    return tuple(int(x) for x in v.split("."))


class Policy:
    """One manylinux policy for one architecture."""

    def __init__(self, name, limits, specials, whitelist):
        self.name = name            # e.g. "manylinux_2_36"
        self.limits = limits        # prefix -> set of allowed versions, or (max,) tuple
        self.specials = specials    # prefix -> set of allowed non-numeric versions
        self.whitelist = set(whitelist)

    def allows(self, prefix, version):
        if prefix not in self.limits:
            return True  # a prefix the policy does not define is not checked
        lim = self.limits[prefix]
        if isinstance(lim, set):  # from the real policy JSON
            return version in lim
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)*", version):
            return version in self.specials.get(prefix, ())
        return lim is not None and _vkey(version) <= _vkey(lim)


def load_policies(arch, policy_json=None):
    """Policies for arch ('x86_64' or 'aarch64'), oldest glibc first."""
    if policy_json:
        with open(policy_json) as f:
            raw = json.load(f)
        out = []
        for p in sorted(raw, key=lambda p: -p["priority"]):
            if arch not in p["symbol_versions"]:
                continue
            limits = {k: set(v) for k, v in p["symbol_versions"][arch].items()}
            out.append(Policy(p["name"], limits, {}, p["lib_whitelist"]))
        return out
    table = {"x86_64": _X86_64, "aarch64": _AARCH64}[arch]
    out = []
    for name, glibc, glibcxx, cxxabi, gcc, zlib, atomic in table:
        minor = int(name.rsplit("_", 1)[1])
        specials = {}
        for prefix, allowed in _SPECIALS.items():
            specials[prefix] = {v for v, since in allowed.items()
                                if minor >= int(since.rsplit("_", 1)[1])
                                and not (v == "FLOAT128" and arch != "x86_64")}
        limits = {"GLIBC": glibc, "GLIBCXX": glibcxx, "CXXABI": cxxabi, "GCC": gcc,
                  "ZLIB": zlib, "LIBATOMIC": atomic}
        out.append(Policy(name, limits, specials, _WHITELIST_2_24 if minor >= 24 else _WHITELIST_2_17))
    return out


# ---------------------------------------------------------------------------
# Minimal ELF reader: DT_NEEDED, DT_SONAME, DT_RPATH/DT_RUNPATH and the
# version-needs table (SHT_GNU_verneed), from the section headers.
# ---------------------------------------------------------------------------

SHT_DYNAMIC = 6
SHT_GNU_VERNEED = 0x6FFFFFFE
DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH = 1, 14, 15, 29


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


class ElfInfo:
    def __init__(self, path):
        with open(path, "rb") as f:
            data = f.read()
        if data[:4] != b"\x7fELF":
            raise ValueError(f"{path}: not an ELF file")
        is64 = data[4] == 2
        end = "<" if data[5] == 1 else ">"
        self.machine = struct.unpack_from(end + "H", data, 18)[0]
        if is64:
            shoff, = struct.unpack_from(end + "Q", data, 0x28)
            shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
            shfmt = end + "IIQQQQIIQQ"
        else:
            shoff, = struct.unpack_from(end + "I", data, 0x20)
            shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
            shfmt = end + "IIIIIIIIII"
        sections = [struct.unpack_from(shfmt, data, shoff + i * shentsize) for i in range(shnum)]

        def cstr(strtab_index, off):
            base = sections[strtab_index][4]  # sh_offset
            stop = data.index(b"\0", base + off)
            return data[base + off:stop].decode()

        self.needed, self.soname, self.rpath, self.runpath = [], None, None, None
        self.verneed = []  # [(library, version)]
        for sh in sections:
            sh_type, sh_offset, sh_size, sh_link, sh_info = sh[1], sh[4], sh[5], sh[6], sh[7]
            if sh_type == SHT_DYNAMIC:
                fmt = end + ("qQ" if is64 else "iI")
                step = struct.calcsize(fmt)
                for off in range(sh_offset, sh_offset + sh_size, step):
                    tag, val = struct.unpack_from(fmt, data, off)
                    if tag == 0:
                        break
                    if tag == DT_NEEDED:
                        self.needed.append(cstr(sh_link, val))
                    elif tag == DT_SONAME:
                        self.soname = cstr(sh_link, val)
                    elif tag == DT_RPATH:
                        self.rpath = cstr(sh_link, val)
                    elif tag == DT_RUNPATH:
                        self.runpath = cstr(sh_link, val)
            elif sh_type == SHT_GNU_VERNEED:
                off = sh_offset
                for _ in range(sh_info):  # sh_info = number of Verneed entries
                    _vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from(end + "HHIII", data, off)
                    lib = cstr(sh_link, vn_file)
                    aux = off + vn_aux
                    for _ in range(vn_cnt):
                        _hash, _flags, _other, vna_name, vna_next = struct.unpack_from(end + "IHHII", data, aux)
                        self.verneed.append((lib, cstr(sh_link, vna_name)))
                        aux += vna_next
                    if vn_next == 0:
                        break
                    off += vn_next


# Debian architecture -> (machine as the wheel tags name it, multiarch triplet)
DEB_ARCH = {"amd64": ("x86_64", "x86_64-linux-gnu"), "arm64": ("aarch64", "aarch64-linux-gnu")}


def is_dynamic_loader(name):
    return name.startswith("ld-linux") or name.startswith("ld64.so")


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, **kw).stdout


def log(msg):
    print(msg, flush=True)


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_escape(name):
    return re.sub(r"[-_.]+", "_", name).lower()


def record_hash(hasher):
    """RECORD hash field: 'sha256=' + urlsafe base64 of the digest without '=' padding."""
    return "sha256=" + base64.urlsafe_b64encode(hasher.digest()).rstrip(b"=").decode()


def debian_upstream_version(v):
    """'1:1.24.2-1+deb12u1' -> '1.24.2'; '8.2.0+0.really.8.1.8-1' -> '8.1.8'; '2025.1.31+ds-1' -> '2025.1.31'."""
    v = re.sub(r"^[0-9]+:", "", v)          # epoch
    if "-" in v:
        v = v.rsplit("-", 1)[0]               # Debian revision
    if ".really." in v or "+really" in v:     # Debian's "really" downgrade convention
        v = re.split(r"\.really\.|\+really", v)[-1]
    v = re.sub(r"[+~](dfsg|ds|repack)[0-9.]*.*$", "", v)  # repack suffixes
    return v


# ---------------------------------------------------------------------------
# Debian package database
# ---------------------------------------------------------------------------

class Root:
    """A Debian file tree (sysroot.py's output) seen from outside: its paths
    are absolute inside it, symlinks in it are resolved inside it."""

    def __init__(self, path):
        self.path = os.path.abspath(path)

    def real(self, path):
        """The host path of the file a path inside the root names, symlinks
        resolved inside the root (an absolute target starts at the root)."""
        parts = [p for p in path.split("/") if p not in ("", ".")]
        done = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                done = done[:-1]
                continue
            host = os.path.join(self.path, *done, part)
            if os.path.islink(host):
                hops += 1
                if hops > 40:
                    raise SystemExit(f"{path}: too many levels of symbolic links in {self.path}")
                target = os.readlink(host)
                if target.startswith("/"):
                    done = []
                parts = [p for p in target.split("/") if p not in ("", ".")] + parts
                continue
            done.append(part)
        return os.path.join(self.path, *done)

    def isfile(self, path):
        return os.path.isfile(self.real(path))

    def isdir(self, path):
        return os.path.isdir(self.real(path))

    def islink(self, path):
        return os.path.islink(os.path.join(self.path, path.lstrip("/")))

    def walk_files(self, top):
        """(path inside the root, host path of its content) for every file
        under the folder top, through symlinked folders, sorted."""
        out = []
        for n in sorted(os.listdir(self.real(top))):
            p = top.rstrip("/") + "/" + n
            real = self.real(p)
            if os.path.isdir(real):
                out += self.walk_files(p)
            elif os.path.isfile(real):
                out.append((p, real))
        return out


class Dpkg:
    """The package records sysroot.py wrote in dpkg's layout:
    var/lib/dpkg/status and var/lib/dpkg/info/<package>.list."""

    def __init__(self, root):
        self.root = root
        self.paragraphs = {}
        self.provides = {}  # virtual package -> [real unpacked packages]
        with open(root.real("/var/lib/dpkg/status"), encoding="utf-8") as f:
            for para in f.read().split("\n\n"):
                if not para.strip():
                    continue
                fields, _ = parse_headers(para)
                fields = dict(fields)
                pkg = fields["Package"]
                self.paragraphs[pkg] = fields
                self.provides.setdefault(pkg, []).append(pkg)
                for p in filter(None, (x.strip() for x in fields.get("Provides", "").split(","))):
                    self.provides.setdefault(p.split()[0], []).append(pkg)

    def field(self, pkg, field):
        return self.paragraphs[pkg].get(field, "")

    def files(self, pkg):
        with open(self.root.real(f"/var/lib/dpkg/info/{pkg}.list"), encoding="utf-8") as f:
            return f.read().splitlines()

    def depends(self, pkg):
        """Depends as a list of alternative groups: [[(name, constraint-or-None), ...], ...]."""
        groups = []
        for group in filter(None, (g.strip() for g in self.field(pkg, "Depends").split(","))):
            alts = []
            for alt in group.split("|"):
                m = re.match(r"\s*([^\s(:]+)(?::\w+)?\s*(?:\(([^)]*)\))?", alt)
                alts.append((m.group(1), m.group(2)))
            groups.append(alts)
        return groups

    def installed(self, name):
        return self.provides.get(name, [])


INTERPRETER_PKGS = re.compile(r"^(python3|python3\.\d+|python3-minimal|python3\.\d+-minimal|libpython3.*)$")


def python_dep_packages(dpkg, pkg):
    """Debian run-time dependencies of pkg that are Python packages (not the interpreter)."""
    deps = []
    for group in dpkg.depends(pkg):
        names = [n for n, _ in group]
        # A group satisfied by the interpreter itself (python3, python3:any,
        # python3-supported-min, "python3-importlib-metadata | python3 (>> 3.8)") is no wheel.
        if any(INTERPRETER_PKGS.match(real) for n in names for real in dpkg.installed(n)) or \
                any(INTERPRETER_PKGS.match(n) for n in names):
            continue
        if not any(n.startswith("python3-") for n in names):
            continue  # C libraries: handled by the ELF closure
        for name, constraint in group:
            real = dpkg.installed(name)
            if real:
                deps.append((real[0], constraint, name))
                break
        else:
            raise SystemExit(f"{pkg}: dependency group {group} has no installed member")
    return deps


# ---------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------

def parse_headers(text):
    """RFC 822 style metadata -> ([[name, value]], body). Continuation lines are kept in value."""
    head, _, body = text.partition("\n\n")
    headers = []
    for line in head.splitlines():
        if line[:1] in (" ", "\t") and headers:
            headers[-1][1] += "\n" + line
        elif ":" in line:
            k, v = line.split(":", 1)
            headers.append([k, v.strip()])
    return headers, body


def requires_txt_to_dist(text):
    """setuptools egg-info requires.txt -> Requires-Dist values and extras."""
    reqs, extras, section = [], [], ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line[1:-1]
            extra, _, marker = section.partition(":")
            if extra and extra not in extras:
                extras.append(extra)
            continue
        extra, _, marker = section.partition(":")
        conds = []
        if marker:
            conds.append(f"({marker})" if extra else marker)
        if extra:
            conds.append(f'extra == "{extra}"')
        reqs.append(line + (" ; " + " and ".join(conds) if conds else ""))
    return reqs, extras


def req_name(req):
    return normalize(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req).group(1))


def req_marker(req):
    return req.split(";", 1)[1].strip() if ";" in req else ""


def debian_constraint_to_spec(c):
    """'>= 1:1.22.0' -> '>=1.22.0'. Only lower bounds are carried over."""
    if not c:
        return ""
    m = re.match(r"\s*>=\s*(\S+)", c)
    if not m:
        return ""
    v = debian_upstream_version(m.group(1).rstrip("~"))
    return ">=" + v if re.fullmatch(r"[0-9][0-9a-z.]*", v) else ""


# ---------------------------------------------------------------------------
# A distribution gathered from one or more Debian packages
# ---------------------------------------------------------------------------

class Dist:
    def __init__(self, dpkg, pkg):
        self.pkg = pkg
        self.root = dpkg.root
        self.files = {}       # arcname -> source path (symlinks followed)
        self.meta_dir = None  # /usr/lib/python3/dist-packages/X.dist-info or .egg-info
        self.ignored = []     # dpkg -L paths not taken (with reason)
        self.add_package_files(dpkg, pkg)
        if not self.meta_dir:
            raise SystemExit(f"{pkg}: no .dist-info/.egg-info in dist-packages")
        self.load_metadata(dpkg)

    def add_package_files(self, dpkg, pkg):
        for path in dpkg.files(pkg):
            if not path.startswith(DIST_PACKAGES):
                if re.match(r"/usr/lib/python3\.\d+/dist-packages/", path) and self.root.isfile(path):
                    self.ignored.append((path, "outside /usr/lib/python3/dist-packages (Debian per-version copy)"))
                continue
            rel = path[len(DIST_PACKAGES):]
            top = rel.split("/", 1)[0]
            if top.endswith((".dist-info", ".egg-info")):
                if "/" not in rel:
                    self.meta_dir = path
                continue
            if self.root.islink(path) and self.root.isdir(path):
                # e.g. trixie numpy/_core/include -> /usr/lib/<triplet>/python3-numpy/...
                for src, real in self.root.walk_files(path):
                    self.add_file(rel + src[len(path):], real)
            elif self.root.isfile(path):
                self.add_file(rel, self.root.real(path))

    def add_file(self, arcname, real):
        if "__pycache__" in arcname.split("/") or arcname.endswith((".pyc", ".pyo")):
            return
        self.files[arcname] = real

    def load_metadata(self, dpkg):
        d = self.meta_dir
        self.egg = d.endswith(".egg-info")
        with open(self.root.real(d + ("/PKG-INFO" if self.egg else "/METADATA")), encoding="utf-8") as f:
            self.headers, self.body = parse_headers(f.read())
        self.name = next(v for k, v in self.headers if k == "Name")
        self.norm = normalize(self.name)
        meta_version = next(v for k, v in self.headers if k == "Version")
        self.version = debian_upstream_version(dpkg.field(self.pkg, "Version"))
        if self.version != meta_version:
            raise SystemExit(f"{self.pkg}: Debian upstream version {self.version!r} != metadata version {meta_version!r}")
        self.upstream_reqs = [v for k, v in self.headers if k == "Requires-Dist"]
        self.extras = [v for k, v in self.headers if k == "Provides-Extra"]
        if self.egg and self.root.isfile(d + "/requires.txt"):
            with open(self.root.real(d + "/requires.txt")) as f:
                reqs, extras = requires_txt_to_dist(f.read())
            # newer setuptools also writes them into PKG-INFO: keep one of each
            self.upstream_reqs += [r for r in reqs if r.replace(" ", "") not in
                                   {u.replace(" ", "") for u in self.upstream_reqs}]
            self.extras += [e for e in extras if e not in self.extras]
        # dist-info extras we keep verbatim (licenses, AUTHORS, top_level.txt, entry_points.txt)
        self.meta_extra_files = {}
        keep_egg = {"top_level.txt", "entry_points.txt"}
        skip_dist = {"METADATA", "RECORD", "WHEEL", "INSTALLER", "REQUESTED", "direct_url.json"}
        for path, real in self.root.walk_files(d):
            rel = path[len(d) + 1:]
            if (self.egg and rel in keep_egg) or (not self.egg and rel not in skip_dist):
                self.meta_extra_files[rel] = real

    def merge(self, dpkg, pkg):
        """Add the dist-packages files of a Debian split-off package (MERGE_INTO)."""
        before = self.meta_dir
        self.add_package_files(dpkg, pkg)
        self.meta_dir = before


# ---------------------------------------------------------------------------
# Shared-library vendoring (auditwheel repair, step by step)
# ---------------------------------------------------------------------------

class Resolver:
    """Maps a DT_NEEDED name to the file the target's dynamic loader would
    load, searching the root the way glibc's ld.so does for Debian's
    libraries: the needing object's DT_RPATH (when it has no DT_RUNPATH) or
    DT_RUNPATH, then the folders of the root's /etc/ld.so.conf (what
    ld.so.cache holds), then the default /lib and /usr/lib (and their
    multiarch folders). The first file with that name wins."""

    def __init__(self, root, triplet):
        self.root = root
        self.dirs = []
        self._read_conf("/etc/ld.so.conf")
        for d in (f"/lib/{triplet}", f"/usr/lib/{triplet}", "/lib", "/usr/lib"):
            if d not in self.dirs:
                self.dirs.append(d)

    def _read_conf(self, path):
        if not self.root.isfile(path):
            return
        with open(self.root.real(path)) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line.startswith("include "):
                    pattern = line.split(None, 1)[1]
                    folder, glob_ = os.path.split(pattern)
                    if self.root.isdir(folder):
                        for n in sorted(os.listdir(self.root.real(folder))):
                            if fnmatch.fnmatch(n, glob_):
                                self._read_conf(folder + "/" + n)
                elif line and line not in self.dirs:
                    self.dirs.append(line)

    def resolve(self, name, needed_by):
        """needed_by: host path of the ELF file that needs name (in the root,
        or in a wheel's stage for $ORIGIN)."""
        info = ElfInfo(needed_by)
        in_root = needed_by.startswith(self.root.path + "/")
        origin = "/" + os.path.relpath(os.path.dirname(needed_by), self.root.path) if in_root \
            else os.path.dirname(needed_by)
        search = []  # (folder inside the root?, folder)
        for d in filter(None, (info.runpath or info.rpath or "").split(":")):
            relative = "$ORIGIN" in d or "${ORIGIN}" in d
            d = d.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
            search.append((in_root or not relative, d))
        search += [(True, d) for d in self.dirs]
        for inside, d in search:
            real = self.root.real(d + "/" + name) if inside else os.path.realpath(os.path.join(d, name))
            if os.path.isfile(real):
                return real
        raise SystemExit(f"{needed_by}: needs {name}, which is in none of {[d for _, d in search]}")


def vendor_libraries(stage, elf_arcnames, libs_dir, whitelist, resolver):
    """Copy the non-whitelisted closure of the wheel's ELF files into stage/libs_dir and patch.

    stage: directory holding the wheel's files (ELF files already copied there).
    Returns {original needed name: new file name}.
    """
    # 1. Walk the dependency graph from every ELF of the wheel. Whitelisted
    #    libraries (and the dynamic loader) end the walk, as in auditwheel.
    vendored = {}  # needed name -> resolved source path
    todo = [os.path.join(stage, a) for a in elf_arcnames]
    seen = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in ElfInfo(path).needed:
            if name in whitelist or is_dynamic_loader(name) or name in vendored:
                continue
            src = resolver.resolve(name, path)
            vendored[name] = src
            todo.append(src)
    if not vendored:
        return {}

    # 2. Copy each library under "<base>-<first 8 hex of sha256(file)>.<rest>".
    os.makedirs(os.path.join(stage, libs_dir), exist_ok=True)
    new_names = {}
    for name, src in sorted(vendored.items()):
        with open(src, "rb") as f:
            short = hashlib.sha256(f.read()).hexdigest()[:8]
        base, ext = name.split(".", 1)
        new_names[name] = f"{base}-{short}.{ext}"
        shutil.copyfile(src, os.path.join(stage, libs_dir, new_names[name]))

    # 3. patchelf, one kind of change per call: patchelf 0.14 (bookworm)
    #    writes the wrong string when --replace-needed and --set-rpath are
    #    combined in one call (the RPATH became the replaced name).
    def patch(path, soname, rpath):
        if soname:
            run(["patchelf", "--set-soname", soname, path])
        args = []
        for n in ElfInfo(path).needed:
            if n in new_names:
                args += ["--replace-needed", n, new_names[n]]
        if not args and not soname:
            return False  # needs only whitelisted libraries: left untouched
        if args:
            run(["patchelf"] + args + [path])
        # DT_RPATH (--force-rpath), like auditwheel: also searched for the
        # dependencies of dependencies, and before LD_LIBRARY_PATH.
        run(["patchelf", "--force-rpath", "--set-rpath", rpath, path])
        expected[path] = (soname, rpath)
        return True

    expected = {}
    for name, new in sorted(new_names.items()):
        patch(os.path.join(stage, libs_dir, new), new, "$ORIGIN")
    for arc in elf_arcnames:
        dst = os.path.join(stage, arc)
        rel = os.path.relpath(os.path.join(stage, libs_dir), os.path.dirname(dst))
        patch(dst, None, "$ORIGIN/" + rel)

    # 4. Check the result: every NEEDED is whitelisted or one of ours.
    ours = set(new_names.values())
    for path in [os.path.join(stage, a) for a in elf_arcnames] + \
            [os.path.join(stage, libs_dir, n) for n in ours]:
        info = ElfInfo(path)
        bad = [n for n in info.needed if n not in whitelist and n not in ours and not is_dynamic_loader(n)]
        if bad:
            raise SystemExit(f"{path}: still needs external {bad}")
        if path in expected:
            soname, rpath = expected[path]
            if (soname and info.soname != soname) or info.rpath != rpath or info.runpath:
                raise SystemExit(f"{path}: patchelf result wrong: soname={info.soname} rpath={info.rpath} runpath={info.runpath}")
    return new_names


def choose_policy(policies, elf_paths):
    """Oldest policy allowing every symbol version needed by every ELF (auditwheel's rule)."""
    required = set()
    for p in elf_paths:
        for lib, ver in ElfInfo(p).verneed:
            if is_dynamic_loader(lib) or "_" not in ver:
                continue
            required.add(tuple(ver.split("_", 1)))
    glibc = sorted((v for pre, v in required if pre == "GLIBC" and re.fullmatch(r"[0-9.]+", v)), key=_vkey)
    for pol in policies:
        if all(pol.allows(pre, v) for pre, v in required):
            return pol, required, (glibc[-1] if glibc else None)
    raise SystemExit(f"no manylinux policy allows {sorted(required)}")


# ---------------------------------------------------------------------------
# Wheel writing
# ---------------------------------------------------------------------------

def write_wheel(path, entries):
    """entries: [(arcname, source path or bytes, mode)]; RECORD is added last.

    Deterministic: entries are sorted (.dist-info files after the rest, RECORD
    last), every timestamp is 1980-01-01 00:00:00, modes are 0644 or 0755.
    """
    dist_info = next(a.split("/")[0] for a, _, _ in entries if a.split("/")[0].endswith(".dist-info"))
    entries = sorted(entries, key=lambda e: (e[0].startswith(dist_info + "/"), e[0]))
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(path, "w") as zf:
        for arcname, src, mode in entries:
            zi = zipfile.ZipInfo(arcname, date_time=ZIP_DATE)
            zi.create_system = 3
            zi.external_attr = (0o100000 | mode) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            h = hashlib.sha256()
            size = 0
            if isinstance(src, bytes):
                zi.file_size = len(src)
                with zf.open(zi, "w") as out:
                    out.write(src)
                h.update(src)
                size = len(src)
            else:
                zi.file_size = os.path.getsize(src)
                with open(src, "rb") as f, zf.open(zi, "w", force_zip64=zi.file_size > 2**31) as out:
                    while True:
                        chunk = f.read(1 << 20)
                        if not chunk:
                            break
                        out.write(chunk)
                        h.update(chunk)
                        size += len(chunk)
            writer.writerow([arcname, record_hash(h), size])
        writer.writerow([f"{dist_info}/RECORD", "", ""])
        zi = zipfile.ZipInfo(f"{dist_info}/RECORD", date_time=ZIP_DATE)
        zi.create_system = 3
        zi.external_attr = (0o100000 | 0o644) << 16
        zi.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(zi, record.getvalue())
    return record.getvalue()


def read_record(path):
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
        return zf.read(name).decode()


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def build_set(dpkg, roots):
    """Debian's run-time closure of roots over python3-* packages -> {pkg: Dist} and deps."""
    dists, deps = {}, {}
    todo = list(roots)
    while todo:
        pkg = todo.pop(0)
        if pkg in dists:
            continue
        dist = Dist(dpkg, pkg)
        dists[pkg] = dist
        deps[pkg] = []
        for dep, constraint, asked in python_dep_packages(dpkg, pkg):
            if dep in STDLIB_PACKAGES:
                continue
            if MERGE_INTO.get(dep) == pkg:
                continue  # e.g. numpy -> numpy-dev: same wheel
            if (dist.norm, dep) in DEBIAN_ONLY_DEPS:
                log(f"  {dist.name}: leaving out Debian's dependency {dep}: {DEBIAN_ONLY_DEPS[(dist.norm, dep)]}")
                continue
            target = MERGE_INTO.get(dep, dep)
            deps[pkg].append((target, constraint))
            if target not in todo:
                todo.append(target)
    # split-off packages join their distribution's wheel
    for part, whole in MERGE_INTO.items():
        if whole in dists and dpkg.installed(part) == [part]:
            dists[whole].merge(dpkg, part)
    return dists, deps


def requires_dist(dist, dep_dists, produced):
    """Upstream's requirements, plus Debian's run-time Depends that upstream does not name."""
    out = []
    named = set()
    for req in dist.upstream_reqs:
        name, marker = req_name(req), req_marker(req)
        if "extra ==" in marker:
            out.append(req)
            continue
        if not marker and name not in produced:
            # the set must be closed: every unconditional requirement is a wheel of it
            raise SystemExit(f"{dist.name}: upstream requires {req!r}, which Debian does not ship in this set")
        out.append(req)
        named.add(name)
    for dep_dist, constraint in dep_dists:
        if dep_dist.norm not in named:
            out.append(dep_dist.name + debian_constraint_to_spec(constraint))
            named.add(dep_dist.norm)
    return out


def make_metadata(dist, reqs):
    pyreq = next((v for k, v in dist.headers if k == "Requires-Python"), None)
    filled_pyreq = pyreq is None
    lines = []
    done = set()
    for k, v in dist.headers:
        if k == "Metadata-Version":
            v = v if _vkey(v) >= (2, 1) else "2.1"
        elif k == "Version":
            v = dist.version
        elif k in ("Requires-Dist", "Provides-Extra", "Requires-Python"):
            if k in done:
                continue
            done.add(k)
            if k == "Requires-Python":
                lines.append(f"Requires-Python: {pyreq}")
            elif k == "Requires-Dist":
                lines += [f"Requires-Dist: {r}" for r in reqs]
            else:
                lines += [f"Provides-Extra: {e}" for e in dist.extras]
            continue
        lines.append(f"{k}: {v}")
    # fields the source did not have at all (egg-info keeps requirements in requires.txt)
    if "Requires-Python" not in done:
        # Upstream declares none; this wheel is Python 3 only (py3 tag, Debian python3 package).
        lines.append("Requires-Python: >=3" if filled_pyreq else f"Requires-Python: {pyreq}")
    if "Provides-Extra" not in done:
        lines += [f"Provides-Extra: {e}" for e in dist.extras]
    if "Requires-Dist" not in done:
        lines += [f"Requires-Dist: {r}" for r in reqs]
    text = "\n".join(lines) + "\n\n" + (dist.body if dist.body.strip() else "")
    return text.encode("utf-8"), filled_pyreq


def entry_points(dist):
    src = dist.meta_extra_files.pop("entry_points.txt", None)
    if not src:
        return None
    with open(src) as f:
        text = f.read()
    renames = CONSOLE_SCRIPT_RENAMES.get(dist.norm, {})
    out, section = [], None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("["):
            section = s[1:-1]
        elif section == "console_scripts" and "=" in s:
            k, v = (x.strip() for x in s.split("=", 1))
            line = f"{renames.get(k, k)} = {v}"
        out.append(line)
    return ("\n".join(out) + "\n").encode()


def data_files(dist):
    """Bundled data folders (DATA_BUNDLES) -> [(arcname, source)]."""
    out = []
    for dest, src_dir, kind in DATA_BUNDLES.get(dist.norm, []):
        for marker in DATA_MARKERS[kind]:
            if not dist.root.isfile(f"{src_dir}/{marker}"):
                raise SystemExit(f"{dist.name}: {src_dir}/{marker} missing")
        for path, real in dist.root.walk_files(src_dir):
            if kind == "proj" and path.rsplit("/", 1)[1].lower().endswith(PROJ_GRID_SUFFIXES):
                continue
            out.append((dest + path[len(src_dir):], real))
    return out


def repair(dist, files, stage, policies, resolver, py, arch):
    """Vendor and tag a wheel with ELF files (auditwheel repair). Updates files; returns (tag, notes)."""
    elf_arcs = sorted(a for a, src in files.items() if is_elf(src))
    if not elf_arcs:
        return "py3-none-any", []
    # Copy ELF files to the stage: they are patched, never the system's files.
    for a in elf_arcs:
        dst = os.path.join(stage, a)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(files[a], dst)
        files[a] = dst
    libs_dir = f"{dist.name}.libs"
    # Vendor against the newest policy's whitelist, then check that the
    # chosen policy's whitelist is the same set.
    whitelist = policies[-1].whitelist
    new_names = vendor_libraries(stage, elf_arcs, libs_dir, whitelist, resolver)
    for n in sorted(new_names.values()):
        files[f"{libs_dir}/{n}"] = os.path.join(stage, libs_dir, n)
    all_elf = elf_arcs + [f"{libs_dir}/{n}" for n in new_names.values()]
    pol, required, glibc_max = choose_policy(policies, [files[a] for a in all_elf])
    if pol.whitelist != whitelist:
        raise SystemExit(f"{dist.name}: {pol.name} has a different whitelist; vendoring must be redone")
    notes = [f"  ELF files: {len(elf_arcs)} module(s), {len(new_names)} vendored into {libs_dir}/",
             f"  highest GLIBC_ needed: {glibc_max}; policy: {pol.name}"]
    for prefix in ("GLIBCXX", "CXXABI", "GCC"):
        vs = sorted((v for p, v in required if p == prefix and re.fullmatch(r"[0-9.]+", v)), key=_vkey)
        if vs:
            notes.append(f"  highest {prefix}_ needed: {vs[-1]}")
    for old, new in sorted(new_names.items()):
        notes.append(f"    {old} -> {libs_dir}/{new}")
    return f"{py}-{py}-{pol.name}_{arch}", notes


def wheel_entries(dist, files, tag, reqs):
    """All archive members but RECORD: package files, then dist-info files. Returns (entries, notes)."""
    dist_info = f"{wheel_escape(dist.name)}-{dist.version}.dist-info"
    pure = tag.endswith("-none-any")
    entries = []
    for a, src in files.items():
        mode = 0o644 if pure or not is_elf(src) else 0o755
        entries.append((a, src, mode))
    metadata, filled = make_metadata(dist, reqs)
    wheel_meta = (f"Wheel-Version: 1.0\nGenerator: {GENERATOR}\nRoot-Is-Purelib: {'true' if pure else 'false'}\n"
                  f"Tag: {tag}\n\n").encode()
    entries.append((f"{dist_info}/METADATA", metadata, 0o644))
    entries.append((f"{dist_info}/WHEEL", wheel_meta, 0o644))
    ep = entry_points(dist)
    if ep:
        entries.append((f"{dist_info}/entry_points.txt", ep, 0o644))
    for rel, src in sorted(dist.meta_extra_files.items()):
        entries.append((f"{dist_info}/{rel}", src, 0o644))
    return entries, (["  Requires-Python: upstream declares none; wrote >=3"] if filled else [])


def place_wheel(tmp_path, out_path, record, reuse_dir):
    """Move the new wheel into place, or take a same-named one from reuse_dir. Returns notes."""
    prior = os.path.join(reuse_dir, os.path.basename(out_path)) if reuse_dir else None
    if not (prior and os.path.exists(prior)):
        os.replace(tmp_path, out_path)
        return []
    if read_record(prior) == record:
        note = f"  identical to {prior}: reused its bytes"
    else:
        old = set(read_record(prior).splitlines())
        diff = sorted({r.split(",")[0] for r in set(record.splitlines()) ^ old})
        note = (f"  WARNING: same name as {prior} but different content "
                f"({', '.join(diff[:6])}{' ...' if len(diff) > 6 else ''}); kept the earlier wheel")
    shutil.copyfile(prior, out_path)
    os.unlink(tmp_path)
    return [note]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True, help="the packages unpacked by sysroot.py")
    ap.add_argument("--out", required=True, help="directory for the wheels")
    ap.add_argument("--reuse", help="directory of wheels from another build: same-named pure wheels are taken from there")
    ap.add_argument("--report", help="write a text report here")
    ap.add_argument("--policy-json", help="auditwheel's manylinux-policy.json instead of the built-in table")
    ap.add_argument("roots", nargs="+", help="Debian packages, e.g. python3-rasterio")
    args = ap.parse_args()

    root = Root(args.root)
    dpkg = Dpkg(root)
    # The target is the root's: its architecture from its packages; its
    # CPython must be the one running this (same suite), whose version the tag names.
    deb_arch = dpkg.field(args.roots[0], "Architecture")
    if deb_arch not in DEB_ARCH:
        raise SystemExit(f"{args.roots[0]}: architecture {deb_arch!r}; known: {sorted(DEB_ARCH)}")
    arch, triplet = DEB_ARCH[deb_arch]
    pyver = f"{sys.version_info.major}.{sys.version_info.minor}"
    if not root.isdir(f"/usr/lib/python{pyver}"):
        raise SystemExit(f"{args.root} has no CPython {pyver} (the one running repack.py): another suite?")
    py = f"cp{sys.version_info.major}{sys.version_info.minor}"
    policies = load_policies(arch, args.policy_json)
    os.makedirs(args.out, exist_ok=True)
    resolver = Resolver(root, triplet)
    report = [f"# repack.py report: {py} {arch}", ""]

    log(f"== Debian run-time closure of {' '.join(args.roots)}")
    dists, deps = build_set(dpkg, args.roots)
    produced = {d.norm for d in dists.values()}

    for pkg in sorted(dists, key=lambda p: dists[p].norm):
        dist = dists[pkg]
        reqs = requires_dist(dist, [(dists[t], c) for t, c in deps[pkg]], produced)
        deb_version = dpkg.field(pkg, "Version")
        log(f"== {dist.name} {dist.version} (Debian {pkg} {deb_version})")
        if dist.ignored:
            log(f"  ignored {len(dist.ignored)} file(s) {dist.ignored[0][1]}, e.g. {dist.ignored[0][0]}")

        with tempfile.TemporaryDirectory(prefix="repack-") as stage:
            files = dict(dist.files)
            files.update(dict(data_files(dist)))
            tag, notes = repair(dist, files, stage, policies, resolver, py, arch)
            entries, more = wheel_entries(dist, files, tag, reqs)
            notes += more
            wheel_name = f"{wheel_escape(dist.name)}-{dist.version}-{tag}.whl"
            out_path = os.path.join(args.out, wheel_name)
            record = write_wheel(out_path + ".tmp", entries)
            notes += place_wheel(out_path + ".tmp", out_path, record, args.reuse)

        size = os.path.getsize(out_path)
        with zipfile.ZipFile(out_path) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
        line = f"{wheel_name}  {size / 1e6:.1f} MB zipped, {unpacked / 1e6:.1f} MB unpacked  (Debian {pkg} {deb_version})"
        log("  -> " + line)
        for n in notes:
            log(n)
        report.append(line)
        report.extend(notes)
        report.append("  Requires-Dist: " + (" | ".join(r for r in reqs if "extra ==" not in req_marker(r)) or "-"))

    if args.report:
        os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
        with open(args.report, "w") as f:
            f.write("\n".join(report) + "\n")
    log(f"== {len(dists)} wheels in {args.out}")


if __name__ == "__main__":
    main()
