#!/usr/bin/env bash
# The Azure Functions and Google Cloud stand-ins (hack/platforms/Dockerfile;
# hack/README.md, "Azure and GCP stand-ins"): linux/amd64 only, like the real
# images. CPython is compiled from Debian's source packages inside BuildKit
# (cached there); the base rootfs tarballs come from mmdebstrap.
#
#   hack/platforms.sh rootfs   # the base rootfs tarballs (cached in $GEOLAYER_DEV_HOME/rootfs/platforms)
#   hack/platforms.sh push     # build every image (BuildKit) and push it under its real name
#   hack/platforms.sh marked   # exit 0 if this version of the images was pushed (the mark in $GEOLAYER_DEV_HOME/state)
#   hack/platforms.sh ready    # ... and every one of them is in the registry
#   hack/platforms.sh chain [PID]  # rootfs, wait for the daemons (dev.sh), push: dev-up's background
#                                  # job; it stops (with its builds) when process PID is gone
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The base rootfs options (see base); the tarballs live in a folder named
# after them, so changed options make new ones. That folder is the build context.
MMDEB_OPTS=(--arch=amd64 --variant=minbase --include=ca-certificates
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt=force-unsafe-io)
CTX=$DEV_HOME/rootfs/platforms/$(printf '%s\n' "${MMDEB_OPTS[@]}" | sha256sum | cut -c1-12)
DF=$REPO_ROOT/hack/platforms
MARK=$DEV_HOME/state/platforms.pushed
SUITES=(bullseye bookworm)

# target -> the real names it is pushed as (registry paths, as the mirrors
# in buildkitd.toml map them: mcr.microsoft.com/X -> $GEOLAYER_REGISTRY/X).
TARGETS=(azure-python3.11 azure-python3.11-buildenv azure-python3.13
  gcp-google-22-build gcp-google-24-build gcp-python311 gcp-python313)
declare -A NAMES=(
  [azure-python3.11]="azure-functions/python:4-python3.11"
  [azure-python3.11-buildenv]="azure-functions/python:4-python3.11-buildenv"
  [azure-python3.13]="azure-functions/python:4-python3.13"
  [gcp-google-22-build]="buildpacks/google-22/build:latest"
  [gcp-google-24-build]="buildpacks/google-24/build:latest"
  [gcp-python311]="serverless-runtimes/google-22-full/runtimes/python311:latest"
  [gcp-python313]="serverless-runtimes/google-22-full/runtimes/python313:latest"
)

# The version of the images: the recipe's files. A changed recipe makes
# `ready` false, so dev-up rebuilds (from BuildKit's cache where it can).
recipe_hash() { cat "$DF/Dockerfile" "$REPO_ROOT/hack/platforms.sh" | sha256sum | cut -c1-16; }

# base SUITE: minbase + ca-certificates for amd64 (native, ~1 min), /dev left
# out (ADD extracts it in BuildKit). The dpkg options stay in the rootfs
# (/etc/dpkg/dpkg.cfg.d/99mmdebstrap) as Debian's docker images have them:
# path-excludes (-slim) and force-unsafe-io (docker-apt-speedup).
base() {
  local suite=$1 out=$CTX/$1-amd64-base.tar logf=$DEV_HOME/logs/mmdebstrap-$1-amd64-platforms
  [ -s "$out" ] && return 0
  log "mmdebstrap $suite/amd64 (platform stand-ins' base)"
  ( set -o pipefail
    SOURCE_DATE_EPOCH=0 mmdebstrap "${MMDEB_OPTS[@]}" "$suite" - 2>"$logf.log" | mmtarfilter '--path-exclude=/dev/*' >"$out.tmp"
  ) || { tail -20 "$logf.log" >&2; die "mmdebstrap $suite/amd64 failed (log: $logf.log)"; }
  mv "$out.tmp" "$out"
}

cmd_rootfs() {
  mkdir -p "$CTX" "$DEV_HOME/logs"
  local s pids=() failed=0
  for s in "${SUITES[@]}"; do base "$s" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  [ $failed = 0 ] || die "a platform stand-in base rootfs failed"
}

bctl() { "$DEV_BIN/buildctl" --addr "unix://$SOCK" "$@"; }

# build TARGET: build one image and push it under its names, as a one-entry
# OCI index (multi-platform=true), like the other stand-ins; gzip level 1
# (~1.2 GB of layers: the default level costs a minute more of CPU cold).
build() {
  local t=$1 names=() n
  for n in ${NAMES[$t]}; do names+=("$GEOLAYER_REGISTRY/$n"); done
  local IFS=,
  bctl build --progress=plain --frontend dockerfile.v0 \
    --local context="$CTX" --local dockerfile="$DF" \
    --opt target="$t" --opt platform=linux/amd64 --opt multi-platform=true \
    --output "type=image,\"name=${names[*]}\",push=true,oci-mediatypes=true,compression=gzip,compression-level=1" \
    >"$DEV_HOME/logs/platforms-$t.log" 2>&1
}

cmd_push() {
  local s t pids=() failed=0 t0=$SECONDS
  for s in "${SUITES[@]}"; do [ -s "$CTX/$s-amd64-base.tar" ] || die "no $CTX/$s-amd64-base.tar: run $0 rootfs"; done
  log "building the Azure and GCP stand-ins (BuildKit; logs: $DEV_HOME/logs/platforms-*.log)"
  # All at once: BuildKit runs the stages they share once.
  for t in "${TARGETS[@]}"; do build "$t" & pids+=($!); done
  for p in "${!pids[@]}"; do
    if ! wait "${pids[$p]}"; then
      failed=1; tail -30 "$DEV_HOME/logs/platforms-${TARGETS[$p]}.log" >&2
    fi
  done
  [ $failed = 0 ] || die "some Azure/GCP stand-ins failed (logs: $DEV_HOME/logs/platforms-*.log)"
  recipe_hash >"$MARK"
  log "pushed the Azure and GCP stand-ins in $((SECONDS - t0)) s"
}

registry_has() { curl -fs -o /dev/null -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$GEOLAYER_REGISTRY/v2/$1/manifests/$2"; }

cmd_marked() { [ -f "$MARK" ] && [ "$(cat "$MARK")" = "$(recipe_hash)" ]; }

cmd_ready() {
  cmd_marked || return 1
  local t n
  for t in "${TARGETS[@]}"; do
    for n in ${NAMES[$t]}; do registry_has "${n%:*}" "${n##*:}" || return 1; done
  done
}

kill_tree() { local c; for c in $(pgrep -P "$1" || true); do kill_tree "$c"; done; kill "$1" 2>/dev/null || true; }

cmd_chain() { # [PID]
  local dog=
  if [ -n "${1:-}" ]; then # PID (dev-up) gone before the end: stop, like dev-up's other background jobs
    local parent=$1 me=$BASHPID
    ( w=$BASHPID
      while kill -0 "$parent" 2>/dev/null; do sleep 2; done
      for c in $(pgrep -P "$me" || true); do [ "$c" = "$w" ] || kill_tree "$c"; done
      kill "$me" 2>/dev/null ) &
    dog=$!
  fi
  cmd_rootfs
  # dev.sh marks the registry and buildkitd up (cmd_up).
  while [ ! -e "$DEV_HOME/run/daemons.up" ]; do sleep 2; done
  cmd_push
  [ -z "$dog" ] || kill_tree "$dog"
}

case "${1:-}" in
  rootfs) cmd_rootfs ;;
  push) cmd_push ;;
  marked) cmd_marked ;;
  ready) cmd_ready ;;
  chain) shift; cmd_chain "$@" ;;
  *) die "usage: $0 rootfs|push|marked|ready|chain [PID]" ;;
esac
