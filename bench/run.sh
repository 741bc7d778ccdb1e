#!/usr/bin/env bash
# make bench: side-by-side benchmarks in one run. Today: the archive writer
# against Info-ZIP on a real tree of shared libraries and Python files (a
# Debian trixie build image's /usr/lib, from the dev world's rootfs cache).
# Writes bench/results.md.
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
  echo "## Archive: geolayer's writer vs zip"
  echo
  (cd "$REPO_ROOT" && go run ./bench/archivebench --tree "$corpus" --runs "${BENCH_RUNS:-3}" --levels 1,6,7)
} >"$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
