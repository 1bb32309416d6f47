# accord: build, test and measure.
GO      ?= go
BIN     ?= bin/accord
FUZZTIME ?= 30s

.PHONY: build test race bench chaos fuzz fmt vet lint run clean

build:
	$(GO) build -o $(BIN) ./cmd/accord

# The test command of the README: vet, then every test. Under three
# minutes from an empty build cache on 2 cores (README, Development).
test:
	$(GO) vet ./...
	$(GO) test ./...

# Every test again under the race detector, as CI runs it after make test:
# slower to build and to run (each CLI scenario is a race-built process).
race:
	$(GO) test -race ./...

# Benchmarks: load + derive of a generated 100k-SKU x 6-channel spec, and the
# smaller parts. Figures are reported per operation with allocations.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The fault campaign at full size: 10k SKUs x 6 sandbox channels, applies
# killed (SIGKILL) 20 times at random batches under timeouts that land,
# throttling, server errors and partial batches; then the invariants (every
# field on the channels is the audit's last value, nothing created twice,
# the journal settled, the final plan empty). CI runs it small in make test.
CHAOS_SKUS  ?= 10000
CHAOS_KILLS ?= 20
chaos:
	ACCORD_CHAOS_SKUS=$(CHAOS_SKUS) ACCORD_CHAOS_KILLS=$(CHAOS_KILLS) $(GO) test -run '^TestChaos$$' -v -count=1 -timeout 60m ./cmd/accord/cli

# Run every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

# The linter, at the version pinned in tools/go.mod (a module of its own, so
# its dependencies stay out of accord's). Rebuilt only when that pin moves;
# the configuration and every exclusion's reason are in .golangci.yml.
GOLANGCI_LINT ?= bin/golangci-lint

$(GOLANGCI_LINT): tools/go.mod tools/go.sum
	cd tools && $(GO) build -o ../$(GOLANGCI_LINT) github.com/golangci/golangci-lint/v2/cmd/golangci-lint

lint: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run ./...

# The README's first command.
run:
	$(GO) run ./cmd/accord desired --dir examples/quickstart

clean:
	rm -rf bin
