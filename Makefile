# B2B back office: customers-api (3001), orders-api (3002), orchestrator (3003).
#
#   make run     start the three services in the foreground (in memory unless a database is set)
#   make test    wire drift, gofmt, vet, then every test
#   make help    every target
#
# `make run DATABASE_URL=mysql://root@127.0.0.1:3306/backoffice` (or DB_HOST/DB_NAME/...) runs
# them on MySQL; they migrate at start-up.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

GO ?= go
BIN := bin
# -race costs about twice the time on the two cores CI has; the suite stays well inside the
# CI budget with it (see .ci/run). `make test RACE=` turns it off.
RACE ?= -race
# Extra flags for go test, e.g. `make test TESTFLAGS=-v` (.ci/run uses -v to find skipped MySQL tests).
TESTFLAGS ?=
TEST_TIMEOUT ?= 15m

CUSTOMERS_PORT ?= 3001
ORDERS_PORT ?= 3002
ORCHESTRATOR_PORT ?= 3003

# The binaries `make run` builds, as name=package.
SERVICES := customers-api=./bootstrap/customersapi orders-api=./bootstrap/ordersapi orchestrator=./bootstrap/orchestrator
TOOLS := migrate=./bootstrap/migrate healthcheck=./bootstrap/healthcheck run=./tools/run

# Packages whose tests need MySQL: those importing adapters/mysql/mysqltest.
MYSQL_TEST_PKGS = $(shell $(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | \
	awk '/adapters\/mysql\/mysqltest/ { print $$1 }')

# The fault-injection suite (make test-faults).
FAULTTEST_PKG ?= ./tools/faulttest

.PHONY: bench-ab
.PHONY: help build run test test-unit test-integration wire wire-check vet fmt fmt-check \
	migrate seed lambda bench profile bench-go fuzz test-faults walkthrough compose-up compose-down clean

help: ## list the targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-z-]+:.*## / { printf "  %-17s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

build: ## build the services and tools into ./bin
	@mkdir -p $(BIN)
	@for s in $(SERVICES) $(TOOLS); do \
		echo "go build -o $(BIN)/$${s%%=*} $${s#*=}"; \
		$(GO) build -o $(BIN)/$${s%%=*} $${s#*=}; \
	done

# The programs `make run` starts, as tools/run's NAME=PATH[,VAR=VALUE...] arguments. bin/run
# prefixes every line of theirs with [NAME] (no process per line) and stops all three,
# gracefully, when Ctrl-C or SIGTERM reaches it (the services stay in its process group, so a
# terminal's Ctrl-C reaches them too) or when any one exits (a port in use, a bad
# configuration): make then fails with that service's status. A service still running 30 s
# after SIGTERM is killed. `make run | tee run.log` stops the same way on Ctrl-C.
# *_RUN_ENV add variables to one service (make profile sets PPROF_ADDR there).
CUSTOMERS_RUN_ENV ?=
ORDERS_RUN_ENV ?=
ORCHESTRATOR_RUN_ENV ?=
# RUN_GOMAXPROCS: on a machine of 2 CPUs or fewer, where the three services and usually the
# database share the cores, each service runs with GOMAXPROCS=1 unless GOMAXPROCS is set: a
# second scheduler thread per service mostly spins and wakes threads for cores the others
# need (measured on 2 cores: about 10% less CPU per request, README "Measured"). Set
# RUN_GOMAXPROCS= (empty) for Go's default, one per CPU.
comma := ,
RUN_GOMAXPROCS ?= $(if $(GOMAXPROCS),,$(shell [ "$$(nproc 2>/dev/null || echo 4)" -le 2 ] && echo 1))
RUN_COMMON_ENV = $(if $(RUN_GOMAXPROCS),$(comma)GOMAXPROCS=$(RUN_GOMAXPROCS))
# BENCH_TOOL_ENV: the load tools (loadtest, and sqlbench, the ceiling's Go side) run with the
# services' GOMAXPROCS, so that the ceiling is not handicapped by a setting the services are
# spared (on 2 cores, sqlbench with GOMAXPROCS=1 spends about a quarter less CPU per flow).
BENCH_TOOL_ENV = $(if $(RUN_GOMAXPROCS),GOMAXPROCS=$(RUN_GOMAXPROCS))
RUN_SERVICES = customers=$(BIN)/customers-api,PORT=$(CUSTOMERS_PORT)$(RUN_COMMON_ENV)$(CUSTOMERS_RUN_ENV) \
	orders=$(BIN)/orders-api,PORT=$(ORDERS_PORT)$(RUN_COMMON_ENV)$(ORDERS_RUN_ENV) \
	orchestrator=$(BIN)/orchestrator,PORT=$(ORCHESTRATOR_PORT)$(RUN_COMMON_ENV)$(ORCHESTRATOR_RUN_ENV)

# With a database configured the binaries refuse to start without secrets: give them the
# seed's demo values when unset (and say so). Without one, the binaries pick the same demo
# values themselves and warn.
run_db_configured = $(or $(DATABASE_URL),$(DB_HOST),$(DB_NAME))
run bench bench-ab profile: export CUSTOMERS_API_BASE ?= http://127.0.0.1:$(CUSTOMERS_PORT)
run bench bench-ab profile: export ORDERS_API_BASE ?= http://127.0.0.1:$(ORDERS_PORT)
ifneq ($(run_db_configured),)
run bench bench-ab profile: export JWT_SECRET ?= super-secret-key
run bench bench-ab profile: export SERVICE_TOKEN ?= internal-service-token
run bench bench-ab profile: export ADMIN_USER ?= admin
run bench bench-ab profile: export ADMIN_PASSWORD ?= admin123
endif
run: build ## start the three services (Ctrl-C stops them); memory adapters unless DATABASE_URL or DB_* is set
	@if [[ -n "$(run_db_configured)" ]]; then \
		echo "[run] database configured: MySQL adapters; unset JWT_SECRET/SERVICE_TOKEN/ADMIN_USER/ADMIN_PASSWORD get the seed's demo values"; \
	else \
		echo "[run] no DATABASE_URL or DB_*: in-memory adapters, nothing is kept after Ctrl-C"; \
	fi
	@$(if $(RUN_GOMAXPROCS),echo "[run] GOMAXPROCS=$(RUN_GOMAXPROCS) for each service on this machine of $$(nproc) CPUs (RUN_GOMAXPROCS= for Go's default)",true)
	@exec $(BIN)/run $(RUN_SERVICES)

test: wire-check fmt-check vet test-unit ## wire drift, gofmt, vet, then all tests; ends with "N passed, N failed, N skipped" and says what was skipped

# go test -json through tools/testreport: the output of plain go test (or of -v when TESTFLAGS
# has it), then "N passed, N failed, N skipped" and, when tests were skipped, a banner saying
# how many, why and how to run them (plain go test hides a passing package's skips). The MySQL
# tests use TEST_DATABASE_URL, else root on 127.0.0.1:3306 when it answers, else Docker.
# Under -race, adapters/netconn makes its reads and writes through syscall.Read and
# syscall.Write (the race detector learns from them); its tests then run once more without
# -race, so that the raw calls the services are built with are tested too.
test-unit:
	@mkdir -p $(BIN) && $(GO) build -o $(BIN)/testreport ./tools/testreport
	{ $(GO) test -json -count=1 $(RACE) -timeout $(TEST_TIMEOUT) $(TESTFLAGS) ./...; \
	  $(if $(RACE),$(GO) test -json -count=1 -timeout $(TEST_TIMEOUT) $(TESTFLAGS) ./adapters/netconn/;) } | $(BIN)/testreport $(filter -v,$(TESTFLAGS))

test-integration: ## the MySQL tests only; fails instead of skipping when no server is reachable
	@pkgs="$(MYSQL_TEST_PKGS)"; \
	if [[ -z "$$pkgs" ]]; then echo "test-integration: no package imports adapters/mysql/mysqltest" >&2; exit 1; fi; \
	echo "REQUIRE_MYSQL=1 go test $$pkgs"; \
	REQUIRE_MYSQL=1 $(GO) test -count=1 $(RACE) -timeout $(TEST_TIMEOUT) $(TESTFLAGS) $$pkgs

# Opt-in (too slow for every CI run): the first run builds tidb-server from the Go module proxy
# (tools/tidb/build.sh: ~20 min and 3.4 GB on two idle cores, cached in ~/.cache/backoffice-tidb).
.PHONY: test-tidb
test-tidb: ## the MySQL tests against a throwaway TiDB v8.5.6 (builds tidb-server on first use: ~20 min)
	@pkgs="$(MYSQL_TEST_PKGS)"; \
	if [[ -z "$$pkgs" ]]; then echo "test-tidb: no package imports adapters/mysql/mysqltest" >&2; exit 1; fi; \
	GO="$(GO)" GO_TEST_FLAGS="$(TESTFLAGS)" tools/tidb/test.sh $$pkgs

wire: ## regenerate every wire_gen.go
	$(GO) tool wire gen ./bootstrap/...

wire-check: ## fail when a wire_gen.go differs from what wire would generate
	@out=$$($(GO) tool wire diff ./bootstrap/... 2>&1) && code=0 || code=$$?; \
	if [[ $$code != 0 ]]; then \
		echo "$$out"; \
		echo "wire-check: wire_gen.go is out of date (or wire failed): run 'make wire' and commit the result" >&2; \
		exit 1; \
	fi; echo "wire-check: wire_gen.go files are up to date"

vet: ## go vet
	$(GO) vet ./...

fmt: ## gofmt every file in place
	gofmt -w $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*')

fmt-check: ## fail when a file is not gofmt-formatted
	@files=$$(gofmt -l $$(find . -name '*.go' -not -path './bin/*' -not -path './build/*')); \
	if [[ -n "$$files" ]]; then echo "fmt-check: not gofmt-formatted (run make fmt):" >&2; echo "$$files" >&2; exit 1; fi; \
	echo "fmt-check: all Go files are formatted"

migrate: ## apply the migrations to DATABASE_URL or DB_* (creates the database if needed)
	$(GO) run ./bootstrap/migrate

# The mysql client gets the password through a defaults file on a pipe, never on its command
# line (where ps would show it). DATABASE_URL's user and password must not be %-encoded.
seed: migrate ## migrate, then load db/seed.sql (customer 1 ACME, product 2 at 129900) with the mysql client
	@if [[ -n "$${DATABASE_URL:-}" ]]; then \
		re='^mysql://(([^:@/]*)(:([^@/]*))?@)?([^:/@]+)(:([0-9]+))?/([^?/]+)'; \
		[[ $$DATABASE_URL =~ $$re ]] || { echo "seed: DATABASE_URL must look like mysql://user:pass@host:port/db" >&2; exit 2; }; \
		user=$${BASH_REMATCH[2]:-root} pass=$${BASH_REMATCH[4]} host=$${BASH_REMATCH[5]} port=$${BASH_REMATCH[7]:-3306} db=$${BASH_REMATCH[8]}; \
	else \
		user=$${DB_USER:-root} pass=$${DB_PASSWORD:-} host=$${DB_HOST:-127.0.0.1} port=$${DB_PORT:-3306} db=$${DB_NAME:-}; \
		[[ -n $$db ]] || { echo "seed: set DATABASE_URL or DB_NAME (with DB_HOST, DB_PORT, DB_USER, DB_PASSWORD)" >&2; exit 2; }; \
	fi; \
	echo "seed: loading db/seed.sql into $$host:$$port/$$db as $$user"; \
	mysql --defaults-extra-file=<(printf '[client]\npassword="%s"\n' "$$pass") \
		--protocol=tcp -h "$$host" -P "$$port" -u "$$user" "$$db" < db/seed.sql; \
	echo "seed: done"

# LAMBDA_TAGS: lambda.norpc drops aws-lambda-go's legacy RPC mode (provided.al2023 does not use
# it); lambda leaves out the local server's Prometheus /metrics (bootstrap/orchestrator's
# metrics.go): under AWS Lambda nothing scrapes it, CloudWatch counts the invocations.
LAMBDA_TAGS := lambda.norpc,lambda
lambda: ## build the orchestrator for AWS Lambda (provided.al2023, arm64) into build/lambda/orchestrator.zip
	@mkdir -p build/lambda
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags $(LAMBDA_TAGS) -trimpath -ldflags="-s -w" -o build/lambda/bootstrap ./bootstrap/orchestrator
	rm -f build/lambda/orchestrator.zip
	zip -j build/lambda/orchestrator.zip build/lambda/bootstrap

# START_SERVICES (the start of bench's and profile's recipes) starts the services with bin/run
# exactly like `make run` (memory, or MySQL when DATABASE_URL/DB_* is set), their logs in
# bin/bench-services.log, stops them when the recipe ends, and waits for their /health. It
# refuses to start when something already answers on their ports: a `make run` left in
# another terminal would otherwise be what the bench measures.
define START_SERVICES
for port in $(CUSTOMERS_PORT) $(ORDERS_PORT) $(ORCHESTRATOR_PORT); do \
	! $(BIN)/healthcheck http://127.0.0.1:$$port/health 2>/dev/null || { echo "$@: something already serves port $$port (a make run?): stop it first, the measurement would be of it" >&2; exit 1; }; \
done; \
$(BIN)/run $(RUN_SERVICES) > $(BIN)/bench-services.log 2>&1 & runpid=$$!; \
trap 'kill -TERM $$runpid 2>/dev/null || true; wait $$runpid 2>/dev/null || true' EXIT; \
for port in $(CUSTOMERS_PORT) $(ORDERS_PORT) $(ORCHESTRATOR_PORT); do \
	for _ in $$(seq 150); do $(BIN)/healthcheck http://127.0.0.1:$$port/health 2>/dev/null && break; sleep 0.2; done; \
	$(BIN)/healthcheck http://127.0.0.1:$$port/health || { echo "$@: nothing healthy on port $$port; see $(BIN)/bench-services.log" >&2; exit 1; }; \
done
endef
BENCH_TOOLS := loadtest=./tools/loadtest sqlbench=./tools/sqlbench bench=./tools/bench
BENCH_URLS = -customers http://127.0.0.1:$(CUSTOMERS_PORT) -orders http://127.0.0.1:$(ORDERS_PORT)

# bench: with the services up (START_SERVICES), tools/bench runs at BENCH_CLIENTS for
# BENCH_DURATION each: the create+confirm flow through the services (loadtest -mode flow),
# the same flows as the fewest bare SQL statements on the same database (sqlbench, the
# ceiling), the reads through the services (loadtest -mode reads), the reads ceiling. On
# MySQL each load runs in BENCH_ROUNDS rounds of BENCH_DURATION/BENCH_ROUNDS, services and
# ceiling taking turns to go first, so that both sides meet the same drift of a shared
# machine's speed; then it
# prints one summary: ops/s, p50/p95/p99, statements per operation (the server's Questions
# counter), service/ceiling ratios, CPU per operation of each process (the services, the load
# tool, a local database), each service's resident memory (flagged over 40 MiB).
# Without DATABASE_URL the services run in memory and the ceiling is skipped. Any error or
# 5xx fails the bench. Then the contention and idempotency checks at BENCH_RACE_CLIENTS.
BENCH_CLIENTS ?= 16
BENCH_DURATION ?= 40s
BENCH_ROUNDS ?= 8
BENCH_RACE_CLIENTS ?= 200
bench: build ## services vs bare-SQL ceiling: flows and reads (ops/s, p99, ratio, statements/op, CPU/op by process, RSS), then contention and idempotency checks
	@for s in $(BENCH_TOOLS); do $(GO) build -o $(BIN)/$${s%%=*} $${s#*=}; done
	@$(START_SERVICES); \
	$(BENCH_TOOL_ENV) $(BIN)/bench -clients $(BENCH_CLIENTS) -duration $(BENCH_DURATION) -rounds $(BENCH_ROUNDS) $(BENCH_URLS) -orchestrator http://127.0.0.1:$(ORCHESTRATOR_PORT); \
	$(BENCH_TOOL_ENV) $(BIN)/loadtest $(BENCH_URLS) -mode contention -clients $(BENCH_RACE_CLIENTS) -stock 100; \
	$(BENCH_TOOL_ENV) $(BIN)/loadtest $(BENCH_URLS) -mode idempotency -clients $(BENCH_RACE_CLIENTS)

# profile: the services with their pprof listeners (PPROF_ADDR: customers-api on
# CUSTOMERS_PPROF_ADDR, orders-api on ORDERS_PPROF_ADDR), the flow load and then the read
# load for PROFILE_DURATION each while tools/bench fetches a CPU profile of both services,
# saved as bin/profiles/<service>-<flow|reads>.pprof; then the top 25 functions of each.
PROFILE_DURATION ?= 15s
PROFILE_CLIENTS ?= $(BENCH_CLIENTS)
CUSTOMERS_PPROF_ADDR ?= 127.0.0.1:6061
ORDERS_PPROF_ADDR ?= 127.0.0.1:6062
profile: CUSTOMERS_RUN_ENV = ,PPROF_ADDR=$(CUSTOMERS_PPROF_ADDR)
profile: ORDERS_RUN_ENV = ,PPROF_ADDR=$(ORDERS_PPROF_ADDR)
profile: build ## CPU profiles of orders-api and customers-api under the flow and the read load (PROFILE_DURATION each), with their pprof tops
	@for s in $(BENCH_TOOLS); do $(GO) build -o $(BIN)/$${s%%=*} $${s#*=}; done
	@rm -rf $(BIN)/profiles
	@$(START_SERVICES); \
	$(BENCH_TOOL_ENV) $(BIN)/bench -clients $(PROFILE_CLIENTS) -duration $(PROFILE_DURATION) $(BENCH_URLS) \
		-profile-dir $(BIN)/profiles -pprof orders-api=$(ORDERS_PPROF_ADDR),customers-api=$(CUSTOMERS_PPROF_ADDR)
	@for f in $(BIN)/profiles/*.pprof; do \
		svc=$$(basename "$$f" .pprof); svc=$${svc%-*}; \
		echo; echo "== $$f: go tool pprof -top -nodecount=25 $(BIN)/$$svc $$f"; \
		$(GO) tool pprof -top -nodecount=25 "$(BIN)/$$svc" "$$f"; \
	done

# bench-ab: the before/after of a change. BASE (a commit) is checked out in a worktree
# (AB_DIR), built with its own Makefile, and its customers-api and orders-api run on
# AB_CUSTOMERS_PORT and AB_ORDERS_PORT beside this tree's services (started as by bench),
# on the same database (or both in memory). tools/bench then runs each load in
# AB_ROUNDS rounds (AB_DURATION in all per build), this build and BASE's taking turns to go
# first, and prints services/base per load and round:
# both builds meet the same drift of the machine's speed, which two bench runs a few
# minutes apart do not. The base's logs are in bin/bench-ab-base.log.
AB_DIR ?= $(or $(TMPDIR),/tmp)/backoffice-bench-ab
AB_CUSTOMERS_PORT ?= 4001
AB_ORDERS_PORT ?= 4002
AB_ROUNDS ?= 8
AB_DURATION ?= 40s
bench-ab: build ## before/after: BASE=<commit> against this tree, the same loads alternating round by round (AB_ROUNDS, AB_DURATION, BENCH_CLIENTS)
	@[[ -n "$(BASE)" ]] || { echo "bench-ab: set BASE=<commit>, e.g. make bench-ab BASE=HEAD~1" >&2; exit 2; }
	@for s in $(BENCH_TOOLS); do $(GO) build -o $(BIN)/$${s%%=*} $${s#*=}; done
	@git worktree remove --force "$(AB_DIR)" 2>/dev/null || rm -rf "$(AB_DIR)"; git worktree prune
	git worktree add --detach -q "$(AB_DIR)" "$(BASE)"
	$(MAKE) -s -C "$(AB_DIR)" build
	@$(BIN)/run customers="$(AB_DIR)/bin/customers-api",PORT=$(AB_CUSTOMERS_PORT)$(RUN_COMMON_ENV) \
		orders="$(AB_DIR)/bin/orders-api",PORT=$(AB_ORDERS_PORT),CUSTOMERS_API_BASE=http://127.0.0.1:$(AB_CUSTOMERS_PORT)$(RUN_COMMON_ENV) \
		> $(BIN)/bench-ab-base.log 2>&1 & basepid=$$!; \
	trap 'kill -TERM $$basepid 2>/dev/null || true; wait $$basepid 2>/dev/null || true' EXIT; \
	for port in $(AB_CUSTOMERS_PORT) $(AB_ORDERS_PORT); do \
		for _ in $$(seq 150); do $(BIN)/healthcheck http://127.0.0.1:$$port/health 2>/dev/null && break; sleep 0.2; done; \
		$(BIN)/healthcheck http://127.0.0.1:$$port/health || { echo "$@: the base build is not healthy on port $$port; see $(BIN)/bench-ab-base.log" >&2; exit 1; }; \
	done; \
	( $(START_SERVICES); \
	$(BENCH_TOOL_ENV) $(BIN)/bench -clients $(BENCH_CLIENTS) -duration $(AB_DURATION) -rounds $(AB_ROUNDS) $(BENCH_URLS) -orchestrator http://127.0.0.1:$(ORCHESTRATOR_PORT) \
		-base-customers http://127.0.0.1:$(AB_CUSTOMERS_PORT) -base-orders http://127.0.0.1:$(AB_ORDERS_PORT) )
	@git worktree remove --force "$(AB_DIR)"

bench-go: ## Go benchmarks of the hot use cases over memory and (with TEST_DATABASE_URL) MySQL, and of one read through customers-api's HTTP stack
	$(GO) test -run '^$$' -bench . -benchtime 2s ./application/orders/ ./adapters/mysql/ ./adapters/http/customersapi/

FUZZTIME ?= 20s
fuzz: ## run every fuzz target for FUZZTIME each (their seed corpora also run in make test)
	@for p in ./domain/idempotency ./adapters/http/httpkit ./adapters/http/customersapi ./adapters/http/ordersapi ./adapters/http/orchestratorapi ./adapters/lambda; do \
		for f in $$($(GO) test -list '^Fuzz' $$p | grep ^Fuzz); do \
			echo "fuzz: $$p $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 3s $$p || exit 1; \
		done; \
	done

# The fault tests build the binaries and run them over fresh databases on TEST_DATABASE_URL
# (default mysql://root@127.0.0.1:3306/); `make test` skips them (no FAULTS=1).
test-faults: ## the fault-injection suite (binaries killed, database cut, customers-api down) on MySQL
	@if [[ -d "$(FAULTTEST_PKG)" ]]; then \
		echo "FAULTS=1 go test $(FAULTTEST_PKG)/..."; \
		FAULTS=1 $(GO) test -count=1 -timeout 10m $(TESTFLAGS) $(FAULTTEST_PKG)/...; \
	else echo "test-faults: no fault-injection suite in this tree ($(FAULTTEST_PKG) does not exist); nothing ran"; fi

walkthrough: ## run the README's curl walkthrough against `make run` (in memory, free ports) and fail where an answer differs from the README
	$(GO) run ./tools/walkthrough

compose-up: ## docker compose: build and start MySQL, migrate, the services; wait until healthy
	docker compose up --build --detach --wait

compose-down: ## docker compose: stop everything and drop the MySQL volume
	docker compose down --volumes

clean: ## remove bin/ and build/
	rm -rf $(BIN) build
