# o2c: `make` lists the targets. Everything runs through the Go toolchain;
# the only other requirement is the PostgreSQL server binaries (15+) for tests
# and the demo.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO       ?= go
FUZZTIME ?= 30s
BENCHTIME ?= 1s

.PHONY: help demo test bench fuzz proto proto-check lint build clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

demo: ## Run the whole system in one process on embedded NATS and a throwaway PostgreSQL, with a demo merchant
	$(GO) run ./cmd/o2c demo

test: proto-check lint ## Run every test (starts one throwaway PostgreSQL for the whole run)
	$(GO) run ./libs/pgtest/cmd/withpostgres -- $(GO) test -count=1 -timeout 20m ./... ./proto/...

bench: ## Run the benchmarks (event store, ledger, parsers) with PostgreSQL's default durability
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 60m ./...

fuzz: ## Run every fuzz target for FUZZTIME each (make fuzz FUZZTIME=5m)
	@for f in $$(grep -rl --include='*_test.go' '^func Fuzz' libs cmd services 2>/dev/null); do \
	  pkg=./$$(dirname $$f); \
	  for t in $$(grep -oh '^func Fuzz[A-Za-z0-9_]*' $$f | cut -c6-); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# buf and the protoc plugins are pinned in tools/go.mod; proto/generate.sh
# says how the messages and the gRPC stubs get their Go packages.
proto: ## Lint the .proto files and regenerate the Go code in proto/
	GO=$(GO) proto/generate.sh

proto-check: ## Fail when the .proto files do not lint or a generated Go file is stale, missing or left over
	@GO=$(GO) proto/generate.sh -check

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./... ./proto/...

build: ## Build the o2c CLI and every service into bin/
	$(GO) build -o bin/ ./cmd/o2c ./services/...

clean: ## Remove build output
	rm -rf bin
