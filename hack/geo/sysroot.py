#!/usr/bin/env python3
"""sysroot.py: Debian packages of one architecture, unpacked into a folder without running them.

    sysroot.py --arch arm64 DIR python3-numpy python3-rasterio ...

What `apt-get install` would put on disk, made natively on the build
platform, whatever the target architecture: nothing of the target runs, so
linux/arm64 needs no emulation (under QEMU the geo set's apt-get install and
repack took ~11 of its ~20 minutes).

1. apt-get resolves the packages' Depends closure for --arch against an empty
   package status and downloads it (what mmdebstrap does for a foreign
   chroot): the image's own sources and keys, a private state and cache under
   DIR/.apt, no Recommends.
2. Each .deb is unpacked with `dpkg-deb -x`, and recorded in dpkg's layout:
   DIR/var/lib/dpkg/status (its control fields, `Status: install ok
   unpacked`) and DIR/var/lib/dpkg/info/<package>.list (its paths).
   repack.py --root DIR reads those instead of asking dpkg.
3. No maintainer script runs. What they would leave that matters to a
   library search is made here: the links of `update-alternatives --install`
   in postinsts (libblas.so.3 and liblapack.so.3 for numpy), the highest
   priority winning as in update-alternatives' auto mode. Byte-compiled
   files are not made (wheels do not carry them).

Only the standard library; external tools: apt-get, dpkg-deb.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tarfile


def log(msg):
    print(msg, flush=True)


def apt(dir_, arch, *args):
    state = os.path.join(dir_, ".apt")
    opts = [
        f"APT::Architecture={arch}", f"APT::Architectures={arch}",
        f"Dir::State={state}/state", f"Dir::State::status={state}/status",
        f"Dir::Cache={state}/cache", "Dir::Cache::pkgcache=", "Dir::Cache::srcpkgcache=",
        "APT::Install-Recommends=false", "APT::Install-Suggests=false",
    ]
    cmd = ["apt-get", "-q"] + [x for o in opts for x in ("-o", o)] + list(args)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL if "update" in args else None)


def control_fields(deb):
    """The .deb's control paragraph, as text (ends with a newline)."""
    text = subprocess.run(["dpkg-deb", "-f", deb], check=True, stdout=subprocess.PIPE, text=True).stdout
    return text if text.endswith("\n") else text + "\n"


def field(paragraph, name):
    m = re.search(rf"^{name}:\s*(.*)$", paragraph, re.M)
    return m.group(1).strip() if m else ""


def unpack(deb, root):
    """dpkg-deb -x, and the package's paths as dpkg -L lists them."""
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    p = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
    paths = []
    with tarfile.open(fileobj=p.stdout, mode="r|") as tf:
        for m in tf:
            name = m.name[2:] if m.name.startswith("./") else m.name
            paths.append("/" + name.rstrip("/") if name.strip("./") else "/.")
    if p.wait() != 0:
        raise SystemExit(f"dpkg-deb --fsys-tarfile {deb} failed")
    postinst = subprocess.run(["dpkg-deb", "-I", deb, "postinst"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    return paths, postinst.stdout if postinst.returncode == 0 else ""


ALT_INSTALL = re.compile(r"update-alternatives\s+--install\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)")


def alternatives(postinsts):
    """postinst texts -> {link: (priority, name, path)}: the auto-mode choice per
    shared-library link (others, e.g. mariadb's my.cnf, do not matter here)."""
    best = {}
    for text in postinsts:
        for link, name, path, prio in ALT_INSTALL.findall(re.sub(r"\\\n\s*", " ", text)):
            if not re.search(r"\.so(\.[0-9]+)*$", link):
                continue
            if "$" in link + path:
                raise SystemExit(f"update-alternatives with a shell variable ({link} {path}): not handled")
            if link not in best or int(prio) > best[link][0]:
                best[link] = (int(prio), name, path)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, help="Debian architecture, e.g. arm64")
    ap.add_argument("dir", help="the folder to unpack into (created)")
    ap.add_argument("packages", nargs="+")
    args = ap.parse_args()
    root = os.path.abspath(args.dir)
    state = os.path.join(root, ".apt")
    for d in ("state/lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(state, d), exist_ok=True)
    open(os.path.join(state, "status"), "w").close()
    dpkg_dir = os.path.join(root, "var/lib/dpkg")
    os.makedirs(os.path.join(dpkg_dir, "info"), exist_ok=True)

    log(f"== apt-get: {' '.join(args.packages)} and their Depends for {args.arch}")
    apt(root, args.arch, "update")
    apt(root, args.arch, "install", "--yes", "--download-only", *args.packages)
    archives = os.path.join(state, "cache/archives")
    debs = sorted(os.path.join(archives, n) for n in os.listdir(archives) if n.endswith(".deb"))
    if not debs:
        raise SystemExit("apt-get downloaded nothing")
    log(f"== unpacking {len(debs)} packages into {root}")

    controls = {deb: control_fields(deb) for deb in debs}
    for deb, c in controls.items():
        if field(c, "Architecture") not in (args.arch, "all"):
            raise SystemExit(f"{deb}: architecture {field(c, 'Architecture')}, not {args.arch}")
    # dpkg-deb decompresses (xz) natively: two at a time on two cores. Each
    # package writes only its own paths; shared directories are harmless.
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = dict(zip(debs, pool.map(lambda d: unpack(d, root), debs)))

    with open(os.path.join(dpkg_dir, "status"), "w") as status:
        for deb in debs:
            c = controls[deb]
            pkg = field(c, "Package")
            lines = c.splitlines(keepends=True)
            lines.insert(1, "Status: install ok unpacked\n")  # after Package:, as dpkg writes it
            status.write("".join(lines) + "\n")
            with open(os.path.join(dpkg_dir, "info", pkg + ".list"), "w") as f:
                f.write("".join(p + "\n" for p in results[deb][0]))

    for link, (prio, name, path) in sorted(alternatives(r[1] for r in results.values()).items()):
        if not os.path.lexists(os.path.join(root, path.lstrip("/"))):
            raise SystemExit(f"alternative {name}: {path} is not in any package")
        alt = f"/etc/alternatives/{name}"
        for src, dst in ((link, alt), (alt, path)):
            host = os.path.join(root, src.lstrip("/"))
            os.makedirs(os.path.dirname(host), exist_ok=True)
            if os.path.lexists(host):
                os.unlink(host)
            os.symlink(dst, host)
        log(f"  alternative {name}: {link} -> {path} (priority {prio})")

    total = sum(os.path.getsize(d) for d in debs)
    shutil.rmtree(state)  # indexes and .debs: all that is needed is unpacked and recorded
    log(f"== {len(debs)} packages ({total / 1e6:.1f} MB of .deb) unpacked for {args.arch}")


if __name__ == "__main__":
    sys.exit(main())
