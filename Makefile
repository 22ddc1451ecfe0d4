# controlmap: `make run` serves the map on http://localhost:8080 from the
# embedded dataset; `make test` installs what the tests need and runs them all.
# Every target is phony: make only orders the steps, go caches the builds.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

GO ?= go
# Arguments for `make run`, e.g. make run ARGS='--data ./mydata'.
ARGS ?=
# Folder or files for `make import`.
DATA ?= data
# Database used by `make db`, `make migrate` and `make import` when
# DATABASE_URL is not set in the environment. `make run` uses PostGIS only when
# DATABASE_URL is set.
LOCAL_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/controlmap?sslmode=disable
FUZZTIME ?= 60s
FUZZ_SMOKE_EXECS ?= 30000x
# Fuzz targets run briefly by `make test`, as package:target, or
# package:target:executions for a target slower than FUZZ_SMOKE_EXECS
# allows. The budgets are counts, not durations: with a duration, go1.26's
# fuzz coordinator can fail a run with "context deadline exceeded" as the
# time runs out (golang/go#75804, fixed in go1.27), which a loaded machine
# makes likely (seen here on FuzzParseText at 5s).
FUZZ_SMOKE := ./geo:FuzzParseDatetime ./geo:FuzzParseBBox ./geo:FuzzDecodeFeatures ./handlers:FuzzItemsQuery:3000x ./handlers:FuzzImport:10x ./geo/cql2:FuzzParseText ./geo/cql2:FuzzParseJSON ./handlers:FuzzAppendCoord:5000x ./geo/postgis:FuzzScalars:20000x

# The tests read CI (true makes skipped PostGIS and Chromium suites fail);
# npm packages must never download a browser of their own.
export CI
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PUPPETEER_SKIP_DOWNLOAD := 1

.PHONY: run build web test deps fmt-check vet test-go fuzz-smoke test-web fuzz db migrate import clean bench generate loadtest scaleout

run:
	$(GO) run ./cmd/controlmap serve $(ARGS)

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/controlmap ./cmd/controlmap

# web checks that static/lib (Leaflet, committed and embedded in the
# binary) is byte for byte the npm packages of package-lock.json; after a
# version bump, `sh scripts/vendor-web.sh --update` refreshes it. Neither run
# nor build needs it (nor npm); make test checks the same in static/lib_test.go.
web:
	sh scripts/vendor-web.sh

test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory fmt-check
	@$(MAKE) --no-print-directory vet
	@$(MAKE) --no-print-directory test-go
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory test-web

deps:
	bash scripts/test-deps.sh

fmt-check:
	@files="$$(find . -name '*.go' -not -path './node_modules/*' -not -path './.git/*' -print0 | xargs -0 -r gofmt -l)"; \
	if [ -n "$$files" ]; then echo "gofmt: these files need formatting (run gofmt -w):"; echo "$$files"; exit 1; fi; \
	echo "gofmt: ok"

vet:
	$(GO) vet ./...

# test-go runs every Go test once and prints each package's counts (the
# PostGIS suite's included), every failure in full, why anything was skipped,
# and a closing "tests: N passed, N failed, N skipped".
test-go:
	@mkdir -p bin
	@$(GO) build -o bin/testsummary ./internal/cmd/testsummary
	$(GO) test -count=1 -json ./... | bin/testsummary

fuzz-smoke:
	@for pt in $(FUZZ_SMOKE); do \
		pkg="$${pt%%:*}"; t="$${pt#*:}"; n="$(FUZZ_SMOKE_EXECS)"; \
		case "$$t" in *:*) n="$${t#*:}"; t="$${t%%:*}";; esac; \
		if grep -qs "^func $$t(" "$$pkg"/*_test.go; then \
			echo "fuzz $$pkg $$t ($$n)"; \
			$(GO) test -run='^$$' -fuzz="^$$t\$$" -fuzztime=$$n "$$pkg"; \
		else \
			echo "fuzz $$t: no such target in $$pkg, skipped"; \
		fi; \
	done

test-web:
	@if [ -f package.json ]; then npm test; else echo "test-web: no package.json, skipped"; fi

# fuzz runs every Fuzz target of the module for FUZZTIME each; a crasher is
# kept in the package's testdata/fuzz as a regression case.
fuzz:
	@grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' --exclude-dir=node_modules . | xargs -r -n1 dirname | sort -u | \
	while read -r dir; do \
		for t in $$(grep -h -oE '^func Fuzz[A-Za-z0-9_]*' "$$dir"/*_test.go | sed 's/^func //' | sort -u); do \
			echo "fuzz $$dir $$t ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$t\$$" -fuzztime=$(FUZZTIME) "$$dir" || exit 1; \
		done; \
	done

# db creates the local database for migrate and import when it is missing.
db:
	@url="$${DATABASE_URL:-$(LOCAL_DATABASE_URL)}"; name="$${url##*/}"; name="$${name%%\?*}"; \
	if psql "$${url/\/$$name/\/postgres}" -XAtc "SELECT 1 FROM pg_database WHERE datname = '$$name'" | grep -q 1; then \
		echo "database $$name exists"; \
	else \
		psql "$${url/\/$$name/\/postgres}" -Xqc "CREATE DATABASE \"$$name\"" && echo "created database $$name"; \
	fi

migrate:
	DATABASE_URL="$${DATABASE_URL:-$(LOCAL_DATABASE_URL)}" $(GO) run ./cmd/controlmap migrate

import:
	DATABASE_URL="$${DATABASE_URL:-$(LOCAL_DATABASE_URL)}" $(GO) run ./cmd/controlmap import $(DATA)

# bench generates the scale dataset (cached in tmp/bench by seed), serves it
# from the embedded store and from a throwaway PostGIS database, measures
# the cases of issue 6 with wrk next to nginx and writes docs/performance.md.
# With PG_FEATURESERV_BIN and PG_TILESERV_BIN (binaries built by hand outside
# the repository, see bench/README.md) it measures those servers in the same run.
# About 20 minutes, bounded at 30 (25, bounded at 40, with them); not part of `make test`. BENCH_ARGS are
# passed to bench/run (go run ./bench/run -h), e.g. BENCH_ARGS='-stores memory -d 5s'.
BENCH_ARGS ?=
bench:
	bash bench/bench.sh $(BENCH_ARGS)

# loadtest holds 64 connections for 60 s on each store (the memory store with
# a reload in the middle, PostGIS with PostgreSQL stopped and started again in
# the middle), checks that only 503s and stale answers come during the outage,
# that everything recovers, and that no goroutine or live heap grows; it
# writes docs/reliability.md and exits 1 when a check fails. It STOPS AND
# STARTS this machine's PostgreSQL cluster (pg_ctlcluster; see bench/README.md).
# About 4 minutes, bounded at 15; not part of `make test`. LOADTEST_ARGS are
# passed to bench/loadtest (go run ./bench/loadtest -h), e.g. LOADTEST_ARGS='-stores memory'.
LOADTEST_ARGS ?=
loadtest:
	timeout --signal=INT --kill-after=60s 15m $(GO) run ./bench/loadtest $(LOADTEST_ARGS)

# scaleout shows controlmap scaled out on the engines users already run:
# a streaming standby of this machine's PostgreSQL (a second cluster under a
# temporary folder), replicas of controlmap serve reading from it, nginx in
# front with a shared cache; under 64 connections for 60 s it imports edits
# on the primary, kills and restarts a replica, restarts the standby, checks
# that nothing fails and every edit shows through nginx within 2 s, and
# writes docs/scaleout.md (docs/scaling.md explains it). It creates a
# database, a role and a replication slot on this machine's cluster (and a
# pg_hba.conf line if replication is refused) and removes them when it ends.
# About 3 minutes, bounded at 13; not part of `make test`. SCALEOUT_ARGS are
# passed to bench/scaleout (go run ./bench/scaleout -h).
SCALEOUT_ARGS ?=
scaleout:
	bash bench/scaleout.sh $(SCALEOUT_ARGS)

# generate writes the scale dataset of issue 6 for SEED (default 1) to
# tmp/scale-seed<SEED>, for `make run ARGS='--data tmp/scale-seed1'` or `make import DATA=...`.
SEED ?= 1
generate:
	$(GO) run ./cmd/controlmap generate --seed $(SEED) --out tmp/scale-seed$(SEED)

clean:
	rm -rf bin
