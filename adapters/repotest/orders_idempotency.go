package repotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/timestamp"
)

// RunIdempotency runs the idempotency contract of confirmation and keyed creation through
// the real orders use cases over the store newStore returns, with real goroutines for the
// concurrent cases, plus the IdempotencyStore port on its own (reserve, complete, expiry,
// purge).
func RunIdempotency(t *testing.T, newStore NewOrdersStore, newCustomer NewCustomerID) {
	t.Helper()
	tests := []struct {
		name   string
		origin time.Time
		fn     func(t *testing.T, h *ordersHarness)
	}{
		{"ConfirmThenReplay", ordersOrigin, testIdemConfirmReplay},
		{"NewKeyOnConfirmedOrder", ordersOrigin, testIdemNewKeyOnConfirmed},
		{"KeyReusedOnAnotherOrder", ordersOrigin, testIdemKeyOnOtherOrder},
		{"FailuresStoreNothing", ordersOrigin, testIdemFailuresStoreNothing},
		{"FailedAttemptLeavesKeyFree", ordersOrigin, testIdemFailedAttempt},
		{"ConcurrentConfirmsOneKey", ordersOrigin, testIdemConcurrentConfirm},
		{"ConcurrentConfirmsManyKeys", ordersOrigin, testIdemConcurrentManyKeys},
		{"CreateWithKey", ordersOrigin, testIdemCreate},
		{"ConcurrentCreatesOneKey", ordersOrigin, testIdemConcurrentCreate},
		{"KeysScopedByOperation", ordersOrigin, testIdemScopedByOperation},
		{"ExpiredKeyIsAbsent", ordersOrigin, testIdemExpiredKey},
		{"PurgeRemovesOnlyExpired", purgeOrigin, testIdemPurge},
		{"StoreReserveCompleteRollback", ordersOrigin, testIdemStorePort},
		{"CreateReplaysBeforeCustomerCheck", ordersOrigin, testIdemCreateReplayWithoutCustomer},
		{"AnswerStoredOnce", ordersOrigin, testIdemAnswerStoredOnce},
		{"ConcurrentAnswersOneKey", ordersOrigin, testIdemConcurrentAnswers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newOrdersHarness(t, newStore(t), newCustomer, tt.origin))
		})
	}
}

func (h *ordersHarness) confirm(id int64, key string) (orders.Outcome, error) {
	return h.svc.ConfirmOrder(h.t.Context(), orders.ConfirmOrder{OrderID: id, Key: h.key(key), Encode: h.encoder(200)})
}

func (h *ordersHarness) mustConfirm(id int64, key string) orders.Outcome {
	h.t.Helper()
	out, err := h.confirm(id, key)
	if err != nil {
		h.t.Fatalf("ConfirmOrder(%d, %s): %v", id, key, err)
	}
	return out
}

func assertSameResponse(t *testing.T, got, want idempotency.Response) {
	t.Helper()
	if got.Status != want.Status || !bytes.Equal(got.Body, want.Body) {
		t.Fatalf("got response %d %q,\nwant %d %q", got.Status, got.Body, want.Status, want.Body)
	}
}

func testIdemConfirmReplay(t *testing.T, h *ordersHarness) {
	p := h.product(100, 5)
	o := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	h.clock.Advance(time.Minute)
	first := h.mustConfirm(o.ID(), "k")
	if first.Replayed || first.Order == nil || first.Order.Status() != order.Confirmed {
		t.Fatalf("first confirm: got %+v", first)
	}
	at, ok := first.Order.ConfirmedAt()
	if !ok || !at.Equal(timestamp.Of(h.clock.Now())) || !first.Order.UpdatedAt().Equal(at) {
		t.Fatalf("first confirm: got %s", describeOrder(first.Order))
	}
	if first.Response.Status != 200 || len(first.Response.Body) == 0 {
		t.Fatalf("first confirm: got response %d %q", first.Response.Status, first.Response.Body)
	}
	h.clock.Advance(time.Minute)
	for range 3 {
		again := h.mustConfirm(o.ID(), "k")
		if !again.Replayed || again.Order != nil {
			t.Fatalf("same key again: got replayed %v order %v, want a replay", again.Replayed, again.Order)
		}
		assertSameResponse(t, again.Response, first.Response)
	}
	assertSameOrder(t, h.getOrder(o.ID()), first.Order)
	h.assertStock(p.ID(), 4)
}

func testIdemNewKeyOnConfirmed(t *testing.T, h *ordersHarness) {
	p := h.product(100, 5)
	o := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	first := h.mustConfirm(o.ID(), "k1")
	h.clock.Advance(time.Minute)
	second := h.mustConfirm(o.ID(), "k2")
	if second.Replayed || second.Order == nil {
		t.Fatalf("new key on a CONFIRMED order: got %+v, want a first run", second)
	}
	assertSameOrder(t, second.Order, first.Order) // as it is: confirmed_at and updated_at unchanged
	if bytes.Equal(second.Response.Body, first.Response.Body) {
		t.Fatal("the new key replayed the old key's response")
	}
	// The new key stored its own response.
	assertSameResponse(t, h.mustConfirm(o.ID(), "k2").Response, second.Response)
	assertSameResponse(t, h.mustConfirm(o.ID(), "k1").Response, first.Response)
}

func testIdemKeyOnOtherOrder(t *testing.T, h *ordersHarness) {
	p := h.product(100, 5)
	o1 := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	o2 := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	h.mustConfirm(o1.ID(), "k")
	_, err := h.confirm(o2.ID(), "k")
	assertErrorIs(t, err, idempotency.ErrKeyReused)
	if errs.KindOf(err) != errs.KindUnprocessable {
		t.Fatalf("got kind %v, want unprocessable (422)", errs.KindOf(err))
	}
	if got := h.getOrder(o2.ID()); got.Status() != order.Created {
		t.Fatalf("the other order became %s", got.Status())
	}
	// Still reused after the first order changes, and for an order that does not exist.
	if _, err := h.svc.CancelOrder(t.Context(), o1.ID()); err != nil {
		t.Fatal(err)
	}
	_, err = h.confirm(o2.ID(), "k")
	assertErrorIs(t, err, idempotency.ErrKeyReused)
	_, err = h.confirm(1<<62, "k")
	assertErrorIs(t, err, idempotency.ErrKeyReused)
}

// testIdemFailuresStoreNothing: a confirmation that fails (unknown or CANCELED order) keeps
// no key: the same key then works on another order.
func testIdemFailuresStoreNothing(t *testing.T, h *ordersHarness) {
	p := h.product(100, 5)
	canceled := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	if _, err := h.svc.CancelOrder(t.Context(), canceled.ID()); err != nil {
		t.Fatal(err)
	}
	_, err := h.confirm(canceled.ID(), "k")
	assertErrorIs(t, err, order.ErrInvalidState)
	if errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("got kind %v, want conflict (409)", errs.KindOf(err))
	}
	_, err = h.confirm(1<<62, "k")
	assertErrorIs(t, err, order.ErrNotFound)
	_, err = h.svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: canceled.ID(), Encode: h.encoder(200)})
	assertErrorIs(t, err, idempotency.ErrKeyRequired)
	o := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	out := h.mustConfirm(o.ID(), "k")
	if out.Replayed || out.Order.Status() != order.Confirmed {
		t.Fatalf("got %+v, want a first confirmation", out)
	}
}

func testIdemFailedAttempt(t *testing.T, h *ordersHarness) {
	p := h.product(100, 5)
	o := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	_, err := h.svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: o.ID(), Key: h.key("k"), Encode: failingEncoder})
	if err == nil {
		t.Fatal("a failing encoder did not fail the confirmation")
	}
	assertSameOrder(t, h.getOrder(o.ID()), o) // still CREATED: the change rolled back with the key
	out := h.mustConfirm(o.ID(), "k")
	if out.Replayed || out.Order.Status() != order.Confirmed {
		t.Fatalf("retry after a failure: got %+v, want a first run", out)
	}
	assertSameResponse(t, h.mustConfirm(o.ID(), "k").Response, out.Response)

	// The same for a keyed creation: no order, no stock taken, then a clean retry.
	lines := []order.Line{{ProductID: p.ID(), Qty: 2}}
	_, err = h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: h.customer, Lines: lines, Key: h.key("c"), Encode: failingEncoder})
	if err == nil {
		t.Fatal("a failing encoder did not fail the creation")
	}
	h.assertStock(p.ID(), 4)
	if got := len(h.customerOrders(orders.OrderFilter{})); got != 1 {
		t.Fatalf("got %d orders, want 1", got)
	}
	created, err := h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: h.customer, Lines: lines, Key: h.key("c"), Encode: h.encoder(201)})
	if err != nil || created.Replayed || created.Order == nil {
		t.Fatalf("retry of the creation: got %+v, %v", created, err)
	}
	h.assertStock(p.ID(), 2)
}

// testIdemConcurrentConfirm: 50 goroutines confirm one order with one key. Exactly one runs
// the change; every other gets the identical stored bytes or idempotency_key_in_progress.
func testIdemConcurrentConfirm(t *testing.T, h *ordersHarness) {
	p := h.product(100, 5)
	o := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	const n = 50
	type result struct {
		out orders.Outcome
		err error
	}
	results := make(chan result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			out, err := h.confirm(o.ID(), "k")
			results <- result{out, err}
		})
	}
	close(start)
	wg.Wait()
	close(results)
	var outs []orders.Outcome
	var race []raced
	for r := range results {
		outs = append(outs, r.out)
		race = append(race, raced{first: !r.out.Replayed, resp: r.out.Response, err: r.err})
	}
	first := outs[oneFirst(t, race)]
	assertSameOrder(t, h.getOrder(o.ID()), first.Order)
	assertSameResponse(t, h.mustConfirm(o.ID(), "k").Response, first.Response)
}

// testIdemConcurrentManyKeys: many keys at once on one order: one transition, every answer
// shows the same confirmed_at.
func testIdemConcurrentManyKeys(t *testing.T, h *ordersHarness) {
	p := h.product(100, 5)
	o := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	const n = 20
	outs := make(chan orders.Outcome, n)
	errc := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			h.clock.Advance(time.Millisecond)
			out, err := h.confirm(o.ID(), "k"+strings.Repeat("x", i))
			if err != nil {
				errc <- err
				return
			}
			outs <- out
		})
	}
	wg.Wait()
	close(outs)
	close(errc)
	for err := range errc {
		t.Fatalf("concurrent confirm with distinct keys: %v", err)
	}
	stored := h.getOrder(o.ID())
	for out := range outs {
		assertSameOrder(t, out.Order, stored)
	}
}

func testIdemCreate(t *testing.T, h *ordersHarness) {
	a, b := h.product(100, 10), h.product(7, 10)
	create := func(customerID int64, key string, lines ...order.Line) (orders.Outcome, error) {
		return h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: customerID, Lines: lines, Key: h.key(key), Encode: h.encoder(201)})
	}
	first, err := create(h.customer, "k", order.Line{ProductID: a.ID(), Qty: 2}, order.Line{ProductID: b.ID(), Qty: 1})
	if err != nil || first.Replayed || first.Order == nil || first.Response.Status != 201 {
		t.Fatalf("first keyed creation: got %+v, %v", first, err)
	}
	// The same request, its lines in another order and split differently: a replay.
	again, err := create(h.customer, "k", order.Line{ProductID: b.ID(), Qty: 1}, order.Line{ProductID: a.ID(), Qty: 1},
		order.Line{ProductID: a.ID(), Qty: 1})
	if err != nil || !again.Replayed {
		t.Fatalf("same body again: got %+v, %v, want a replay", again, err)
	}
	assertSameResponse(t, again.Response, first.Response)
	h.assertStock(a.ID(), 8)
	h.assertStock(b.ID(), 9)
	if got := len(h.customerOrders(orders.OrderFilter{})); got != 1 {
		t.Fatalf("got %d orders, want 1", got)
	}
	// Another body with the same key: reused, nothing written.
	for _, lines := range [][]order.Line{
		{{ProductID: a.ID(), Qty: 3}, {ProductID: b.ID(), Qty: 1}},
		{{ProductID: a.ID(), Qty: 2}},
	} {
		_, err = create(h.customer, "k", lines...)
		assertErrorIs(t, err, idempotency.ErrKeyReused)
	}
	_, err = create(h.newCust(t), "k", order.Line{ProductID: a.ID(), Qty: 2}, order.Line{ProductID: b.ID(), Qty: 1})
	assertErrorIs(t, err, idempotency.ErrKeyReused)
	h.assertStock(a.ID(), 8)
	// A keyed creation that fails on stock stores nothing: the key then works.
	_, err = create(h.customer, "k2", order.Line{ProductID: a.ID(), Qty: 9})
	assertErrorIs(t, err, order.ErrInsufficientStock)
	out, err := create(h.customer, "k2", order.Line{ProductID: a.ID(), Qty: 8})
	if err != nil || out.Replayed {
		t.Fatalf("key after a failed creation: got %+v, %v", out, err)
	}
	h.assertStock(a.ID(), 0)
}

func testIdemConcurrentCreate(t *testing.T, h *ordersHarness) {
	p := h.product(100, 100)
	const n = 30
	type result struct {
		out orders.Outcome
		err error
	}
	results := make(chan result, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			out, err := h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: h.customer,
				Lines: []order.Line{{ProductID: p.ID(), Qty: 3}}, Key: h.key("k"), Encode: h.encoder(201)})
			results <- result{out, err}
		})
	}
	wg.Wait()
	close(results)
	var outs []orders.Outcome
	var race []raced
	for r := range results {
		outs = append(outs, r.out)
		race = append(race, raced{first: !r.out.Replayed, resp: r.out.Response, err: r.err})
	}
	first := outs[oneFirst(t, race)]
	h.assertStock(p.ID(), 97)
	if got := orderIDs(h.customerOrders(orders.OrderFilter{})); !slices.Equal(got, []int64{first.Order.ID()}) {
		t.Fatalf("got orders %v, want only %d", got, first.Order.ID())
	}
}

func testIdemScopedByOperation(t *testing.T, h *ordersHarness) {
	p := h.product(100, 10)
	created, err := h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: h.customer,
		Lines: []order.Line{{ProductID: p.ID(), Qty: 1}}, Key: h.key("same"), Encode: h.encoder(201)})
	if err != nil {
		t.Fatal(err)
	}
	out := h.mustConfirm(created.Order.ID(), "same")
	if out.Replayed || out.Order.Status() != order.Confirmed {
		t.Fatalf("confirm with the creation's key: got %+v, want a first run", out)
	}
}

func testIdemExpiredKey(t *testing.T, h *ordersHarness) {
	p := h.product(100, 10)
	o1 := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	o2 := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	first := h.mustConfirm(o1.ID(), "k")
	h.clock.Advance(ordersKeyTTL - time.Millisecond)
	_, err := h.confirm(o2.ID(), "k")
	assertErrorIs(t, err, idempotency.ErrKeyReused) // not expired yet
	assertSameResponse(t, h.mustConfirm(o1.ID(), "k").Response, first.Response)
	h.clock.Advance(time.Millisecond)
	// Expired, not purged: treated as absent.
	out := h.mustConfirm(o2.ID(), "k")
	if out.Replayed || out.Order.ID() != o2.ID() || out.Order.Status() != order.Confirmed {
		t.Fatalf("expired key on another order: got %+v, want a first run", out)
	}
	assertSameResponse(t, h.mustConfirm(o2.ID(), "k").Response, out.Response)
	_, err = h.confirm(o1.ID(), "k")
	assertErrorIs(t, err, idempotency.ErrKeyReused)
}

// reserved reports whether a live record holds key for op, without leaving anything behind.
func (h *ordersHarness) reserved(op idempotency.Operation, key string) bool {
	h.t.Helper()
	errProbe := errors.New("probe")
	held := false
	err := h.store.Transact(h.t.Context(), func(ctx context.Context, r orders.Repos) error {
		rec := idempotency.NewRecord(op, h.key(key), "probe", idempotency.Fingerprint("probe"), h.clock.Now(), ordersKeyTTL)
		existing, err := r.Idempotency.Reserve(ctx, rec)
		if err != nil {
			return err
		}
		held = existing != nil
		return errProbe // roll the probe back
	})
	if !errors.Is(err, errProbe) {
		h.t.Fatalf("probe of key %s: %v", key, err)
	}
	return held
}

func testIdemPurge(t *testing.T, h *ordersHarness) {
	p := h.product(100, 10)
	o := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	h.mustConfirm(o.ID(), "old")
	h.clock.Advance(time.Hour)
	h.mustConfirm(o.ID(), "young")
	h.clock.Advance(ordersKeyTTL - time.Hour - time.Microsecond)
	n, err := h.svc.PurgeExpiredKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !h.reserved(idempotency.OpConfirmOrder, "old") || !h.reserved(idempotency.OpConfirmOrder, "young") {
		t.Fatalf("purge before expiry removed a live key (purged %d)", n)
	}
	h.clock.Advance(time.Microsecond) // "old" expires exactly now
	n, err = h.svc.PurgeExpiredKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n < 1 {
		t.Fatalf("purged %d keys, want at least 1", n)
	}
	if !h.reserved(idempotency.OpConfirmOrder, "young") {
		t.Fatal("purge removed a key that has not expired")
	}
	// "old" is gone: a probe finds nothing, and the key may be used afresh on another order.
	o2 := h.createOrder(order.Line{ProductID: p.ID(), Qty: 1})
	out := h.mustConfirm(o2.ID(), "old")
	if out.Replayed {
		t.Fatal("a purged key was replayed")
	}
}

func testIdemStorePort(t *testing.T, h *ordersHarness) {
	now := h.clock.Now()
	key := h.key("port")
	body := bytes.Repeat([]byte("{\"x\":\"\u00e9\"}\n"), 6000) // > 64 KiB: more than a BLOB holds
	rec := idempotency.NewRecord(idempotency.OpConfirmOrder, key, "42", idempotency.Fingerprint("a"), now, ordersKeyTTL)
	// A reservation rolled back leaves the key free.
	boom := errors.New("boom")
	err := h.store.Transact(t.Context(), func(ctx context.Context, r orders.Repos) error {
		existing, err := r.Idempotency.Reserve(ctx, rec)
		if err != nil || existing != nil {
			t.Errorf("Reserve of a free key: got %v, %v", existing, err)
		}
		return boom
	})
	assertErrorIs(t, err, boom)
	err = h.store.Transact(t.Context(), func(ctx context.Context, r orders.Repos) error {
		existing, err := r.Idempotency.Reserve(ctx, rec)
		if err != nil {
			return err
		}
		if existing != nil {
			t.Errorf("Reserve after a rollback found %v, want the key free", existing)
		}
		rec.Complete(42, idempotency.Response{Status: 201, Body: body})
		return r.Idempotency.Complete(ctx, rec)
	})
	if err != nil {
		t.Fatalf("reserve and complete: %v", err)
	}
	h.clock.Advance(time.Second)
	// An adapter may claim optimistically: Reserve then answers (nil, nil) and the unit runs
	// again once the claim turns out to be taken. What counts is the last run's answer.
	var existing *idempotency.Record
	err = h.store.Transact(t.Context(), func(ctx context.Context, r orders.Repos) error {
		probe := idempotency.NewRecord(idempotency.OpConfirmOrder, key, "43", idempotency.Fingerprint("b"), h.clock.Now(), ordersKeyTTL)
		var err error
		existing, err = r.Idempotency.Reserve(ctx, probe)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if existing == nil {
		t.Fatal("Reserve of a held key found nothing")
	}
	// Every field of the snapshot is compared (describeSnapshot walks them all), so a field a
	// store forgets to keep fails here.
	if got, want := describeSnapshot(existing.Snapshot()), describeSnapshot(rec.Snapshot()); got != want {
		t.Errorf("got record %s,\nwant %s", got, want)
	}
	if existing.OrderID() != 42 {
		t.Errorf("got order id %d, want 42", existing.OrderID())
	}
	if existing.Matches("43", idempotency.Fingerprint("b")) || !existing.Matches("42", idempotency.Fingerprint("a")) {
		t.Error("Matches is wrong")
	}
	// The same key under another operation is another record.
	if h.reserved(idempotency.OpCreateOrder, "port") {
		t.Fatal("a confirm key is held for creation too")
	}

	// Find reads the committed record outside any transaction, and nothing else.
	repos := h.store.Repos()
	found, err := repos.Idempotency.Find(t.Context(), idempotency.OpConfirmOrder, key, h.clock.Now())
	if err != nil || found == nil || found.Target() != "42" || found.Fingerprint() != idempotency.Fingerprint("a") {
		t.Fatalf("Find of a completed key: got %v, %v, want the record", found, err)
	}
	assertSameResponse(t, found.Response(), idempotency.Response{Status: 201, Body: body})
	for name, probe := range map[string]struct {
		op  idempotency.Operation
		key idempotency.Key
		at  time.Time
	}{
		"another operation": {idempotency.OpCreateOrder, key, h.clock.Now()},
		"another key":       {idempotency.OpConfirmOrder, h.key("port-other"), h.clock.Now()},
		"expired":           {idempotency.OpConfirmOrder, key, rec.ExpiresAt()},
	} {
		got, err := repos.Idempotency.Find(t.Context(), probe.op, probe.key, probe.at)
		if err != nil || got != nil {
			t.Errorf("Find, %s: got %v, %v, want nil, nil", name, got, err)
		}
	}
}

// testIdemCreateReplayWithoutCustomer: a completed keyed creation replays its stored answer
// before the customer is checked, so it stands once the customer is deleted or the directory
// is down; any other request with that key still meets the customer check first, as before.
func testIdemCreateReplayWithoutCustomer(t *testing.T, h *ordersHarness) {
	p := h.product(100, 10)
	create := func(key string, qty int) (orders.Outcome, error) {
		return h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: h.customer,
			Lines: []order.Line{{ProductID: p.ID(), Qty: qty}}, Key: h.key(key), Encode: h.encoder(201)})
	}
	first, err := create("k", 2)
	if err != nil || first.Replayed {
		t.Fatalf("first keyed creation: got %+v, %v", first, err)
	}
	for _, cause := range []error{
		fmt.Errorf("customer %d: %w", h.customer, customer.ErrNotFound), // deleted since
		errs.New(httperr.KindBadGateway, "bad_gateway", "customers-api could not be reached"),
	} {
		h.customers.fail(cause)
		calls := h.customers.count()
		again, err := create("k", 2)
		if err != nil || !again.Replayed {
			t.Fatalf("same key after %q: got %+v, %v, want the replay", cause, again, err)
		}
		assertSameResponse(t, again.Response, first.Response)
		if h.customers.count() != calls {
			t.Fatalf("same key after %q: the replay asked the customer directory", cause)
		}
		// Another body with the key, or a new key, still meets the customer check.
		want := order.ErrCustomerNotFound
		if !errors.Is(cause, customer.ErrNotFound) {
			want = order.ErrCustomersUnavailable
		}
		_, err = create("k", 3)
		assertErrorIs(t, err, want)
		_, err = create("k-new", 1)
		assertErrorIs(t, err, want)
	}
	h.assertStock(p.ID(), 8)
	if got := len(h.customerOrders(orders.OrderFilter{})); got != 1 {
		t.Fatalf("got %d orders, want 1", got)
	}
	// Once the directory answers again, another body with the key is reused, as before.
	h.customers.fail(nil)
	_, err = create("k", 3)
	assertErrorIs(t, err, idempotency.ErrKeyReused)
}

func (h *ordersHarness) answer(fingerprint, body string) orders.Answer {
	return orders.Answer{Fingerprint: idempotency.Fingerprint(fingerprint), Response: idempotency.Response{Status: 201, Body: []byte(body)}}
}

// testIdemAnswerStoredOnce: the orchestrator's answer is stored once per key, read back byte
// for byte, refused for another request, and gone once the key expires.
func testIdemAnswerStoredOnce(t *testing.T, h *ordersHarness) {
	key := h.key("answer")
	_, err := h.svc.GetAnswer(t.Context(), key)
	assertErrorIs(t, err, idempotency.ErrNotFound)
	first := h.answer("req-1", "{\"success\":true,\"note\":\"r\u00e9ponse \u2713\"}\n")
	stored, created, err := h.svc.StoreAnswer(t.Context(), key, first)
	if err != nil || !created {
		t.Fatalf("first StoreAnswer: got created %v, %v", created, err)
	}
	if stored.Fingerprint != first.Fingerprint {
		t.Fatalf("got fingerprint %s, want %s", stored.Fingerprint, first.Fingerprint)
	}
	assertSameResponse(t, stored.Response, first.Response)
	// The same request again, even with another body: the first answer stays and comes back.
	h.clock.Advance(time.Minute)
	again, created, err := h.svc.StoreAnswer(t.Context(), key, h.answer("req-1", `{"success":true,"other":1}`))
	if err != nil || created {
		t.Fatalf("StoreAnswer again: got created %v, %v, want the stored answer", created, err)
	}
	assertSameResponse(t, again.Response, first.Response)
	got, err := h.svc.GetAnswer(t.Context(), key)
	if err != nil || got.Fingerprint != first.Fingerprint {
		t.Fatalf("GetAnswer: got %+v, %v", got, err)
	}
	assertSameResponse(t, got.Response, first.Response)
	// Another request with the key: reused, nothing changes.
	_, _, err = h.svc.StoreAnswer(t.Context(), key, h.answer("req-2", `{"success":true}`))
	assertErrorIs(t, err, idempotency.ErrKeyReused)
	got, _ = h.svc.GetAnswer(t.Context(), key)
	assertSameResponse(t, got.Response, first.Response)
	// Scoped by operation: the key is free for creation and confirmation.
	if h.reserved(idempotency.OpCreateOrder, "answer") || h.reserved(idempotency.OpConfirmOrder, "answer") {
		t.Fatal("an answer key is held for another operation")
	}
	// Invalid answers store nothing.
	for name, a := range map[string]orders.Answer{
		"fingerprint": {Fingerprint: "abc", Response: first.Response},
		"status":      {Fingerprint: first.Fingerprint, Response: idempotency.Response{Status: 404, Body: []byte("{}")}},
		"empty body":  {Fingerprint: first.Fingerprint, Response: idempotency.Response{Status: 201}},
	} {
		_, _, err := h.svc.StoreAnswer(t.Context(), h.key("answer-bad"), a)
		if errs.KindOf(err) != errs.KindInvalid {
			t.Errorf("invalid %s: got %v, want KindInvalid", name, err)
		}
	}
	_, err = h.svc.GetAnswer(t.Context(), h.key("answer-bad"))
	assertErrorIs(t, err, idempotency.ErrNotFound)
	// Expired: absent, and the key may be used afresh.
	h.clock.Advance(ordersKeyTTL - time.Minute)
	_, err = h.svc.GetAnswer(t.Context(), key)
	assertErrorIs(t, err, idempotency.ErrNotFound)
	fresh := h.answer("req-2", `{"success":true,"fresh":1}`)
	if _, created, err := h.svc.StoreAnswer(t.Context(), key, fresh); err != nil || !created {
		t.Fatalf("StoreAnswer on an expired key: got created %v, %v", created, err)
	}
	got, _ = h.svc.GetAnswer(t.Context(), key)
	assertSameResponse(t, got.Response, fresh.Response)
}

// testIdemConcurrentAnswers: many goroutines store answers of one request under one key, each
// with its own body: exactly one is stored, and every call gets that one back.
func testIdemConcurrentAnswers(t *testing.T, h *ordersHarness) {
	key := h.key("answer-race")
	const n = 30
	type result struct {
		stored  orders.Answer
		created bool
		err     error
	}
	results := make(chan result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			stored, created, err := h.svc.StoreAnswer(t.Context(), key, h.answer("req", fmt.Sprintf(`{"caller":%d}`, i)))
			results <- result{stored, created, err}
		})
	}
	close(start)
	wg.Wait()
	close(results)
	var race []raced
	for r := range results {
		race = append(race, raced{first: r.created, resp: r.stored.Response, err: r.err})
	}
	winner := race[oneFirst(t, race)]
	got, err := h.svc.GetAnswer(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	assertSameResponse(t, got.Response, winner.resp)
}

// raced is one call of a race on one key: whether it ran first (and stored its answer), the
// answer it got, and its error.
type raced struct {
	first bool
	resp  idempotency.Response
	err   error
}

// oneFirst checks a race on one key: exactly one call ran first, every other call got that
// call's answer byte for byte or idempotency_key_in_progress (409), and nothing else
// happened. It returns the index of the first call.
func oneFirst(t *testing.T, race []raced) int {
	t.Helper()
	first := -1
	for i, r := range race {
		switch {
		case r.err == nil && r.first:
			if first >= 0 {
				t.Fatalf("calls %d and %d both ran first, want exactly 1", first, i)
			}
			first = i
		case r.err == nil:
		case errors.Is(r.err, idempotency.ErrInProgress):
			if errs.KindOf(r.err) != errs.KindConflict {
				t.Errorf("in progress with kind %v, want conflict (409)", errs.KindOf(r.err))
			}
		default:
			t.Errorf("got error %v, want a replay or idempotency_key_in_progress", r.err)
		}
	}
	if first < 0 {
		t.Fatal("no call ran first, want exactly 1")
	}
	for _, r := range race {
		if r.err == nil {
			assertSameResponse(t, r.resp, race[first].resp)
		}
	}
	return first
}
