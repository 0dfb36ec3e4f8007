# odn — common tasks. `make help` lists them.

VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
BIN     ?= ./odn
DATA    ?= ./data
IMAGE   ?= odn:$(VERSION)
GO      ?= go
LDFLAGS := -s -w -X main.version=$(VERSION)

.DEFAULT_GOAL := build
.PHONY: help run build generate test test-short fuzz bench bench-short soak lint docker clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build a static ./odn from ./cmd/odn
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/odn

run: build ## build, then serve a demo site with its data in ./data
	mkdir -p $(DATA)
	$(BIN) serve --demo --data $(DATA)

test: ## go vet + all tests, with a throwaway PostgreSQL when installed
	.ci/test.sh

test-short: ## the same with -short
	GOTESTFLAGS="-short $(GOTESTFLAGS)" .ci/test.sh

fuzz: ## every fuzz target for 60s (FUZZTIME=…)
	FUZZTIME=$${FUZZTIME:-60s} .ci/fuzz.sh

bench: ## the figures of docs/BENCHMARKS.md
	@if [ -x .ci/bench.sh ]; then .ci/bench.sh full; else echo "bench: not yet available (.ci/bench.sh is missing)"; fi

bench-short: ## a quick pass of the benchmarks (CI)
	@if [ -x .ci/bench.sh ]; then .ci/bench.sh short; else echo "bench-short: not yet available (.ci/bench.sh is missing)"; fi

soak: ## long-running load test
	@if [ -x .ci/soak.sh ]; then .ci/soak.sh; else echo "soak: not yet available (.ci/soak.sh is missing)"; fi

# testdata may hold unformatted Go on purpose, so gofmt skips it.
generate: ## compile the page templates (web/*.templ) to Go with templ
	$(GO) tool templ generate -path web

lint: ## gofmt must have nothing to say, generated pages must match their .templ, then go vet
	@cd web && for f in *.templ; do $(GO) tool templ generate -stdout -f "$$f" | cmp -s - "$${f%.templ}_templ.go" \
		|| { echo "web/$${f%.templ}_templ.go is stale: run make generate"; exit 1; }; done
	@out=$$(find . -name '*.go' -not -path './.git/*' -not -path '*/vendor/*' -not -path '*/node_modules/*' \
		-not -path '*/testdata/*' -print0 | xargs -0 -r gofmt -l); if [ -n "$$out" ]; then echo "gofmt -l: these files need gofmt -w:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

docker: ## build the container image (IMAGE=odn:VERSION)
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE) .

clean: ## remove build outputs (never ./data)
	rm -f $(BIN) *.test *.out *.prof
