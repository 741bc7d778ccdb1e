#!/usr/bin/env bash
# Size comparison (issue #4 done-1, issue #7 table 1), side by side in one run
# on the dev world's buildkitd: the same wheels (the realistic geo set plus
# the fixtures whose checks catch broken recipes) through
#   - geolayer with its defaults,
#   - geolayer with every slimming option (PRUNE --preset=geo),
#   - the seed recipe (recipes/seed.Dockerfile + zip -r9 -X),
#   - serverless-python-requirements' slim recipe (recipes/slim.Dockerfile + zip -r9 -X),
# for linux/amd64 and linux/arm64; then every layer is unpacked at /opt in
# the bare runtime stand-in and the check scripts run (recipes/check.Dockerfile).
# Prints a markdown table; bench/run.sh puts it into bench/results.md.
# Nothing here is timed, so the two platforms run concurrently, and the
# recipes' `zip -r9` runs overlap the next builds (both cores stay busy).
set -euo pipefail
. "$(dirname "$0")/../hack/lib.sh"
dev_env
work=$DEV_HOME/bench/sizes
rm -rf "$work" && mkdir -p "$work"
reqs="numpy shapely pyproj rasterio fiona glf-vendored glf-meta glf-plugins glf-plugin-a"
checks=$work/checks
mkdir -p "$checks"
cp "$REPO_ROOT/hack/geo/check_geo.py" "$REPO_ROOT"/hack/fixtures/checks/check_{meta,plugins,vendored}.py "$checks/"
BENCH_PLATFORMS=${BENCH_PLATFORMS:-linux/amd64 linux/arm64}

# bctl LOG buildctl-build-args...: one log per platform (they run concurrently).
bctl() { local lf=$1; shift; buildctl --addr "$BUILDKIT_HOST" build --progress=plain "$@" >>"$lf" 2>&1 || { tail -30 "$lf" >&2; die "build failed: $*"; }; }

geolayer_layer() { # name platform extra-lines
  local name=$1 plat=$2 extra=$3 dir=$work/$1-${2#linux/}
  mkdir -p "$dir/ctx"
  printf '# syntax=%s\nTARGET aws-lambda python3.11 --glibc=2.36\nREQUIRE %s\nBUDGET unzipped=1GiB zipped=1GiB\n%b' \
    "$GEOLAYER_FRONTEND_IMAGE" "$reqs" "$extra" >"$dir/ctx/Geolayerfile"
  bctl "$work/build-${plat#linux/}.log" --frontend gateway.v0 --opt source="$GEOLAYER_FRONTEND_IMAGE" --opt filename=Geolayerfile \
    --opt platform="$plat" --opt build-arg:GEOLAYER_INDEX_URL="$GEOLAYER_INDEX_URL" \
    --local context="$dir/ctx" --local dockerfile="$dir/ctx" --output type=local,dest="$dir/out"
  cp "$dir/out/layer.zip" "$dir/layer.zip"
  mkdir -p "$dir/layer" && (cd "$dir/layer" && unzip -q "$dir/layer.zip")
}

recipe_layer() { # name platform
  local name=$1 plat=$2 dir=$work/$1-${2#linux/}
  mkdir -p "$dir"
  bctl "$work/build-${plat#linux/}.log" --frontend dockerfile.v0 --local context="$REPO_ROOT/bench/recipes" --local dockerfile="$REPO_ROOT/bench/recipes" \
    --opt filename="$name.Dockerfile" --opt target=tree --opt platform="$plat" \
    --opt build-arg:INDEX_URL="$GEOLAYER_INDEX_URL" --opt build-arg:REQUIREMENTS="$reqs" \
    --output type=local,dest="$dir/layer"
}
zip_layer() { (cd "$1/layer" && zip -q -r9 -X -y "$1/layer.zip" .); }

check_layer() { # dir platform
  local dir=$1 plat=$2
  rm -rf "$dir/checkctx" && mkdir -p "$dir/checkctx"
  cp -a "$dir/layer" "$dir/checkctx/layer" && cp -a "$checks" "$dir/checkctx/checks"
  bctl "$work/build-${plat#linux/}.log" --frontend dockerfile.v0 --local context="$dir/checkctx" --local dockerfile="$REPO_ROOT/bench/recipes" \
    --opt filename=check.Dockerfile --opt platform="$plat" --output type=local,dest="$dir/result"
}

unzipped() { (cd "$1" && find . \( -type f -o -type l \) -printf '%s\n' | awk '{s+=$1} END {print s+0}'); }
mb() { awk -v b="$1" 'BEGIN {printf "%.1f", b/1048576}'; }

# sizes_for PLATFORM: the table rows of one platform.
sizes_for() {
  local plat=$1 arch=${1#linux/} zips=() p name dir u z pass total failed
  geolayer_layer geolayer-defaults "$plat" ""
  geolayer_layer geolayer-all "$plat" "PRUNE --preset=geo\n"
  recipe_layer seed "$plat"
  zip_layer "$work/seed-$arch" & zips+=($!)
  recipe_layer slim "$plat"
  zip_layer "$work/slim-$arch" & zips+=($!)
  for name in geolayer-defaults geolayer-all seed slim; do check_layer "$work/$name-$arch" "$plat"; done
  for p in "${zips[@]}"; do wait "$p" || die "zip -r9 failed ($plat)"; done
  seed_u=$(unzipped "$work/seed-$arch/layer"); seed_z=$(stat -c %s "$work/seed-$arch/layer.zip")
  for name in geolayer-defaults geolayer-all seed slim; do
    dir=$work/$name-$arch
    u=$(unzipped "$dir/layer"); z=$(stat -c %s "$dir/layer.zip")
    pass=$(grep -c '^PASS' "$dir/result/result.txt" || true); total=$(wc -l <"$dir/result/result.txt")
    failed=$(grep '^FAIL' "$dir/result/result.txt" | cut -c6- | cut -d: -f1 | paste -sd, - || true)
    printf '| %s | %s | %s | %s | %s / %s | %s/%s | %s |\n' "$name" "$plat" "$(mb "$u")" "$(mb "$z")" \
      "$(awk -v a="$u" -v b="$seed_u" 'BEGIN {printf "%.2f×", a/b}')" "$(awk -v a="$z" -v b="$seed_z" 'BEGIN {printf "%.2f×", a/b}')" \
      "$pass" "$total" "${failed:--}"
  done
}

pids=()
for plat in $BENCH_PLATFORMS; do
  sizes_for "$plat" >"$work/rows-${plat#linux/}.md" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || die "the size benchmark failed (logs: $work/build-*.log)"; done
echo "| layer | platform | unzipped MiB | zipped MiB | vs seed (unzipped / zipped) | checks passed | failed checks |"
echo "|---|---|---:|---:|---:|---:|---|"
for plat in $BENCH_PLATFORMS; do cat "$work/rows-${plat#linux/}.md"; done
