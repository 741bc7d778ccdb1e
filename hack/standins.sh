#!/usr/bin/env bash
# Builds the stand-in runtime and build images (Debian rootfs made with
# mmdebstrap from the tool's default archive) and pushes them to the dev
# registry under the real image names our target profiles use; buildkitd's
# registry mirrors send those names here. The AWS ones (Lambda runtime, SAM
# build) are derived from the Debian rootfs to have the real images' layout
# and config (see AWS below); the plain Debian images stay available as
# geolayer/standin-{runtime,build}:<suite> for the dev world's own tooling.
#
#   hack/standins.sh rootfs [suite/arch...]  # build missing rootfs tarballs (cached in $GEOLAYER_DEV_HOME/rootfs)
#   hack/standins.sh push [suite...]  # assemble two-platform images and push them (no suite: both, and the AWS ones)
#   hack/standins.sh aws [suite...]   # derive the Lambda/SAM rootfs (cached) and push those images
#   (hack/standins.sh hook ...: run by mmdebstrap, see NATIVE)
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

# once tarball command...: run the command unless the tarball exists. One
# builder per tarball, also across processes (a pair for an emulated arch
# builds the amd64 runtime tarball meanwhile, see NATIVE, and dev.sh starts
# trixie/arm64 and trixie/amd64 separately): wait for it, then reuse its tarball.
once() {
  local out=$1; shift
  ( flock 9 && { [ -s "$out" ] || "$@"; } ) 9>"${out%.tar}.lock"
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

# CPython byte-compiles its stdlib in python3.X-minimal's and python3.X's
# postinsts (py_compile.py over every file), and py3compile each python3-*
# package of the build variant; under QEMU that was ~210 s of the trixie/arm64
# runtime and ~190 s of its build. A .pyc does not depend on the architecture
# (same CPython, same source: same bytes), so while an emulated rootfs is
# configured /usr/bin/python3.X is diverted (dpkg-divert, like UCA) to a
# wrapper that runs the same Debian version of CPython built for the host: the
# amd64 runtime tarball's interpreter, stdlib (with lib-dynload) and shared
# libraries, unpacked into a private prefix ($NATIVE) and started through its
# own dynamic loader. getpath finds its stdlib from argv[0] (sys.prefix is
# $NATIVE/usr); sys.executable is the wrapper; the chroot's dist-packages are
# on its path; it compiles the chroot's files at the paths it is given. So
# py3compile, pip's postinst etc. work as before. Wrapper, diversion (with
# dpkg-divert's backup, undone LIFO before UCA_RUN) and $NATIVE are removed
# before the tarball is made: same tarball as the emulated way, every .pyc
# included (hack/README.md). Where the host cannot do it (not x86_64, suite not
# in NATIVE_PY_SUITES, no amd64 runtime tarball, another python3.X-minimal
# version in it than the chroot gets) python3.X runs emulated.
NATIVE=/.standin-native
NATIVE_PY_SUITES="trixie bookworm" # both compared file by file with the emulated way (hack/README.md)
native_py_usable() { # suite arch
  [[ " $NATIVE_PY_SUITES " == *" $1 "* ]] && [ "$2" != amd64 ] && [ "$(uname -m)" = x86_64 ]
}
native_py_hook() { # on|off suite: the mmdebstrap hook running native_py_on/off
  printf "'%s' hook native_py_%s \"\$1\" %s" "$REPO_ROOT/hack/standins.sh" "$1" "$2"
}
status_version() { # package: its version in the dpkg status file on stdin
  awk -v p="$1" '$1=="Package:"{m=($2==p)} m&&$1=="Version:"&&v==""{v=$2} END{print v}'
}

native_py_on() { # chroot suite
  local root=$1 py=python${PY[$2]} tar="$DEV_HOME/rootfs/$2-amd64-runtime.tar" want= have
  local n="$1$NATIVE" triplet=x86_64-linux-gnu
  [ ! -e "${tar%.tar}.lock" ] || flock "${tar%.tar}.lock" true # rootfs_pair builds it meanwhile (see once)
  if [ ! -s "$tar" ]; then echo "I: no $tar: $py runs emulated"; return 0; fi
  # the version the chroot gets (its apt configuration, read with the host's apt)
  [ -z "${MMDEBSTRAP_APT_CONFIG:-}" ] ||
    want=$(APT_CONFIG=$MMDEBSTRAP_APT_CONFIG apt-cache policy "$py-minimal" | awk '$1=="Candidate:"{print $2}')
  have=$(tar -xOf "$tar" ./var/lib/dpkg/status | status_version "$py-minimal")
  if [ -z "$want" ] || [ "$want" != "$have" ]; then
    echo "I: $py-minimal ${want:-?} here, ${have:-none} in $tar: $py runs emulated"; return 0
  fi
  echo "I: $py runs natively while packages are configured ($py-minimal $have from $tar)"
  mkdir "$n"
  tar -C "$n" -xf "$tar" "./usr/bin/$py" "./usr/lib/$py" "./usr/lib/$triplet"
  mv "$n/usr/bin/$py" "$n/usr/bin/$py.bin"
  ln -s /usr/lib/python3 "$n/usr/lib/python3" && ln -s /usr/local "$n/usr/local" # site-packages
  echo "$have" >"$n/version"
  printf '#!/bin/sh\nexec %s --library-path %s --argv0 %s %s "$@"\n' "$NATIVE/usr/lib/$triplet/ld-linux-x86-64.so.2" \
    "$NATIVE/usr/lib/$triplet" "$NATIVE/usr/bin/$py" "$NATIVE/usr/bin/$py.bin" >"$n/usr/bin/$py"
  chmod 755 "$n/usr/bin/$py"
  [ ! -e "$root$DOLD" ] || cp -p "$root$DOLD" "$root$DOLD.native"
  chroot "$root" dpkg-divert --quiet --local --rename --add "/usr/bin/$py"
  cp -p "$n/usr/bin/$py" "$root/usr/bin/$py"
}

native_py_off() { # chroot suite
  local root=$1 py=python${PY[$2]} n="$1$NATIVE" have
  [ -e "$n" ] || return 0
  rm -f "$root/usr/bin/$py"
  chroot "$root" dpkg-divert --quiet --local --rename --remove "/usr/bin/$py"
  if [ -e "$root$DOLD.native" ]; then mv -f "$root$DOLD.native" "$root$DOLD"; else rm -f "$root$DOLD"; fi
  have=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' "$py-minimal")
  [ "$have" = "$(cat "$n/version")" ] || die "$py-minimal $have was byte-compiled by the native $(cat "$n/version")"
  rm -rf "$n"
}

runtime_rootfs() { # suite arch [native]: minbase + python3 + ca-certificates
  local suite=$1 arch=$2 out="$DEV_HOME/rootfs/$1-$2-runtime.tar" on=() off=()
  if [ "${3:-}" = native ]; then
    on=(--essential-hook="$(native_py_hook on "$suite")") off=(--customize-hook="$(native_py_hook off "$suite")")
  fi
  # python3.X is not in minbase's essential set: the diversion is in place before it is unpacked.
  once "$out" mmdeb "$suite" "$arch" runtime "$out" --variant=minbase --include="$RUNTIME_PKGS" \
    --essential-hook="$UCA_DIVERT" "${on[@]}" "${off[@]}" --customize-hook="$UCA_RUN"
}

# The build variant reuses the runtime rootfs (mmdebstrap(1), "re-use a
# chroot tarball ... for further refinement") instead of bootstrapping and
# configuring the essential set and python3 a second time.
build_rootfs() { # suite arch [native]
  local suite=$1 arch=$2 base="$DEV_HOME/rootfs/$1-$2" on=() off=()
  if [ "${3:-}" = native ]; then
    on=(--customize-hook="$(native_py_hook on "$suite")") off=(--customize-hook="$(native_py_hook off "$suite")")
  fi
  once "$base-build.tar" mmdeb "$suite" "$arch" build "$base-build.tar" \
    --variant=custom \
    --setup-hook="mmtarfilter '--path-exclude=/dev/*' <'$base-runtime.tar' | tar -C \"\$1\" --numeric-owner --xattrs --xattrs-include='*' -x" \
    "${on[@]}" --customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install --yes $BUILD_EXTRA_PKGS" "${off[@]}" \
    --customize-hook='rm -rf "$1/var/cache/debconf/tmp.ci"' # left empty by trixie's apt-get install
}

rootfs_pair() { # suite arch: the runtime rootfs, then the build rootfs on top of it
  local suite=$1 arch=$2 native= pid=
  # The native CPython comes from the amd64 runtime tarball: build it meanwhile
  # (~1 min natively; the emulated bootstrap needs it ~2 min in, after its essential set).
  if native_py_usable "$suite" "$arch" && [ ! -s "$DEV_HOME/rootfs/$suite-$arch-build.tar" ]; then
    runtime_rootfs "$suite" amd64 & pid=$!
    native=native
  fi
  runtime_rootfs "$suite" "$arch" $native
  build_rootfs "$suite" "$arch" $native
  [ -z "$pid" ] || wait "$pid" || log "warning: the $suite/amd64 runtime rootfs failed (see above)"
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

cmd_push() { # [suite...]  (default: both, then the AWS stand-ins and the dev world's "pushed" mark)
  local suite suites=("$@")
  [ ${#suites[@]} -gt 0 ] || suites=(bookworm trixie)
  for suite in "${suites[@]}"; do
    [ -n "${PY[$suite]:-}" ] || die "unknown suite $suite (bookworm or trixie)"
    log "pushing the $suite stand-ins"
    # The plain Debian runtime (the dev world's own; the real runtime names
    # are the AWS stand-ins' below and hack/platforms.sh's: Azure, GCP).
    push_one "$suite" runtime "geolayer/standin-runtime:$suite"
    # Build stand-ins (the dev world's own: hack/fixtures, hack/geo).
    push_one "$suite" build "geolayer/standin-build:$suite"
  done
  [ $# -gt 0 ] || { cmd_aws; echo "$STANDINS_VERSION $(date +%s)" >"$DEV_HOME/state/standins.pushed"; }
}

# ---- AWS: the Lambda runtime and SAM build stand-ins ------------------------
# public.ecr.aws/lambda/python:3.X (aws/aws-lambda-base-images, branch
# python3.X, Dockerfile.python3.X) is Amazon Linux with an upstream-built
# CPython under /var/lang and this config; public.ecr.aws/sam/build-python3.X
# (aws/aws-sam-build-images, build-image-src/Dockerfile-python3XX) is FROM it,
# adds compilers, pip's wheel and the OS's own older python3 (yum/dnf), and
# sets PATH=$PATH:/usr/local/opt/lambda-builders/bin, LANG, ENTRYPOINT [] and
# CMD ["/bin/bash"]. hack/cmd/lambdaroot derives their layout from the
# Debian tarballs by rewriting tar entries (no emulation): see hack/README.md,
# "Lambda and SAM stand-ins". The SAM images' decoy OS python is the other
# suite's CPython.
declare -A OTHER=([bookworm]=trixie [trixie]=bookworm)
# lambda_config PATH: the Lambda images' config (in their order), with this PATH.
lambda_config() {
  printf '%s\n' --env LANG=en_US.UTF-8 --env TZ=:/etc/localtime --env "PATH=$1" \
    --env LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib \
    --env LAMBDA_TASK_ROOT=/var/task --env LAMBDA_RUNTIME_DIR=/var/runtime --workdir /var/task
}
LAMBDA_PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin

# derive OUT INPUT... -- LAMBDAROOT-ARGS...: run lambdaroot unless OUT is newer
# than every input tarball and than lambdaroot itself (one builder per OUT, as once).
ms_since() { local ms=$((($(date +%s%N) - $1) / 1000000)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }
derive() {
  local out=$1 ins=() i t0; shift
  while [ "$1" != -- ]; do ins+=("$1"); shift; done; shift
  ( flock 9
    for i in "${ins[@]}" "$DEV_BIN/lambdaroot"; do [ "$out" -nt "$i" ] || { rm -f "$out"; break; }; done
    [ ! -s "$out" ] || exit 0
    t0=$(date +%s%N)
    "$DEV_BIN/lambdaroot" "$@" -o "$out" || die "lambdaroot $* failed"
    log "derived ${out##*/} in $(ms_since "$t0")"
  ) 9>"${out%.tar}.lock"
}

aws_rootfs() { # suite arch: the lambda and sam tarballs
  local suite=$1 arch=$2 other=${OTHER[$1]} r=$DEV_HOME/rootfs py=${PY[$1]}
  local rt=$r/$suite-$arch-runtime.tar bt=$r/$suite-$arch-build.tar decoy=$r/$other-$arch-runtime.tar
  derive "$r/$suite-$arch-lambda.tar" "$rt" "$bt" -- --variant lambda --py "$py" --arch "$arch" --debian-runtime "$rt" --debian-build "$bt"
  derive "$r/$suite-$arch-sam.tar" "$rt" "$bt" "$decoy" -- --variant sam --py "$py" --arch "$arch" --debian-runtime "$rt" --debian-build "$bt" \
    --decoy "$decoy" --decoy-py "${PY[$other]}"
}

cmd_aws() { # [suite...]  (default: both)
  local suite py arch suites=("$@") lam sam cfg t0
  [ ${#suites[@]} -gt 0 ] || suites=(bookworm trixie)
  # Every suite's Debian tarballs of both arches (the decoys); cached, or
  # waited for when another process is building them (once's locks).
  cmd_rootfs bookworm/arm64 trixie/arm64 bookworm/amd64 trixie/amd64
  for suite in "${suites[@]}"; do
    [ -n "${PY[$suite]:-}" ] || die "unknown suite $suite (bookworm or trixie)"
    for arch in "${ARCHES[@]}"; do aws_rootfs "$suite" "$arch" & done
    wait -n && wait -n || die "the $suite Lambda/SAM rootfs failed"
  done
  for suite in "${suites[@]}"; do
    py=${PY[$suite]} lam=() sam=() t0=$(date +%s%N)
    for arch in "${ARCHES[@]}"; do
      lam+=(--platform "linux/$arch=$DEV_HOME/rootfs/$suite-$arch-lambda.tar")
      sam+=(--platform "linux/$arch=$DEV_HOME/rootfs/$suite-$arch-sam.tar")
    done
    # Layers uncompressed (loopback registry): gzip was ~90% of these pushes' CPU.
    mapfile -t cfg < <(lambda_config "$LAMBDA_PATH")
    "$DEV_BIN/mkimage" --uncompressed "${lam[@]}" --push "$GEOLAYER_REGISTRY/lambda/python:$py" "${cfg[@]}" \
      --entrypoint '["/lambda-entrypoint.sh"]' >/dev/null
    # sam/build-python3.X: FROM the Lambda image, ENV PATH=$PATH:/usr/local/opt/lambda-builders/bin,
    # ENV LANG=en_US.UTF-8 (unchanged), ENTRYPOINT [], CMD ["/bin/bash"].
    mapfile -t cfg < <(lambda_config "$LAMBDA_PATH:/usr/local/opt/lambda-builders/bin")
    "$DEV_BIN/mkimage" --uncompressed "${sam[@]}" --push "$GEOLAYER_REGISTRY/sam/build-python$py:latest" "${cfg[@]}" \
      --entrypoint '[]' --cmd '["/bin/bash"]' >/dev/null
    log "pushed the $suite Lambda and SAM stand-ins (lambda/python:$py, sam/build-python$py) in $(ms_since "$t0")"
  done
}

case "${1:-}" in
  rootfs) shift; cmd_rootfs "$@" ;;
  push) shift; cmd_push "$@" ;;
  aws) shift; cmd_aws "$@" ;;
  hook) shift; case "${1:-}" in native_py_on|native_py_off) "$@" ;; *) die "unknown hook ${1:-}" ;; esac ;;
  *) die "usage: $0 rootfs|push|aws" ;;
esac
