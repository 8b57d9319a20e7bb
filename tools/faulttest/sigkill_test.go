package faulttest

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestKillDuringConfirms kills orders-api with SIGKILL while workers confirm orders (and
// create others with idempotency keys), then starts it again on the same database. Every
// confirmation answered 200 must be CONFIRMED in the database as answered; retrying every
// request with its key completes the rest exactly once (a second round only replays), and
// the stock balances.
func TestKillDuringConfirms(t *testing.T) {
	requireFaults(t)
	w := newWorld(t, worldOptions{})
	const initial = 1_000_000
	pid := w.createProduct(initial)

	// The orders to confirm, created beforehand.
	const total = 400
	orderIDs := make([]int64, total)
	var wg sync.WaitGroup
	var next atomic.Int64
	var failMu sync.Mutex
	fail := func(format string, args ...any) { failMu.Lock(); t.Errorf(format, args...); failMu.Unlock() }
	for range 8 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < total; i = next.Add(1) - 1 {
				r := w.createOrder(pid, 1+int(i)%3)
				if r.status != http.StatusCreated {
					fail("create order %d: got %v", i, r)
					continue
				}
				orderIDs[i] = r.id()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	confirmKey := func(i int) string { return fmt.Sprintf("confirm-%d", orderIDs[i]) }

	// Load: confirm workers take the orders in turn; create workers make keyed orders.
	type keyed struct {
		key   string
		qty   int
		r     reply
		sent  bool
		start time.Time
	}
	confirms := make([]keyed, total)
	var (
		stop      atomic.Bool
		confirmed atomic.Int64
		createsMu sync.Mutex
		creates   []*keyed
	)
	next.Store(0)
	for range 12 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < total && !stop.Load(); i = next.Add(1) - 1 {
				c := &confirms[i]
				c.key, c.sent, c.start = confirmKey(int(i)), true, time.Now()
				c.r = w.confirm(orderIDs[i], c.key)
				if c.r.status == http.StatusOK {
					confirmed.Add(1)
				}
			}
		})
	}
	for g := range 4 {
		wg.Go(func() {
			for n := 0; !stop.Load(); n++ {
				k := &keyed{key: fmt.Sprintf("create-%d-%d", g, n), qty: 1 + n%3, sent: true, start: time.Now()}
				k.r = w.createOrder(pid, k.qty, "Idempotency-Key", k.key)
				createsMu.Lock()
				creates = append(creates, k)
				createsMu.Unlock()
			}
		})
	}
	for confirmed.Load() < total/3 && next.Load() < total {
		time.Sleep(time.Millisecond)
	}
	killAt := time.Now()
	w.orders.Kill()
	stop.Store(true)
	wg.Wait()
	if confirmed.Load() == total {
		t.Fatal("every confirmation finished before the kill: the test did not test anything")
	}

	// Before the restart: what was answered is in the database, as answered.
	var answered, inFlight, after int
	noAnswer := func(k *keyed) {
		if k.start.Before(killAt) {
			inFlight++
		} else {
			after++
		}
	}
	for i := range confirms {
		c := &confirms[i]
		switch {
		case !c.sent:
		case c.r.err != nil:
			noAnswer(c)
		case c.r.status == http.StatusOK:
			answered++
			var status string
			var at sql.NullTime
			if err := w.db.QueryRow("SELECT status, confirmed_at FROM orders WHERE id = ?", orderIDs[i]).Scan(&status, &at); err != nil {
				t.Fatalf("order %d: %v", orderIDs[i], err)
			}
			want, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(c.r.data()["confirmed_at"]))
			if status != "CONFIRMED" || !at.Valid || !at.Time.Equal(want) {
				t.Errorf("order %d: answered 200 CONFIRMED at %v before the kill, the database has %s at %v", orderIDs[i], want, status, at)
			}
		default:
			t.Errorf("confirm %s before the kill: got %v, want 200 or no answer", c.key, c.r)
		}
	}
	for _, k := range creates {
		switch {
		case k.r.err != nil:
			noAnswer(k)
		case k.r.status == http.StatusCreated:
			if n := w.count("SELECT COUNT(*) FROM orders WHERE id = ?", k.r.id()); n != 1 {
				t.Errorf("create %s answered 201 with order %d before the kill; the database does not have it", k.key, k.r.id())
			}
		default:
			t.Errorf("create %s before the kill: got %v, want 201 or no answer", k.key, k.r)
		}
	}
	t.Logf("killed after %d confirmations answered 200 and %d keyed creates were sent; %d requests sent before the kill and %d after it got no answer",
		answered, len(creates), inFlight, after)
	if inFlight == 0 {
		t.Error("no request was in flight when the process was killed: the test did not test anything")
	}

	w.orders.Start()

	// Retry everything with its key; the answers already given come back byte for byte.
	var replayedLost atomic.Int64 // unanswered before the kill, yet committed
	retryConfirm := func(i int) reply {
		r := w.confirm(orderIDs[i], confirmKey(i))
		if r.status != http.StatusOK || r.data()["status"] != "CONFIRMED" {
			fail("retry confirm of order %d: got %v, want 200 CONFIRMED", orderIDs[i], r)
		}
		return r
	}
	first := make([]reply, total)
	next.Store(0)
	for range 8 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < total; i = next.Add(1) - 1 {
				c := &confirms[i]
				r := retryConfirm(int(i))
				first[i] = r
				switch {
				case c.sent && c.r.status == http.StatusOK:
					if !r.replayed() || !bytes.Equal(r.body, c.r.body) {
						fail("retry confirm of order %d answered 200 before the kill: got %v (replayed %v), want the same bytes replayed: %s",
							orderIDs[i], r, r.replayed(), c.r.body)
					}
				case c.sent && r.replayed():
					replayedLost.Add(1)
				case !c.sent && r.replayed():
					fail("confirm of order %d never sent before the kill, yet replayed: %v", orderIDs[i], r)
				}
			}
		})
	}
	var createNext atomic.Int64
	for range 4 {
		wg.Go(func() {
			for i := createNext.Add(1) - 1; i < int64(len(creates)); i = createNext.Add(1) - 1 {
				k := creates[i]
				r := w.createOrder(pid, k.qty, "Idempotency-Key", k.key)
				switch {
				case r.status != http.StatusCreated:
					fail("retry create %s: got %v, want 201", k.key, r)
				case k.r.status == http.StatusCreated && (!r.replayed() || !bytes.Equal(r.body, k.r.body)):
					fail("retry create %s answered 201 before the kill: got %v (replayed %v), want the same bytes replayed: %s",
						k.key, r, r.replayed(), k.r.body)
				case k.r.status != http.StatusCreated && r.replayed():
					replayedLost.Add(1)
				}
				k.r = r
			}
		})
	}
	wg.Wait()
	t.Logf("after the restart, %d requests that got no answer before the kill turned out committed (replayed)", replayedLost.Load())

	// A second round only replays: nothing runs twice.
	next.Store(0)
	for range 8 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < total; i = next.Add(1) - 1 {
				r := retryConfirm(int(i))
				if !r.replayed() || !bytes.Equal(r.body, first[i].body) {
					fail("second retry confirm of order %d: got %v (replayed %v), want a replay of %s", orderIDs[i], r, r.replayed(), first[i].body)
				}
			}
		})
	}
	wg.Wait()

	if n := w.count("SELECT COUNT(*) FROM orders"); n != int64(total+len(creates)) {
		t.Errorf("%d orders in the database, want %d confirmed ones and %d keyed creates", n, total, len(creates))
	}
	if n := w.count("SELECT COUNT(*) FROM orders WHERE status = 'CONFIRMED'"); n != total {
		t.Errorf("%d CONFIRMED orders, want %d", n, total)
	}
	if n := w.count("SELECT COUNT(*) FROM idempotency_keys WHERE operation = 'confirm_order'"); n != total {
		t.Errorf("%d confirm keys stored, want %d", n, total)
	}
	w.checkStock(pid, initial)
	w.checkWhole()
}
