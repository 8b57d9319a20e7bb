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
TOOLS := migrate=./bootstrap/migrate healthcheck=./bootstrap/healthcheck

# Packages whose tests need MySQL: those importing adapters/mysql/mysqltest.
MYSQL_TEST_PKGS = $(shell $(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | \
	awk '/adapters\/mysql\/mysqltest/ { print $$1 }')

# The fault-injection suite (make test-faults).
FAULTTEST_PKG ?= ./bootstrap/faulttest

.PHONY: help build run test test-unit test-integration wire wire-check vet fmt fmt-check \
	migrate seed lambda bench bench-go fuzz test-faults compose-up compose-down clean

help: ## list the targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-z-]+:.*## / { printf "  %-17s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

build: ## build the services and tools into ./bin
	@mkdir -p $(BIN)
	@for s in $(SERVICES) $(TOOLS); do \
		echo "go build -o $(BIN)/$${s%%=*} $${s#*=}"; \
		$(GO) build -o $(BIN)/$${s%%=*} $${s#*=}; \
	done

# The run script. Each service's output goes through sed to get its prefix; the services run
# in the background of one bash, which stops them all, cleanly, when:
#   - Ctrl-C or SIGTERM reaches it (the terminal sends SIGINT to the whole foreground process
#     group: the services shut down gracefully on it, and the trap sends SIGTERM too, for the
#     case where only this script was signalled);
#   - any one service exits (a port in use, a bad configuration): the others are stopped and
#     make fails with that service's exit code.
# sed ignores SIGINT and SIGTERM, so the services' last lines (their shutdown) still reach the terminal.
# A service still running 30 s after SIGTERM is killed with its process group: more than its
# SHUTDOWN_DRAIN_DELAY (5s) + SHUTDOWN_TIMEOUT (20s).
define RUN_SCRIPT
declare -A pids=()
start() {
	local name=$$1 prefix=$$2 port=$$3
	PORT=$$port setsid "$(BIN)/$$name" > >(trap '' INT TERM; exec sed -u "s/^/[$$prefix] /") 2>&1 &
	pids[$$name]=$$!
}
stop() {
	trap '' INT TERM
	local name
	for name in "$${!pids[@]}"; do kill -TERM "$${pids[$$name]}" 2>/dev/null || true; done
	for _ in $$(seq 300); do
		local alive=0
		for name in "$${!pids[@]}"; do kill -0 "$${pids[$$name]}" 2>/dev/null && alive=1; done
		[[ $$alive == 0 ]] && break
		sleep 0.1
	done
	for name in "$${!pids[@]}"; do
		if kill -0 "$${pids[$$name]}" 2>/dev/null; then
			echo "[run] $$name did not stop within 30s: killing its process group" >&2
			kill -KILL -- "-$${pids[$$name]}" 2>/dev/null || true
		fi
	done
	wait 2>/dev/null || true
}
trap 'echo "[run] stopping"; stop; exit 130' INT
trap 'echo "[run] stopping"; stop; exit 143' TERM
start customers-api customers "$(CUSTOMERS_PORT)"
start orders-api orders "$(ORDERS_PORT)"
start orchestrator orchestrator "$(ORCHESTRATOR_PORT)"
echo "[run] customers-api http://127.0.0.1:$(CUSTOMERS_PORT)  orders-api http://127.0.0.1:$(ORDERS_PORT)  orchestrator http://127.0.0.1:$(ORCHESTRATOR_PORT)  (Ctrl-C stops all three)"
set +e
wait -n "$${pids[@]}"
code=$$?
set -e
echo "[run] a service exited with status $$code: stopping the others" >&2
stop
exit $$(( code == 0 ? 1 : code ))
endef
export RUN_SCRIPT

# With a database configured the binaries refuse to start without secrets: give them the
# seed's demo values when unset (and say so). Without one, the binaries pick the same demo
# values themselves and warn.
run_db_configured = $(or $(DATABASE_URL),$(DB_HOST),$(DB_NAME))
run bench: export CUSTOMERS_API_BASE ?= http://127.0.0.1:$(CUSTOMERS_PORT)
run bench: export ORDERS_API_BASE ?= http://127.0.0.1:$(ORDERS_PORT)
ifneq ($(run_db_configured),)
run bench: export JWT_SECRET ?= super-secret-key
run bench: export SERVICE_TOKEN ?= internal-service-token
run bench: export ADMIN_USER ?= admin
run bench: export ADMIN_PASSWORD ?= admin123
endif
run: build ## start the three services (Ctrl-C stops them); memory adapters unless DATABASE_URL or DB_* is set
	@if [[ -n "$(run_db_configured)" ]]; then \
		echo "[run] database configured: MySQL adapters; unset JWT_SECRET/SERVICE_TOKEN/ADMIN_USER/ADMIN_PASSWORD get the seed's demo values"; \
	else \
		echo "[run] no DATABASE_URL or DB_*: in-memory adapters, nothing is kept after Ctrl-C"; \
	fi
	@bash -c "$$RUN_SCRIPT"

test: wire-check fmt-check vet test-unit ## wire drift, gofmt, vet, then all tests (MySQL ones need TEST_DATABASE_URL or Docker, else they skip)

test-unit:
	$(GO) test -count=1 $(RACE) -timeout $(TEST_TIMEOUT) $(TESTFLAGS) ./...

test-integration: ## the MySQL tests only; fails instead of skipping when no server is reachable
	@pkgs="$(MYSQL_TEST_PKGS)"; \
	if [[ -z "$$pkgs" ]]; then echo "test-integration: no package imports adapters/mysql/mysqltest" >&2; exit 1; fi; \
	echo "REQUIRE_MYSQL=1 go test $$pkgs"; \
	REQUIRE_MYSQL=1 $(GO) test -count=1 $(RACE) -timeout $(TEST_TIMEOUT) $(TESTFLAGS) $$pkgs

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

lambda: ## build the orchestrator for AWS Lambda (provided.al2023, x86_64) into build/lambda/orchestrator.zip
	@mkdir -p build/lambda
	GOOS=linux GOARCH=amd64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w" -o build/lambda/bootstrap ./bootstrap/orchestrator
	rm -f build/lambda/orchestrator.zip
	zip -j build/lambda/orchestrator.zip build/lambda/bootstrap

# bench starts the services exactly like `make run` (memory, or MySQL when DATABASE_URL/DB_* is
# set), waits for their /health, then runs, in one session: the create+confirm flow through
# the services (loadtest -mode flow) and, on MySQL with DATABASE_URL, the same transactions
# run directly on the database (sqlbench) at the same concurrency, so the two figures compare;
# then the contention and idempotency checks at BENCH_RACE_CLIENTS clients. Each prints one
# "BENCH key=value ..." line. The services' logs go to bin/bench-services.log.
BENCH_CLIENTS ?= 16
BENCH_DURATION ?= 10s
BENCH_RACE_CLIENTS ?= 200
bench: build ## load the running services: flows/s and p50/p95/p99, the bare-SQL baseline, contention and idempotency checks
	@$(GO) build -o $(BIN)/loadtest ./bootstrap/loadtest
	@$(GO) build -o $(BIN)/sqlbench ./bootstrap/sqlbench
	@LOG_LEVEL=warn bash -c "$$RUN_SCRIPT" > $(BIN)/bench-services.log 2>&1 & runpid=$$!; \
	trap 'kill -TERM $$runpid 2>/dev/null || true; wait $$runpid 2>/dev/null || true' EXIT; \
	for port in $(CUSTOMERS_PORT) $(ORDERS_PORT) $(ORCHESTRATOR_PORT); do \
		for _ in $$(seq 150); do $(BIN)/healthcheck http://127.0.0.1:$$port/health 2>/dev/null && break; sleep 0.2; done; \
		$(BIN)/healthcheck http://127.0.0.1:$$port/health || { echo "bench: nothing healthy on port $$port; see $(BIN)/bench-services.log" >&2; exit 1; }; \
	done; \
	lt="$(BIN)/loadtest -customers http://127.0.0.1:$(CUSTOMERS_PORT) -orders http://127.0.0.1:$(ORDERS_PORT)"; \
	$$lt -mode flow -clients $(BENCH_CLIENTS) -duration $(BENCH_DURATION); \
	if [[ -n "$${DATABASE_URL:-}" ]]; then \
		$(BIN)/sqlbench -clients $(BENCH_CLIENTS) -duration $(BENCH_DURATION) -customer-check; \
	else echo "bench: no DATABASE_URL: the bare-SQL baseline (sqlbench) needs MySQL; skipped"; fi; \
	$$lt -mode contention -clients $(BENCH_RACE_CLIENTS) -stock 100; \
	$$lt -mode idempotency -clients $(BENCH_RACE_CLIENTS)

bench-go: ## Go benchmarks of the hot use cases over memory and (with TEST_DATABASE_URL) MySQL
	$(GO) test -run '^$$' -bench . -benchtime 2s ./application/orders/ ./adapters/mysql/

FUZZTIME ?= 20s
fuzz: ## run every fuzz target for FUZZTIME each (their seed corpora also run in make test)
	@for p in ./domain/idempotency ./adapters/http/httpkit ./adapters/http/customersapi ./adapters/http/ordersapi ./adapters/lambda; do \
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

compose-up: ## docker compose: build and start MySQL, migrate, the services; wait until healthy
	docker compose up --build --detach --wait

compose-down: ## docker compose: stop everything and drop the MySQL volume
	docker compose down --volumes

clean: ## remove bin/ and build/
	rm -rf $(BIN) build
