# o2c: `make` lists the targets. Everything runs through the Go toolchain;
# the only other requirement is the PostgreSQL server binaries (15+) for tests
# and the demo.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO       ?= go
FUZZTIME ?= 30s
BENCHTIME ?= 1s
# ARGS go to `o2c demo`: make demo ARGS=--keep-running
ARGS     ?=

.PHONY: image helm-lint help demo test faults faults-broken bench bench-shop bench-import bench-refunds bench-dunning bench-reports fuzz proto proto-check lint vulncheck build clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The demo runs as bin/o2c itself (exec), not under `go run`, which does not
# pass SIGTERM on: a signal to make reaches o2c, which stops its PostgreSQL
# and NATS and removes their files.
demo: ## Run the whole system in one process with a demo merchant (make demo ARGS=--keep-running to leave it up)
	@echo "building bin/o2c (the first build compiles for 2 minutes or more; later ones take seconds)…"
	@$(GO) build -o bin/o2c ./cmd/o2c
	@exec bin/o2c demo $(ARGS)

test: ## Run every test (starts one throwaway PostgreSQL for the whole run)
	@echo "make test: building and vetting (the first run compiles for 5 minutes or more before any test starts; later ones take seconds)…"
	@$(MAKE) --no-print-directory proto-check lint
	@echo "make test: running the tests (packages are listed as they finish)…"
	$(GO) run ./libs/pgtest/cmd/withpostgres -- $(GO) test -count=1 -timeout 20m ./... ./proto/...

# make test runs the same tests with 60 invoices, 3 statements of 1 MiB and
# one round of faults, and the whole-system harness (cmd/o2c/internal/faults)
# with 2 rounds. FAULT_SEED repeats a harness run (it prints its seed).
FAULT_INVOICES      ?= 2000
FAULT_STREAM_ROUNDS ?= 5
FAULT_ROUNDS        ?= 50
FAULT_SEED          ?=
faults: ## Kill ingestion, NATS and PostgreSQL under invoices and imports (FAULT_INVOICES, FAULT_STREAM_ROUNDS), then the whole system as processes, a part a round (FAULT_ROUNDS, FAULT_SEED)
	$(GO) test -count=1 -timeout 30m -run '^(TestKillAndRestartLosesNothing|TestKillDuringImportBooksEachTransactionOnce)$$' -v ./cmd/o2c \
	  -args -faults.invoices=$(FAULT_INVOICES) -faults.rounds=$(FAULT_STREAM_ROUNDS)
	FAULT_ROUNDS=$(FAULT_ROUNDS) FAULT_SEED=$(FAULT_SEED) \
	  $(GO) test -count=1 -timeout 120m -run '^TestWholeSystemUnderFaults$$' -v ./cmd/o2c/internal/faults

# faults-broken builds the services with the tag o2c_fault_ackfirst (libs/bus:
# consumers acknowledge before their handler commits) and passes only when
# the harness catches the lost work.
# Ten rounds, each fault within 20 ms of its step's start (the test sets
# that): the harness sees lost work only when a kill meets a handler at
# work, and three rounds at up to 400 ms missed it in three of four runs
# (7 December 2026).
FAULT_BROKEN_ROUNDS ?= 10
faults-broken: ## Show the fault harness failing a broken build: consumers that acknowledge before committing (FAULT_BROKEN_ROUNDS, FAULT_SEED)
	FAULT_BROKEN=1 FAULT_ROUNDS=$(FAULT_BROKEN_ROUNDS) FAULT_SEED=$(FAULT_SEED) \
	  $(GO) test -count=1 -timeout 30m -run '^TestAckBeforeCommitLosesWork$$' -v ./cmd/o2c/internal/faults

# The matching benchmark runs bin/o2c's `match` over each generated scenario
# (scale: 100,000 payments, 1,000,000 open items) and fails on a decision
# that breaks the contract; see `o2c bench matching --help`.
#
# The Go benchmarks' output is kept in bin/bench.txt, the previous run's in
# bin/bench.old.txt; `$(BENCHSTAT) bin/bench.old.txt bin/bench.txt` compares
# them (docs/performance.md, "Comparing runs").
MATCH_SCENARIOS ?= b2c-shop b2b-wholesale marketplace scale
MATCH_SEED      ?= 1
BENCHSTAT       ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
bench: ## Run the benchmarks (event store, ledger, parsers) with PostgreSQL's default durability, then the matching benchmark on MATCH_SCENARIOS
	@mkdir -p bin; if [ -f bin/bench.txt ]; then mv bin/bench.txt bin/bench.old.txt; fi
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 60m ./... | tee bin/bench.txt
	@$(GO) build -o bin/o2c ./cmd/o2c
	@fail=0; for s in $(MATCH_SCENARIOS); do \
	  echo "== matching benchmark: $$s (seed $(MATCH_SEED))"; \
	  bin/o2c bench matching run --scenario $$s --seed $(MATCH_SEED) || fail=1; \
	done; exit $$fail

# make bench publishes 2,000 shop invoices end to end; bench-shop the full
# stream (SHOP_EVENTS invoices from SHOP_PUBLISHERS shops; see
# cmd/o2c/internal/loadtest).
SHOP_EVENTS     ?= 200000
SHOP_PUBLISHERS ?= 8
bench-shop: ## Publish SHOP_EVENTS (200,000) shop invoices through ingestion and the ledger; report booked/s, publish->open item p50/p99 and the limiting stage
	O2C_BENCH_SHOP_EVENTS=$(SHOP_EVENTS) O2C_BENCH_SHOP_PUBLISHERS=$(SHOP_PUBLISHERS) \
	  $(GO) test -run '^$$' -bench '^BenchmarkShopInvoices$$' -benchtime 1x -timeout 120m -v ./cmd/o2c/internal/loadtest

# make bench imports a 10 MiB camt.053; bench-import the 100 MiB one (see
# BenchmarkImportCamt053 in cmd/o2c/internal/loadtest).
IMPORT_MB ?= 100
bench-import: ## Import an IMPORT_MB (100) MiB camt.053 through ingestion and the ledger; report transactions/s until booked and peak memory
	O2C_BENCH_IMPORT_MB=$(IMPORT_MB) \
	  $(GO) test -run '^$$' -bench '^BenchmarkImportCamt053$$' -benchtime 1x -timeout 180m -v ./cmd/o2c/internal/loadtest

# make bench imports 20,000 refund events; bench-refunds REFUND_EVENTS (see
# BenchmarkRefundImport in cmd/o2c/internal/loadtest).
REFUND_EVENTS ?= 1000000
bench-refunds: ## Import REFUND_EVENTS (1,000,000) refund events from the fake SP-API, rate limits off, through refund import and the ledger; report events/s until booked
	O2C_BENCH_REFUND_EVENTS=$(REFUND_EVENTS) \
	  $(GO) test -run '^$$' -bench '^BenchmarkRefundImport$$' -benchtime 1x -timeout 1440m -v ./cmd/o2c/internal/loadtest

# make bench runs dunning over 20,000 open items; bench-dunning over
# DUNNING_ITEMS (see BenchmarkDunningRun in cmd/o2c/internal/loadtest).
DUNNING_ITEMS ?= 1000000
bench-dunning: ## Run dunning's daily run over DUNNING_ITEMS (1,000,000) open items of a fifth as many debtors; report items/s and peak memory
	O2C_BENCH_DUNNING_ITEMS=$(DUNNING_ITEMS) \
	  $(GO) test -run '^$$' -bench '^BenchmarkDunningRun$$' -benchtime 1x -timeout 120m -v ./cmd/o2c/internal/loadtest

# make bench runs the month-end reports over 100,000 journal lines;
# bench-reports over REPORT_LINES (see BenchmarkReports in
# cmd/o2c/internal/loadtest).
REPORT_LINES ?= 10000000
bench-reports: ## Run each month-end report over REPORT_LINES (10,000,000) generated journal lines and a tenth as many open items; report each one's run time and peak memory
	O2C_BENCH_REPORT_LINES=$(REPORT_LINES) \
	  $(GO) test -run '^$$' -bench '^BenchmarkReports$$' -benchtime 1x -timeout 180m -v ./cmd/o2c/internal/loadtest

# profile-ledger runs the ledger benchmark's main configuration (in process,
# 20 clients, 50 accounts, default durability) once with PROFILE_ENTRIES
# entries and profiles it: Go CPU (pprof), PostgreSQL's statements
# (pg_stat_statements), their plans (auto_explain), PostgreSQL's CPU by
# function (perf, when installed) and WAL bytes per entry. The report is
# PROFILE_DIR/inprocess_clients-20_accounts-50/report.md; docs/performance.md
# says how to read it.
PROFILE_DIR     ?= bin/profile-ledger
PROFILE_ENTRIES ?= 20000
profile-ledger: ## Profile the ledger benchmark's main configuration (Go CPU, pg_stat_statements, EXPLAIN, WAL per entry) into PROFILE_DIR
	@mkdir -p $(PROFILE_DIR)
	$(GO) test -c -o $(PROFILE_DIR)/ledger.test ./services/ledger/service
	cd services/ledger/service && O2C_LEDGER_PROFILE=$(abspath $(PROFILE_DIR)) $(abspath $(PROFILE_DIR))/ledger.test \
	  -test.run '^$$' -test.bench '^BenchmarkPostJournalEntry/inprocess/clients=20/accounts=50$$' \
	  -test.benchtime $(PROFILE_ENTRIES)x -test.benchmem -test.timeout 30m
	@echo "report: $(PROFILE_DIR)/inprocess_clients-20_accounts-50/report.md (Go profile: go tool pprof $(PROFILE_DIR)/ledger.test $(PROFILE_DIR)/inprocess_clients-20_accounts-50/cpu.pprof)"

fuzz: ## Run every fuzz target for FUZZTIME each (make fuzz FUZZTIME=5m); a failing target does not stop the others
	@failed=""; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' libs cmd services 2>/dev/null); do \
	  pkg=./$$(dirname $$f); \
	  for t in $$(grep -oh '^func Fuzz[A-Za-z0-9_]*' $$f | cut -c6-); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || failed="$$failed $$pkg:$$t"; \
	  done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed (a new crasher is in the package's testdata/fuzz)"; exit 1; fi

# buf and the protoc plugins are pinned in tools/go.mod; proto/generate.sh
# says how the messages and the gRPC stubs get their Go packages.
proto: ## Lint the .proto files and regenerate the Go code in proto/
	GO=$(GO) proto/generate.sh

proto-check: ## Fail when the .proto files do not lint or a generated Go file is stale, missing or left over
	@echo "checking the generated protobuf code (buf)"
	@GO=$(GO) proto/generate.sh -check

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./... ./proto/...

# govulncheck is pinned; it needs its database (GOVULNDB, default
# https://vuln.go.dev, or file:///path of an offline mirror). When the
# database cannot be reached the target says so and exits 0, so that a
# machine without that network (this one) is not a failure; found
# vulnerabilities and any other error fail it. docs/dependencies.md says
# how to run it where the database is reachable.
GOVULNCHECK ?= $(GO) run golang.org/x/vuln/cmd/govulncheck@v1.10.0
GOVULNDB    ?= https://vuln.go.dev
VULNPKGS    ?= ./... ./proto/...
vulncheck: ## Check the modules and the Go toolchain for known vulnerabilities (govulncheck; GOVULNDB for a mirror)
	@echo "govulncheck against $(GOVULNDB): $(VULNPKGS)"
	@out=$$(mktemp); trap 'rm -f $$out' EXIT; rc=0; \
	  $(GOVULNCHECK) -db '$(GOVULNDB)' $(VULNPKGS) >$$out 2>&1 || rc=$$?; \
	  cat $$out; \
	  if [ $$rc -ne 0 ] && grep -qE 'fetching vulnerabilities|no such host|dial tcp|connection refused|i/o timeout|TLS handshake|no such file or directory' $$out \
	     && ! grep -q '^Vulnerability #' $$out; then \
	    echo "vulncheck: the vulnerability database $(GOVULNDB) cannot be reached from here: nothing was checked."; \
	    echo "vulncheck: run it where vuln.go.dev is reachable, or point GOVULNDB at a mirror (docs/dependencies.md)."; \
	    exit 0; \
	  fi; \
	  exit $$rc

build: ## Build the o2c CLI and every service into bin/
	$(GO) build -o bin/ ./cmd/o2c ./services/...

# The one image of deploy/Dockerfile, tagged with the chart's appVersion
# (the tag the chart runs by default), reproducibly: SOURCE_DATE_EPOCH is
# the last commit's time and the layers' timestamps are rewritten to it.
IMAGE     ?= o2c
IMAGE_TAG ?= $(shell awk '/^appVersion:/ {gsub(/"/, "", $$2); print $$2}' deploy/helm/o2c/Chart.yaml)
image: ## Build the one o2c image (every service, o2c, agency-sim) as IMAGE:IMAGE_TAG where a Docker engine runs
	@if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then \
	  echo "make image: no Docker engine here (docker is missing or not running), so no image was built;"; \
	  echo "  on a machine with one: make image (or docker buildx build -f deploy/Dockerfile .)"; \
	  exit 0; \
	fi; \
	epoch=$$(git log -1 --format=%ct); \
	SOURCE_DATE_EPOCH=$$epoch docker buildx build -f deploy/Dockerfile --build-arg SOURCE_DATE_EPOCH=$$epoch \
	  --output type=docker,name=$(IMAGE):$(IMAGE_TAG),rewrite-timestamp=true .

# helm builds from its module (pinned here); deploy/helm's Go test renders
# the chart and checks it on every make test, this adds helm's own lint.
HELM ?= $(GO) run helm.sh/helm/v3/cmd/helm@v3.22.1
helm-lint: ## Run helm lint --strict on deploy/helm/o2c with the default and the production values
	$(HELM) lint --strict deploy/helm/o2c
	$(HELM) lint --strict deploy/helm/o2c -f deploy/helm/o2c/values-production.yaml

clean: ## Remove build output
	rm -rf bin
