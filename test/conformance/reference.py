#!/usr/bin/python3
"""Reference side of geolayer's conformance test (see docs/conformance.md).

Reads the generator's cases as JSON lines on stdin and answers each with the
installed `packaging` library, one JSON line per case on stdout, in the same
shape as geolayer's side (test/conformance/geolayer.go). The first output line
is {"packaging": VERSION, "python": VERSION}.

Run with Debian's /usr/bin/python3 and python3-packaging (make test installs
it). Only `packaging` is used; pip's --platform expansion is written out in
pip_platforms() below.
"""

import inspect
import json
import sys

import packaging
import packaging._manylinux as manylinux
from packaging import tags as ptags
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version


def version_answer(s):
    try:
        v = Version(s)
    except Exception:
        return {"valid": False}
    return {
        "valid": True,
        "str": str(v),
        "public": v.public,
        "base": v.base_version,
        "pre": v.is_prerelease,
        "post": v.is_postrelease,
        "dev": v.is_devrelease,
    }


def compare_answer(a, b):
    try:
        va, vb = Version(a), Version(b)
    except Exception:
        return {"valid": False}
    return {"valid": True, "cmp": (va > vb) - (va < vb)}


def spec_list(specset):
    # A SpecifierSet is a set: report its clauses as written, sorted.
    return sorted(str(s) for s in specset)


def specifier_answer(s, versions):
    try:
        ss = SpecifierSet(s)
    except Exception:
        return {"valid": False}
    res = []
    for v in versions:
        try:
            res.append("T" if ss.contains(v, prereleases=True) else "F")
        except Exception:
            res.append("E")
    return {"valid": True, "spec": spec_list(ss), "contains": "".join(res)}


def eval_marker(m, env):
    try:
        return "T" if m.evaluate(env) else "F"
    except Exception:
        return "E"


def marker_answer(s, envs):
    try:
        m = Marker(s)
    except Exception:
        return {"valid": False}
    return {"valid": True, "eval": "".join(eval_marker(m, e) for e in envs)}


def requirement_answer(s, envs):
    try:
        r = Requirement(s)
    except Exception:
        return {"valid": False}
    ans = {
        "valid": True,
        "name": canonicalize_name(r.name),
        "extras": sorted({canonicalize_name(e) for e in r.extras}),
        "spec": spec_list(r.specifier),
        "url": r.url or "",
    }
    if r.marker is not None:
        ans["eval"] = "".join(eval_marker(r.marker, e) for e in envs)
    return ans


def wheel_answer(s):
    try:
        name, ver, build, tags = parse_wheel_filename(s)
    except Exception:
        return {"valid": False}
    ans = {
        "valid": True,
        "name": name,
        "version": str(ver),
        "tags": sorted(str(t) for t in tags),
    }
    if build:
        ans["build"] = [str(build[0]), build[1]]
    return ans


def manylinux_platforms(arch, glibc):
    """packaging._manylinux.platform_tags on a glibc `glibc` system of `arch`.

    The running machine's glibc and ELF checks are replaced by the target's:
    _get_glibc_version returns the target's glibc and _have_compatible_abi
    says yes (the executable is this machine's, not the target's).
    """
    major, minor = (int(x) for x in glibc.split("."))
    manylinux._get_glibc_version = lambda: (major, minor)
    manylinux._have_compatible_abi = lambda *a: True
    params = inspect.signature(manylinux.platform_tags).parameters
    if "linux" in params:  # packaging < 25: platform_tags(linux, arch)
        return list(manylinux.platform_tags("linux_" + arch, arch))
    return list(manylinux.platform_tags([arch]))  # newer: platform_tags(archs)


def pip_platforms(platforms):
    """pip's --platform expansion (pip._internal.utils.compatibility_tags,
    _expand_allowed_platforms and _custom_manylinux_platforms, pip 20.3-26):
    manylinux2014_{x86_64,i686} adds manylinux2010 and manylinux1 right
    after itself, manylinux2010 adds manylinux1; duplicates are dropped."""
    out, seen = [], set()
    for p in platforms:
        prefix, sep, arch = p.partition("_")
        expanded = [p]
        if prefix == "manylinux2014" and arch in ("i686", "x86_64"):
            expanded += ["manylinux2010" + sep + arch, "manylinux1" + sep + arch]
        elif prefix == "manylinux2010":
            expanded += ["manylinux1" + sep + arch]
        for x in expanded:
            if x not in seen:
                seen.add(x)
                out.append(x)
    return out


def tags_answer(profile):
    major, minor = (int(x) for x in profile["python"].split("."))
    pyver = (major, minor)
    interp = "cp%d%d" % pyver
    plats = manylinux_platforms(profile["arch"], profile["glibc"])
    # sys_tags() on the target: cpython_tags + compatible_tags for a
    # non-debug, GIL-enabled CPython (abi cpXY), manylinux platforms only
    # (sys_tags would add musllinux_* (none on glibc) and linux_<arch>, which
    # geolayer never installs).
    order = [str(t) for t in ptags.cpython_tags(pyver, [interp], plats)]
    order += [str(t) for t in ptags.compatible_tags(pyver, interp, plats)]
    # pip install --platform P... --python-version XY --implementation cp
    # --abi cpXY with geolayer's platform list (what pip's resolver accepts).
    gplats = []
    for t in profile.get("platforms", []):
        if t not in gplats:
            gplats.append(t)
    pplats = pip_platforms(gplats)
    pip = [str(t) for t in ptags.cpython_tags(pyver, [interp], pplats)]
    pip += [str(t) for t in ptags.compatible_tags(pyver, interp, pplats)]
    return {"valid": True, "tags": order, "pip": sorted(set(pip))}


def answer(case):
    k = case["kind"]
    if k == "version":
        return version_answer(case.get("input", ""))
    if k == "compare":
        return compare_answer(case.get("input", ""), case.get("other", ""))
    if k == "specifier":
        return specifier_answer(case.get("input", ""), case.get("versions", []))
    if k in ("marker", "marker-expr"):
        return marker_answer(case.get("input", ""), case["envs"])
    if k == "requirement":
        return requirement_answer(case.get("input", ""), case["envs"])
    if k == "wheel":
        return wheel_answer(case.get("input", ""))
    if k == "tags":
        return tags_answer(case["profile"])
    raise SystemExit("unknown case kind %r" % k)


def main():
    out = sys.stdout
    out.write(json.dumps({"packaging": packaging.__version__, "python": sys.version.split()[0]}) + "\n")
    envs = stable = None
    for line in sys.stdin:
        case = json.loads(line)
        if case["kind"] == "envs":  # the marker environments, sent first
            envs = case["envs"]
            stable = [envs[i] for i in case["stable"]]
            continue
        if case["kind"] == "marker":
            case["envs"] = envs
        elif case["kind"] in ("marker-expr", "requirement"):
            case["envs"] = stable
        a = answer(case)
        a["id"] = case["id"]
        out.write(json.dumps(a, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
