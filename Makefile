# duban — make demo runs the main job on the embedded SQLite default; make test runs every test.
GO      ?= go
BIN     := bin/duban
PLAN    := rules/zhaoqing-2022
DEMO_DB := var/demo/duban.db
AS_OF   ?= 2022-10-15

.PHONY: build demo test rules-test lint fuzz bench fixtures clean

build:
	$(GO) build -o $(BIN) ./cmd/duban

# demo: a fresh SQLite database, the shipped fixtures ingested, the plan evaluated as of $(AS_OF).
demo: build
	rm -rf var/demo && mkdir -p var/demo
	$(BIN) rules check $(PLAN)
	$(BIN) ingest --plan $(PLAN) --db $(DEMO_DB) --quiet fixtures/submissions/*/*.xlsx
	$(BIN) eval --plan $(PLAN) --db $(DEMO_DB) --as-of $(AS_OF)

test: build
	$(GO) test -race -count=1 ./...
	$(BIN) rules check $(PLAN)
	$(BIN) rules test $(PLAN)/tests/*.yaml

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fixtures:
	$(GO) run ./fixtures/gen

clean:
	rm -rf bin var
