#!/usr/bin/env bash
# make bench: side-by-side benchmarks in one run, written to bench/results.md:
#   1. layer size and functional checks: geolayer vs the seed and SPR slim
#      recipes on the realistic geo set (sizes.sh), both platforms;
#   2. build times: cold, no-op, one-pin bump, PRUNE change, geolayer vs the
#      seed recipe as a Dockerfile, on a throwaway buildkitd, and a fresh
#      daemon with a registry / local cache vs cold (times.sh);
#   3. the archive writer against Info-ZIP on a real tree of shared
#      libraries and Python files (archivebench);
#   4. the helper steps' throughput and peak RSS on the geo wheels
#      (helperbench);
#   5. the frontend's planning time for a 60-package lock
#      (frontend/plan_bench_test.go);
#   6. a generated 150-package hashed lock built end to end on a throwaway
#      buildkitd, cold and warm, with the planning time from the progress
#      and the helper steps' peak RSS (lockbench; BENCH_LOCK_PLATFORMS,
#      default linux/amd64);
#   7. one layer for two Lambda runtimes against one layer per runtime
#      (runtimes.sh).
set -euo pipefail
. "$(dirname "$0")/../hack/lib.sh"
corpus=$DEV_HOME/bench/corpus
if [ ! -d "$corpus/usr" ]; then
  rm -rf "$corpus" && mkdir -p "$corpus"
  tar -xf "$DEV_HOME/rootfs/trixie-amd64-build.tar" -C "$corpus" ./usr/lib/x86_64-linux-gnu ./usr/lib/python3.13 ./usr/libexec
  # absolute or dangling symlinks would point outside any layer: drop them
  find "$corpus" -type l -lname '/*' -delete
  find "$corpus" -xtype l -delete
fi
out=$REPO_ROOT/bench/results.md
t_all=$SECONDS
took=()
# section NAME CMD...: run one benchmark, naming it on stderr and timing it.
section() {
  local name=$1 t=$SECONDS; shift
  log "bench: $name" && "$@"
  took+=("$name $((SECONDS - t)) s")
}
planning_bench() {
  go -C "$REPO_ROOT" test -run '^$' -bench . -benchtime 10x ./frontend | awk '
    /^BenchmarkPlanning60Packages/ {printf "| parse the Geolayerfile and lock, plan, select wheels, generate and marshal LLB | %.0f |\n", $3/1e6}
    /^BenchmarkParse60IndexPages/ {printf "| parse the 60 index pages (1,200 files each, 72,000 links) | %.0f |\n", $3/1e6}'
}
{
  echo "# Benchmark results"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), $(. /etc/os-release; echo "$PRETTY_NAME")."
  echo
  echo "## Layer size and functional checks (realistic geo set + fixture checks)"
  echo
  section sizes bash "$REPO_ROOT/bench/sizes.sh"
  echo
  echo "## Build times (seconds)"
  echo
  section times bash "$REPO_ROOT/bench/times.sh"
  echo
  echo "## Archive: geolayer's writer vs zip"
  echo
  # zip -r9 alone takes about a minute: each reference runs once (its
  # reruns are not what is measured; geolayer's writer runs BENCH_RUNS times).
  section archive go -C "$REPO_ROOT" run ./bench/archivebench --tree "$corpus" --runs "${BENCH_RUNS:-3}" --ref-runs 1 --levels 1,6,7
  echo
  echo "## Frontend planning (60-package hashed lock, two platforms)"
  echo
  echo "| step | ms per build |"
  echo "|---|---:|"
  section planning planning_bench
  echo
  echo "## Helper steps: throughput and peak RSS"
  echo
  section helper go -C "$REPO_ROOT" run ./bench/helperbench --dists "$DEV_HOME/index/dists" --runtime-tar "$DEV_HOME/rootfs/bookworm-amd64-runtime.tar"
  echo
  echo "## Many packages: a 150-package lock end to end"
  echo
  section lock go -C "$REPO_ROOT" run ./bench/lockbench --packages 150 --platforms "$(echo "${BENCH_LOCK_PLATFORMS:-linux/amd64}" | tr ' ' ',')"
  echo
  echo "## Several runtimes in one layer"
  echo
  section runtimes bash "$REPO_ROOT/bench/runtimes.sh"
  echo
  echo "make bench took $(( (SECONDS - t_all + 30) / 60 )) min ($(IFS=,; echo "${took[*]}" | sed 's/,/, /g'); warm dev world)."
} >"$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
