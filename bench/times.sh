#!/usr/bin/env bash
# Build times (issue #7 table 2 and 3), side by side in one run on the dev
# world's buildkitd configuration, on the realistic geo set plus glf-pure
# (whose pin we bump): geolayer (buildctl, gateway frontend) against the seed
# recipe as a plain Dockerfile (recipes/seed.Dockerfile, target zip: pip
# --platform, find deletions, strip, zip -9), BuildKit caching its RUN steps
# as it would for any user. Scenarios: cold (--no-cache), no-op rebuild,
# one-pin bump (glf-pure 1.0.0 -> 1.1.0), PRUNE change.
#
# Every scenario sequence starts on a throwaway buildkitd with an empty state
# (same mirrors, same worker setup), so "cold" is really cold and no cache
# left by an earlier sequence can make a later scenario look cheap.
# geolayer's sequence runs BENCH_RUNS times (default 3), each on a fresh
# daemon, and the table gives min / median / max (a shared 2-core VM is
# noisy); bump / cold is the median of the per-run ratios. The seed recipe
# runs once per platform: on linux/arm64 it runs in the emulated arm64 build
# image (GNU strip is native-only), as serverless-python-requirements'
# dockerizePip does, and only its cold build by default (each emulated
# rebuild takes minutes; BENCH_FULL_EMULATED=1 runs them all).
set -euo pipefail
. "$(dirname "$0")/../hack/lib.sh"
dev_env
work=${BENCH_TIMES_WORK:-$DEV_HOME/bench/times}
rm -rf "$work" && mkdir -p "$work"
RUNS=${BENCH_RUNS:-3}
BENCH_PLATFORMS=${BENCH_PLATFORMS:-linux/amd64 linux/arm64}

bk=$work/buildkitd
bkpid=
start_daemon() {
  mkdir -p "$bk"
  sed -e "s|^root = .*|root = \"$bk/state\"|" -e "s|^\(\s*\)address = .*|\1address = [\"unix://$bk/buildkitd.sock\"]|" \
    "$DEV_HOME/buildkitd.toml" >"$bk/buildkitd.toml"
  buildkitd --config "$bk/buildkitd.toml" >>"$bk/buildkitd.log" 2>&1 &
  bkpid=$!
  BUILDKIT_HOST=unix://$bk/buildkitd.sock
  for _ in $(seq 150); do buildctl --addr "$BUILDKIT_HOST" debug workers >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "the throwaway buildkitd did not start (log: $bk/buildkitd.log)"
}
stop_daemon() {
  [ -n "$bkpid" ] || return 0
  kill "$bkpid" 2>/dev/null || true
  wait "$bkpid" 2>/dev/null || true
  bkpid=
  rm -rf "$bk/state"
}
trap stop_daemon EXIT

secs() { local s e; s=$(date +%s.%N); "$@" >>"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; die "failed: $*"; }; e=$(date +%s.%N); awk -v a="$s" -v b="$e" 'BEGIN {printf "%.1f", b-a}'; }

geolayer() { # dir platform [no-cache]
  local dir=$1 plat=$2; shift 2
  buildctl --addr "$BUILDKIT_HOST" build --progress=plain --frontend gateway.v0 --opt source="$GEOLAYER_FRONTEND_IMAGE" \
    --opt filename=Geolayerfile --opt platform="$plat" --opt build-arg:GEOLAYER_INDEX_URL="$GEOLAYER_INDEX_URL" \
    --local context="$dir" --local dockerfile="$dir" --output type=local,dest="$dir/out" "$@"
}
recipe() { # platform requirements extra-prune [no-cache]
  local plat=$1 reqs=$2 prune=$3; shift 3
  buildctl --addr "$BUILDKIT_HOST" build --progress=plain --frontend dockerfile.v0 \
    --local context="$REPO_ROOT/bench/recipes" --local dockerfile="$REPO_ROOT/bench/recipes" \
    --opt filename=seed.Dockerfile --opt target=zip --opt platform="$plat" \
    --opt build-arg:INDEX_URL="$GEOLAYER_INDEX_URL" --opt build-arg:REQUIREMENTS="$reqs" \
    --opt build-arg:EXTRA_PRUNE="$prune" --output type=local,dest="$work/recipe-out" "$@"
}
glfile() { # dir pin prune
  printf '# syntax=%s\nTARGET aws-lambda python3.11 --glibc=2.36\nREQUIRE %s glf-pure==%s glf-pure-dep==1.0.0\nBUDGET unzipped=1GiB zipped=1GiB\n%s' \
    "$GEOLAYER_FRONTEND_IMAGE" "$base" "$2" "$3" >"$1/Geolayerfile"
}
# stats v1 v2 ...: "min / median / max" (one value: itself)
stats() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR==1) {printf "%s", v[1]; exit}; m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%s / %.1f / %s", v[1], m, v[NR]}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.2f", m}'; }
# ratios: "min / median / max" with three decimals
ratios() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.3f / %.3f / %.3f", v[1], m, v[NR]}'; }

# Pinned, as production builds are: resolve once (untimed, on the dev world's
# own warm daemon) and pin every package of the result, so no scenario pays
# for a resolver.
base="numpy shapely pyproj rasterio fiona"
prep=$work/prepare && mkdir -p "$prep"
printf '# syntax=%s\nTARGET aws-lambda python3.11 --glibc=2.36\nREQUIRE %s\nBUDGET unzipped=1GiB zipped=1GiB\n' "$GEOLAYER_FRONTEND_IMAGE" "$base" >"$prep/Geolayerfile"
# --no-cache: a resolution cached by an earlier run may name versions the
# index no longer serves (BuildKit caches unpinned resolutions like any RUN).
geolayer "$prep" linux/amd64 --no-cache >>"$work/build.log" 2>&1
base=$(python3 -c 'import json,sys; print(" ".join(p["name"] + "==" + p["version"] for p in json.load(open(sys.argv[1]))["packages"]))' "$prep/out/report.json")

# Caches across daemons (issue #16), after each sequence: the 1.0.0 layer's
# cache is exported (mode=max; a no-op build that only exports) to the dev
# registry and to a local folder, then the same build runs on a fresh
# daemon with an empty state and --import-cache, once per cache type. Its
# layer.zip must be the one the cold build made.
cache_ref=$GEOLAYER_REGISTRY/geolayer-bench/cache
declare -A C N B P R XR XL IR IL RR RL
zipsum() { sha256sum "$1/out/layer.zip" | cut -d' ' -f1; }
for run in $(seq "$RUNS"); do
  start_daemon
  declare -A sum=()
  for plat in $BENCH_PLATFORMS; do
    arch=${plat#linux/}
    d=$work/geolayer-$arch && rm -rf "$d" && mkdir -p "$d"
    glfile "$d" 1.0.0 ""
    c=$(secs geolayer "$d" "$plat" --no-cache)
    sum[$arch]=$(zipsum "$d")
    n=$(secs geolayer "$d" "$plat")
    glfile "$d" 1.1.0 ""
    b=$(secs geolayer "$d" "$plat")
    glfile "$d" 1.1.0 "PRUNE glf_pure/tests/\n"
    p=$(secs geolayer "$d" "$plat")
    C[$arch]+="$c "; N[$arch]+="$n "; B[$arch]+="$b "; P[$arch]+="$p "
    R[$arch]+="$(awk -v a="$b" -v b="$c" 'BEGIN {printf "%.3f", a/b}') "
    glfile "$d" 1.0.0 ""
    rm -rf "$work/cache-$arch"
    XR[$arch]+="$(secs geolayer "$d" "$plat" --export-cache "type=registry,ref=$cache_ref:$arch-$$,mode=max") "
    XL[$arch]+="$(secs geolayer "$d" "$plat" --export-cache "type=local,dest=$work/cache-$arch,mode=max") "
  done
  stop_daemon
  for kind in registry local; do
    start_daemon
    for plat in $BENCH_PLATFORMS; do
      arch=${plat#linux/} d=$work/geolayer-$arch
      if [ "$kind" = registry ]; then
        i=$(secs geolayer "$d" "$plat" --import-cache "type=registry,ref=$cache_ref:$arch-$$")
        IR[$arch]+="$i "; RR[$arch]+="$(awk -v a="$i" -v b="$(echo "${C[$arch]}" | awk '{print $NF}')" 'BEGIN {printf "%.3f", a/b}') "
      else
        i=$(secs geolayer "$d" "$plat" --import-cache "type=local,src=$work/cache-$arch")
        IL[$arch]+="$i "; RL[$arch]+="$(awk -v a="$i" -v b="$(echo "${C[$arch]}" | awk '{print $NF}')" 'BEGIN {printf "%.3f", a/b}') "
      fi
      [ "$(zipsum "$d")" = "${sum[$arch]}" ] || die "$plat: the layer.zip built with the $kind cache on a fresh daemon differs from the cold build's"
    done
    stop_daemon
  done
done

echo "| tool | platform | runs | cold | no-op | one-pin bump | PRUNE change | bump / cold |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
declare -A cold
for plat in $BENCH_PLATFORMS; do
  arch=${plat#linux/}
  # shellcheck disable=SC2086
  printf '| geolayer | %s | %s | %s | %s | %s | %s | %s (%s) |\n' "$plat" "$RUNS" "$(stats ${C[$arch]})" "$(stats ${N[$arch]})" \
    "$(stats ${B[$arch]})" "$(stats ${P[$arch]})" "$(median ${R[$arch]})" "$(ratios ${R[$arch]})"
  # shellcheck disable=SC2086
  cold[geolayer-$arch]=$(median ${C[$arch]})
done

r0="$base glf-pure==1.0.0 glf-pure-dep==1.0.0"; r1="$base glf-pure==1.1.0 glf-pure-dep==1.0.0"
for plat in $BENCH_PLATFORMS; do
  arch=${plat#linux/}
  start_daemon
  c=$(secs recipe "$plat" "$r0" __none__ --no-cache)
  cold[recipe-$arch]=$c
  if [ "$arch" != amd64 ] && [ "${BENCH_FULL_EMULATED:-0}" != 1 ]; then
    printf '| seed recipe (Dockerfile) | %s | 1 | %s | - | - | - | - |\n' "$plat" "$c"
    stop_daemon
    continue
  fi
  n=$(secs recipe "$plat" "$r0" __none__)
  b=$(secs recipe "$plat" "$r1" __none__)
  p=$(secs recipe "$plat" "$r1" "python/lib/python3.11/site-packages/glf_pure/docs")
  stop_daemon
  printf '| seed recipe (Dockerfile) | %s | 1 | %s | %s | %s | %s | %s |\n' "$plat" "$c" "$n" "$b" "$p" "$(awk -v a="$b" -v b="$c" 'BEGIN {printf "%.2f", a/b}')"
done
echo
echo "geolayer cells: min / median / max of $RUNS runs, each on a fresh daemon; bump / cold: median (min / max) of the per-run ratios."
if [ "${BENCH_FULL_EMULATED:-0}" != 1 ]; then
  echo "\"-\": not run by default (each emulated rebuild takes minutes; BENCH_FULL_EMULATED=1 runs them)."
fi
if [ -n "${cold[geolayer-arm64]:-}" ] && [ -n "${cold[geolayer-amd64]:-}" ]; then
  echo
  echo "Cross-architecture (cold build, arm64 / amd64 on this amd64 host): geolayer $(awk -v a="${cold[geolayer-arm64]}" -v b="${cold[geolayer-amd64]}" 'BEGIN {printf "%.2f×", a/b}') (medians; wheel-only: every step runs natively), seed recipe in an emulated arm64 build container $(awk -v a="${cold[recipe-arm64]}" -v b="${cold[recipe-amd64]}" 'BEGIN {printf "%.2f×", a/b}')."
fi
echo
echo "Caches across daemons: the cold build's cache exported (mode=max) by a no-op build, then the same build on a fresh daemon with an empty state and \`--import-cache\` (its layer.zip checked identical to the cold build's); ratio: to the same run's cold build, median (min / max)."
echo
echo "| platform | runs | cold | export to the registry | fresh daemon + registry cache | registry / cold | export to a local folder | fresh daemon + local cache | local / cold |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for plat in $BENCH_PLATFORMS; do
  arch=${plat#linux/}
  # shellcheck disable=SC2086
  printf '| %s | %s | %s | %s | %s | %s (%s) | %s | %s | %s (%s) |\n' "$plat" "$RUNS" "$(stats ${C[$arch]})" \
    "$(stats ${XR[$arch]})" "$(stats ${IR[$arch]})" "$(median ${RR[$arch]})" "$(ratios ${RR[$arch]})" \
    "$(stats ${XL[$arch]})" "$(stats ${IL[$arch]})" "$(median ${RL[$arch]})" "$(ratios ${RL[$arch]})"
done
