# jobmatch-edge. `make help` lists the targets.
SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN := bin/edge
GO ?= go

.PHONY: help run build test lint bench int clients clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: build ## build and serve JobMatch on 127.0.0.1:8787, state in .edge/
	./$(BIN) serve $(ARGS)

build: ## build bin/edge (pure Go, CGO_ENABLED=0, version stamped)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/edge

test: clients ## the whole test suite, with -race (real npm clients included when installed)
	$(GO) test -race -vet=all -mod=readonly -timeout 15m ./...

clients: ## install the npm clients the real-client tests drive (scripts/clients)
	@if command -v npm >/dev/null 2>&1; then \
		if [ ! -d scripts/clients/node_modules ] || [ scripts/clients/package-lock.json -nt scripts/clients/node_modules/.package-lock.json ]; then \
			npm ci --prefix scripts/clients --no-audit --no-fund --loglevel=error; \
		fi; \
	else echo "npm not found: the real-client tests will be skipped (CI fails instead)"; fi

lint: ## gofmt, go vet, and staticcheck when it installs
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -version >/dev/null 2>&1; then \
		$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...; \
	else echo "staticcheck did not install; skipped"; fi

bench: build ## Go benchmarks plus loopback load runs; figures in the output
	bash scripts/bench.sh

int: ## real-Ollama integration tests (builds Ollama with cgo in its own step)
	bash scripts/ollama/int.sh

clean: ## remove bin/ and the default state dir
	rm -rf bin .edge
