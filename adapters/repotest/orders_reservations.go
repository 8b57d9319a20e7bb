package repotest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
)

// reservationHold is the hold of the reservation suite's orders (ORDER_HOLD_TTL).
const reservationHold = 30 * time.Minute

// The reservation suite's clocks. A sweep expires every order of the store whose hold has
// passed at the sweep's clock, whichever test made it, and the MySQL run shares one
// database between tests. So the tests that sweep run one after another, each a day after
// the previous one, starting at sweepOrigin; the tests that do not sweep run in parallel
// at holdOrigin, years later, so that no sweep ever reaches their orders. The other suites
// make orders without a hold, which no sweep touches.
var (
	sweepOrigin = time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC)
	holdOrigin  = time.Date(2041, 2, 3, 4, 5, 6, 987654321, time.UTC)
)

// RunReservations runs the contract of order holds (ORDER_HOLD_TTL): a CREATED order
// expires at created_at + hold, reads show it CANCELED with reason expired even before the
// sweep stores it so, confirming it is order.ErrOrderExpired, and its stock comes back
// exactly once whether the sweep (ExpireOrders), a cancel or both, racing with confirms,
// reach it; status filters agree with what reads show; two sweeps at once (two replicas)
// expire every order once between them. Driven through the real use cases
// over the store newStore returns, with real goroutines for the races.
func RunReservations(t *testing.T, newStore NewOrdersStore, newCustomer NewCustomerID) {
	t.Helper()
	parallel := []harnessTest{
		{"CreateSetsTheHold", testHoldCreate},
		{"ConfirmJustBeforeAndAtTheEnd", testHoldConfirmEdges},
		{"CancelAfterTheEndExpiresOnce", testHoldCancelAfterEnd},
		{"StatusFiltersAgreeWithReads", testHoldStatusFilters},
		{"HoldsOff", testHoldsOff},
	}
	for _, tt := range parallel {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newOrdersHarness(t, newStore(t), newCustomer, holdOrigin)
			h.svc = h.service(reservationHold)
			tt.fn(t, h)
		})
	}
	// Not parallel with each other: see sweepOrigin.
	sweeping := []harnessTest{
		{"SweepExpiresOnceAndReadsAgree", testSweep},
		{"SweepCrossesBatches", testSweepBatches},
		{"SweepCancelAndConfirmRace", testSweepRace},
		{"TwoSweepersAtOnce", testTwoSweepers},
	}
	t.Run("Sweeps", func(t *testing.T) {
		t.Parallel()
		for i, tt := range sweeping {
			t.Run(tt.name, func(t *testing.T) {
				h := newOrdersHarness(t, newStore(t), newCustomer, sweepOrigin.AddDate(0, 0, i))
				h.svc = h.service(reservationHold)
				tt.fn(t, h)
			})
		}
	})
}

// harnessTest is one named test of a suite.
type harnessTest struct {
	name string
	fn   func(t *testing.T, h *ordersHarness)
}

// expiryOf is the end of o's hold; the test fails when o has none.
func expiryOf(t *testing.T, o *order.Order) time.Time {
	t.Helper()
	at, ok := o.ExpiresAt()
	if !ok {
		t.Fatalf("order %d has no expires_at", o.ID())
	}
	return at
}

// assertExpired checks that o reads CANCELED, reason expired, canceled at its expiry.
func assertExpired(t *testing.T, o *order.Order, expiry time.Time) {
	t.Helper()
	at, ok := o.CanceledAt()
	if o.Status() != order.Canceled || o.CancelReason() != order.ReasonExpired || !ok || !at.Equal(expiry) {
		t.Fatalf("got order %s, want CANCELED, reason expired, canceled_at %s", describeOrder(o), stamp(expiry))
	}
}

func testHoldCreate(t *testing.T, h *ordersHarness) {
	p := h.product(100, 10)
	o := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	want := o.CreatedAt().Add(reservationHold)
	if got := expiryOf(t, o); !got.Equal(want) || !o.CancelReason().IsZero() {
		t.Fatalf("got order %s, want expires_at %s and no cancel reason", describeOrder(o), stamp(want))
	}
	assertSameOrder(t, h.getOrder(o.ID()), o)
	// Another hold later (ORDER_HOLD_TTL changed) does not move the holds already given.
	h.svc = h.service(2 * time.Hour)
	h.clock.Set(want.Add(-time.Microsecond))
	assertSameOrder(t, h.getOrder(o.ID()), o)
	h.clock.Set(want)
	assertExpired(t, h.getOrder(o.ID()), want)
	later := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	if got := expiryOf(t, later); !got.Equal(later.CreatedAt().Add(2 * time.Hour)) {
		t.Fatalf("got expires_at %s, want created_at + 2h", stamp(got))
	}
}

func testHoldConfirmEdges(t *testing.T, h *ordersHarness) {
	p := h.product(100, 10)
	early := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	late := h.createOrder(order.Line{ProductID: p.ID(), Qty: 2})
	expiry := expiryOf(t, early)
	if !expiryOf(t, late).Equal(expiry) {
		t.Fatal("two orders made at one instant got different expiries")
	}

	h.clock.Set(expiry.Add(-time.Microsecond))
	first := h.mustConfirm(early.ID(), "early")
	if first.Order.Status() != order.Confirmed {
		t.Fatalf("got %s, want CONFIRMED", describeOrder(first.Order))
	}

	h.clock.Set(expiry)
	_, err := h.confirm(late.ID(), "late")
	assertErrorIs(t, err, order.ErrOrderExpired)
	if errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("got kind %v, want conflict (409)", errs.KindOf(err))
	}
	// The refused confirm stored nothing: the same key is refused the same way, not replayed.
	_, err = h.confirm(late.ID(), "late")
	assertErrorIs(t, err, order.ErrOrderExpired)
	assertExpired(t, h.getOrder(late.ID()), expiry)

	// A confirmed order never expires, and its key still replays the stored answer (within
	// the key's own TTL).
	h.clock.Advance(2 * time.Hour)
	again := h.mustConfirm(early.ID(), "early")
	if !again.Replayed {
		t.Fatal("a key that succeeded before the end was not replayed after it")
	}
	assertSameResponse(t, again.Response, first.Response)
	if got := h.getOrder(early.ID()); got.Status() != order.Confirmed {
		t.Fatalf("got %s, want CONFIRMED", describeOrder(got))
	}
	// A new key on the expired order: still order_expired, and the stock came back once.
	h.assertStock(p.ID(), 7)
	if _, err := h.svc.CancelOrder(t.Context(), late.ID()); err != nil {
		t.Fatal(err)
	}
	h.assertStock(p.ID(), 9)
	_, err = h.confirm(late.ID(), "late-again")
	assertErrorIs(t, err, order.ErrOrderExpired)
	h.assertStock(p.ID(), 9)
}

func testHoldCancelAfterEnd(t *testing.T, h *ordersHarness) {
	a, b := h.product(100, 10), h.product(250, 4)
	requested := h.createOrder(order.Line{ProductID: a.ID(), Qty: 1})
	o := h.createOrder(order.Line{ProductID: b.ID(), Qty: 4}, order.Line{ProductID: a.ID(), Qty: 3})
	expiry := expiryOf(t, o)

	// Before the end a cancel is the client's.
	h.clock.Set(expiry.Add(-time.Second))
	got, err := h.svc.CancelOrder(t.Context(), requested.ID())
	if err != nil {
		t.Fatal(err)
	}
	if at, _ := got.CanceledAt(); got.CancelReason() != order.ReasonRequested || !at.Equal(expiry.Add(-time.Second)) {
		t.Fatalf("got %s, want reason requested at the cancel's time", describeOrder(got))
	}
	if _, ok := got.ExpiresAt(); !ok {
		t.Fatal("the cancel lost expires_at")
	}
	h.assertStock(a.ID(), 7)

	// After it, reads show the order expired before anything stored it; the stock is still
	// held until the order is expired in storage.
	h.clock.Set(expiry.Add(time.Hour))
	assertExpired(t, h.getOrder(o.ID()), expiry)
	h.assertStock(a.ID(), 7)
	h.assertStock(b.ID(), 0)
	if got := h.getOrder(requested.ID()); got.CancelReason() != order.ReasonRequested {
		t.Fatalf("got %s, want the client's cancel to stay requested", describeOrder(got))
	}

	// Canceling it now expires it: 200 with the order CANCELED/expired, stock back once.
	for range 3 {
		got, err := h.svc.CancelOrder(t.Context(), o.ID())
		if err != nil {
			t.Fatalf("cancel after the end: %v", err)
		}
		assertExpired(t, got, expiry)
		assertSameOrder(t, h.getOrder(o.ID()), got)
		h.assertStock(a.ID(), 10)
		h.assertStock(b.ID(), 4)
	}
	_, err = h.confirm(o.ID(), "after")
	assertErrorIs(t, err, order.ErrOrderExpired)
}

func testHoldStatusFilters(t *testing.T, h *ordersHarness) {
	p := h.product(100, 100)
	line := order.Line{ProductID: p.ID(), Qty: 1}
	expiredUnswept := h.createOrder(line)
	canceled := h.createOrder(line)
	confirmed := h.createOrder(line)
	expiredByCancel := h.createOrder(line)
	if _, err := h.svc.CancelOrder(t.Context(), canceled.ID()); err != nil {
		t.Fatal(err)
	}
	h.mustConfirm(confirmed.ID(), "c")
	h.clock.Advance(reservationHold - time.Minute)
	onHold := h.createOrder(line)
	h.clock.Advance(2 * time.Minute) // the first four orders' holds have passed, not onHold's
	if _, err := h.svc.CancelOrder(t.Context(), expiredByCancel.ID()); err != nil {
		t.Fatal(err)
	}

	all := h.customerOrders(orders.OrderFilter{})
	if got, want := orderIDs(all), []int64{onHold.ID(), expiredByCancel.ID(), confirmed.ID(), canceled.ID(), expiredUnswept.ID()}; !slices.Equal(got, want) {
		t.Fatalf("got orders %v, want %v", got, want)
	}
	// A list shows each order exactly as a read of it does.
	for _, o := range all {
		assertSameOrder(t, o, h.getOrder(o.ID()))
	}
	assertExpired(t, h.getOrder(expiredUnswept.ID()), expiryOf(t, expiredUnswept))
	for _, c := range []struct {
		status order.Status
		want   []int64
	}{
		{order.Created, []int64{onHold.ID()}},
		{order.Canceled, []int64{expiredByCancel.ID(), canceled.ID(), expiredUnswept.ID()}},
		{order.Confirmed, []int64{confirmed.ID()}},
	} {
		got := h.customerOrders(orders.OrderFilter{Status: c.status})
		if !slices.Equal(orderIDs(got), c.want) {
			t.Fatalf("status=%s: got orders %v, want %v", c.status, orderIDs(got), c.want)
		}
		for _, o := range got {
			if o.Status() != c.status {
				t.Fatalf("status=%s listed %s", c.status, describeOrder(o))
			}
		}
	}
	// Once onHold's hold passes too, it moves from one filter to the other.
	h.clock.Set(expiryOf(t, onHold))
	if got := h.customerOrders(orders.OrderFilter{Status: order.Created}); len(got) != 0 {
		t.Fatalf("status=CREATED after every hold passed: got orders %v, want none", orderIDs(got))
	}
	if got := h.customerOrders(orders.OrderFilter{Status: order.Canceled}); len(got) != 4 || got[0].ID() != onHold.ID() {
		t.Fatalf("status=CANCELED after every hold passed: got orders %v, want 4 starting with %d", orderIDs(got), onHold.ID())
	}
}

func testHoldsOff(t *testing.T, h *ordersHarness) {
	h.svc = h.service(0)
	p := h.product(100, 10)
	o := h.createOrder(order.Line{ProductID: p.ID(), Qty: 2})
	if at, ok := o.ExpiresAt(); ok {
		t.Fatalf("holds off: got expires_at %s, want none", stamp(at))
	}
	h.clock.Advance(10 * 365 * 24 * time.Hour)
	assertSameOrder(t, h.getOrder(o.ID()), o)
	if got := h.customerOrders(orders.OrderFilter{Status: order.Created}); !slices.Equal(orderIDs(got), []int64{o.ID()}) {
		t.Fatalf("status=CREATED: got orders %v, want [%d]", orderIDs(got), o.ID())
	}
	h.mustConfirm(o.ID(), "k") // years later, without a hold
	h.assertStock(p.ID(), 8)
}

// sweep runs ExpireOrders and returns how many orders it expired (of every test: only a
// lower bound on this test's count).
func (h *ordersHarness) sweep() int {
	h.t.Helper()
	n, err := h.svc.ExpireOrders(h.t.Context())
	if err != nil {
		h.t.Fatalf("ExpireOrders: %v", err)
	}
	return n.Orders
}

func testSweep(t *testing.T, h *ordersHarness) {
	a, b := h.product(100, 10), h.product(100, 10)
	due := h.createOrder(order.Line{ProductID: a.ID(), Qty: 2}, order.Line{ProductID: b.ID(), Qty: 1})
	confirmed := h.createOrder(order.Line{ProductID: a.ID(), Qty: 1})
	h.mustConfirm(confirmed.ID(), "c")
	unheld := func() *order.Order {
		svc := h.svc
		defer func() { h.svc = svc }()
		h.svc = h.service(0)
		return h.createOrder(order.Line{ProductID: a.ID(), Qty: 1})
	}()
	h.clock.Advance(10 * time.Minute)
	later := h.createOrder(order.Line{ProductID: b.ID(), Qty: 3})
	h.assertStock(a.ID(), 6)
	h.assertStock(b.ID(), 6)

	// Nothing is due yet.
	h.clock.Set(expiryOf(t, due).Add(-time.Microsecond))
	h.sweep()
	if got := h.getOrder(due.ID()); got.Status() != order.Created {
		t.Fatalf("swept too early: %s", describeOrder(got))
	}
	h.assertStock(a.ID(), 6)

	h.clock.Set(expiryOf(t, due))
	before := h.getOrder(due.ID())
	assertExpired(t, before, expiryOf(t, due))
	if n := h.sweep(); n < 1 {
		t.Fatalf("ExpireOrders expired %d orders, want at least 1", n)
	}
	// What reads showed before the sweep is exactly what it stored.
	assertSameOrder(t, h.getOrder(due.ID()), before)
	h.assertStock(a.ID(), 8)
	h.assertStock(b.ID(), 7)
	// Again: nothing is restored twice, the others are untouched.
	h.clock.Advance(time.Minute)
	h.sweep()
	assertSameOrder(t, h.getOrder(due.ID()), before)
	h.assertStock(a.ID(), 8)
	h.assertStock(b.ID(), 7)
	if got := h.getOrder(confirmed.ID()); got.Status() != order.Confirmed {
		t.Fatalf("the sweep touched a confirmed order: %s", describeOrder(got))
	}
	assertSameOrder(t, h.getOrder(unheld.ID()), unheld)
	assertSameOrder(t, h.getOrder(later.ID()), later)

	// The later order's turn.
	h.clock.Set(expiryOf(t, later).Add(time.Hour))
	h.sweep()
	assertExpired(t, h.getOrder(later.ID()), expiryOf(t, later))
	h.assertStock(b.ID(), 10)
	h.assertStock(a.ID(), 8)
}

func testSweepBatches(t *testing.T, h *ordersHarness) {
	n := orders.SweepBatch + 3
	p := h.product(1, n)
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = h.createOrder(order.Line{ProductID: p.ID(), Qty: 1}).ID()
	}
	h.assertStock(p.ID(), 0)
	h.clock.Advance(reservationHold)
	if got := h.sweep(); got < n {
		t.Fatalf("ExpireOrders expired %d orders, want at least %d", got, n)
	}
	h.assertStock(p.ID(), n)
	for _, id := range ids {
		if got := h.getOrder(id); got.Status() != order.Canceled || got.CancelReason() != order.ReasonExpired {
			t.Fatalf("order %d: got %s, want expired", id, describeOrder(got))
		}
	}
}

// testSweepRace: sweeps, cancels and confirms race on orders whose hold has passed. Every
// order ends CANCELED/expired once and the stock is back exactly as it was.
func testSweepRace(t *testing.T, h *ordersHarness) {
	const workers = 20
	a, b, c := h.product(100, 50), h.product(100, 50), h.product(100, 50)
	os := []*order.Order{
		h.createOrder(order.Line{ProductID: a.ID(), Qty: 3}, order.Line{ProductID: c.ID(), Qty: 1}),
		h.createOrder(order.Line{ProductID: c.ID(), Qty: 2}, order.Line{ProductID: b.ID(), Qty: 4}),
		h.createOrder(order.Line{ProductID: b.ID(), Qty: 5}, order.Line{ProductID: a.ID(), Qty: 1}, order.Line{ProductID: c.ID(), Qty: 7}),
	}
	h.assertStock(a.ID(), 46)
	expiry := expiryOf(t, os[0])
	h.clock.Set(expiry.Add(time.Second))

	errc := make(chan error, workers*len(os))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			switch w % 3 {
			case 0:
				if _, err := h.svc.ExpireOrders(t.Context()); err != nil {
					errc <- fmt.Errorf("sweep: %w", err)
				}
			case 1:
				for _, o := range os {
					got, err := h.svc.CancelOrder(t.Context(), o.ID())
					switch {
					case err != nil:
						errc <- fmt.Errorf("cancel %d: %w", o.ID(), err)
					case got.Status() != order.Canceled || got.CancelReason() != order.ReasonExpired:
						errc <- fmt.Errorf("cancel %d answered %s", o.ID(), describeOrder(got))
					}
				}
			default:
				for i, o := range os {
					// Half the confirms share a key per order: in progress or expired, never a success.
					key := fmt.Sprintf("w%d-%d", w, i)
					if w%2 == 0 {
						key = fmt.Sprintf("shared-%d", i)
					}
					out, err := h.confirm(o.ID(), key)
					switch {
					case err == nil:
						errc <- fmt.Errorf("confirm %d succeeded: %s", o.ID(), out.Response.Body)
					case !errors.Is(err, order.ErrOrderExpired) && !errors.Is(err, idempotency.ErrInProgress):
						errc <- fmt.Errorf("confirm %d: got %w, want order_expired or in progress", o.ID(), err)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	for _, o := range os {
		assertExpired(t, h.getOrder(o.ID()), expiry)
	}
	h.assertStock(a.ID(), 50)
	h.assertStock(b.ID(), 50)
	h.assertStock(c.ID(), 50)
	// Nothing is left to expire, and nothing is restored again.
	h.sweep()
	h.assertStock(a.ID(), 50)
}

// testTwoSweepers: two sweeps run at once over many due orders, as two orders-api replicas
// do. Between them they expire every order exactly once (their counts add up to the orders
// and units due, none counted twice, none left), and the stock is exactly back.
func testTwoSweepers(t *testing.T, h *ordersHarness) {
	n := 3*orders.SweepBatch + 7
	a, b := h.product(1, 3*n), h.product(1, 3*n)
	ids := make([]int64, n)
	units := 0
	for i := range ids {
		lines := []order.Line{{ProductID: a.ID(), Qty: 1 + i%2}}
		units += 1 + i%2
		if i%3 == 0 {
			lines = append(lines, order.Line{ProductID: b.ID(), Qty: 1})
			units++
		}
		ids[i] = h.createOrder(lines...).ID()
		h.clock.Advance(time.Millisecond) // holds ending one after the other
	}
	h.clock.Advance(reservationHold)
	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		sweeps [2]orders.Sweep
		errs   [2]error
	)
	for i := range sweeps {
		wg.Go(func() {
			<-start
			sweeps[i], errs[i] = h.svc.ExpireOrders(t.Context())
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatalf("ExpireOrders: %v", err)
	}
	t.Logf("sweeper 1: %+v, sweeper 2: %+v", sweeps[0], sweeps[1])
	if got := sweeps[0].Orders + sweeps[1].Orders; got != n {
		t.Fatalf("the two sweeps expired %d + %d orders, want %d in all", sweeps[0].Orders, sweeps[1].Orders, n)
	}
	if got := sweeps[0].Units + sweeps[1].Units; got != units {
		t.Fatalf("the two sweeps released %d + %d units, want %d in all", sweeps[0].Units, sweeps[1].Units, units)
	}
	for _, id := range ids {
		if got := h.getOrder(id); got.Status() != order.Canceled || got.CancelReason() != order.ReasonExpired {
			t.Fatalf("order %d: got %s, want expired", id, describeOrder(got))
		}
	}
	h.assertStock(a.ID(), 3*n)
	h.assertStock(b.ID(), 3*n)
	if again := h.sweep(); again != 0 {
		t.Fatalf("a third sweep expired %d orders, want 0", again)
	}
}
