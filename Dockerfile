# syntax=docker/dockerfile:1
# The geolayer frontend image, for users with network access:
#   docker buildx build --platform linux/amd64,linux/arm64 -t <registry>/geolayer/frontend:1 --push .
# Offline, `make frontend-image` assembles the same layout (one static binary,
# no base image) with go-containerregistry.
ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags='-s -w' -o /out/geolayer ./cmd/geolayer

FROM scratch
COPY --from=build /out/geolayer /geolayer
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
ENTRYPOINT ["/geolayer"]
