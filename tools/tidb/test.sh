#!/usr/bin/env bash
# Runs Go test packages against a throwaway TiDB (make test-tidb):
#
#   tools/tidb/test.sh PKG...
#
# It builds or reuses tidb-server (build.sh), starts it on free ports with an in-memory
# unistore (no PD, no TiKV: one process, gone when it stops), runs `go test -v PKG...` with
# TEST_DATABASE_URL pointing at it and REQUIRE_MYSQL=1, prints the passed/failed/skipped
# counts and every failed or skipped test, and stops the server. The exit status is go
# test's. GO_TEST_FLAGS adds flags (e.g. -race, -run); TIDB_CONFIG names another config
# file; TIDB_LOG keeps the server's log at that path (default: a temporary file, printed
# when tests fail).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GO=${GO:-go}
(($# > 0)) || { echo "usage: $0 PKG..." >&2; exit 2; }

started=$(date +%s)
bin=$("$here/build.sh")
built=$(date +%s)

dir=$(mktemp -d)
config=${TIDB_CONFIG:-$dir/tidb.toml}
log=${TIDB_LOG:-$dir/tidb.log}
if [[ -z "${TIDB_CONFIG:-}" ]]; then
	# A pessimistic statement that keeps meeting newer writes (a hot row, a GET_LOCK name
	# with several waiters) gives up after max-retry-count attempts with "pessimistic lock
	# retry limit reached"; the adapters retry that error, and a higher limit makes it rare.
	cat >"$config" <<'TOML'
[pessimistic-txn]
max-retry-count = 4096
TOML
fi

# A port nobody answers on: a connection to it is refused.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		(: >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
port=$(free_port)
status_port=$(free_port)

"$bin" -store unistore -path "" -host 127.0.0.1 -P "$port" -status "$status_port" \
	-config "$config" -log-file "$log" -log-slow-query "$dir/slow.log" >"$dir/stdout" 2>&1 &
pid=$!
cleanup() {
	kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

for _ in $(seq 120); do
	mysqladmin --protocol=tcp -h 127.0.0.1 -P "$port" -u root --connect-timeout=2 ping >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { echo "tidb-server exited:" >&2; tail -20 "$dir/stdout" "$log" >&2; exit 1; }
	sleep 0.5
done
version=$(mysql --protocol=tcp -h 127.0.0.1 -P "$port" -u root -N -e 'SELECT VERSION()')
echo "test-tidb: $version on 127.0.0.1:$port (tidb-server ready $(($(date +%s) - built)) s after start)"

out="$dir/go-test.log"
status=0
# shellcheck disable=SC2086 # GO_TEST_FLAGS is a list of flags
TEST_DATABASE_URL="mysql://root@127.0.0.1:$port/" REQUIRE_MYSQL=1 \
	$GO test -count=1 -v -timeout "${TEST_TIMEOUT:-30m}" ${GO_TEST_FLAGS:-} "$@" 2>&1 | tee "$out" || status=$?

passed=$(grep -c -E '^ *--- PASS' "$out" || true)
failed=$(grep -c -E '^ *--- FAIL' "$out" || true)
skipped=$(grep -c -E '^ *--- SKIP' "$out" || true)
echo
echo "test-tidb: failed and skipped tests:"
grep -E -A2 '^ *--- (FAIL|SKIP)' "$out" | grep -v -E '^ *=== ' || echo "  none"
if ((status != 0)) && [[ -z "${TIDB_LOG:-}" ]]; then
	echo "test-tidb: the last lines of the server's log:"
	grep -E '\[(ERROR|WARN)\]' "$log" | tail -20 || true
fi
now=$(date +%s)
echo "test-tidb: $passed passed, $failed failed, $skipped skipped; build or reuse $((built - started)) s, tests $((now - built)) s"
exit "$status"
