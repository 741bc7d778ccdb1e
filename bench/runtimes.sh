#!/usr/bin/env bash
# Several runtimes in one layer (TARGET aws-lambda python3.11 python3.13)
# against one layer per runtime, side by side in one run on the dev
# world's buildkitd, linux/amd64: the same requirements (the pure packages
# of the dev index, which both runtimes install alike, and glf-cext, whose
# cp311 and cp313 builds differ) with a TEST that imports them under each
# runtime. Prints a markdown table with the sizes and their ratios;
# bench/run.sh puts it into bench/results.md.
#
# The dev index has the realistic geo set for cp311 only (built from
# Debian bookworm's CPython), so the geo packages themselves cannot be
# measured for two runtimes here.
set -euo pipefail
. "$(dirname "$0")/../hack/lib.sh"
dev_env
work=$DEV_HOME/bench/runtimes
rm -rf "$work" && mkdir -p "$work"
reqs="affine==2.4.0 attrs==22.2.0 certifi==2022.9.24 click==8.1.3 click-plugins==1.1.1 cligj==0.7.2 munch==2.5.0 pyparsing==3.0.9 setuptools==66.1.1 six==1.16.0 snuggs==1.4.7 glf-cext==1.0.0"
imports="affine, attr, certifi, click, click_plugins, cligj, munch, pyparsing, six, glf_cext"

layer() { # name runtimes...
  local name=$1 dir=$work/$1; shift
  mkdir -p "$dir/ctx"
  printf '# syntax=%s\nTARGET aws-lambda %s\nPLATFORM linux/amd64\nREQUIRE %s\nTEST import %s\n' \
    "$GEOLAYER_FRONTEND_IMAGE" "$*" "$reqs" "$imports" >"$dir/ctx/Geolayerfile"
  buildctl --addr "$BUILDKIT_HOST" build --progress=plain --frontend gateway.v0 \
    --opt source="$GEOLAYER_FRONTEND_IMAGE" --opt filename=Geolayerfile \
    --opt build-arg:GEOLAYER_INDEX_URL="$GEOLAYER_INDEX_URL" \
    --local context="$dir/ctx" --local dockerfile="$dir/ctx" --output type=local,dest="$dir/out" \
    >"$dir/build.log" 2>&1 || { tail -30 "$dir/build.log" >&2; die "build $name failed"; }
}
layer py311 python3.11
layer py313 python3.13
layer both python3.11 python3.13

python3 - "$work" <<'EOF'
import json, sys, zipfile
work = sys.argv[1]
def facts(name):
    rep = json.load(open(f"{work}/{name}/out/report.json"))
    with zipfile.ZipFile(f"{work}/{name}/out/layer.zip") as z:
        entries = len(z.infolist())
    return rep["totals"]["zipped"], rep["totals"]["unzipped"], entries
a, b, both = facts("py311"), facts("py313"), facts("both")
two = tuple(x + y for x, y in zip(a, b))
print("| layer | zipped (bytes) | unzipped (bytes) | zip entries |")
print("|---|---:|---:|---:|")
print(f"| python3.11 alone | {a[0]:,} | {a[1]:,} | {a[2]:,} |")
print(f"| python3.13 alone | {b[0]:,} | {b[1]:,} | {b[2]:,} |")
print(f"| the two layers together | {two[0]:,} | {two[1]:,} | {two[2]:,} |")
print(f"| **one layer for python3.11 + python3.13** | **{both[0]:,}** | **{both[1]:,}** | {both[2]:,} |")
print(f"| one layer / the two layers | {both[0]/two[0]:.2f} | {both[1]/two[1]:.2f} | {both[2]/two[2]:.2f} |")
print(f"| one layer / python3.11 alone | {both[0]/a[0]:.2f} | {both[1]/a[1]:.2f} | {both[2]/a[2]:.2f} |")
EOF
echo
echo "Each TEST imported every package under its runtime (the build fails otherwise). The pure files both runtimes install alike are kept once (4 KiB or larger: links; console scripts: one entry); smaller ones, the .dist-info folders and glf-cext's two builds are stored for each runtime."
