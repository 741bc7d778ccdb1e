# Shared settings of the dev world; sourced by the hack/ scripts.
# Everything lives under $GEOLAYER_DEV_HOME (outside the checkout) so reruns are warm.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEV_HOME=${GEOLAYER_DEV_HOME:-/var/tmp/geolayer-dev}
export GEOLAYER_DEV_HOME=$DEV_HOME
DEV_BIN=$DEV_HOME/bin
REGISTRY_PORT=${GEOLAYER_REGISTRY_PORT:-5000}
INDEX_PORT=${GEOLAYER_INDEX_PORT:-5001}
AUTH_INDEX_PORT=${GEOLAYER_AUTH_INDEX_PORT:-5002}
GEOLAYER_REGISTRY=127.0.0.1:$REGISTRY_PORT
BUILDER_NAME=${GEOLAYER_BUILDER:-geolayer-dev}
SOCK=$DEV_HOME/run/buildkitd.sock
mkdir -p "$DEV_HOME"/{bin,run,logs,state}

# The stand-in images' generation: hack/dev.sh pushes them again when the
# mark a dev home has ($DEV_HOME/state/standins.pushed) names another one.
# 2: the Lambda/SAM names carry the strict AWS stand-ins (hack/cmd/lambdaroot).
STANDINS_VERSION=2

log() { printf '\033[1m[dev]\033[0m %s\n' "$*" >&2; }
die() { printf '[dev] error: %s\n' "$*" >&2; exit 1; }

# Versions pinned by go.mod: buildkitd/buildctl are built from exactly that
# github.com/moby/buildkit, buildx from that github.com/docker/buildx (all
# three are Go `tool` dependencies, so they share one module graph).
buildkit_version() { (cd "$REPO_ROOT" && go list -m -f '{{.Version}}' github.com/moby/buildkit); }
buildx_version() { (cd "$REPO_ROOT" && go list -m -f '{{.Version}}' github.com/docker/buildx); }

# go_build ARGS...: every Go binary of the dev world (buildkitd, buildctl,
# buildx, hack/cmd/*, the frontend for both platforms) is built static and
# with the same compile flags, like upstream's release binaries, so each
# package is compiled once into GOCACHE and shared by all of them. Only
# -ldflags (link-time: -s -w, -X) and GOARCH may differ between calls.
# All are linked with -s -w, so the compiler writes no DWARF either (-dwarf=false:
# ~10% less compile time; stack traces are unchanged).
go_build() { (cd "$REPO_ROOT" && CGO_ENABLED=0 go build -trimpath -gcflags=all=-dwarf=false "$@"); }
# dev_env sources the dev world's settings ($DEV_HOME/env); a frontend
# image the caller named in GEOLAYER_FRONTEND_IMAGE wins (a worktree
# benchmarks its own tag).
dev_env() {
  local keep=${GEOLAYER_FRONTEND_IMAGE:-}
  . "$DEV_HOME/env"
  GEOLAYER_FRONTEND_IMAGE=${keep:-$GEOLAYER_FRONTEND_IMAGE}
}
