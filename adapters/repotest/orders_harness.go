package repotest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// NewOrdersStore makes the store under test. It may return the same store (one shared MySQL
// database) to every test: each test uses products, customers and keys of its own.
type NewOrdersStore func(t *testing.T) orders.Store

// NewCustomerID returns the id of a fresh customer that may place orders. On MySQL it must be
// a real customers row (orders.customer_id is a foreign key); in memory any new positive id.
type NewCustomerID func(t *testing.T) int64

// Suite settings. The cancel window and TTL are short enough to cross by moving the clock.
const (
	ordersCancelWindow = 10 * time.Minute
	ordersKeyTTL       = 24 * time.Hour
)

// ordersOrigin is where each test's clock starts. Tests that purge keys start decades
// earlier (purgeOrigin) so that purging never removes a key another test, running in
// parallel on the same database, still uses.
var (
	ordersOrigin = time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.UTC)
	purgeOrigin  = time.Date(2001, 3, 4, 5, 6, 7, 890123000, time.UTC)
)

// suiteClock is a clock the test moves by hand.
type suiteClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *suiteClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *suiteClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *suiteClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// fakeCustomers is the hand fake of orders.CustomerChecker: every customer exists unless
// the test set an error.
type fakeCustomers struct {
	mu    sync.Mutex
	err   error
	calls int
}

func (f *fakeCustomers) CheckCustomer(_ context.Context, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.err
}

func (f *fakeCustomers) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *fakeCustomers) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// ordersHarness runs the real use cases over the store under test.
type ordersHarness struct {
	t         *testing.T
	store     orders.Store
	svc       *orders.Service
	clock     *suiteClock
	customers *fakeCustomers
	customer  int64 // a customer of this test
	newCust   NewCustomerID
	tok       string // unique per test: SKUs, search words and keys start with it
	products  atomic.Int64
	nonce     atomic.Int64
}

func newOrdersHarness(t *testing.T, store orders.Store, newCustomer NewCustomerID, origin time.Time) *ordersHarness {
	t.Helper()
	h := &ordersHarness{t: t, store: store, clock: &suiteClock{now: origin}, customers: &fakeCustomers{}, tok: ordersToken(t)}
	h.svc = h.service(0)
	if newCustomer != nil {
		h.newCust = newCustomer
		h.customer = newCustomer(t)
	}
	return h
}

// service returns the use cases over the harness's store, clock and customers, with new
// orders holding their stock for hold (0: no expiry).
func (h *ordersHarness) service(hold time.Duration) *orders.Service {
	return orders.NewService(h.store, h.customers, orders.Config{
		CancelWindow: ordersCancelWindow, IdempotencyTTL: ordersKeyTTL, HoldTTL: hold,
	}, h.clock.Now)
}

// ordersToken returns a random lower-case word for data that must not collide with other
// tests.
func ordersToken(t *testing.T) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "o" + hex.EncodeToString(b[:])
}

func (h *ordersHarness) key(name string) idempotency.Key {
	h.t.Helper()
	k, err := idempotency.ParseKey(h.tok + "-" + name)
	if err != nil {
		h.t.Fatalf("ParseKey: %v", err)
	}
	return k
}

// product creates a product with a unique SKU.
func (h *ordersHarness) product(priceCents int64, stock int) *product.Product {
	h.t.Helper()
	n := h.products.Add(1)
	p, err := h.svc.CreateProduct(h.t.Context(), orders.CreateProduct{
		SKU: h.tok + "-sku-" + strconv.FormatInt(n, 10), Name: "Product " + h.tok + " " + strconv.FormatInt(n, 10),
		PriceCents: priceCents, Stock: stock,
	})
	if err != nil {
		h.t.Fatalf("CreateProduct: %v", err)
	}
	return p
}

func (h *ordersHarness) stock(id int64) int {
	h.t.Helper()
	p, err := h.svc.GetProduct(h.t.Context(), id)
	if err != nil {
		h.t.Fatalf("GetProduct(%d): %v", id, err)
	}
	return p.Stock()
}

func (h *ordersHarness) assertStock(id int64, want int) {
	h.t.Helper()
	if got := h.stock(id); got != want {
		h.t.Fatalf("stock of product %d: got %d, want %d", id, got, want)
	}
}

// createOrder places an order for the test's customer without a key.
func (h *ordersHarness) createOrder(lines ...order.Line) *order.Order {
	h.t.Helper()
	out, err := h.svc.CreateOrder(h.t.Context(), orders.CreateOrder{CustomerID: h.customer, Lines: lines})
	if err != nil {
		h.t.Fatalf("CreateOrder(%v): %v", lines, err)
	}
	if out.Order == nil || out.Order.ID() <= 0 {
		h.t.Fatalf("CreateOrder returned no stored order: %+v", out)
	}
	return out.Order
}

func (h *ordersHarness) getOrder(id int64) *order.Order {
	h.t.Helper()
	o, err := h.svc.GetOrder(h.t.Context(), id)
	if err != nil {
		h.t.Fatalf("GetOrder(%d): %v", id, err)
	}
	return o
}

// customerOrders lists every order of the test's customer, newest first, across pages.
func (h *ordersHarness) customerOrders(f orders.OrderFilter) []*order.Order {
	h.t.Helper()
	f.CustomerID = h.customer
	var all []*order.Order
	page := paging.Request{Limit: paging.MaxLimit}
	for {
		p, err := h.svc.ListOrders(h.t.Context(), orders.ListOrders{Filter: f, Page: page})
		if err != nil {
			h.t.Fatalf("ListOrders: %v", err)
		}
		all = append(all, p.Items...)
		if !p.HasMore {
			return all
		}
		page.After = p.Next
	}
}

// encoder stands in for the HTTP layer's encoder. Every call writes a body no other call
// writes (a nonce), with non-ASCII bytes and a trailing newline, so that equal bodies prove
// a byte-for-byte replay of the first response.
func (h *ordersHarness) encoder(status int) orders.Encoder {
	return func(o *order.Order) (idempotency.Response, error) {
		n := h.nonce.Add(1)
		body := fmt.Sprintf("{\"data\":%s,\"nonce\":%d,\"note\":\"r\u00e9ponse \u2713\"}\n", describeOrder(o), n)
		return idempotency.Response{Status: status, Body: []byte(body)}, nil
	}
}

// failingEncoder fails after the key was reserved and the state changed: the whole request
// must roll back.
func failingEncoder(o *order.Order) (idempotency.Response, error) {
	return idempotency.Response{}, errors.New("encoder failed on purpose")
}

// describeOrder writes every field of the order's snapshot, by name: order.Snapshot is the
// one list of an order's fields, so a field added there is compared by every assertion
// here without changing this function. Times are RFC 3339, NULL is null.
func describeOrder(o *order.Order) string { return describeSnapshot(o.Snapshot()) }

// describeSnapshot writes every field of a snapshot (a struct of exported fields), nested
// structs and slices included, and for a value whose fields are unexported (an order.Item)
// every accessor. Comparing two descriptions compares every field, so a field added to a
// snapshot is compared without anyone listing it here.
func describeSnapshot(v any) string {
	var b strings.Builder
	describeValue(&b, reflect.ValueOf(v))
	return b.String()
}

func describeValue(b *strings.Builder, v reflect.Value) {
	switch x := v.Interface().(type) {
	case time.Time:
		b.WriteString(stamp(x))
		return
	case order.CancelReason:
		b.WriteString(cmp.Or(x.String(), "null"))
		return
	case []byte:
		fmt.Fprintf(b, "%q", x)
		return
	case fmt.Stringer:
		b.WriteString(x.String())
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		b.WriteString("{")
		n := 0
		field := func(name string, val reflect.Value) {
			if n > 0 {
				b.WriteString(" ")
			}
			n++
			b.WriteString(name + ":")
			describeValue(b, val)
		}
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				field(t.Field(i).Name, v.Field(i))
			}
		}
		if n == 0 {
			for i := range t.NumMethod() {
				if m := t.Method(i); m.Type.NumIn() == 1 && m.Type.NumOut() == 1 {
					field(m.Name, v.Method(i).Call(nil)[0])
				}
			}
		}
		b.WriteString("}")
	case reflect.Slice:
		b.WriteString("[")
		for i := range v.Len() {
			if i > 0 {
				b.WriteString(" ")
			}
			describeValue(b, v.Index(i))
		}
		b.WriteString("]")
	case reflect.String:
		fmt.Fprintf(b, "%q", v.String())
	default:
		fmt.Fprint(b, v.Interface())
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "null"
	}
	return t.Format(time.RFC3339Nano)
}

func assertSameOrder(t *testing.T, got, want *order.Order) {
	t.Helper()
	if g, w := describeOrder(got), describeOrder(want); g != w {
		t.Fatalf("got order %s,\nwant %s", g, w)
	}
}

func assertErrorIs(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func orderIDs(os []*order.Order) []int64 {
	out := make([]int64, len(os))
	for i, o := range os {
		out[i] = o.ID()
	}
	return out
}
