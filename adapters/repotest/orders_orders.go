package repotest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
	"github.com/b2b-backoffice/backoffice/domain/timestamp"
)

// RunOrders runs the order contract: creation with stock reservation, reads, lists and
// cancellation, driven through the real orders use cases over the store newStore returns,
// including the concurrency rules with real goroutines. newCustomer makes a customer each
// test orders for.
func RunOrders(t *testing.T, newStore NewOrdersStore, newCustomer NewCustomerID) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, h *ordersHarness)
	}{
		{"CreateMergesCopiesPricesAndTakesStock", testOrderCreate},
		{"GetUnknown", testOrderGetUnknown},
		{"UnknownProductsWriteNothing", testOrderUnknownProducts},
		{"InsufficientStockWritesNothing", testOrderInsufficientStock},
		{"CustomerCheckFailureWritesNothing", testOrderCustomerCheck},
		{"ConcurrentOrdersNeverOversell", testOrderConcurrentStock},
		{"ConcurrentOppositeLineOrder", testOrderOppositeLines},
		{"ListFiltersAndPages", testOrderList},
		{"CancelCreatedRestoresStockOnce", testOrderCancelCreated},
		{"CancelConfirmedWithinWindow", testOrderCancelInWindow},
		{"CancelAfterWindow", testOrderCancelAfterWindow},
		{"CancelRefusedAtTheStockLimit", testOrderCancelAtStockLimit},
		{"ConcurrentCancelsRestoreOnce", testOrderConcurrentCancels},
		{"ConcurrentCancelAndOrders", testOrderCancelRacingOrders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newOrdersHarness(t, newStore(t), newCustomer, ordersOrigin))
		})
	}
}

func testOrderCreate(t *testing.T, h *ordersHarness) {
	a, b := h.product(129900, 10), h.product(250, 5)
	o := h.createOrder(order.Line{ProductID: b.ID(), Qty: 1}, order.Line{ProductID: a.ID(), Qty: 2},
		order.Line{ProductID: b.ID(), Qty: 2})
	if o.Status() != order.Created || o.CustomerID() != h.customer || o.TotalCents() != 2*129900+3*250 {
		t.Fatalf("got order %s", describeOrder(o))
	}
	if _, ok := o.ConfirmedAt(); ok {
		t.Fatal("a new order has confirmed_at")
	}
	if _, ok := o.CanceledAt(); ok {
		t.Fatal("a new order has canceled_at")
	}
	items := o.Items()
	if len(items) != 2 {
		t.Fatalf("got %d items, want 2 (lines of one product merged)", len(items))
	}
	wantItems := []struct {
		p   *product.Product
		qty int
	}{{a, 2}, {b, 3}}
	for i, w := range wantItems {
		it := items[i]
		if it.ProductID() != w.p.ID() || it.SKU() != w.p.SKU() || it.Name() != w.p.Name() || it.Qty() != w.qty ||
			it.UnitPriceCents() != w.p.PriceCents() || it.SubtotalCents() != w.p.PriceCents()*int64(w.qty) {
			t.Fatalf("item %d: got %s", i, describeOrder(o))
		}
	}
	h.assertStock(a.ID(), 8)
	h.assertStock(b.ID(), 2)
	assertSameOrder(t, h.getOrder(o.ID()), o)
	// Prices are copies: changing the product later does not change the order.
	if _, err := h.svc.UpdateProduct(t.Context(), a.ID(), product.Changes{PriceCents: refOf(int64(1)), Name: refOf("new name")}); err != nil {
		t.Fatal(err)
	}
	assertSameOrder(t, h.getOrder(o.ID()), o)
	// Stock exactly enough: the product may be sold out.
	h.createOrder(order.Line{ProductID: b.ID(), Qty: 2})
	h.assertStock(b.ID(), 0)
}

func testOrderGetUnknown(t *testing.T, h *ordersHarness) {
	_, err := h.svc.GetOrder(t.Context(), 1<<62)
	assertErrorIs(t, err, order.ErrNotFound)
	_, err = h.svc.CancelOrder(t.Context(), 1<<62)
	assertErrorIs(t, err, order.ErrNotFound)
}

func testOrderUnknownProducts(t *testing.T, h *ordersHarness) {
	a := h.product(100, 10)
	missing1, missing2 := int64(1<<62), int64(1<<62+1)
	_, err := h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: h.customer, Lines: []order.Line{
		{ProductID: missing2, Qty: 1}, {ProductID: a.ID(), Qty: 3}, {ProductID: missing1, Qty: 1},
	}})
	var unknown *order.UnknownProductsError
	if !errors.As(err, &unknown) {
		t.Fatalf("got error %v, want *order.UnknownProductsError", err)
	}
	if !slices.Equal(unknown.ProductIDs, []int64{missing1, missing2}) {
		t.Fatalf("got product ids %v, want %v", unknown.ProductIDs, []int64{missing1, missing2})
	}
	if errs.KindOf(err) != errs.KindUnprocessable {
		t.Fatalf("got kind %v, want unprocessable (422)", errs.KindOf(err))
	}
	h.assertStock(a.ID(), 10)
	if got := h.customerOrders(orders.OrderFilter{}); len(got) != 0 {
		t.Fatalf("got %d orders after a failed creation, want 0", len(got))
	}
}

func testOrderInsufficientStock(t *testing.T, h *ordersHarness) {
	a, b, c := h.product(100, 10), h.product(100, 2), h.product(100, 0)
	_, err := h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: h.customer, Lines: []order.Line{
		{ProductID: c.ID(), Qty: 1}, {ProductID: a.ID(), Qty: 10}, {ProductID: b.ID(), Qty: 2}, {ProductID: b.ID(), Qty: 1},
	}})
	var short *order.InsufficientStockError
	if !errors.As(err, &short) {
		t.Fatalf("got error %v, want *order.InsufficientStockError", err)
	}
	want := []order.Shortage{{ProductID: b.ID(), Requested: 3, Available: 2}, {ProductID: c.ID(), Requested: 1, Available: 0}}
	if !slices.Equal(short.Items, want) {
		t.Fatalf("got shortages %+v, want %+v", short.Items, want)
	}
	assertErrorIs(t, err, order.ErrInsufficientStock)
	h.assertStock(a.ID(), 10)
	h.assertStock(b.ID(), 2)
	if got := h.customerOrders(orders.OrderFilter{}); len(got) != 0 {
		t.Fatalf("got %d orders after a failed creation, want 0", len(got))
	}
}

func testOrderCustomerCheck(t *testing.T, h *ordersHarness) {
	a := h.product(100, 10)
	lines := []order.Line{{ProductID: a.ID(), Qty: 1}}
	for _, c := range []struct {
		cause error
		want  error
	}{
		{fmt.Errorf("customers-api said 404: %w", customer.ErrNotFound), order.ErrCustomerNotFound},
		{errors.New("connection refused"), order.ErrCustomersUnavailable},
		{errs.New(httperr.KindTimeout, "upstream_timeout", "timeout"), order.ErrCustomersUnavailable},
	} {
		h.customers.fail(c.cause)
		_, err := h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: h.customer, Lines: lines,
			Key: h.key("customer-check"), Encode: h.encoder(201)})
		assertErrorIs(t, err, c.want)
		var coded errs.Coded
		if !errors.As(err, &coded) || coded.Code() != c.want.(errs.Coded).Code() {
			t.Fatalf("got code of %v, want %s", err, c.want.(errs.Coded).Code())
		}
	}
	h.assertStock(a.ID(), 10)
	h.customers.fail(nil)
	if got := h.customerOrders(orders.OrderFilter{}); len(got) != 0 {
		t.Fatalf("got %d orders after failed checks, want 0", len(got))
	}
	// Nothing was written, not even the key: it runs anew now that the customer is known.
	out, err := h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: h.customer, Lines: lines,
		Key: h.key("customer-check"), Encode: h.encoder(201)})
	if err != nil || out.Replayed || out.Order == nil {
		t.Fatalf("got %+v, %v, want a first run", out, err)
	}
	h.assertStock(a.ID(), 9)
}

// testOrderConcurrentStock: 100 goroutines order one unit each of a product with stock 10.
func testOrderConcurrentStock(t *testing.T, h *ordersHarness) {
	p := h.product(100, 10)
	const n = 100
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: h.customer,
				Lines: []order.Line{{ProductID: p.ID(), Qty: 1}}})
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	ok := countWins(t, errc, order.ErrInsufficientStock)
	if ok != 10 {
		t.Fatalf("got %d orders, want exactly 10", ok)
	}
	h.assertStock(p.ID(), 0)
	if got := h.customerOrders(orders.OrderFilter{}); len(got) != 10 {
		t.Fatalf("got %d stored orders, want 10", len(got))
	}
}

// testOrderOppositeLines: orders naming two products in opposite line order never deadlock
// into an error; every unit sold is in exactly one order.
func testOrderOppositeLines(t *testing.T, h *ordersHarness) {
	a, b := h.product(100, 30), h.product(100, 30)
	const n = 60
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		lines := []order.Line{{ProductID: a.ID(), Qty: 1}, {ProductID: b.ID(), Qty: 1}}
		if i%2 == 1 {
			lines[0], lines[1] = lines[1], lines[0]
		}
		wg.Go(func() {
			_, err := h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: h.customer, Lines: lines})
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	ok := countWins(t, errc, order.ErrInsufficientStock)
	if ok != 30 {
		t.Fatalf("got %d orders, want 30", ok)
	}
	h.assertStock(a.ID(), 0)
	h.assertStock(b.ID(), 0)
	if got := h.customerOrders(orders.OrderFilter{}); len(got) != ok {
		t.Fatalf("got %d stored orders, want %d", len(got), ok)
	}
}

func testOrderList(t *testing.T, h *ordersHarness) {
	p := h.product(100, 100)
	line := order.Line{ProductID: p.ID(), Qty: 1}
	o1 := h.createOrder(line)
	h.clock.Advance(time.Hour)
	o2 := h.createOrder(line)
	h.clock.Advance(time.Hour)
	o3 := h.createOrder(line)
	h.clock.Advance(time.Hour)
	o4 := h.createOrder(line)
	if _, err := h.svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: o2.ID(), Key: h.key("c2"), Encode: h.encoder(200)}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.CancelOrder(t.Context(), o3.ID()); err != nil {
		t.Fatal(err)
	}
	ids := func(f orders.OrderFilter) []int64 { t.Helper(); return orderIDs(h.customerOrders(f)) }
	cases := []struct {
		name string
		f    orders.OrderFilter
		want []int64
	}{
		{"all, newest first", orders.OrderFilter{}, []int64{o4.ID(), o3.ID(), o2.ID(), o1.ID()}},
		{"created", orders.OrderFilter{Status: order.Created}, []int64{o4.ID(), o1.ID()}},
		{"confirmed", orders.OrderFilter{Status: order.Confirmed}, []int64{o2.ID()}},
		{"canceled", orders.OrderFilter{Status: order.Canceled}, []int64{o3.ID()}},
		{"from inclusive", orders.OrderFilter{From: o2.CreatedAt()}, []int64{o4.ID(), o3.ID(), o2.ID()}},
		{"to inclusive", orders.OrderFilter{To: o2.CreatedAt()}, []int64{o2.ID(), o1.ID()}},
		{"from = to", orders.OrderFilter{From: o3.CreatedAt(), To: o3.CreatedAt()}, []int64{o3.ID()}},
		{"just after", orders.OrderFilter{From: o3.CreatedAt().Add(time.Microsecond), To: o4.CreatedAt().Add(-time.Microsecond)}, nil},
		// Finer than the stored microsecond: from rounds up, to rounds down, on every store.
		{"from a nanosecond before", orders.OrderFilter{From: o3.CreatedAt().Add(-time.Nanosecond), To: o3.CreatedAt()}, []int64{o3.ID()}},
		{"from a nanosecond after", orders.OrderFilter{From: o3.CreatedAt().Add(time.Nanosecond), To: o3.CreatedAt().Add(time.Minute)}, nil},
		{"to a nanosecond after", orders.OrderFilter{From: o3.CreatedAt(), To: o3.CreatedAt().Add(999 * time.Nanosecond)}, []int64{o3.ID()}},
		{"to a nanosecond before", orders.OrderFilter{From: o3.CreatedAt().Add(-time.Minute), To: o3.CreatedAt().Add(-time.Nanosecond)}, nil},
		{"from after to", orders.OrderFilter{From: o4.CreatedAt(), To: o1.CreatedAt()}, nil},
		{"status and range", orders.OrderFilter{Status: order.Created, From: o1.CreatedAt().Add(time.Minute)}, []int64{o4.ID()}},
	}
	for _, c := range cases {
		if got := ids(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%s: got ids %v, want %v", c.name, got, c.want)
		}
	}
	// Lists carry the items.
	if got := h.customerOrders(orders.OrderFilter{Status: order.Confirmed}); len(got) != 1 || len(got[0].Items()) != 1 {
		t.Fatalf("got %d orders, want 1 with its item", len(got))
	} else {
		assertSameOrder(t, got[0], h.getOrder(o2.ID()))
	}
	// Another customer's orders are not listed for this one, and the other way round.
	other := h.newCust(t)
	theirs, err := h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: other, Lines: []order.Line{line}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(orders.OrderFilter{}); !slices.Equal(got, []int64{o4.ID(), o3.ID(), o2.ID(), o1.ID()}) {
		t.Fatalf("got ids %v after another customer ordered, want only this customer's", got)
	}
	mine := h.customer
	h.customer = other
	if got := ids(orders.OrderFilter{}); !slices.Equal(got, []int64{theirs.Order.ID()}) {
		t.Fatalf("got ids %v for the other customer, want %v", got, []int64{theirs.Order.ID()})
	}
	h.customer = mine
	// Keyset pages of 3, newest first.
	page := paging.Request{Limit: 3}
	p1, err := h.svc.ListOrders(t.Context(), orders.ListOrders{Filter: orders.OrderFilter{CustomerID: h.customer}, Page: page})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(orderIDs(p1.Items), []int64{o4.ID(), o3.ID(), o2.ID()}) || !p1.HasMore || p1.Next != o2.ID() {
		t.Fatalf("page 1: got %v has_more %v next %d", orderIDs(p1.Items), p1.HasMore, p1.Next)
	}
	page.After = p1.Next
	p2, err := h.svc.ListOrders(t.Context(), orders.ListOrders{Filter: orders.OrderFilter{CustomerID: h.customer}, Page: page})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(orderIDs(p2.Items), []int64{o1.ID()}) || p2.HasMore {
		t.Fatalf("page 2: got %v has_more %v", orderIDs(p2.Items), p2.HasMore)
	}
}

func testOrderCancelCreated(t *testing.T, h *ordersHarness) {
	a, b := h.product(100, 10), h.product(50, 10)
	o := h.createOrder(order.Line{ProductID: a.ID(), Qty: 3}, order.Line{ProductID: b.ID(), Qty: 4})
	h.clock.Advance(time.Hour) // a CREATED order has no window
	got, err := h.svc.CancelOrder(t.Context(), o.ID())
	if err != nil {
		t.Fatalf("CancelOrder: %v", err)
	}
	at, ok := got.CanceledAt()
	if got.Status() != order.Canceled || !ok || !at.Equal(timestamp.Of(h.clock.Now())) || !got.UpdatedAt().Equal(at) {
		t.Fatalf("got %s", describeOrder(got))
	}
	h.assertStock(a.ID(), 10)
	h.assertStock(b.ID(), 10)
	assertSameOrder(t, h.getOrder(o.ID()), got)
	h.clock.Advance(time.Minute)
	again, err := h.svc.CancelOrder(t.Context(), o.ID())
	if err != nil {
		t.Fatalf("second CancelOrder: %v", err)
	}
	assertSameOrder(t, again, got)
	h.assertStock(a.ID(), 10)
	h.assertStock(b.ID(), 10)
	// A canceled order cannot be confirmed.
	_, err = h.svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: o.ID(), Key: h.key("late"), Encode: h.encoder(200)})
	assertErrorIs(t, err, order.ErrInvalidState)
}

// testOrderCancelAtStockLimit: when giving an item's units back would raise its product's
// stock above product.MaxStock (the client set it near the maximum after ordering), the
// cancel is product.ErrStockLimit and changes nothing, not even the items restored before
// the one that does not fit.
func testOrderCancelAtStockLimit(t *testing.T, h *ordersHarness) {
	a, b := h.product(100, 10), h.product(50, 10)
	o := h.createOrder(order.Line{ProductID: a.ID(), Qty: 3}, order.Line{ProductID: b.ID(), Qty: 4})
	full := product.MaxStock - 3 // 4 units do not fit back
	if _, err := h.svc.UpdateProduct(t.Context(), b.ID(), product.Changes{Stock: &full}); err != nil {
		t.Fatalf("UpdateProduct: %v", err)
	}
	_, err := h.svc.CancelOrder(t.Context(), o.ID())
	assertErrorIs(t, err, product.ErrStockLimit)
	if errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("got kind %v, want conflict (409)", errs.KindOf(err))
	}
	h.assertStock(a.ID(), 7)
	h.assertStock(b.ID(), full)
	if got := h.getOrder(o.ID()); got.Status() != order.Created {
		t.Fatalf("got %s after the refused cancel, want it CREATED", describeOrder(got))
	}
	lower := 100
	if _, err := h.svc.UpdateProduct(t.Context(), b.ID(), product.Changes{Stock: &lower}); err != nil {
		t.Fatalf("UpdateProduct: %v", err)
	}
	if _, err := h.svc.CancelOrder(t.Context(), o.ID()); err != nil {
		t.Fatalf("CancelOrder once the stock is lower: %v", err)
	}
	h.assertStock(a.ID(), 10)
	h.assertStock(b.ID(), 104)
}

func testOrderCancelInWindow(t *testing.T, h *ordersHarness) {
	a := h.product(100, 5)
	o := h.createOrder(order.Line{ProductID: a.ID(), Qty: 5})
	h.assertStock(a.ID(), 0)
	if _, err := h.svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: o.ID(), Key: h.key("c"), Encode: h.encoder(200)}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(ordersCancelWindow) // exactly at the end of the window: still allowed
	got, err := h.svc.CancelOrder(t.Context(), o.ID())
	if err != nil {
		t.Fatalf("CancelOrder at the end of the window: %v", err)
	}
	if got.Status() != order.Canceled {
		t.Fatalf("got %s", describeOrder(got))
	}
	if _, ok := got.ConfirmedAt(); !ok {
		t.Fatal("canceling erased confirmed_at")
	}
	h.assertStock(a.ID(), 5)
	h.clock.Advance(time.Hour)
	if _, err := h.svc.CancelOrder(t.Context(), o.ID()); err != nil {
		t.Fatalf("canceling a CANCELED order after the window: %v", err)
	}
	h.assertStock(a.ID(), 5)
}

func testOrderCancelAfterWindow(t *testing.T, h *ordersHarness) {
	a := h.product(100, 5)
	o := h.createOrder(order.Line{ProductID: a.ID(), Qty: 2})
	out, err := h.svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: o.ID(), Key: h.key("c"), Encode: h.encoder(200)})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(ordersCancelWindow + time.Microsecond)
	_, err = h.svc.CancelOrder(t.Context(), o.ID())
	assertErrorIs(t, err, order.ErrCancelWindowExpired)
	if errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("got kind %v, want conflict", errs.KindOf(err))
	}
	assertSameOrder(t, h.getOrder(o.ID()), out.Order)
	h.assertStock(a.ID(), 3)
}

func testOrderConcurrentCancels(t *testing.T, h *ordersHarness) {
	a, b := h.product(100, 10), h.product(100, 10)
	o1 := h.createOrder(order.Line{ProductID: a.ID(), Qty: 4}, order.Line{ProductID: b.ID(), Qty: 1})
	o2 := h.createOrder(order.Line{ProductID: a.ID(), Qty: 2}, order.Line{ProductID: b.ID(), Qty: 2})
	if _, err := h.svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: o2.ID(), Key: h.key("c"), Encode: h.encoder(200)}); err != nil {
		t.Fatal(err)
	}
	const n = 30
	var wg sync.WaitGroup
	errc := make(chan error, 2*n)
	for i := range 2 * n {
		id := o1.ID()
		if i%2 == 1 {
			id = o2.ID()
		}
		wg.Go(func() {
			o, err := h.svc.CancelOrder(t.Context(), id)
			if err == nil && o.Status() != order.Canceled {
				err = fmt.Errorf("order %d is %s after cancel", id, o.Status())
			}
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("concurrent CancelOrder: %v", err)
		}
	}
	h.assertStock(a.ID(), 10)
	h.assertStock(b.ID(), 10)
}

// testOrderCancelRacingOrders: cancellations (product locks after the order's) and new
// orders (product locks only) on the same products at once: no error but insufficient
// stock, and the stock always adds up.
func testOrderCancelRacingOrders(t *testing.T, h *ordersHarness) {
	a, b := h.product(100, 40), h.product(100, 40)
	var placed []*order.Order
	for range 20 {
		placed = append(placed, h.createOrder(order.Line{ProductID: b.ID(), Qty: 1}, order.Line{ProductID: a.ID(), Qty: 1}))
	}
	var wg sync.WaitGroup
	errc := make(chan error, 80)
	var mu sync.Mutex
	created := 0
	for _, o := range placed {
		wg.Go(func() {
			_, err := h.svc.CancelOrder(t.Context(), o.ID())
			errc <- err
		})
	}
	for i := range 60 {
		lines := []order.Line{{ProductID: a.ID(), Qty: 1}, {ProductID: b.ID(), Qty: 1}}
		if i%2 == 0 {
			lines[0], lines[1] = lines[1], lines[0]
		}
		wg.Go(func() {
			_, err := h.svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: h.customer, Lines: lines})
			if err == nil {
				mu.Lock()
				created++
				mu.Unlock()
			}
			if errors.Is(err, order.ErrInsufficientStock) {
				err = nil
			}
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("got error %v, want none but insufficient_stock", err)
		}
	}
	live := len(h.customerOrders(orders.OrderFilter{Status: order.Created}))
	if live != created {
		t.Fatalf("got %d live orders, want %d created", live, created)
	}
	h.assertStock(a.ID(), 40-live)
	h.assertStock(b.ID(), 40-live)
}
