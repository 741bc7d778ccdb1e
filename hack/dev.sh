#!/usr/bin/env bash
# The offline dev world: buildkitd (+arm64 emulation), a loopback OCI registry
# with stand-in runtime/build images, a PEP 503 index with fixtures, and a
# docker buildx "remote" builder. See hack/README.md.
#
#   hack/dev.sh up | down | status | env
set -euo pipefail
. "$(dirname "$0")/lib.sh"

APT_PKGS=(runc qemu-user-static binfmt-support mmdebstrap arch-test zip unzip)

need_apt() {
  local missing=() p
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  log "installing from Debian: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

need_binfmt() {
  [ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || die "linux/arm64 emulation could not be registered (binfmt_misc)"
}

need_tools() {
  local bk bx; bk=$(buildkit_version); bx=$(buildx_version)
  # Cached by version; "-static": the go_build recipe (hack/lib.sh). A new
  # recipe gets new names, so an older dev home rebuilds them once.
  local bkd=buildkitd-$bk-static bct=buildctl-$bk-static bxb=buildx-$bx-static
  local pkgs=()
  [ -x "$DEV_BIN/$bkd" ] || pkgs+=(github.com/moby/buildkit/cmd/buildkitd)
  [ -x "$DEV_BIN/$bct" ] || pkgs+=(github.com/moby/buildkit/cmd/buildctl)
  [ -x "$DEV_BIN/$bxb" ] || pkgs+=(github.com/docker/buildx/cmd/buildx)
  [ ${#pkgs[@]} = 0 ] || log "building ${pkgs[*]##*/} from go.mod (buildkit $bk, buildx $bx; a few minutes, once)"
  # One go build for the missing tools and our own small tools (fast when
  # cached): shared packages compile once. A changed server is restarted.
  mkdir -p "$DEV_BIN/.new"
  rm -f "$DEV_BIN/.new/buildkitd" "$DEV_BIN/.new/buildctl" "$DEV_BIN/.new/buildx"
  go_build -ldflags "-s -w -X github.com/moby/buildkit/version.Version=$bk -X github.com/docker/buildx/version.Version=$bx" \
    -o "$DEV_BIN/.new/" "${pkgs[@]}" ./hack/cmd/devregistry ./hack/cmd/mkimage ./hack/cmd/pyindex ./hack/cmd/lambdaroot
  local t
  for t in buildkitd:$bkd buildctl:$bct buildx:$bxb; do
    [ ! -e "$DEV_BIN/.new/${t%%:*}" ] || mv "$DEV_BIN/.new/${t%%:*}" "$DEV_BIN/${t#*:}"
  done
  ln -sf "$bkd" "$DEV_BIN/buildkitd"
  ln -sf "$bct" "$DEV_BIN/buildctl"
  mkdir -p "$HOME/.docker/cli-plugins"
  ln -sf "$DEV_BIN/$bxb" "$HOME/.docker/cli-plugins/docker-buildx"
  for t in devregistry mkimage pyindex lambdaroot; do
    if ! cmp -s "$DEV_BIN/.new/$t" "$DEV_BIN/$t"; then
      mv "$DEV_BIN/.new/$t" "$DEV_BIN/$t"
      case $t in devregistry) stop registry ;; pyindex) stop index; stop index-auth ;; esac
    fi
  done
}

# start NAME CHECK-CMD -- CMD...: start a daemon unless CHECK-CMD succeeds.
start() {
  local name=$1 check=$2; shift 3
  if eval "$check" >/dev/null 2>&1; then return 0; fi
  log "starting $name"
  setsid nohup "$@" >>"$DEV_HOME/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$DEV_HOME/run/$name.pid"
  local i
  for i in $(seq 1 100); do
    eval "$check" >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$DEV_HOME/run/$name.pid")" 2>/dev/null || { tail -20 "$DEV_HOME/logs/$name.log" >&2; die "$name exited"; }
    sleep 0.3
  done
  tail -20 "$DEV_HOME/logs/$name.log" >&2; die "$name did not come up"
}

stop() {
  local name=$1 pidf="$DEV_HOME/run/$1.pid"
  [ -f "$pidf" ] || return 0
  local pid; pid=$(cat "$pidf")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name"; kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidf"
}

write_buildkitd_config() {
  local f=$DEV_HOME/buildkitd.toml tmp
  tmp=$(mktemp)
  {
    echo "# written by hack/dev.sh: do not edit"
    echo "root = \"$DEV_HOME/buildkit\""
    echo "[grpc]"
    echo "  address = [\"unix://$SOCK\"]"
    echo "[worker.oci]"
    echo "  enabled = true"
    echo "  snapshotter = \"overlayfs\""
    echo "  networkMode = \"host\""
    echo "  gc = true"
    echo "  gckeepstorage = \"30GB\""
    echo "[worker.containerd]"
    echo "  enabled = false"
    # Real image names resolve to the stand-ins in the dev registry.
    for host in public.ecr.aws mcr.microsoft.com us-central1-docker.pkg.dev gcr.io; do
      echo "[registry.\"$host\"]"
      echo "  mirrors = [\"$GEOLAYER_REGISTRY\"]"
    done
    echo "[registry.\"$GEOLAYER_REGISTRY\"]"
    echo "  http = true"
    echo "  insecure = true"
  } >"$tmp"
  if ! cmp -s "$tmp" "$f"; then mv "$tmp" "$f"; stop buildkitd; else rm -f "$tmp"; fi
}

bctl() { "$DEV_BIN/buildctl" --addr "unix://$SOCK" "$@"; }

registry_has() { curl -fs -o /dev/null -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$GEOLAYER_REGISTRY/v2/$1/manifests/$2"; }

# Ready: pushed by this generation of hack/standins.sh (STANDINS_VERSION in
# hack/lib.sh); a dev home with older stand-ins gets the new ones.
standins_ready() {
  registry_has lambda/python 3.13 && registry_has sam/build-python3.11 latest &&
    registry_has geolayer/standin-build trixie &&
    [ "$(cut -d' ' -f1 "$DEV_HOME/state/standins.pushed" 2>/dev/null)" = "$STANDINS_VERSION" ]
}

# A cold start on 2 cores (hack/README.md, "Cold start") keeps both cores
# busy: the trixie chain runs in the background from t=0 (the trixie/arm64
# pair, ~6-9 min of emulated dpkg, mostly one core; then the trixie/amd64
# build rootfs, the trixie push once the daemons are up, and the CPython 3.13
# half of the fixtures, whose arm64 stage compiles under QEMU for minutes),
# while the foreground builds the Go tools, starts the daemons, builds the
# bookworm pairs, the geo set and the CPython 3.11 half of the fixtures.
# The frontend image builds in the background once the registry is up.
CHAIN_PID= FRONT_PID= AWS_PID=
start_trixie_chain() {
  standins_ready && return 0
  log "building the trixie stand-ins and their fixtures in the background (logs: $DEV_HOME/logs/trixie-chain.log, mmdebstrap-trixie-*)"
  trixie_chain >"$DEV_HOME/logs/trixie-chain.log" 2>&1 &
  CHAIN_PID=$!
  # If dev-up fails before waiting for them, stop the background jobs (and their mmdebstrap) too.
  trap 'for p in $CHAIN_PID $FRONT_PID $AWS_PID; do kill_tree "$p"; done' EXIT
}
kill_tree() { local c; for c in $(pgrep -P "$1" || true); do kill_tree "$c"; done; kill "$1" 2>/dev/null || true; }

trixie_chain() {
  "$REPO_ROOT/hack/standins.sh" rootfs trixie/arm64 # builds the trixie/amd64 runtime alongside (NATIVE in standins.sh)
  "$REPO_ROOT/hack/standins.sh" rootfs trixie/amd64
  # The foreground marks the registry and buildkitd up (cmd_up).
  while [ ! -e "$DEV_HOME/run/daemons.up" ]; do sleep 2; done
  "$REPO_ROOT/hack/standins.sh" push trixie
  fixtures_half py313
}

# fixtures_half TARGET: one CPython's half of the package fixtures, into
# BuildKit's cache only (need_fixtures then finds it and exports everything).
fixtures_half() {
  log "building the $1 half of the package fixtures (into BuildKit's cache only: no output)"
  bctl build --progress=plain --frontend dockerfile.v0 \
    --local context="$REPO_ROOT/hack/fixtures" --local dockerfile="$REPO_ROOT/hack/fixtures" \
    --opt build-arg:STANDIN_REGISTRY="$GEOLAYER_REGISTRY" \
    --opt target="$1" --opt platform=linux/amd64,linux/arm64 \
    >"$DEV_HOME/logs/fixtures-$1.log" 2>&1 || { tail -30 "$DEV_HOME/logs/fixtures-$1.log" >&2; die "fixtures ($1) build failed"; }
}

need_standins() {
  if standins_ready; then return 0; fi
  log "building the bookworm stand-in images"
  "$REPO_ROOT/hack/standins.sh" rootfs bookworm/arm64 bookworm/amd64
  "$REPO_ROOT/hack/standins.sh" push bookworm
  # The Lambda/SAM stand-ins need both suites' Debian tarballs (a SAM image's
  # decoy OS python is the other suite's CPython): derived and pushed in the
  # background once the trixie chain has made them; the geo set and the
  # fixtures build on the plain images meanwhile.
  log "deriving and pushing the Lambda and SAM stand-ins in the background (log: $DEV_HOME/logs/aws-standins.log)"
  "$REPO_ROOT/hack/standins.sh" aws >"$DEV_HOME/logs/aws-standins.log" 2>&1 &
  AWS_PID=$!
  trap 'for p in $CHAIN_PID $FRONT_PID $AWS_PID; do kill_tree "$p"; done' EXIT
  # What needs only bookworm images goes into BuildKit's cache now, beside
  # the trixie chain (need_fixtures then finds it).
  build_geo bookworm
  fixtures_half py311
  if [ -n "$CHAIN_PID" ]; then
    log "waiting for the trixie stand-ins and fixtures (background)"
    wait "$CHAIN_PID" || { tail -30 "$DEV_HOME/logs/trixie-chain.log" >&2; die "the trixie chain failed (log: $DEV_HOME/logs/trixie-chain.log)"; }
    CHAIN_PID=
  else # not started in the background (e.g. hack/dev.sh step need_standins)
    "$REPO_ROOT/hack/standins.sh" rootfs trixie/arm64 trixie/amd64
    "$REPO_ROOT/hack/standins.sh" push trixie
  fi
  wait "$AWS_PID" || { tail -30 "$DEV_HOME/logs/aws-standins.log" >&2; die "the Lambda/SAM stand-ins failed (log: $DEV_HOME/logs/aws-standins.log)"; }
  AWS_PID=
  grep -h 'derived\|pushed the' "$DEV_HOME/logs/aws-standins.log" | sed 's/^/  /' >&2 || true
  echo "$STANDINS_VERSION $(date +%s)" >"$DEV_HOME/state/standins.pushed"
}

# The Azure and GCP stand-ins (hack/platforms.sh: amd64 base rootfs, then
# CPython compiles and apt in BuildKit once the daemons are up) build in the
# background from t=0 unless this recipe's images were pushed (its mark);
# the chain stops itself if dev-up dies first.
PLAT_PID=
start_platforms() {
  "$REPO_ROOT/hack/platforms.sh" marked && return 0
  log "building the Azure and GCP stand-ins in the background (logs: $DEV_HOME/logs/platforms-chain.log, platforms-*.log)"
  "$REPO_ROOT/hack/platforms.sh" chain $$ >"$DEV_HOME/logs/platforms-chain.log" 2>&1 &
  PLAT_PID=$!
}
need_platforms() {
  if [ -n "$PLAT_PID" ]; then
    log "waiting for the Azure and GCP stand-ins (background)"
    wait "$PLAT_PID" || { tail -30 "$DEV_HOME/logs/platforms-chain.log" >&2; die "the Azure/GCP stand-ins failed (log: $DEV_HOME/logs/platforms-chain.log)"; }
    PLAT_PID=
  elif ! "$REPO_ROOT/hack/platforms.sh" ready; then # marked, but not in the registry
    "$REPO_ROOT/hack/platforms.sh" chain
  fi
}

# build_dists NAME DIR [FLAG...]: build a Dockerfile folder for both platforms through
# buildctl (cached by BuildKit) into $DEV_HOME/NAME/out.
build_dists() {
  local name=$1 dir=$2 out=$DEV_HOME/$1/out
  shift 2 # the rest: more buildctl flags
  rm -rf "$out.tmp"
  mkdir -p "$DEV_HOME/$name"
  bctl build --progress=plain --frontend dockerfile.v0 \
    --local context="$dir" --local dockerfile="$dir" --opt build-arg:STANDIN_REGISTRY="$GEOLAYER_REGISTRY" "$@" \
    --opt platform=linux/amd64,linux/arm64 --output "type=local,dest=$out.tmp" \
    >"$DEV_HOME/logs/$name.log" 2>&1 || { tail -30 "$DEV_HOME/logs/$name.log" >&2; die "$name build failed (log: $DEV_HOME/logs/$name.log)"; }
  rm -rf "$out" && mv "$out.tmp" "$out"
}

build_geo() { # [target]: default bookworm, or all with GEOLAYER_GEO_SUITES=all
  if [ "${GEOLAYER_SKIP_GEO:-0}" = 1 ]; then
    log "GEOLAYER_SKIP_GEO=1: not building the geo fixture set"
    return 0
  fi
  log "building the realistic geo fixture set (cold: about 3 minutes, more with GEOLAYER_GEO_SUITES=all; cached by BuildKit)"
  # The trixie (CPython 3.13) geo set is used by no test or benchmark:
  # GEOLAYER_GEO_SUITES=all builds it too.
  local geo_target=${1:-bookworm}
  [ $# -gt 0 ] || [ "${GEOLAYER_GEO_SUITES:-bookworm}" != all ] || geo_target=all
  build_dists geo "$REPO_ROOT/hack/geo" --local fixtures="$REPO_ROOT/hack/fixtures" --opt context:fixtures=local:fixtures \
    --opt target="$geo_target"
}

need_fixtures() {
  log "building package fixtures (cached by BuildKit)"
  build_dists fixtures "$REPO_ROOT/hack/fixtures"
  build_geo
  # One flat folder of distributions for the index (pure wheels are identical per platform).
  local dists=$DEV_HOME/index/dists
  rm -rf "$dists.tmp" && mkdir -p "$dists.tmp"
  find "$DEV_HOME/fixtures/out" "$DEV_HOME/geo/out" -path '*/dists/*' -type f \( -name '*.whl' -o -name '*.tar.gz' \) \
    -exec cp -n {} "$dists.tmp/" \; 2>/dev/null || true
  [ -n "$(ls "$dists.tmp")" ] || die "no fixture distributions were built"
  rm -rf "$dists" && mv "$dists.tmp" "$dists"
}

write_env() {
  cat >"$DEV_HOME/env" <<ENV
# written by hack/dev.sh up; source it: . $DEV_HOME/env
export GEOLAYER_DEV_HOME=$DEV_HOME
export BUILDKIT_HOST=unix://$SOCK
export GEOLAYER_REGISTRY=$GEOLAYER_REGISTRY
export GEOLAYER_INDEX_URL=http://127.0.0.1:$INDEX_PORT/simple/
export GEOLAYER_AUTH_INDEX_URL=http://127.0.0.1:$AUTH_INDEX_PORT/simple/
export GEOLAYER_AUTH_INDEX_CREDENTIALS=geolayer:dev-secret-$(cat "$DEV_HOME/state/index-secret")
export GEOLAYER_FRONTEND_IMAGE=$GEOLAYER_REGISTRY/geolayer/frontend:dev
export GEOLAYER_BUILDER=$BUILDER_NAME
export PATH=$DEV_BIN:\$PATH
ENV
}

cmd_up() {
  local t0=$SECONDS
  [ "$(id -u)" = 0 ] || die "the dev world runs buildkitd as root; run as root"
  need_apt
  need_binfmt
  rm -f "$DEV_HOME/run/daemons.up"
  start_trixie_chain
  start_platforms
  need_tools
  start registry "curl -fsS http://$GEOLAYER_REGISTRY/v2/" -- "$DEV_BIN/devregistry" --addr "$GEOLAYER_REGISTRY" --dir "$DEV_HOME/registry"
  write_buildkitd_config
  start buildkitd "bctl debug workers" -- "$DEV_BIN/buildkitd" --config "$DEV_HOME/buildkitd.toml"
  touch "$DEV_HOME/run/daemons.up"
  if [ -n "$CHAIN_PID" ]; then # cold: the frontend image builds beside the rest
    "$REPO_ROOT/hack/frontend-image.sh" >"$DEV_HOME/logs/frontend-image-build.log" 2>&1 &
    FRONT_PID=$!
  fi
  need_standins
  need_fixtures
  need_platforms
  [ -f "$DEV_HOME/state/index-secret" ] || od -An -N8 -tx1 /dev/urandom | tr -d ' \n' >"$DEV_HOME/state/index-secret"
  start index "curl -fsS http://127.0.0.1:$INDEX_PORT/simple/" -- "$DEV_BIN/pyindex" serve --dir "$DEV_HOME/index/dists" \
    --addr "127.0.0.1:$INDEX_PORT" --overrides "$REPO_ROOT/hack/fixtures/index-overrides.json"
  start index-auth "test \"\$(curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:$AUTH_INDEX_PORT/simple/)\" = 401" -- \
    "$DEV_BIN/pyindex" serve --dir "$DEV_HOME/index/dists" --addr "127.0.0.1:$AUTH_INDEX_PORT" \
    --basic-auth "geolayer:dev-secret-$(cat "$DEV_HOME/state/index-secret")"
  if ! docker buildx inspect "$BUILDER_NAME" >/dev/null 2>&1; then
    log "creating buildx builder $BUILDER_NAME (remote driver)"
    docker buildx create --name "$BUILDER_NAME" --driver remote "unix://$SOCK" >/dev/null
  fi
  docker buildx inspect --bootstrap "$BUILDER_NAME" >/dev/null
  write_env
  if [ -n "$FRONT_PID" ]; then
    wait "$FRONT_PID" || { cat "$DEV_HOME/logs/frontend-image-build.log" >&2; die "the frontend image failed"; }
    FRONT_PID=
    tail -1 "$DEV_HOME/logs/frontend-image-build.log" >&2
  else
    "$REPO_ROOT/hack/frontend-image.sh"
  fi
  log "dev world is up in $((SECONDS - t0)) s; environment: . $DEV_HOME/env"
}

cmd_down() {
  stop index-auth; stop index; stop buildkitd; stop registry
  docker buildx rm "$BUILDER_NAME" >/dev/null 2>&1 || true
}

cmd_status() {
  local ok=0 n
  for n in registry buildkitd index index-auth; do
    if [ -f "$DEV_HOME/run/$n.pid" ] && kill -0 "$(cat "$DEV_HOME/run/$n.pid")" 2>/dev/null; then
      printf '%-11s running (pid %s)\n' "$n" "$(cat "$DEV_HOME/run/$n.pid")"
    else printf '%-11s stopped\n' "$n"; ok=1; fi
  done
  if [ -S "$SOCK" ]; then bctl debug workers 2>/dev/null | sed 's/^/  /' || true; fi
  [ -f "$DEV_HOME/env" ] && echo "env: $DEV_HOME/env"
  return $ok
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) [ -f "$DEV_HOME/env" ] && cat "$DEV_HOME/env" || die "no env yet: run make dev-up" ;;
  # Single steps, for debugging the harness: hack/dev.sh step need_fixtures
  step) shift; "$@" ;;
  *) die "usage: $0 up|down|status|env" ;;
esac
