package faulttest

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dbAddr is host:port of the test database server.
func dbAddr(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(suite.server)
	if err != nil {
		t.Fatal(err)
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "3306")
	}
	return u.Host
}

// flow is one worker's create-then-confirm of one order, each step with its own key.
type flow struct {
	createKey, confirmKey string
	qty                   int
	createStart           time.Time
	create                reply
	confirmStart          time.Time
	confirm               reply // zero when the create failed
}

// TestDatabaseRestartUnderLoad puts a TCP proxy between orders-api and the database and, while
// workers create and confirm orders, cuts every connection and refuses new ones for a few
// seconds, as a database restart does. Meanwhile every request must get an answer, 503 and
// never a 500, within the client timeout, and /ready must say 503. Once the database is back
// the service must recover by itself, and retries of the failed requests with their keys
// complete them exactly once: one order per create key, stock that balances.
func TestDatabaseRestartUnderLoad(t *testing.T) {
	requireFaults(t)
	dbp := newProxy(t, dbAddr(t))
	w := newWorld(t, worldOptions{OrdersDB: dbp.Addr()})
	const initial = 1_000_000
	pid := w.createProduct(initial)

	var (
		mu    sync.Mutex
		flows []*flow
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	const workers = 12
	for i := range workers {
		wg.Go(func() {
			for n := 0; !stop.Load(); n++ {
				f := &flow{createKey: fmt.Sprintf("c-%d-%d", i, n), confirmKey: fmt.Sprintf("k-%d-%d", i, n), qty: 1 + n%3}
				f.createStart = time.Now()
				f.create = w.createOrder(pid, f.qty, "Idempotency-Key", f.createKey)
				if f.create.status == http.StatusCreated {
					f.confirmStart = time.Now()
					f.confirm = w.confirm(f.create.id(), f.confirmKey)
				}
				mu.Lock()
				flows = append(flows, f)
				mu.Unlock()
				if f.create.status != http.StatusCreated || f.confirm.status != http.StatusOK {
					time.Sleep(100 * time.Millisecond) // a failure is judged below; do not spin on it
				}
			}
		})
	}

	time.Sleep(time.Second)
	cutAt := time.Now()
	closed := dbp.Cut()
	// While the database is away: /ready says 503, quickly.
	var readyDuring []int
	for time.Since(cutAt) < 3*time.Second {
		readyDuring = append(readyDuring, w.ready())
		time.Sleep(200 * time.Millisecond)
	}
	dbp.Restore(t)
	restoredAt := time.Now()
	var recoveredAt time.Time
	for time.Since(restoredAt) < 20*time.Second {
		if w.ready() == http.StatusOK {
			recoveredAt = time.Now()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !recoveredAt.IsZero() {
		time.Sleep(1500 * time.Millisecond) // load on the recovered service
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d flows; the cut closed %d database connections; /ready during the outage: %v; recovered %v after the restore",
		len(flows), closed, readyDuring, recoveredAt.Sub(restoredAt).Round(time.Millisecond))
	if recoveredAt.IsZero() {
		t.Fatal("orders-api /ready did not say 200 within 20s of the database coming back")
	}
	for i, s := range readyDuring {
		if s != http.StatusServiceUnavailable {
			t.Errorf("/ready poll %d during the outage: got %d, want 503", i, s)
		}
	}

	// Every answer: a success, or 503 while the database was away; never a 500, never none.
	var ok, unavailable, inFlight int
	codes := map[string]int{}
	check := func(what string, r reply, start time.Time, success int) {
		switch {
		case r.err != nil:
			t.Errorf("%s started %v after the cut: no answer within the client timeout (%v): %v", what, start.Sub(cutAt).Round(time.Millisecond), clientTimeout, r.err)
		case r.status == success:
			ok++
		case r.status == http.StatusServiceUnavailable && r.code() != "":
			unavailable++
			codes[r.code()]++
			if start.Before(cutAt) {
				inFlight++
			}
			if start.After(recoveredAt) {
				t.Errorf("%s started after the service was ready again: got %v", what, r)
			}
			if start.Add(r.elapsed).Before(cutAt) {
				t.Errorf("%s answered before the cut: got %v", what, r)
			}
		default:
			t.Errorf("%s started %v after the cut: got %v, want %d or 503", what, start.Sub(cutAt).Round(time.Millisecond), r, success)
		}
	}
	for _, f := range flows {
		check("create "+f.createKey, f.create, f.createStart, http.StatusCreated)
		if f.create.status == http.StatusCreated {
			check("confirm "+f.confirmKey, f.confirm, f.confirmStart, http.StatusOK)
		}
	}
	t.Logf("%d answers: %d successes, %d x 503 %v (%d of them sent before the cut)", ok+unavailable, ok, unavailable, codes, inFlight)
	if unavailable == 0 {
		t.Fatal("no request met the outage: the test did not test anything")
	}
	if t.Failed() {
		return
	}

	// Retries with the same keys complete what failed, exactly once.
	var (
		next     atomic.Int64
		failMu   sync.Mutex
		replayed atomic.Int64 // retries whose first attempt was answered 503 yet committed (the cut took the COMMIT's answer)
	)
	fail := func(format string, args ...any) { failMu.Lock(); t.Errorf(format, args...); failMu.Unlock() }
	for range workers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(flows)); i = next.Add(1) - 1 {
				f := flows[i]
				if f.create.status != http.StatusCreated {
					f.create = w.createOrder(pid, f.qty, "Idempotency-Key", f.createKey)
					if f.create.status != http.StatusCreated {
						fail("retry of create %s: got %v, want 201", f.createKey, f.create)
						continue
					}
					if f.create.replayed() {
						replayed.Add(1)
					}
				}
				if f.confirm.status != http.StatusOK {
					f.confirm = w.confirm(f.create.id(), f.confirmKey)
					if f.confirm.status != http.StatusOK {
						fail("retry of confirm %s: got %v, want 200", f.confirmKey, f.confirm)
					}
					if f.confirm.replayed() {
						replayed.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("retries: %d found that their first attempt, answered 503, had committed (replayed)", replayed.Load())
	ids := map[int64]string{}
	for _, f := range flows {
		if other, dup := ids[f.create.id()]; dup {
			t.Errorf("create keys %s and %s made the same order %d", other, f.createKey, f.create.id())
		}
		ids[f.create.id()] = f.createKey
	}
	if n := w.count("SELECT COUNT(*) FROM orders"); n != int64(len(flows)) {
		t.Errorf("%d orders in the database for %d create keys, want one each", n, len(flows))
	}
	if n := w.count("SELECT COUNT(*) FROM orders WHERE status <> 'CONFIRMED'"); n != 0 {
		var left []string
		rows, _ := w.db.Query("SELECT id FROM orders WHERE status <> 'CONFIRMED'")
		for rows != nil && rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			left = append(left, fmt.Sprint(id))
		}
		sort.Strings(left)
		t.Errorf("%d orders not CONFIRMED after every confirm was retried: %v", n, left)
	}
	w.checkStock(pid, initial)
	w.checkWhole()
}
