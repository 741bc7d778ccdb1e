#!/usr/bin/env bash
# Builds the stand-in runtime and build images (Debian rootfs made with
# mmdebstrap from the tool's default archive) and pushes them to the dev
# registry under the real image names our target profiles use; buildkitd's
# registry mirrors send those names here.
#
#   hack/standins.sh rootfs [suite/arch...]  # build missing rootfs tarballs (cached in $GEOLAYER_DEV_HOME/rootfs)
#   hack/standins.sh push     # assemble two-platform images and push them
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ARCHES=(amd64 arm64)
# suite -> CPython version it ships
declare -A PY=([bookworm]=3.11 [trixie]=3.13)
RUNTIME_PKGS=python3,ca-certificates
# The build variant is the runtime variant plus these (installed on top of the
# runtime rootfs, see rootfs_pair).
BUILD_EXTRA_PKGS="python3-pip python3-dev python3-setuptools python3-wheel python3-venv gcc g++ make binutils patchelf libc6-dev"

# mmdebstrap with the options both variants share. Logs get a timestamp per
# line, and the chroot's dpkg.log (per-package times) is kept next to them.
mmdeb() { # suite arch variant out mmdebstrap-args...
  local suite=$1 arch=$2 variant=$3 out=$4; shift 4
  local logf="$DEV_HOME/logs/mmdebstrap-$suite-$arch-$variant"
  # dpkg inside the chroot runs emulated for arm64: do not let it fsync every
  # file (force-unsafe-io); the setting is removed before the tarball is made.
  local unsafe=/etc/dpkg/dpkg.cfg.d/00standin-unsafe-io
  log "mmdebstrap $suite/$arch ($variant)"
  SOURCE_DATE_EPOCH=0 mmdebstrap --arch="$arch" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$@" \
    --setup-hook="mkdir -p \"\$1/etc/dpkg/dpkg.cfg.d\" && echo force-unsafe-io >\"\$1$unsafe\"" \
    --customize-hook="rm -f \"\$1$unsafe\"; cp \"\$1/var/log/dpkg.log\" '$logf.dpkg.log'" \
    "$suite" "${out%.tar}.tmp.tar" 2>&1 | while IFS= read -r l; do printf '%(%T)T %s\n' -1 "$l"; done >"$logf.log" \
    || { tail -20 "$logf.log" >&2; die "mmdebstrap $suite/$arch/$variant failed"; }
  mv "${out%.tar}.tmp.tar" "$out"
}

# ca-certificates runs update-ca-certificates twice (postinst, then its own
# trigger); it is a shell loop forking sed, readlink and ln per certificate:
# ~30-40 s per run on bookworm, more on trixie, when emulated. Divert it to a
# no-op while the packages are configured, then run the chroot's script ONCE
# with the host's sh/sed/openssl (~3 s): in a private mount namespace the
# chroot's cert dirs are bind-mounted over the host's, so the symlinks get the
# in-chroot targets. Same tarball as before (hack/README.md). If the host
# lacks one of those dirs, or the chroot has update.d hooks (the runtime
# packages install none), the chroot's script runs emulated instead.
UCA=/usr/sbin/update-ca-certificates
DOLD=/var/lib/dpkg/diversions-old # dpkg-divert's backup: restored as it was
UCA_DIRS="/usr/share/ca-certificates /usr/local/share/ca-certificates /etc/ssl/certs"
UCA_DIVERT="{ [ ! -e \"\$1$DOLD\" ] || cp -p \"\$1$DOLD\" \"\$1$DOLD.standin\"; } && chroot \"\$1\" dpkg-divert --quiet --local --rename --add $UCA && printf '#!/bin/sh\nexit 0\n' >\"\$1$UCA\" && chmod 755 \"\$1$UCA\""
UCA_RUN="rm -f \"\$1$UCA\" && chroot \"\$1\" dpkg-divert --quiet --local --rename --remove $UCA &&
  if [ -e \"\$1$DOLD.standin\" ]; then mv -f \"\$1$DOLD.standin\" \"\$1$DOLD\"; else rm -f \"\$1$DOLD\"; fi &&
  if [ -z \"\$(ls -A \"\$1/etc/ca-certificates/update.d\" 2>/dev/null)\" ] && ls -d $UCA_DIRS >/dev/null 2>&1; then
    unshare --mount --propagation private sh -ec 'for d in $UCA_DIRS; do mount --bind \"\$1\$d\" \"\$d\"; done; sh \"\$1$UCA\" --certsconf \"\$1/etc/ca-certificates.conf\" --hooksdir \"\"' sh \"\$1\"
  else chroot \"\$1\" $UCA; fi"

rootfs_pair() { # suite arch: the runtime rootfs, then the build rootfs on top of it
  local suite=$1 arch=$2 base="$DEV_HOME/rootfs/$1-$2"
  [ -s "$base-runtime.tar" ] || mmdeb "$suite" "$arch" runtime "$base-runtime.tar" \
    --variant=minbase --include="$RUNTIME_PKGS" \
    --essential-hook="$UCA_DIVERT" --customize-hook="$UCA_RUN"
  # The build variant reuses the runtime rootfs (mmdebstrap(1), "re-use a
  # chroot tarball ... for further refinement") instead of bootstrapping and
  # configuring the essential set and python3 a second time.
  [ -s "$base-build.tar" ] || mmdeb "$suite" "$arch" build "$base-build.tar" \
    --variant=custom \
    --setup-hook="mmtarfilter '--path-exclude=/dev/*' <'$base-runtime.tar' | tar -C \"\$1\" --numeric-owner --xattrs --xattrs-include='*' -x" \
    --customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install --yes $BUILD_EXTRA_PKGS" \
    --customize-hook='rm -rf "$1/var/cache/debconf/tmp.ci"' # left empty by trixie's apt-get install
}

cmd_rootfs() { # [suite/arch...]  (default: all)
  mkdir -p "$DEV_HOME/rootfs" "$DEV_HOME/logs"
  local jobs=("$@") spec
  # arm64 first: it runs emulated and takes longest.
  [ ${#jobs[@]} -gt 0 ] || jobs=(bookworm/arm64 trixie/arm64 bookworm/amd64 trixie/amd64)
  local max=${GEOLAYER_STANDIN_JOBS:-2} running=0 pids=() failed=0
  for spec in "${jobs[@]}"; do
    rootfs_pair "${spec%/*}" "${spec#*/}" & pids+=($!)
    running=$((running+1))
    if [ $running -ge "$max" ]; then wait -n || failed=1; running=$((running-1)); fi
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
  rootfs) shift; cmd_rootfs "$@" ;;
  push) cmd_push ;;
  *) die "usage: $0 rootfs|push" ;;
esac
