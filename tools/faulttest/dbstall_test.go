package faulttest

import (
	"net/http"
	"testing"
	"time"
)

// TestSilentDatabaseAnswers503 makes the database stop answering without closing anything
// (a network partition, a frozen server): every byte orders-api sends it is held. A request
// must still end within REQUEST_TIMEOUT as 503, not hang until the client gives up, and
// /ready must say 503. Once the database answers again the service recovers by itself and
// nothing half-done is left behind.
func TestSilentDatabaseAnswers503(t *testing.T) {
	requireFaults(t)
	dbp := newProxy(t, dbAddr(t))
	const requestTimeout = 2 * time.Second
	w := newWorld(t, worldOptions{OrdersDB: dbp.Addr(), OrdersEnv: map[string]string{"REQUEST_TIMEOUT": requestTimeout.String()}})
	const initial = 100
	pid := w.createProduct(initial)

	dbp.SetDelay(time.Hour) // held until Cut closes the connections
	start := time.Now()
	r := w.createOrder(pid, 1, "Idempotency-Key", "stall-1")
	took := time.Since(start)
	if r.err != nil {
		t.Fatalf("order while the database is silent: got %v after %v, want a 503 within about %v", r.err, took, requestTimeout)
	}
	if r.status != http.StatusServiceUnavailable || r.code() != "database_unavailable" {
		t.Fatalf("order while the database is silent: got %s, want 503 database_unavailable", r)
	}
	if limit := requestTimeout + 3*time.Second; took > limit {
		t.Fatalf("order while the database is silent took %v, want at most %v", took, limit)
	}
	if got := w.ready(); got != http.StatusServiceUnavailable {
		t.Fatalf("/ready while the database is silent: got %d, want 503", got)
	}

	dbp.SetDelay(0)
	dbp.Cut() // drop the stalled connections; the pool must replace them
	dbp.Restore(t)
	var last reply
	if !waitFor(15*time.Second, func() bool {
		last = w.createOrder(pid, 1, "Idempotency-Key", "stall-1")
		return last.status == http.StatusCreated
	}) {
		t.Fatalf("after the database answers again: got %s, want 201 (the retry of the same key runs anew or replays)", last)
	}
	w.checkStock(pid, initial)
	w.checkWhole()
}
