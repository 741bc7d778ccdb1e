#!/usr/bin/env bash
# make bench: side-by-side benchmarks in one run, written to bench/results.md:
#   1. layer size and functional checks: geolayer vs the seed and SPR slim
#      recipes on the realistic geo set (sizes.sh), both platforms;
#   2. build times: cold, no-op, one-pin bump, PRUNE change, geolayer vs the
#      seed recipe as a Dockerfile, on a throwaway buildkitd (times.sh);
#   3. the archive writer against Info-ZIP on a real tree of shared
#      libraries and Python files (archivebench);
#   4. the helper steps' throughput and peak RSS on the geo wheels
#      (helperbench);
#   5. the frontend's planning time for a 60-package lock
#      (frontend/plan_bench_test.go).
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
{
  echo "# Benchmark results"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), $(. /etc/os-release; echo "$PRETTY_NAME")."
  echo
  echo "## Layer size and functional checks (realistic geo set + fixture checks)"
  echo
  bash "$REPO_ROOT/bench/sizes.sh"
  echo
  echo "## Build times (seconds)"
  echo
  bash "$REPO_ROOT/bench/times.sh"
  echo
  echo "## Archive: geolayer's writer vs zip"
  echo
  (cd "$REPO_ROOT" && go run ./bench/archivebench --tree "$corpus" --runs "${BENCH_RUNS:-3}" --levels 1,6,7)
  echo
  echo "## Frontend planning (60-package hashed lock, two platforms)"
  echo
  echo "| step | ms per build |"
  echo "|---|---:|"
  (cd "$REPO_ROOT" && go test -run '^$' -bench . -benchtime 10x ./frontend) | awk '
    /^BenchmarkPlanning60Packages/ {printf "| parse the Geolayerfile and lock, plan, select wheels, generate and marshal LLB | %.0f |\n", $3/1e6}
    /^BenchmarkParse60IndexPages/ {printf "| parse the 60 index pages (1,200 files each, 72,000 links) | %.0f |\n", $3/1e6}'
  echo
  echo "## Helper steps: throughput and peak RSS"
  echo
  (cd "$REPO_ROOT" && go run ./bench/helperbench --dists "$DEV_HOME/index/dists" --runtime-tar "$DEV_HOME/rootfs/bookworm-amd64-runtime.tar")
} >"$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
