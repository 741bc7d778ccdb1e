#!/usr/bin/env bash
# Builds the frontend image offline (no base image: one static binary per
# platform) and pushes it to the dev registry as $GEOLAYER_FRONTEND_IMAGE.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
IMAGE=${GEOLAYER_FRONTEND_IMAGE:-$GEOLAYER_REGISTRY/geolayer/frontend:dev}
# One work dir per image name, so worktrees pushing their own tags
# (GEOLAYER_FRONTEND_IMAGE=...:mybranch) can build side by side.
tag=${IMAGE##*/}; tag=${tag//[^A-Za-z0-9._-]/_}
work=$DEV_HOME/frontend-image/$tag
rm -rf "$work" && mkdir -p "$work"
args=()
for arch in amd64 arm64; do
  mkdir -p "$work/$arch"
  # go_build: static (CGO_ENABLED=0) and -trimpath, like the dev world's tools,
  # so linux/amd64 reuses the packages need_tools compiled.
  GOOS=linux GOARCH=$arch go_build -ldflags='-s -w' -o "$work/$arch/geolayer" ./cmd/geolayer
  args+=(--platform "linux/$arch=dir:$work/$arch")
done
# This tree's own mkimage (fast when cached): how it writes layers decides
# the image digest, and so every helper step's cache key.
go_build -ldflags='-s -w' -o "$work/mkimage" ./hack/cmd/mkimage
"$work/mkimage" "${args[@]}" --entrypoint /geolayer \
  --label moby.buildkit.frontend.network.none=true \
  --label moby.buildkit.frontend.caps=moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts \
  --push "$IMAGE" >"$work.log"
log "frontend image: $(cat "$work.log")"
