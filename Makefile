# Quarry's front door. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
BIN       := $(CURDIR)/bin
QUARRY    := $(BIN)/quarry
export PATH := $(BIN):$(PATH)

# Packages whose tests run under the race detector: everything that starts
# goroutines. (All of them today; the list narrows only if -race gets slow.)
RACE_PKGS ?= ./...
FUZZTIME  ?= 10s
SAMPLE    := testdata/online-retail-sample.csv.gz

.PHONY: help
help: ## List the targets with a line each.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: deps
deps: ## Install what the tests need into bin/ (MinIO server, staticcheck, promtool, kubeconform and its schemas); idempotent.
	@bash scripts/deps.sh

.PHONY: build
build: ## Build the quarry binary into bin/.
	@mkdir -p $(BIN)
	$(GO) build -o $(QUARRY) ./cmd/quarry

.PHONY: run
run: build ## Build, mine the bundled samples, import one as a dataset, and run jobs on the embedded cluster (quarry dev --demo).
	@bash scripts/demo.sh $(QUARRY) $(SAMPLE)

.PHONY: lint
lint: deps ## gofmt, go vet and staticcheck.
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(BIN)/staticcheck ./...

.PHONY: test
test: deps lint deploy-check ## Install test dependencies, lint, check deploy/, run all tests (race detector on) and a short fuzz pass.
	$(GO) test -race -count=1 -timeout 20m $(RACE_PKGS)
	@$(MAKE) --no-print-directory fuzz FUZZTIME=20000x

.PHONY: deploy-check
deploy-check: deps ## Validate deploy/ without running it: promtool (rules, their unit tests), kubeconform, and deploy/validate (dashboard, compose, Dockerfile, systemd units).
	@bash scripts/validate-deploy.sh

.PHONY: soak
soak: deps ## Fault-injection suite on real processes: SOAK_SECONDS of faults (default 600), SOAK_SEED=N replays a run (docs/testing.md).
	SOAK_SECONDS=$${SOAK_SECONDS:-600} $(GO) test -count=1 -timeout 60m -run 'TestSoak$$' -v ./internal/soak

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each: a duration or a count (default 10s; make fuzz FUZZTIME=5m for a long run).
	@bash scripts/fuzz.sh $(FUZZTIME)

.PHONY: docs
docs: ## Regenerate docs/configuration.md (every flag and QUARRY_* variable) from the code; make test fails when it is stale.
	$(GO) test ./cmd/quarry -run TestConfigReference -count=1 -update

.PHONY: proto
proto: ## Regenerate the gRPC code from api/*.proto.
	bash scripts/proto.sh

.PHONY: bench
bench: build ## Run the kernels on the shared datasets, with Weka/scikit-learn peers where installed; prints a table.
	$(GO) build -o $(BIN)/quarry-bench ./cmd/quarry-bench
	$(BIN)/quarry-bench $(BENCHFLAGS)

.PHONY: clean
clean: ## Remove build outputs (keeps the cached MinIO and staticcheck binaries).
	rm -f $(QUARRY) $(BIN)/quarry-bench
