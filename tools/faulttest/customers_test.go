package faulttest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// upstreamTimeout is orders-api's UPSTREAM_TIMEOUT in TestCustomersAPIDownOrSlow, and
// answerWithin how long it may take to say 503: one attempt's timeout (a timeout is not
// retried), or two quick failures and the backoff between them, plus room for a busy machine.
const (
	upstreamTimeout = time.Second
	answerWithin    = 4 * upstreamTimeout
)

// TestCustomersAPIDownOrSlow: while customers-api is slow or down, creating an order answers
// 503 customers_unavailable within the client timeout and writes nothing (no order, no stock
// taken, no idempotency key), so that the same request succeeds once customers-api is back.
func TestCustomersAPIDownOrSlow(t *testing.T) {
	requireFaults(t)
	var cp *proxy
	w := newWorld(t, worldOptions{
		CustomersVia: func(addr string) string { cp = newProxy(t, addr); return cp.Addr() },
		OrdersEnv:    map[string]string{"UPSTREAM_TIMEOUT": upstreamTimeout.String()},
	})
	const initial = 1000
	pid := w.createProduct(initial)
	if r := w.createOrder(pid, 2, "Idempotency-Key", "healthy"); r.status != http.StatusCreated {
		t.Fatalf("with customers-api healthy: got %v, want 201", r)
	}

	// unavailable sends a keyed order and checks the 503 and that nothing was written.
	unavailable := func(t *testing.T, key string) {
		t.Helper()
		orders := w.count("SELECT COUNT(*) FROM orders")
		stock := w.count("SELECT stock FROM products WHERE id = ?", pid)
		r := w.createOrder(pid, 3, "Idempotency-Key", key)
		if r.status != http.StatusServiceUnavailable || r.code() != "customers_unavailable" {
			t.Errorf("key %s: got %v, want 503 customers_unavailable", key, r)
		}
		if r.elapsed > answerWithin {
			t.Errorf("key %s: answered after %v, want within %v (UPSTREAM_TIMEOUT %v)", key, r.elapsed, answerWithin, upstreamTimeout)
		}
		if n := w.count("SELECT COUNT(*) FROM orders"); n != orders {
			t.Errorf("key %s: %d orders after the 503, want %d", key, n, orders)
		}
		if s := w.count("SELECT stock FROM products WHERE id = ?", pid); s != stock {
			t.Errorf("key %s: stock %d after the 503, want %d", key, s, stock)
		}
		if n := w.count("SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = ?", key); n != 0 {
			t.Errorf("key %s: %d idempotency key rows after the 503, want none", key, n)
		}
	}
	// succeeds retries a key that failed: it runs anew (no replay of the 503).
	succeeds := func(t *testing.T, key string) {
		t.Helper()
		r := w.createOrder(pid, 3, "Idempotency-Key", key)
		if r.status != http.StatusCreated || r.replayed() {
			t.Errorf("retry of %s once customers-api is back: got %v (replayed %v), want a fresh 201", key, r, r.replayed())
		}
	}

	t.Run("slow", func(t *testing.T) {
		cp.SetDelay(30 * time.Second) // far past UPSTREAM_TIMEOUT: without a timeout the request would hang
		unavailable(t, "slow-0")
		var wg sync.WaitGroup
		for i := 1; i <= 8; i++ {
			wg.Go(func() { unavailable(t, fmt.Sprintf("slow-%d", i)) })
		}
		wg.Wait()
		cp.SetDelay(0)
		cp.Cut() // drop the connections stuck in the delay
		cp.Restore(t)
		succeeds(t, "slow-0")
	})

	t.Run("killed", func(t *testing.T) {
		w.customers.Kill()
		unavailable(t, "down-0")
		// orders-api still serves everything but order creation: it stays ready, and the
		// verbose probe names customers-api as the dependency that is down.
		if s := w.ready(); s != http.StatusOK {
			t.Errorf("/ready with customers-api down: got %d, want 200", s)
		}
		if r := w.do("GET", "/ready?verbose", ""); r.status != http.StatusOK ||
			!strings.Contains(string(r.body), `{"name":"customers-api","kind":"dependency","ok":false`) {
			t.Errorf("/ready?verbose with customers-api down: got %v, want 200 naming customers-api down", r)
		}
		cp.Cut() // now the address itself refuses connections
		unavailable(t, "down-1")
		cp.Restore(t)
		w.customers.Start()
		if r := w.do("GET", "/ready?verbose", ""); r.status != http.StatusOK ||
			!strings.Contains(string(r.body), `{"name":"customers-api","kind":"dependency","ok":true}`) {
			t.Errorf("/ready?verbose with customers-api back: got %v, want 200 with customers-api ok", r)
		}
		succeeds(t, "down-0")
		succeeds(t, "down-1")
	})

	w.checkStock(pid, initial)
	w.checkWhole()
	// healthy, slow-0, down-0, down-1: 4 orders, whatever failed before.
	if n := w.count("SELECT COUNT(*) FROM orders"); n != 4 {
		t.Errorf("%d orders in the end, want 4", n)
	}
}
