package orders_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// journal records, in order, the customer checks and the transactions the use cases run.
type journal struct {
	mu      sync.Mutex
	entries []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, s)
}

func (j *journal) take() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := j.entries
	j.entries = nil
	return out
}

// journaledStore is the memory store, noting every transaction.
type journaledStore struct {
	*memory.OrdersStore
	j *journal
}

func (s journaledStore) Transact(ctx context.Context, fn func(ctx context.Context, r orders.Repos) error) error {
	s.j.add("transact")
	return s.OrdersStore.Transact(ctx, fn)
}

// customers is the hand fake of the customer directory.
type customers struct {
	j   *journal
	err map[int64]error
}

func (c customers) CheckCustomer(_ context.Context, id int64) error {
	c.j.add(fmt.Sprintf("check %d", id))
	return c.err[id]
}

type fixture struct {
	svc   *orders.Service
	store *memory.OrdersStore
	j     *journal
	now   time.Time
}

func newFixture(t *testing.T, unknown map[int64]error) *fixture {
	t.Helper()
	f := &fixture{store: memory.NewOrdersStore(), j: &journal{}, now: t0}
	f.svc = orders.NewService(journaledStore{f.store, f.j}, customers{f.j, unknown},
		orders.Config{CancelWindow: 10 * time.Minute, IdempotencyTTL: time.Hour}, func() time.Time { return f.now })
	return f
}

func (f *fixture) product(t *testing.T, sku string, price int64, stock int) *product.Product {
	t.Helper()
	p, err := f.svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: sku, Name: sku, PriceCents: price, Stock: stock})
	if err != nil {
		t.Fatal(err)
	}
	f.j.take()
	return p
}

func encode(status int) orders.Encoder {
	return func(o *order.Order) (idempotency.Response, error) {
		return idempotency.Response{Status: status, Body: fmt.Appendf(nil, `{"data":{"id":%d,"status":%q}}`, o.ID(), o.Status())}, nil
	}
}

func key(t *testing.T, s string) idempotency.Key {
	t.Helper()
	k, err := idempotency.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// describe is what the HTTP layer will answer for err.
func describe(err error) (int, string, map[string]any) {
	status, d, _ := httperr.Describe(err)
	return status, d.Code, d.Details
}

func TestCustomerCheckedBeforeAnyTransaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[int64]error{
		2: fmt.Errorf("customers-api: %w", customer.ErrNotFound),
		3: errors.New("dial tcp: connection refused"),
		4: errs.New(errs.KindUnavailable, "upstream_timeout", "customers-api timed out"),
		5: errs.New(errs.KindInternal, "bad_gateway", "customers-api answered 500"),
	})
	p := f.product(t, "A", 100, 10)
	lines := []order.Line{{ProductID: p.ID(), Qty: 1}}

	if _, err := f.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1, Lines: lines}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.j.take(), []string{"check 1", "transact"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, c := range []struct {
		customer   int64
		wantStatus int
		wantCode   string
	}{
		{2, http.StatusUnprocessableEntity, "customer_not_found"},
		{3, http.StatusServiceUnavailable, "customers_unavailable"},
		{4, http.StatusServiceUnavailable, "customers_unavailable"},
		{5, http.StatusServiceUnavailable, "customers_unavailable"},
	} {
		_, err := f.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: c.customer, Lines: lines,
			Key: key(t, "k"), Encode: encode(201)})
		if status, code, _ := describe(err); status != c.wantStatus || code != c.wantCode {
			t.Errorf("customer %d: got %d %s (%v), want %d %s", c.customer, status, code, err, c.wantStatus, c.wantCode)
		}
		if got, want := f.j.take(), []string{fmt.Sprintf("check %d", c.customer)}; !slices.Equal(got, want) {
			t.Errorf("customer %d: got %v, want only the check, no transaction", c.customer, got)
		}
	}
	got, err := f.svc.GetProduct(t.Context(), p.ID())
	if err != nil || got.Stock() != 9 {
		t.Fatalf("got stock %d (%v), want 9: failed checks must write nothing", got.Stock(), err)
	}
	// The key was not kept by any failed attempt.
	out, err := f.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1, Lines: lines, Key: key(t, "k"), Encode: encode(201)})
	if err != nil || out.Replayed {
		t.Fatalf("got %+v %v, want a first run", out, err)
	}
}

func TestInvalidRequestsNeverReachTheDirectory(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	p := f.product(t, "A", 100, 10)
	for _, c := range []struct {
		name string
		cmd  orders.CreateOrder
	}{
		{"no customer", orders.CreateOrder{Lines: []order.Line{{ProductID: p.ID(), Qty: 1}}}},
		{"negative customer", orders.CreateOrder{CustomerID: -3, Lines: []order.Line{{ProductID: p.ID(), Qty: 1}}}},
		{"no lines", orders.CreateOrder{CustomerID: 1}},
		{"qty 0", orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: p.ID(), Qty: 0}}}},
		{"product 0", orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: 0, Qty: 1}}}},
	} {
		_, err := f.svc.CreateOrder(t.Context(), c.cmd)
		if status, code, _ := describe(err); status != http.StatusBadRequest || code != "invalid_request" {
			t.Errorf("%s: got %d %s (%v), want 400 invalid_request", c.name, status, code, err)
		}
		if got := f.j.take(); len(got) != 0 {
			t.Errorf("%s: got %v, want no check and no transaction", c.name, got)
		}
	}
	// A key without an encoder is a programming error, not a client's: internal.
	_, err := f.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: p.ID(), Qty: 1}}, Key: key(t, "k")})
	if status, _, _ := describe(err); status != http.StatusInternalServerError {
		t.Fatalf("got %d (%v), want 500", status, err)
	}
}

// TestErrorsReachTheClientAsTheContractSays checks each use case error through the one
// HTTP error table, wrapped as the use cases wrap them.
func TestErrorsReachTheClientAsTheContractSays(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	a := f.product(t, "A", 100, 1)
	ctx := t.Context()

	_, err := f.svc.CreateProduct(ctx, orders.CreateProduct{SKU: "A", Name: "dup", PriceCents: 1, Stock: 1})
	assertAnswer(t, "duplicate sku", err, 409, "sku_taken", nil)
	_, err = f.svc.CreateProduct(ctx, orders.CreateProduct{SKU: "", Name: "x", PriceCents: 1, Stock: 1})
	assertAnswer(t, "empty sku", err, 400, "invalid_request", nil)
	_, err = f.svc.GetProduct(ctx, 999)
	assertAnswer(t, "unknown product", err, 404, "product_not_found", nil)
	_, err = f.svc.UpdateProduct(ctx, 999, product.Changes{})
	assertAnswer(t, "patch unknown product", err, 404, "product_not_found", nil)
	_, err = f.svc.UpdateProduct(ctx, a.ID(), product.Changes{})
	assertAnswer(t, "empty patch", err, 400, "invalid_request", nil)

	_, err = f.svc.CreateOrder(ctx, orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: 998, Qty: 1}, {ProductID: 999, Qty: 1}, {ProductID: a.ID(), Qty: 1}}})
	assertAnswer(t, "unknown products", err, 422, "product_not_found", map[string]any{"product_ids": []int64{998, 999}})
	_, err = f.svc.CreateOrder(ctx, orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: a.ID(), Qty: 2}}})
	assertAnswer(t, "insufficient stock", err, 409, "insufficient_stock",
		map[string]any{"items": []map[string]any{{"product_id": a.ID(), "requested": 2, "available": 1}}})
	_, err = f.svc.GetOrder(ctx, 999)
	assertAnswer(t, "unknown order", err, 404, "order_not_found", nil)
	_, err = f.svc.ConfirmOrder(ctx, orders.ConfirmOrder{OrderID: 999, Encode: encode(200)})
	assertAnswer(t, "no key", err, 400, "idempotency_key_required", nil)
	_, err = f.svc.ConfirmOrder(ctx, orders.ConfirmOrder{OrderID: 999, Key: key(t, "k"), Encode: encode(200)})
	assertAnswer(t, "confirm unknown order", err, 404, "order_not_found", nil)

	out, err := f.svc.CreateOrder(ctx, orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: a.ID(), Qty: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	id := out.Order.ID()
	if _, err := f.svc.ConfirmOrder(ctx, orders.ConfirmOrder{OrderID: id, Key: key(t, "k"), Encode: encode(200)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.ConfirmOrder(ctx, orders.ConfirmOrder{OrderID: id + 1, Key: key(t, "k"), Encode: encode(200)})
	assertAnswer(t, "key reused", err, 422, "idempotency_key_reused", nil)
	f.now = f.now.Add(11 * time.Minute)
	_, err = f.svc.CancelOrder(ctx, id)
	assertAnswer(t, "late cancel", err, 409, "cancel_window_expired", nil)

	_, err = f.svc.ListOrders(ctx, orders.ListOrders{Filter: orders.OrderFilter{CustomerID: -1}, Page: paging.Request{Limit: 20}})
	assertAnswer(t, "negative customer filter", err, 400, "invalid_request", nil)
	_, err = f.svc.ListOrders(ctx, orders.ListOrders{Page: paging.Request{Limit: 0}})
	assertAnswer(t, "page without a limit", err, 400, "invalid_request", nil)
	_, err = f.svc.ListProducts(ctx, orders.ListProducts{Page: paging.Request{Limit: 101}})
	assertAnswer(t, "page too large", err, 400, "invalid_request", nil)
}

func assertAnswer(t *testing.T, name string, err error, wantStatus int, wantCode string, wantDetails map[string]any) {
	t.Helper()
	status, code, details := describe(err)
	if status != wantStatus || code != wantCode {
		t.Errorf("%s: got %d %s (%v), want %d %s", name, status, code, err, wantStatus, wantCode)
		return
	}
	if wantDetails != nil && fmt.Sprint(details) != fmt.Sprint(wantDetails) {
		t.Errorf("%s: got details %v, want %v", name, details, wantDetails)
	}
}

func TestCancelRestoresEveryItem(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	a, b := f.product(t, "A", 100, 5), f.product(t, "B", 10, 5)
	out, err := f.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: b.ID(), Qty: 5}, {ProductID: a.ID(), Qty: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		o, err := f.svc.CancelOrder(t.Context(), out.Order.ID())
		if err != nil || o.Status() != order.Canceled {
			t.Fatalf("CancelOrder: %v", err)
		}
	}
	for _, c := range []struct {
		id   int64
		want int
	}{{a.ID(), 5}, {b.ID(), 5}} {
		p, err := f.svc.GetProduct(t.Context(), c.id)
		if err != nil || p.Stock() != c.want {
			t.Fatalf("product %d: got stock %d (%v), want %d", c.id, p.Stock(), err, c.want)
		}
	}
}

func TestCreateWithoutKeyEncodesAfterCommit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	a := f.product(t, "A", 100, 5)
	out, err := f.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: a.ID(), Qty: 1}}, Encode: encode(201)})
	if err != nil || out.Replayed || out.Response.Status != 201 || string(out.Response.Body) != fmt.Sprintf(`{"data":{"id":%d,"status":"CREATED"}}`, out.Order.ID()) {
		t.Fatalf("got %+v %v", out, err)
	}
	out, err = f.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: a.ID(), Qty: 1}}})
	if err != nil || out.Response.Status != 0 || out.Order == nil {
		t.Fatalf("without an encoder: got %+v %v", out, err)
	}
}

func TestPurgeExpiredKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	a := f.product(t, "A", 100, 5)
	out, err := f.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: a.ID(), Qty: 1}}, Key: key(t, "c"), Encode: encode(201)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: out.Order.ID(), Key: key(t, "k"), Encode: encode(200)}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.PurgeExpiredKeys(t.Context()); err != nil || n != 0 {
		t.Fatalf("purge before the TTL: got %d, %v, want 0", n, err)
	}
	f.now = f.now.Add(time.Hour)
	if n, err := f.svc.PurgeExpiredKeys(t.Context()); err != nil || n != 2 {
		t.Fatalf("purge at the TTL: got %d, %v, want 2", n, err)
	}
	if n, err := f.svc.PurgeExpiredKeys(t.Context()); err != nil || n != 0 {
		t.Fatalf("second purge: got %d, %v, want 0", n, err)
	}
}

// failingStore makes every unit of work fail the way an unreachable database does.
type failingStore struct{ *memory.OrdersStore }

var errDown = errs.New(errs.KindUnavailable, "database_unavailable", "the database is unavailable")

func (failingStore) Transact(context.Context, func(context.Context, orders.Repos) error) error {
	return fmt.Errorf("begin: %w", errDown)
}

func TestStoreFailureIsNotAClientError(t *testing.T) {
	t.Parallel()
	svc := orders.NewService(failingStore{memory.NewOrdersStore()}, customers{&journal{}, nil}, orders.Config{CancelWindow: time.Minute, IdempotencyTTL: time.Hour}, time.Now)
	_, err := svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: 1, Qty: 1}}})
	assertAnswer(t, "create", err, 503, "database_unavailable", nil)
	_, err = svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: 1, Key: key(t, "k"), Encode: encode(200)})
	assertAnswer(t, "confirm", err, 503, "database_unavailable", nil)
	_, err = svc.CancelOrder(t.Context(), 1)
	assertAnswer(t, "cancel", err, 503, "database_unavailable", nil)
}

func TestDefaultClockIsUTC(t *testing.T) {
	t.Parallel()
	svc := orders.NewService(memory.NewOrdersStore(), customers{&journal{}, nil}, orders.Config{}, time.Now)
	before := time.Now().Add(-time.Second)
	p, err := svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: "A", Name: "A", PriceCents: 1, Stock: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p.CreatedAt().Location() != time.UTC || p.CreatedAt().Before(before) || p.CreatedAt().After(time.Now().Add(time.Second)) {
		t.Fatalf("got created_at %v, want about now in UTC", p.CreatedAt())
	}
}

// unitStore is the memory store whose units journal what the use case tells them
// (Unit.LastCall) and the calls that must come after it or not at all: the order's Create,
// the key's Complete, and the end of the unit.
type unitStore struct {
	*memory.OrdersStore
	j *journal
}

type unitJournal struct{ j *journal }

func (u unitJournal) LastCall() { u.j.add("last call") }

type journaledOrders struct {
	orders.OrderRepository
	j *journal
}

func (r journaledOrders) Create(ctx context.Context, o *order.Order) (*order.Order, error) {
	r.j.add("create")
	return r.OrderRepository.Create(ctx, o)
}

type journaledKeys struct {
	orders.IdempotencyStore
	j *journal
}

func (r journaledKeys) Complete(ctx context.Context, rec *idempotency.Record) error {
	r.j.add("complete")
	return r.IdempotencyStore.Complete(ctx, rec)
}

func (s unitStore) Transact(ctx context.Context, fn func(ctx context.Context, r orders.Repos) error) error {
	return s.OrdersStore.Transact(ctx, func(ctx context.Context, r orders.Repos) error {
		r.Unit = unitJournal{s.j}
		r.Orders = journaledOrders{r.Orders, s.j}
		r.Idempotency = journaledKeys{r.Idempotency, s.j}
		err := fn(ctx, r)
		s.j.add("end")
		return err
	})
}

// TestCreateSaysWhichCallIsLast: a create without a key tells its unit that the order's
// Create is the last call, right before it, and ends the unit right after (an adapter
// commits with it); a keyed create never does, since the stored answer follows.
func TestCreateSaysWhichCallIsLast(t *testing.T) {
	t.Parallel()
	j := &journal{}
	svc := orders.NewService(unitStore{memory.NewOrdersStore(), j}, customers{&journal{}, nil},
		orders.Config{CancelWindow: time.Minute, IdempotencyTTL: time.Hour}, time.Now)
	p, err := svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: "L", Name: "L", PriceCents: 1, Stock: 5})
	if err != nil {
		t.Fatal(err)
	}
	j.take()
	lines := []order.Line{{ProductID: p.ID(), Qty: 1}}
	if _, err := svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1, Lines: lines}); err != nil {
		t.Fatal(err)
	}
	if got, want := j.take(), []string{"last call", "create", "end"}; !slices.Equal(got, want) {
		t.Errorf("create without a key: got %v, want %v", got, want)
	}
	if _, err := svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1, Lines: lines, Key: key(t, "k"), Encode: encode(201)}); err != nil {
		t.Fatal(err)
	}
	if got, want := j.take(), []string{"create", "complete", "end"}; !slices.Equal(got, want) {
		t.Errorf("keyed create: got %v, want %v", got, want)
	}
}
