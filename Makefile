# accord: build, test and measure.
GO      ?= go
BIN     ?= bin/accord
FUZZTIME ?= 30s

.PHONY: build test bench fuzz fmt vet run clean

build:
	$(GO) build -o $(BIN) ./cmd/accord

# The test command of the README and of CI: vet, then every test with the
# race detector.
test:
	$(GO) vet ./...
	$(GO) test -race ./...

# Benchmarks: load + derive of a generated 100k-SKU x 6-channel spec, and the
# smaller parts. Figures are reported per operation with allocations.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

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

# The README's first command.
run:
	$(GO) run ./cmd/accord desired --dir examples/quickstart

clean:
	rm -rf bin
