# duban — make demo runs the main job on the embedded SQLite default; make test runs every test.
GO      ?= go
BIN     := bin/duban
PLAN    := rules/zhaoqing-2022
DEMO_DB := var/demo/duban.db
AS_OF   ?= 2022-10-15

.PHONY: build web demo test rules-test lint fuzz bench fixtures clean

build: web
	$(GO) build -o $(BIN) ./cmd/duban

# web: the dashboard's chart library (Apache ECharts, pinned by pkg/web/package-lock.json),
# fetched with npm ci only when node_modules is missing or the lock changed, and copied
# where go:embed picks it up. Without npm the page still works; its charts become tables.
WEB := pkg/web
web: $(WEB)/static/vendor/echarts.min.js

$(WEB)/node_modules/.package-lock.json: $(WEB)/package.json $(WEB)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.package-lock.json; \
	else echo "npm not found: the dashboard is built without its chart library"; fi

$(WEB)/static/vendor/echarts.min.js: $(WEB)/node_modules/.package-lock.json
	@if [ -f $(WEB)/node_modules/echarts/dist/echarts.min.js ]; then \
		cp $(WEB)/node_modules/echarts/dist/echarts.min.js $@; fi

# demo: a fresh SQLite database, the shipped fixtures ingested (each month's files received on the
# 3rd of the month after, before every due day), then the service with its clock stopped at
# $(AS_OF): the dashboard at http://localhost:8080, the address with an admin token in the log.
demo: build
	rm -rf var/demo && mkdir -p var/demo
	$(BIN) rules check $(PLAN)
	@for m in 01 02 03 04 05 06 07 08 09; do \
		next=$$(printf '%02d' $$(expr $$m + 1)); \
		$(BIN) ingest --plan $(PLAN) --db $(DEMO_DB) --data var/demo/raw --quiet \
			--received "2022-$$next-03 10:00" fixtures/submissions/2022-$$m/*.xlsx || exit $$?; \
	done
	$(BIN) eval --plan $(PLAN) --db $(DEMO_DB) --as-of $(AS_OF)
	$(BIN) serve --demo --db $(DEMO_DB) --data var/demo --plan $(PLAN) --as-of $(AS_OF)

# test: every test on SQLite; then, on PostgreSQL when DUBAN_TEST_POSTGRES names one (.ci/run starts
# a server and sets it), the store suite, the scheduler's replica and fault tests, and two `duban serve`
# replicas sharing one scheduler (CI fails without it); short fuzz runs; the plan's rule tests.
PG_TESTS := ^(TestLeaderTakeover|TestWebhookDownForAnHour|TestTwoSendersDeliverEachOnce|TestReplicasShareOneScheduler)$$
test: build
	DUBAN_TEST_POSTGRES= $(GO) test -race -count=1 -skip '^TestReplicasShareOneScheduler$$' ./...
	@if [ -n "$(DUBAN_TEST_POSTGRES)" ]; then \
		echo "on PostgreSQL: the store suite, scheduler replicas and faults, two serve replicas"; \
		$(GO) test -race -count=1 ./pkg/store/... && \
		$(GO) test -race -count=1 -run '$(PG_TESTS)' ./pkg/schedule/ ./cmd/duban/; \
	elif [ -n "$$CI" ]; then echo "CI without DUBAN_TEST_POSTGRES: the PostgreSQL and replica tests cannot run"; exit 1; \
	else echo "DUBAN_TEST_POSTGRES is not set: the PostgreSQL pass (store suite, replicas) did not run"; fi
	$(MAKE) fuzz FUZZTIME=5s
	$(BIN) rules check $(PLAN)
	$(BIN) rules test $(PLAN)/tests/*.yaml

# fuzz: the cell-value parser, the period parser, the rule loader and the fast sheet reader
# against excelize, each for FUZZTIME.
FUZZTIME ?= 2m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./pkg/plan
	$(GO) test -run '^$$' -fuzz '^FuzzParseNumber$$' -fuzztime $(FUZZTIME) ./pkg/ingest
	$(GO) test -run '^$$' -fuzz '^FuzzParsePeriod$$' -fuzztime $(FUZZTIME) ./pkg/ingest
	$(GO) test -run '^$$' -fuzz '^FuzzFastRows$$' -fuzztime $(FUZZTIME) ./pkg/ingest

# bench: province-scale load made by cmd/duban-loadgen, measured beside pandas.read_excel,
# SheetJS, the unzip floor and a trivial fiber handler, one table printed (BENCHMARKS.md says
# what dominates each figure). Installs what it compares with; never part of make test.
bench:
	bench/run.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fixtures:
	$(GO) run ./fixtures/gen

clean:
	rm -rf bin var $(WEB)/node_modules $(WEB)/static/vendor/echarts.min.js
