package order_test

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
	"github.com/b2b-backoffice/backoffice/domain/timestamp"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.UTC)

func catalogue(ps ...*product.Product) map[int64]*product.Product {
	m := map[int64]*product.Product{}
	for _, p := range ps {
		m[p.ID()] = p
	}
	return m
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want order.Status
		ok   bool
	}{
		{"CREATED", order.Created, true},
		{"CONFIRMED", order.Confirmed, true},
		{"CANCELED", order.Canceled, true},
		{"created", order.Status{}, false},
		{"CANCELLED", order.Status{}, false},
		{"", order.Status{}, false},
	} {
		got, err := order.ParseStatus(c.in)
		if c.ok != (err == nil) || got != c.want {
			t.Errorf("ParseStatus(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
		if !c.ok && errs.KindOf(err) != errs.KindInvalid {
			t.Errorf("ParseStatus(%q): got kind %v, want invalid", c.in, errs.KindOf(err))
		}
		if c.ok && got.String() != c.in {
			t.Errorf("String() = %q, want %q", got.String(), c.in)
		}
	}
	if !(order.Status{}).IsZero() || order.Created.IsZero() {
		t.Error("IsZero is wrong")
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	many := make([]order.Line, order.MaxLines)
	for i := range many {
		many[i] = order.Line{ProductID: int64(i + 1), Qty: 1}
	}
	cases := []struct {
		name  string
		in    []order.Line
		want  []order.Line
		valid bool
	}{
		{"one", []order.Line{{ProductID: 3, Qty: 2}}, []order.Line{{ProductID: 3, Qty: 2}}, true},
		{"merged and sorted", []order.Line{{ProductID: 9, Qty: 1}, {ProductID: 2, Qty: 4}, {ProductID: 9, Qty: 5}},
			[]order.Line{{ProductID: 2, Qty: 4}, {ProductID: 9, Qty: 6}}, true},
		{"100 lines", many, many, true},
		{"no lines", nil, nil, false},
		{"101 lines", append(slices.Clone(many), order.Line{ProductID: 1, Qty: 1}), nil, false},
		{"qty 0", []order.Line{{ProductID: 1, Qty: 0}}, nil, false},
		{"negative qty", []order.Line{{ProductID: 1, Qty: -1}}, nil, false},
		{"product id 0", []order.Line{{ProductID: 0, Qty: 1}}, nil, false},
		{"qty beyond INT", []order.Line{{ProductID: 1, Qty: order.MaxQty + 1}}, nil, false},
		{"merged qty beyond INT", []order.Line{{ProductID: 1, Qty: order.MaxQty}, {ProductID: 1, Qty: 1}}, nil, false},
		{"merged qty at the limit", []order.Line{{ProductID: 1, Qty: order.MaxQty - 1}, {ProductID: 1, Qty: 1}},
			[]order.Line{{ProductID: 1, Qty: order.MaxQty}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := order.Merge(c.in)
			if !c.valid {
				if errs.KindOf(err) != errs.KindInvalid {
					t.Fatalf("got %v, %v; want an invalid request", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	a := product.Rehydrate(product.Snapshot{ID: 1, SKU: "A-1", Name: "Alpha", PriceCents: 129900, Stock: 10, CreatedAt: t0, UpdatedAt: t0})
	b := product.Rehydrate(product.Snapshot{ID: 2, SKU: "B-2", Name: "Beta", PriceCents: 250, Stock: 3, CreatedAt: t0, UpdatedAt: t0})
	free := product.Rehydrate(product.Snapshot{ID: 3, SKU: "F-3", Name: "Free", PriceCents: 0, Stock: 1, CreatedAt: t0, UpdatedAt: t0})

	o, err := order.New(42, []order.Line{{ProductID: 2, Qty: 1}, {ProductID: 1, Qty: 3}, {ProductID: 2, Qty: 2}, {ProductID: 3, Qty: 1}},
		catalogue(a, b, free), t0, 0)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if o.ID() != 0 || o.CustomerID() != 42 || o.Status() != order.Created || o.TotalCents() != 3*129900+3*250 {
		t.Fatalf("got id %d customer %d status %v total %d", o.ID(), o.CustomerID(), o.Status(), o.TotalCents())
	}
	stamp := timestamp.Of(t0)
	if !o.CreatedAt().Equal(stamp) || !o.UpdatedAt().Equal(stamp) {
		t.Fatalf("got times %v %v, want %v", o.CreatedAt(), o.UpdatedAt(), stamp)
	}
	if _, ok := o.ConfirmedAt(); ok {
		t.Fatal("confirmed_at set on a new order")
	}
	type item struct {
		id        int64
		sku, name string
		qty       int
		unit, sub int64
	}
	var got []item
	for _, it := range o.Items() {
		got = append(got, item{it.ProductID(), it.SKU(), it.Name(), it.Qty(), it.UnitPriceCents(), it.SubtotalCents()})
	}
	want := []item{{1, "A-1", "Alpha", 3, 129900, 389700}, {2, "B-2", "Beta", 3, 250, 750}, {3, "F-3", "Free", 1, 0, 0}}
	if !slices.Equal(got, want) {
		t.Fatalf("got items %v, want %v", got, want)
	}
	// Items returns a copy.
	items := o.Items()
	items[0] = order.RehydrateItem(99, "x", "x", 1, 1, 1)
	if o.Items()[0].ProductID() != 1 {
		t.Fatal("Items exposes the order's own slice")
	}
	// New does not touch the products.
	if a.Stock() != 10 || b.Stock() != 3 {
		t.Fatal("New changed a product's stock")
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	a := product.Rehydrate(product.Snapshot{ID: 1, SKU: "A", Name: "A", PriceCents: 100, Stock: 2, CreatedAt: t0, UpdatedAt: t0})
	b := product.Rehydrate(product.Snapshot{ID: 2, SKU: "B", Name: "B", PriceCents: 100, Stock: 0, CreatedAt: t0, UpdatedAt: t0})
	pricey := product.Rehydrate(product.Snapshot{ID: 3, SKU: "P", Name: "P", PriceCents: math.MaxInt64/2 + 1, Stock: 10, CreatedAt: t0, UpdatedAt: t0})
	half := product.Rehydrate(product.Snapshot{ID: 4, SKU: "H", Name: "H", PriceCents: math.MaxInt64 / 2, Stock: 10, CreatedAt: t0, UpdatedAt: t0})
	pricey2 := product.Rehydrate(product.Snapshot{ID: 5, SKU: "Q", Name: "Q", PriceCents: math.MaxInt64/2 + 1, Stock: 10, CreatedAt: t0, UpdatedAt: t0})

	t.Run("unknown products, all listed, before stock", func(t *testing.T) {
		t.Parallel()
		_, err := order.New(1, []order.Line{{ProductID: 8, Qty: 1}, {ProductID: 2, Qty: 5}, {ProductID: 7, Qty: 1}}, catalogue(a, b), t0, 0)
		var unknown *order.UnknownProductsError
		if !errors.As(err, &unknown) || !slices.Equal(unknown.ProductIDs, []int64{7, 8}) {
			t.Fatalf("got %v, want unknown products [7 8]", err)
		}
		if !errors.Is(err, order.ErrUnknownProducts) || !errors.Is(err, product.ErrNotFound) {
			t.Fatal("UnknownProductsError does not match its sentinels")
		}
		var c errs.Coded
		if !errors.As(err, &c) || c.Kind() != errs.KindUnprocessable || c.Code() != "product_not_found" {
			t.Fatalf("got %v, want 422 product_not_found", err)
		}
		assertDetails(t, err, `{"product_ids":[7,8]}`)
	})
	t.Run("insufficient stock, every short line", func(t *testing.T) {
		t.Parallel()
		_, err := order.New(1, []order.Line{{ProductID: 2, Qty: 1}, {ProductID: 1, Qty: 2}, {ProductID: 1, Qty: 1}}, catalogue(a, b), t0, 0)
		var short *order.InsufficientStockError
		if !errors.As(err, &short) {
			t.Fatalf("got %v, want insufficient stock", err)
		}
		want := []order.Shortage{{ProductID: 1, Requested: 3, Available: 2}, {ProductID: 2, Requested: 1, Available: 0}}
		if !slices.Equal(short.Items, want) {
			t.Fatalf("got %+v, want %+v", short.Items, want)
		}
		if !errors.Is(err, order.ErrInsufficientStock) || errs.KindOf(err) != errs.KindConflict {
			t.Fatalf("got %v, want 409 insufficient_stock", err)
		}
		assertDetails(t, err, `{"items":[{"available":2,"product_id":1,"requested":3},{"available":0,"product_id":2,"requested":1}]}`)
	})
	t.Run("exact stock is enough", func(t *testing.T) {
		t.Parallel()
		if _, err := order.New(1, []order.Line{{ProductID: 1, Qty: 2}}, catalogue(a), t0, 0); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("subtotal overflow", func(t *testing.T) {
		t.Parallel()
		_, err := order.New(1, []order.Line{{ProductID: 3, Qty: 2}}, catalogue(pricey), t0, 0)
		if errs.KindOf(err) != errs.KindInvalid {
			t.Fatalf("got %v, want an invalid request", err)
		}
	})
	t.Run("total overflow", func(t *testing.T) {
		t.Parallel()
		_, err := order.New(1, []order.Line{{ProductID: 3, Qty: 1}, {ProductID: 5, Qty: 1}}, catalogue(pricey, pricey2), t0, 0)
		if errs.KindOf(err) != errs.KindInvalid {
			t.Fatalf("got %v, want an invalid request", err)
		}
		o, err := order.New(1, []order.Line{{ProductID: 3, Qty: 1}, {ProductID: 4, Qty: 1}}, catalogue(pricey, half), t0, 0)
		if err != nil || o.TotalCents() != math.MaxInt64 {
			t.Fatalf("a total of exactly MaxInt64: %v", err)
		}
	})
	t.Run("bad customer and lines", func(t *testing.T) {
		t.Parallel()
		for _, id := range []int64{0, -1} {
			if _, err := order.New(id, []order.Line{{ProductID: 1, Qty: 1}}, catalogue(a), t0, 0); errs.KindOf(err) != errs.KindInvalid {
				t.Errorf("customer %d: got %v, want invalid", id, err)
			}
		}
		if _, err := order.New(1, nil, catalogue(a), t0, 0); errs.KindOf(err) != errs.KindInvalid {
			t.Errorf("no lines: got %v, want invalid", err)
		}
	})
}

func assertDetails(t *testing.T, err error, want string) {
	t.Helper()
	var d errs.Detailed
	if !errors.As(err, &d) {
		t.Fatalf("%v has no details", err)
	}
	b, jerr := json.Marshal(d.Details())
	if jerr != nil || string(b) != want {
		t.Fatalf("got details %s (%v), want %s", b, jerr, want)
	}
}

func created(t *testing.T) *order.Order {
	t.Helper()
	p := product.Rehydrate(product.Snapshot{ID: 1, SKU: "A", Name: "A", PriceCents: 100, Stock: 5, CreatedAt: t0, UpdatedAt: t0})
	o, err := order.New(1, []order.Line{{ProductID: 1, Qty: 1}}, catalogue(p), t0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestConfirm(t *testing.T) {
	t.Parallel()
	o := created(t)
	at := t0.Add(time.Minute)
	if err := o.Confirm(at); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	got, ok := o.ConfirmedAt()
	if o.Status() != order.Confirmed || !ok || !got.Equal(timestamp.Of(at)) || !o.UpdatedAt().Equal(got) {
		t.Fatalf("got status %v confirmed %v %v updated %v", o.Status(), got, ok, o.UpdatedAt())
	}
	// Confirming again is a no-op success that keeps the first time.
	if err := o.Confirm(at.Add(time.Hour)); err != nil {
		t.Fatalf("second Confirm: %v", err)
	}
	if again, _ := o.ConfirmedAt(); !again.Equal(got) || !o.UpdatedAt().Equal(got) {
		t.Fatalf("second Confirm moved confirmed_at to %v", again)
	}
	// A canceled order cannot be confirmed.
	c := created(t)
	if _, err := c.Cancel(t0, time.Minute); err != nil {
		t.Fatal(err)
	}
	err := c.Confirm(t0.Add(time.Second))
	if !errors.Is(err, order.ErrInvalidState) || errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("got %v, want 409 invalid_order_state", err)
	}
	if c.Status() != order.Canceled {
		t.Fatalf("status became %v", c.Status())
	}
	if _, ok := c.ConfirmedAt(); ok {
		t.Fatal("a failed Confirm set confirmed_at")
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	const window = 10 * time.Minute
	confirmedAt := t0.Truncate(time.Microsecond).Add(time.Minute)
	cases := []struct {
		name        string
		setup       func(o *order.Order)
		at          time.Time
		wantRestore bool
		wantErr     error
		wantStatus  order.Status
	}{
		{"created, any time", func(*order.Order) {}, t0.Add(48 * time.Hour), true, nil, order.Canceled},
		{"confirmed, just after", confirm(confirmedAt), confirmedAt.Add(time.Second), true, nil, order.Canceled},
		{"confirmed, at the window's end", confirm(confirmedAt), confirmedAt.Add(window), true, nil, order.Canceled},
		{"confirmed, same microsecond as the end", confirm(confirmedAt), confirmedAt.Add(window + 500*time.Nanosecond), true, nil, order.Canceled},
		{"confirmed, a microsecond late", confirm(confirmedAt), confirmedAt.Add(window + time.Microsecond), false, order.ErrCancelWindowExpired, order.Confirmed},
		{"confirmed, much later", confirm(confirmedAt), confirmedAt.Add(time.Hour), false, order.ErrCancelWindowExpired, order.Confirmed},
		{"already canceled", cancel(t0), t0.Add(time.Hour), false, nil, order.Canceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := created(t)
			c.setup(o)
			beforeCanceled, wasCanceled := o.CanceledAt()
			restore, err := o.Cancel(c.at, window)
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
				t.Fatalf("got error %v, want %v", err, c.wantErr)
			}
			if c.wantErr != nil && errs.KindOf(err) != errs.KindConflict {
				t.Fatalf("got kind %v, want conflict", errs.KindOf(err))
			}
			if restore != c.wantRestore || o.Status() != c.wantStatus {
				t.Fatalf("got restore %v status %v, want %v %v", restore, o.Status(), c.wantRestore, c.wantStatus)
			}
			at, ok := o.CanceledAt()
			switch {
			case c.wantRestore && (!ok || !at.Equal(timestamp.Of(c.at)) || !o.UpdatedAt().Equal(at)):
				t.Fatalf("got canceled_at %v %v updated %v, want %v", at, ok, o.UpdatedAt(), c.at)
			case wasCanceled && !at.Equal(beforeCanceled):
				t.Fatal("a second cancel moved canceled_at")
			case c.wantErr != nil && ok:
				t.Fatal("a refused cancel set canceled_at")
			}
		})
	}
}

func confirm(at time.Time) func(*order.Order) {
	return func(o *order.Order) {
		if err := o.Confirm(at); err != nil {
			panic(err)
		}
	}
}

func cancel(at time.Time) func(*order.Order) {
	return func(o *order.Order) {
		if _, err := o.Cancel(at, time.Minute); err != nil {
			panic(err)
		}
	}
}

func TestRehydrate(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("X", -3600)
	items := []order.Item{order.RehydrateItem(5, "E", "e", 1, 2, 2), order.RehydrateItem(2, "B", "b", 3, 4, 12)}
	o := order.Rehydrate(order.Snapshot{ID: 9, CustomerID: 4, Status: order.Confirmed, TotalCents: 14, CreatedAt: t0.In(loc),
		UpdatedAt: t0.In(loc), ConfirmedAt: t0.In(loc), Items: items})
	if o.ID() != 9 || o.CustomerID() != 4 || o.Status() != order.Confirmed || o.TotalCents() != 14 {
		t.Fatal("Rehydrate lost a field")
	}
	if at, ok := o.ConfirmedAt(); !ok || at.Location() != time.UTC || !at.Equal(t0) {
		t.Fatalf("got confirmed_at %v %v", at, ok)
	}
	if _, ok := o.CanceledAt(); ok {
		t.Fatal("zero canceled_at reads as set")
	}
	if got := o.Items(); got[0].ProductID() != 2 || got[1].ProductID() != 5 {
		t.Fatal("items are not sorted by product id")
	}
	items[0] = order.RehydrateItem(1, "", "", 1, 1, 1)
	if o.Items()[1].ProductID() != 5 {
		t.Fatal("Rehydrate keeps the caller's slice")
	}
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  *errs.Error
		kind errs.Kind
		code string
	}{
		{order.ErrNotFound, errs.KindNotFound, "order_not_found"},
		{order.ErrInvalidState, errs.KindConflict, "invalid_order_state"},
		{order.ErrCancelWindowExpired, errs.KindConflict, "cancel_window_expired"},
		{order.ErrOrderExpired, errs.KindConflict, "order_expired"},
		{order.ErrInsufficientStock, errs.KindConflict, "insufficient_stock"},
		{order.ErrCustomerNotFound, errs.KindUnprocessable, "customer_not_found"},
		{order.ErrCustomersUnavailable, errs.KindUnavailable, "customers_unavailable"},
		{order.ErrUnknownProducts, errs.KindUnprocessable, "product_not_found"},
	} {
		if c.err.Kind() != c.kind || c.err.Code() != c.code {
			t.Errorf("%s: got %v %s, want %v %s", c.code, c.err.Kind(), c.err.Code(), c.kind, c.code)
		}
	}
}
