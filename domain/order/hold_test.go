package order_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
	"github.com/b2b-backoffice/backoffice/domain/timestamp"
)

const hold = 30 * time.Minute

// expiry is when an order created at t0 with hold expires.
var expiry = timestamp.Of(t0).Add(hold)

// held is a CREATED order made at t0 with a hold of 30 minutes.
func held(t *testing.T) *order.Order {
	t.Helper()
	p := product.Rehydrate(product.Snapshot{ID: 1, SKU: "A", Name: "A", PriceCents: 100, Stock: 5, CreatedAt: t0, UpdatedAt: t0})
	o, err := order.New(1, []order.Line{{ProductID: 1, Qty: 1}}, catalogue(p), t0, hold)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func snap(o *order.Order) string { return fmt.Sprintf("%+v", o.Snapshot()) }

func TestParseCancelReason(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want order.CancelReason
		ok   bool
	}{
		{"requested", order.ReasonRequested, true},
		{"expired", order.ReasonExpired, true},
		{"EXPIRED", order.CancelReason{}, false},
		{"", order.CancelReason{}, false},
	} {
		got, err := order.ParseCancelReason(c.in)
		if c.ok != (err == nil) || got != c.want || (c.ok && got.String() != c.in) {
			t.Errorf("ParseCancelReason(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
		if !c.ok && errs.KindOf(err) != errs.KindInvalid {
			t.Errorf("ParseCancelReason(%q): got kind %v, want invalid", c.in, errs.KindOf(err))
		}
	}
	if !(order.CancelReason{}).IsZero() || order.ReasonExpired.IsZero() {
		t.Error("IsZero is wrong")
	}
}

func TestNewHold(t *testing.T) {
	t.Parallel()
	p := product.Rehydrate(product.Snapshot{ID: 1, SKU: "A", Name: "A", PriceCents: 100, Stock: 5, CreatedAt: t0, UpdatedAt: t0})
	for _, c := range []struct {
		name string
		hold time.Duration
		want time.Time // zero: no hold
	}{
		{"30 minutes", hold, expiry},
		{"a nanosecond part is cut to the microsecond", hold + 1500*time.Nanosecond, expiry.Add(time.Microsecond)},
		{"off", 0, time.Time{}},
		{"negative is off", -time.Minute, time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o, err := order.New(1, []order.Line{{ProductID: 1, Qty: 1}}, catalogue(p), t0, c.hold)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := o.ExpiresAt()
			if ok != !c.want.IsZero() || !got.Equal(c.want) {
				t.Fatalf("got expires_at %v %v, want %v", got, ok, c.want)
			}
			if !o.CancelReason().IsZero() {
				t.Fatalf("a new order has cancel reason %v", o.CancelReason())
			}
		})
	}
}

// TestExpire: only a CREATED order whose hold has passed expires, once, at its expires_at.
func TestExpire(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		order       func(t *testing.T) *order.Order
		at          time.Time
		wantRestore bool
		wantStatus  order.Status
		wantReason  order.CancelReason
	}{
		{"a microsecond early", held, expiry.Add(-time.Microsecond), false, order.Created, order.CancelReason{}},
		{"same microsecond as the end", held, expiry.Add(999 * time.Nanosecond), true, order.Canceled, order.ReasonExpired},
		{"at the end", held, expiry, true, order.Canceled, order.ReasonExpired},
		{"a day late", held, expiry.Add(24 * time.Hour), true, order.Canceled, order.ReasonExpired},
		{"no hold, years later", created, t0.AddDate(5, 0, 0), false, order.Created, order.CancelReason{}},
		{"confirmed in time", with(held, confirm(t0.Add(time.Minute))), expiry.Add(time.Hour), false, order.Confirmed, order.CancelReason{}},
		{"canceled in time", with(held, cancel(t0.Add(time.Minute))), expiry.Add(time.Hour), false, order.Canceled, order.ReasonRequested},
		{"expired already", with(held, expire(expiry)), expiry.Add(time.Hour), false, order.Canceled, order.ReasonExpired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := c.order(t)
			before := snap(o)
			restore, err := o.Expire(c.at)
			if err != nil {
				t.Fatalf("Expire: %v", err)
			}
			if restore != c.wantRestore || o.Status() != c.wantStatus || o.CancelReason() != c.wantReason {
				t.Fatalf("got restore %v status %v reason %v, want %v %v %v", restore, o.Status(), o.CancelReason(),
					c.wantRestore, c.wantStatus, c.wantReason)
			}
			if !restore {
				if after := snap(o); after != before {
					t.Fatalf("Expire changed an order it did not expire:\n%s\n%s", before, after)
				}
				return
			}
			at, ok := o.CanceledAt()
			if !ok || !at.Equal(expiry) || !o.UpdatedAt().Equal(expiry) {
				t.Fatalf("got canceled_at %v %v updated_at %v, want both %v", at, ok, o.UpdatedAt(), expiry)
			}
		})
	}
}

// TestConfirmHold: confirming before the hold ends works, after it is order_expired.
func TestConfirmHold(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		order   func(t *testing.T) *order.Order
		at      time.Time
		wantErr error
	}{
		{"a microsecond before the end", held, expiry.Add(-time.Microsecond), nil},
		{"at the end", held, expiry, order.ErrOrderExpired},
		{"same microsecond as the end", held, expiry.Add(500 * time.Nanosecond), order.ErrOrderExpired},
		{"an hour late", held, expiry.Add(time.Hour), order.ErrOrderExpired},
		{"expired in storage", with(held, expire(expiry)), expiry.Add(time.Hour), order.ErrOrderExpired},
		{"canceled by the client", with(held, cancel(t0)), t0.Add(time.Minute), order.ErrInvalidState},
		{"confirmed in time, again after the end", with(held, confirm(t0)), expiry.Add(time.Hour), nil},
		{"no hold, years later", created, t0.AddDate(5, 0, 0), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := c.order(t)
			before := snap(o)
			err := o.Confirm(c.at)
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
				t.Fatalf("got error %v, want %v", err, c.wantErr)
			}
			if c.wantErr != nil {
				if errs.KindOf(err) != errs.KindConflict {
					t.Fatalf("got kind %v, want conflict", errs.KindOf(err))
				}
				if after := snap(o); after != before {
					t.Fatalf("a refused Confirm changed the order:\n%s\n%s", before, after)
				}
				return
			}
			if o.Status() != order.Confirmed {
				t.Fatalf("got status %v, want CONFIRMED", o.Status())
			}
		})
	}
}

// TestCancelHold: a client's cancel is "requested"; once the hold has passed, canceling
// expires the order instead, restoring the stock once.
func TestCancelHold(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		order        func(t *testing.T) *order.Order
		at           time.Time
		wantRestore  bool
		wantReason   order.CancelReason
		wantCanceled time.Time
	}{
		{"before the end", held, expiry.Add(-time.Microsecond), true, order.ReasonRequested, expiry.Add(-time.Microsecond)},
		{"no hold", created, t0.AddDate(1, 0, 0), true, order.ReasonRequested, timestamp.Of(t0.AddDate(1, 0, 0))},
		{"after the end, not yet expired in storage", held, expiry.Add(time.Hour), true, order.ReasonExpired, expiry},
		{"after the end, expired in storage", with(held, expire(expiry)), expiry.Add(time.Hour), false, order.ReasonExpired, expiry},
		{"canceled before the end, again after it", with(held, cancel(t0)), expiry.Add(time.Hour), false, order.ReasonRequested, timestamp.Of(t0)},
		{"confirmed in time, canceled in the window after the end", with(held, confirm(expiry.Add(-time.Minute))),
			expiry.Add(time.Minute), true, order.ReasonRequested, expiry.Add(time.Minute)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := c.order(t)
			restore, err := o.Cancel(c.at, 10*time.Minute)
			if err != nil {
				t.Fatalf("Cancel: %v", err)
			}
			at, ok := o.CanceledAt()
			if restore != c.wantRestore || o.Status() != order.Canceled || o.CancelReason() != c.wantReason || !ok || !at.Equal(c.wantCanceled) {
				t.Fatalf("got restore %v status %v reason %v canceled_at %v, want %v CANCELED %v %v",
					restore, o.Status(), o.CancelReason(), at, c.wantRestore, c.wantReason, c.wantCanceled)
			}
		})
	}
}

// TestAsOf: reads show an order whose hold passed as it will be stored once expired,
// without changing the order itself.
func TestAsOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		order       func(t *testing.T) *order.Order
		at          time.Time
		wantExpired bool
	}{
		{"on hold", held, expiry.Add(-time.Microsecond), false},
		{"hold passed", held, expiry, true},
		{"hold passed long ago", held, expiry.AddDate(1, 0, 0), true},
		{"no hold", created, t0.AddDate(5, 0, 0), false},
		{"confirmed", with(held, confirm(t0)), expiry.Add(time.Hour), false},
		{"canceled", with(held, cancel(t0)), expiry.Add(time.Hour), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := c.order(t)
			before := snap(o)
			view := o.AsOf(c.at)
			if snap(o) != before {
				t.Fatal("AsOf changed the order")
			}
			if !c.wantExpired {
				if got := snap(view); got != before {
					t.Fatalf("got view %s, want the order as it is %s", got, before)
				}
				return
			}
			if view.Status() != order.Canceled || view.CancelReason() != order.ReasonExpired {
				t.Fatalf("got view status %v reason %v, want CANCELED expired", view.Status(), view.CancelReason())
			}
			if at, ok := view.CanceledAt(); !ok || !at.Equal(expiry) {
				t.Fatalf("got view canceled_at %v %v, want %v", at, ok, expiry)
			}
			// The view is exactly what expiring the order stores, whenever that happens.
			stored := c.order(t)
			if _, err := stored.Expire(c.at.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if got, want := snap(view), snap(stored); got != want {
				t.Fatalf("got view %s,\nwant what Expire stores %s", got, want)
			}
		})
	}
}

// with applies change to the order make returns.
func with(make func(t *testing.T) *order.Order, change func(o *order.Order)) func(t *testing.T) *order.Order {
	return func(t *testing.T) *order.Order {
		t.Helper()
		o := make(t)
		change(o)
		return o
	}
}

func expire(at time.Time) func(*order.Order) {
	return func(o *order.Order) {
		if restore, err := o.Expire(at); err != nil || !restore {
			panic(fmt.Sprintf("Expire(%v) = %v, %v", at, restore, err))
		}
	}
}
