# geolayer: see README.md. All dev-world targets need root (buildkitd, binfmt).
SHELL := /bin/bash
GO ?= go
DEV_HOME ?= $(or $(GEOLAYER_DEV_HOME),/var/tmp/geolayer-dev)
export GEOLAYER_DEV_HOME := $(DEV_HOME)

.PHONY: all build test test-unit test-tools test-conformance test-integration dev-up dev-down dev-status dev-env frontend-image demo bench fmt vet lint

all: build

build:
	$(GO) build ./...

## The offline dev world (buildkitd, registry, stand-in images, index, fixtures)
dev-up:
	hack/dev.sh up

dev-down:
	hack/dev.sh down

dev-status:
	hack/dev.sh status

dev-env:
	@hack/dev.sh env

frontend-image:
	hack/frontend-image.sh

## Tests. `go test ./...` runs anywhere with Go and gcc; the tests that
## need the dev world (its rootfs tarballs, its registry) are built with
## -tags devworld and fail, never skip, without it. `make test` brings the
## world up, then runs the unit tests (with the devworld ones) and the
## integration tests. In both runs a skipped test is a failure unless
## .ci/expected-skips lists it (hack/cmd/skipcheck reads go test -json).
SKIPCHECK := $(DEV_HOME)/bin/skipcheck
EXPECTED_SKIPS := .ci/expected-skips
test: dev-up
	$(MAKE) test-unit
	$(MAKE) test-integration

## the lint gate (make lint, below), vet (with and without the tag), the
## frontend's tests under the race detector (its daemonless Build test runs
## both platforms in parallel), then every unit test including the devworld
## ones, against the world $(DEV_HOME)/env describes.
test-unit: lint test-conformance test-tools
	$(GO) vet ./...
	$(GO) vet -tags devworld ./...
	$(GO) test -race -count=1 ./frontend/...
	@test -f $(DEV_HOME)/env || { echo "make test-unit runs the devworld tests against the dev world, and $(DEV_HOME)/env is missing: run make dev-up first (make test does both)" >&2; exit 1; }
	$(GO) build -o $(SKIPCHECK) ./hack/cmd/skipcheck
	. $(DEV_HOME)/env && $(GO) test -tags devworld -json ./... 2>&1 | $(SKIPCHECK) -expected $(EXPECTED_SKIPS) -log $(DEV_HOME)/logs/unit.log ; st=($${PIPESTATUS[@]}) ; [ "$${st[0]}" = 0 ] && [ "$${st[1]}" = 0 ]

## Host tools the tests use beyond Go (command:Debian package), installed
## if missing. Without them `go test ./...` skips the tests that need them
## (patchelf, unzip); make test-unit fails on those skips.
TEST_TOOLS := gcc:gcc g++:g++ git:git unzip:unzip patchelf:patchelf aarch64-linux-gnu-objcopy:binutils-aarch64-linux-gnu
test-tools:
	@missing= ; for t in $(TEST_TOOLS); do command -v $${t%%:*} >/dev/null || missing="$$missing $${t#*:}"; done ; \
	[ -z "$$missing" ] || { echo "installing the tests' tools from Debian:$$missing" ; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null ; }

## Differential test against Python's packaging (Debian's python3-packaging,
## installed here if missing); see docs/conformance.md.
test-conformance:
	test/conformance/need-packaging.sh
	$(GO) test -tags conformance -count=1 -run TestConformance ./test/conformance/

## The full -v output goes to $(DEV_HOME)/logs/integration.log, the
## test lines and skipcheck's summary to the terminal.
test-integration: dev-up
	$(GO) build -o $(SKIPCHECK) ./hack/cmd/skipcheck
	. $(DEV_HOME)/env && $(GO) test -tags integration -count=1 -timeout 60m -json ./test/integration/... 2>&1 | $(SKIPCHECK) -v -expected $(EXPECTED_SKIPS) | tee $(DEV_HOME)/logs/integration.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic|skipcheck:|\s+\S+_test.go)' ; st=($${PIPESTATUS[@]}) ; [ "$${st[0]}" = 0 ] && [ "$${st[1]}" = 0 ]

## Build the demo layer from examples/ (both architectures) into out/demo.
demo: dev-up
	. $(DEV_HOME)/env && hack/demo.sh

bench: dev-up
	. $(DEV_HOME)/env && bench/run.sh

fmt:
	gofmt -l -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

## The lint gate (.golangci.yml: errcheck, govet, ineffassign, staticcheck,
## unused, goimports), run by make test-unit. golangci-lint is not in go.mod
## (it would pull hundreds of modules into our build): the pinned version is
## go-installed into $(DEV_HOME)/bin when missing or a different version.
## Measured on this 2-core machine: the cold install (empty module cache)
## took 11 min 21 s at a load of 12 (4 min user + 2 min sys CPU); a warm
## `make lint` 16 s with nothing changed (at a load of 21), 1 min 38 s after
## a rebase had changed a few packages, 2 min 10 s after edits in most.
## Three runs: the whole tree with every build tag it uses (the config lists
## them); the packages with `//go:build race` files with the race tag too;
## the packages with `!linux`/`!unix` files as GOOS=windows.
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(DEV_HOME)/bin/golangci-lint
LINT_TAGS := devworld,integration,conformance
LINT_RACE_TAGS := $(LINT_TAGS),race
LINT_RACE_PKGS = $(addprefix ./,$(sort $(dir $(shell git ls-files '*.go' | xargs grep -lE '^//go:build .*\brace\b'))))
LINT_OTHEROS_PKGS = $(addprefix ./,$(sort $(dir $(shell git ls-files '*.go' | xargs grep -lE '^//go:build .*(!linux|!unix|windows)'))))
lint:
	@[ "v$$($(GOLANGCI_LINT) version --short 2>/dev/null)" = "$(GOLANGCI_LINT_VERSION)" ] || { \
	  echo "installing golangci-lint $(GOLANGCI_LINT_VERSION) into $(DEV_HOME)/bin (cold: about 10 minutes)" ; \
	  mkdir -p $(DEV_HOME)/bin && GOBIN=$(DEV_HOME)/bin $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) ; }
	$(GOLANGCI_LINT) run ./...
	$(if $(LINT_RACE_PKGS),$(GOLANGCI_LINT) run --build-tags $(LINT_RACE_TAGS) $(LINT_RACE_PKGS))
	$(if $(LINT_OTHEROS_PKGS),GOOS=windows $(GOLANGCI_LINT) run --build-tags $(LINT_TAGS) $(LINT_OTHEROS_PKGS))

## Fuzzing (docs/fuzzing.md): every Fuzz target in $(FUZZDIRS), one at a time,
## FUZZTIME each (the long run: make fuzz FUZZTIME=10m). Stops at the first
## failure; go test saves the input under <package>/testdata/fuzz/<Name>/,
## where plain `go test` runs it from then on. Temporary files go to
## FUZZTMPDIR (tmpfs when there is one: the installer fuzzers write trees).
## A bare "context deadline exceeded" when FUZZTIME ends, with no input
## saved, is Go's coordinator race (golang/go#75804, fixed in Go 1.27), not
## a crasher: it is reported and the loop goes on.
FUZZTIME ?= 30s
FUZZDIRS ?= pkg frontend
FUZZMINIMIZETIME ?= 100x
FUZZTMPDIR ?= $(if $(wildcard /dev/shm/.),/dev/shm,$(or $(TMPDIR),/tmp))
FUZZFLAGS ?=

.PHONY: fuzz
fuzz:
	@set -e; \
	for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' $(FUZZDIRS) | xargs -n1 dirname | sort -u); do \
	  for name in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | sed 's/^func //' | sort -u); do \
	    echo "== fuzz $$dir $$name for $(FUZZTIME)"; \
	    saved=$$(ls $$dir/testdata/fuzz/$$name 2>/dev/null | wc -l); log=$$(mktemp); \
	    if TMPDIR=$(FUZZTMPDIR) $(GO) test ./$$dir -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) \
	      -fuzzminimizetime $(FUZZMINIMIZETIME) $(FUZZFLAGS) 2>&1 | tee $$log; [ $${PIPESTATUS[0]} = 0 ]; then :; \
	    elif [ "$$(ls $$dir/testdata/fuzz/$$name 2>/dev/null | wc -l)" = "$$saved" ] && grep -qx '    context deadline exceeded' $$log; then \
	      echo "fuzz: $$name: 'context deadline exceeded' at the end of FUZZTIME, no input saved: golang/go#75804, not a crasher"; \
	    else rm -f $$log; echo "fuzz: $$name in ./$$dir failed; the input is in $$dir/testdata/fuzz/$$name/"; exit 1; fi; \
	    rm -f $$log; \
	  done; \
	done
