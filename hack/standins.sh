#!/usr/bin/env bash
# Builds the stand-in runtime and build images (Debian rootfs made with
# mmdebstrap from the tool's default archive) and pushes them to the dev
# registry under the real image names our target profiles use; buildkitd's
# registry mirrors send those names here.
#
#   hack/standins.sh rootfs   # build missing rootfs tarballs (cached in $GEOLAYER_DEV_HOME/rootfs)
#   hack/standins.sh push     # assemble two-platform images and push them
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ARCHES=(amd64 arm64)
# suite -> CPython version it ships
declare -A PY=([bookworm]=3.11 [trixie]=3.13)
RUNTIME_PKGS=python3,ca-certificates
BUILD_PKGS=python3,python3-pip,python3-dev,python3-setuptools,python3-wheel,python3-venv,gcc,g++,make,binutils,patchelf,libc6-dev,ca-certificates

rootfs_one() { # suite arch variant
  local suite=$1 arch=$2 variant=$3 out="$DEV_HOME/rootfs/$1-$2-$3.tar"
  [ -s "$out" ] && return 0
  local pkgs=$RUNTIME_PKGS
  [ "$variant" = build ] && pkgs=$BUILD_PKGS
  log "mmdebstrap $suite/$arch ($variant)"
  SOURCE_DATE_EPOCH=0 mmdebstrap --quiet --variant=minbase --arch="$arch" --include="$pkgs" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$suite" "${out%.tar}.tmp.tar" >"$DEV_HOME/logs/mmdebstrap-$suite-$arch-$variant.log" 2>&1 \
    || { tail -20 "$DEV_HOME/logs/mmdebstrap-$suite-$arch-$variant.log" >&2; die "mmdebstrap $suite/$arch/$variant failed"; }
  mv "${out%.tar}.tmp.tar" "$out"
}

cmd_rootfs() {
  mkdir -p "$DEV_HOME/rootfs" "$DEV_HOME/logs"
  local jobs=() spec
  for suite in bookworm trixie; do for arch in "${ARCHES[@]}"; do for variant in runtime build; do
    jobs+=("$suite $arch $variant")
  done; done; done
  # two at a time: mmdebstrap is mostly download- and dpkg-bound
  local running=0 pids=() failed=0
  for spec in "${jobs[@]}"; do
    rootfs_one $spec & pids+=($!)
    running=$((running+1))
    if [ $running -ge 2 ]; then wait -n || failed=1; running=$((running-1)); fi
  done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  [ $failed = 0 ] || die "some stand-in rootfs failed to build"
}

push_one() { # suite variant ref...
  local suite=$1 variant=$2; shift 2
  local args=() ref
  for arch in "${ARCHES[@]}"; do args+=(--platform "linux/$arch=$DEV_HOME/rootfs/$suite-$arch-$variant.tar"); done
  for ref in "$@"; do args+=(--push "$GEOLAYER_REGISTRY/$ref"); done
  "$DEV_BIN/mkimage" "${args[@]}" --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --cmd /bin/sh >/dev/null
}

cmd_push() {
  local suite py
  for suite in bookworm trixie; do
    py=${PY[$suite]}
    # Runtime stand-ins: the names of the real runtime images (see frontend/profile).
    push_one "$suite" runtime "lambda/python:$py" "azure-functions/python:4-python$py" \
      "serverless-runtimes/google-22-full/runtimes/python${py/./}" "serverless-runtimes/google-24-full/runtimes/python${py/./}" \
      "geolayer/standin-runtime:$suite"
    # Build stand-ins.
    push_one "$suite" build "sam/build-python$py:latest" "geolayer/standin-build:$suite"
  done
  date +%s >"$DEV_HOME/state/standins.pushed"
}

case "${1:-}" in
  rootfs) cmd_rootfs ;;
  push) cmd_push ;;
  *) die "usage: $0 rootfs|push" ;;
esac
