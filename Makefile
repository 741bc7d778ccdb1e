# geolayer: see README.md. All dev-world targets need root (buildkitd, binfmt).
SHELL := /bin/bash
GO ?= go
DEV_HOME ?= $(or $(GEOLAYER_DEV_HOME),/var/tmp/geolayer-dev)
export GEOLAYER_DEV_HOME := $(DEV_HOME)

.PHONY: all build test test-unit test-conformance test-integration dev-up dev-down dev-status dev-env frontend-image demo bench fmt vet

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

## Tests: bring the dev world up (some unit tests read its arm64 rootfs),
## then unit tests, then integration tests against the real world.
test: dev-up
	$(MAKE) test-unit
	$(MAKE) test-integration

test-unit: test-conformance
	$(GO) vet ./...
	$(GO) test ./...

## Differential test against Python's packaging (Debian's python3-packaging,
## installed here if missing); see docs/conformance.md.
test-conformance:
	test/conformance/need-packaging.sh
	$(GO) test -tags conformance -count=1 -run TestConformance ./test/conformance/

test-integration: dev-up
	. $(DEV_HOME)/env && $(GO) test -tags integration -count=1 -timeout 60m -v ./test/integration/... 2>&1 | tee $(DEV_HOME)/logs/integration.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic|\s+\S+_test.go)' ; exit $${PIPESTATUS[0]}

## Build the demo layer from examples/ (both architectures) into out/demo.
demo: dev-up
	. $(DEV_HOME)/env && hack/demo.sh

bench: dev-up
	. $(DEV_HOME)/env && bench/run.sh

fmt:
	gofmt -l -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

## Fuzzing (docs/fuzzing.md): every Fuzz target in $(FUZZDIRS), one at a time,
## FUZZTIME each (the long run: make fuzz FUZZTIME=10m). Stops at the first
## failure; go test saves the input under <package>/testdata/fuzz/<Name>/,
## where plain `go test` runs it from then on. Temporary files go to
## FUZZTMPDIR (tmpfs when there is one: the installer fuzzers write trees).
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
	    TMPDIR=$(FUZZTMPDIR) $(GO) test ./$$dir -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) \
	      -fuzzminimizetime $(FUZZMINIMIZETIME) $(FUZZFLAGS) \
	      || { echo "fuzz: $$name in ./$$dir failed; the input is in $$dir/testdata/fuzz/$$name/"; exit 1; }; \
	  done; \
	done
