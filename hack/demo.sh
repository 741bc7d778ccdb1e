#!/usr/bin/env bash
# Builds the demo layer (examples/fixtures-demo) for linux/amd64 and
# linux/arm64 through docker buildx and the dev world's builder.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ -n "${GEOLAYER_FRONTEND_IMAGE:-}" ] || die "source the dev env first: . $DEV_HOME/env"
out=${GEOLAYER_DEMO_OUT:-$REPO_ROOT/out/demo}
rm -rf "$out"
# --platform as the Geolayerfile's PLATFORM says: buildx compares the
# result's platforms with the requested ones and warns when they differ.
docker buildx build --builder "$GEOLAYER_BUILDER" --platform linux/amd64,linux/arm64 \
  -f "$REPO_ROOT/examples/fixtures-demo/Geolayerfile" \
  --build-arg BUILDKIT_SYNTAX="$GEOLAYER_FRONTEND_IMAGE" \
  --build-arg GEOLAYER_INDEX_URL="$GEOLAYER_INDEX_URL" \
  -o "$out" "$REPO_ROOT/examples/fixtures-demo"
for p in linux_amd64 linux_arm64; do
  ls -l "$out/$p/layer.zip" "$out/$p/report.json"
done
log "demo layers in $out"
