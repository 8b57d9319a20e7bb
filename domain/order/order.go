// Package order is the order aggregate: a customer's order with items whose prices were
// copied from the catalogue, a total, and a closed life cycle CREATED -> CONFIRMED ->
// CANCELED (or CREATED -> CANCELED). A CREATED order may hold its stock only until its
// hold expires; past it the order counts as CANCELED with reason "expired".
package order

import (
	"math"
	"slices"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/product"
	"github.com/b2b-backoffice/backoffice/domain/timestamp"
)

// Limits of an order.
const (
	MaxLines = 100
	// MaxQty bounds one line's quantity (after merging): it fits the database's INT column.
	MaxQty = product.MaxStock
)

// Status is the closed set of order statuses. Its zero value is no status: use it to mean
// "any" in filters; an order never holds it.
type Status struct{ name string }

// The statuses.
var (
	Created   = Status{"CREATED"}
	Confirmed = Status{"CONFIRMED"}
	Canceled  = Status{"CANCELED"}
)

// ParseStatus reads a status name exactly as the contract spells it; anything else is
// KindInvalid.
func ParseStatus(s string) (Status, error) {
	for _, st := range []Status{Created, Confirmed, Canceled} {
		if s == st.name {
			return st, nil
		}
	}
	return Status{}, errs.Invalid("status must be one of CREATED, CONFIRMED, CANCELED")
}

// String is the contract's name of the status ("" for the zero value).
func (s Status) String() string { return s.name }

// IsZero reports the zero value (no status).
func (s Status) IsZero() bool { return s.name == "" }

// CancelReason is the closed set of reasons an order was canceled for. Its zero value is no
// reason: the order is not canceled.
type CancelReason struct{ name string }

// The cancel reasons: a client asked for it, or the order's hold expired.
var (
	ReasonRequested = CancelReason{"requested"}
	ReasonExpired   = CancelReason{"expired"}
)

// ParseCancelReason reads a reason as String spells it; anything else is KindInvalid.
func ParseCancelReason(s string) (CancelReason, error) {
	for _, r := range []CancelReason{ReasonRequested, ReasonExpired} {
		if s == r.name {
			return r, nil
		}
	}
	return CancelReason{}, errs.Invalid("cancel reason must be one of requested, expired")
}

// String is the reason's name ("" for the zero value).
func (r CancelReason) String() string { return r.name }

// IsZero reports the zero value (no reason).
func (r CancelReason) IsZero() bool { return r.name == "" }

// Line is one requested line of a new order.
type Line struct {
	ProductID int64
	Qty       int
}

// Merge validates the requested lines and merges lines naming the same product: 1..MaxLines
// lines as sent, product ids > 0, each qty >= 1 and every merged qty <= MaxQty. The result is
// sorted by product id ascending, the order in which products are locked.
func Merge(lines []Line) ([]Line, error) {
	if len(lines) == 0 {
		return nil, errs.Invalid("items must hold at least one line")
	}
	if len(lines) > MaxLines {
		return nil, errs.Invalid("items must hold at most %d lines", MaxLines)
	}
	qty := make(map[int64]int, len(lines))
	for _, l := range lines {
		if l.ProductID <= 0 {
			return nil, errs.Invalid("product_id must be a positive integer")
		}
		if l.Qty < 1 || l.Qty > MaxQty {
			return nil, errs.Invalid("qty must be between 1 and %d", MaxQty)
		}
		if qty[l.ProductID] > MaxQty-l.Qty {
			return nil, errs.Invalid("qty of product %d must be at most %d in total", l.ProductID, MaxQty)
		}
		qty[l.ProductID] += l.Qty
	}
	merged := make([]Line, 0, len(qty))
	for id, q := range qty {
		merged = append(merged, Line{ProductID: id, Qty: q})
	}
	slices.SortFunc(merged, func(a, b Line) int { return cmpInt64(a.ProductID, b.ProductID) })
	return merged, nil
}

// Item is one line of a stored order, with the product's sku, name and price as they were
// when the order was created.
type Item struct {
	productID      int64
	sku            string
	name           string
	qty            int
	unitPriceCents int64
	subtotalCents  int64
}

// RehydrateItem rebuilds a stored item. Only adapters call it.
func RehydrateItem(productID int64, sku, name string, qty int, unitPriceCents, subtotalCents int64) Item {
	return Item{productID: productID, sku: sku, name: name, qty: qty, unitPriceCents: unitPriceCents, subtotalCents: subtotalCents}
}

func (i Item) ProductID() int64      { return i.productID }
func (i Item) SKU() string           { return i.sku }
func (i Item) Name() string          { return i.name }
func (i Item) Qty() int              { return i.qty }
func (i Item) UnitPriceCents() int64 { return i.unitPriceCents }
func (i Item) SubtotalCents() int64  { return i.subtotalCents }

// Order is the aggregate. Its fields are unexported: New creates one, Confirm, Cancel and
// Expire change it, Rehydrate rebuilds a stored one.
type Order struct {
	id           int64
	customerID   int64
	status       Status
	totalCents   int64
	createdAt    time.Time
	updatedAt    time.Time
	confirmedAt  time.Time    // zero: not confirmed
	canceledAt   time.Time    // zero: not canceled
	expiresAt    time.Time    // zero: no hold (holds were off when the order was made)
	cancelReason CancelReason // zero unless canceled
	items        []Item       // by product id ascending
}

// Snapshot is an order's state field by field, as adapters store it: the one list of the
// fields an order has. Zero times mean NULL (not confirmed, not canceled, no hold); a zero
// CancelReason means none. Changing a Snapshot does not change the order it came from.
type Snapshot struct {
	ID           int64
	CustomerID   int64
	Status       Status
	TotalCents   int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ConfirmedAt  time.Time
	CanceledAt   time.Time
	ExpiresAt    time.Time
	CancelReason CancelReason
	Items        []Item
}

// New builds a CREATED order (ID 0 until stored) for customerID from the requested lines,
// merged with Merge. products holds the catalogue entries the lines name, keyed by id; the
// order copies their sku, name and price. hold is how long the order keeps its stock while
// CREATED: it expires at now + hold (stored with the order, so a later change of the hold
// does not move it); hold <= 0 means it never expires.
//
// Errors, checked in this order: an invalid customer id or lines (KindInvalid); products
// missing from the map (*UnknownProductsError with every missing id); lines asking for more
// than a product's stock (*InsufficientStockError with every short line); a subtotal or
// total beyond int64 (KindInvalid). New does not change the products: taking the stock is
// the caller's job, in the same transaction.
func New(customerID int64, lines []Line, products map[int64]*product.Product, now time.Time, hold time.Duration) (*Order, error) {
	if customerID <= 0 {
		return nil, errs.Invalid("customer_id must be a positive integer")
	}
	merged, err := Merge(lines)
	if err != nil {
		return nil, err
	}
	var missing []int64
	var short []Shortage
	for _, l := range merged {
		p, ok := products[l.ProductID]
		switch {
		case !ok || p == nil:
			missing = append(missing, l.ProductID)
		case p.Stock() < l.Qty:
			short = append(short, Shortage{ProductID: l.ProductID, Requested: l.Qty, Available: p.Stock()})
		}
	}
	if len(missing) > 0 {
		return nil, &UnknownProductsError{ProductIDs: missing}
	}
	if len(short) > 0 {
		return nil, &InsufficientStockError{Items: short}
	}
	items := make([]Item, 0, len(merged))
	var total int64
	for _, l := range merged {
		p := products[l.ProductID]
		if p.PriceCents() > 0 && int64(l.Qty) > math.MaxInt64/p.PriceCents() {
			return nil, errs.Invalid("the subtotal of product %d is too large", l.ProductID)
		}
		sub := p.PriceCents() * int64(l.Qty)
		if total > math.MaxInt64-sub {
			return nil, errs.Invalid("the order total is too large")
		}
		total += sub
		items = append(items, Item{productID: p.ID(), sku: p.SKU(), name: p.Name(), qty: l.Qty,
			unitPriceCents: p.PriceCents(), subtotalCents: sub})
	}
	now = timestamp.Of(now)
	var expiresAt time.Time
	if hold > 0 {
		expiresAt = timestamp.Of(now.Add(hold))
	}
	return &Order{customerID: customerID, status: Created, totalCents: total, createdAt: now, updatedAt: now,
		expiresAt: expiresAt, items: items}, nil
}

// Rehydrate rebuilds a stored order from its snapshot. Only adapters call it, with values
// stored from a valid order. Times are kept in UTC; items are sorted by product id and
// copied.
func Rehydrate(s Snapshot) *Order {
	items := slices.Clone(s.Items)
	slices.SortFunc(items, func(a, b Item) int { return cmpInt64(a.productID, b.productID) })
	return &Order{id: s.ID, customerID: s.CustomerID, status: s.Status, totalCents: s.TotalCents,
		createdAt: s.CreatedAt.UTC(), updatedAt: s.UpdatedAt.UTC(), confirmedAt: utcOrZero(s.ConfirmedAt),
		canceledAt: utcOrZero(s.CanceledAt), expiresAt: utcOrZero(s.ExpiresAt), cancelReason: s.CancelReason,
		items: items}
}

// Snapshot returns the order's state field by field (items copied).
func (o *Order) Snapshot() Snapshot {
	return Snapshot{ID: o.id, CustomerID: o.customerID, Status: o.status, TotalCents: o.totalCents,
		CreatedAt: o.createdAt, UpdatedAt: o.updatedAt, ConfirmedAt: o.confirmedAt, CanceledAt: o.canceledAt,
		ExpiresAt: o.expiresAt, CancelReason: o.cancelReason, Items: slices.Clone(o.items)}
}

// holdPassed reports whether o is CREATED with a hold that has ended at now: expires_at <=
// now, compared at the microsecond precision times are stored with.
func (o *Order) holdPassed(now time.Time) bool {
	return o.status == Created && !o.expiresAt.IsZero() && !timestamp.Of(now).Before(o.expiresAt)
}

// Confirm makes a CREATED order CONFIRMED at now. Confirming a CONFIRMED order is a no-op
// success (it keeps its first confirmed_at). An order whose hold has passed at now, whether
// or not it was expired in storage yet, gives ErrOrderExpired; any other CANCELED order
// gives ErrInvalidState. A refused Confirm changes nothing.
func (o *Order) Confirm(now time.Time) error {
	switch {
	case o.holdPassed(now), o.status == Canceled && o.cancelReason == ReasonExpired:
		return ErrOrderExpired
	case o.status == Created:
		now = timestamp.Of(now)
		o.status, o.confirmedAt, o.updatedAt = Confirmed, now, now
		return nil
	case o.status == Confirmed:
		return nil
	default:
		return ErrInvalidState
	}
}

// Cancel cancels the order at now, with reason requested. A CREATED order, or a CONFIRMED
// one at most window after its confirmed_at, becomes CANCELED and restore is true: the
// caller must put the items back in stock, in the same transaction. After the window it is
// ErrCancelWindowExpired and nothing changes. An order already CANCELED stays as it is and
// restore is false, so stock is never restored twice. A CREATED order whose hold has passed
// at now is expired instead (see Expire): CANCELED with reason expired, restore true.
func (o *Order) Cancel(now time.Time, window time.Duration) (restore bool, err error) {
	if o.holdPassed(now) {
		return o.Expire(now)
	}
	now = timestamp.Of(now) // compared at the precision confirmed_at was stored with
	switch o.status {
	case Canceled:
		return false, nil
	case Confirmed:
		if now.After(o.confirmedAt.Add(window)) {
			return false, ErrCancelWindowExpired
		}
	}
	o.status, o.canceledAt, o.updatedAt, o.cancelReason = Canceled, now, now, ReasonRequested
	return true, nil
}

// Expire ends the hold of a CREATED order whose hold has passed at now: it becomes CANCELED
// with reason expired, and restore is true (the caller puts the items back in stock, in the
// same transaction). Its canceled_at and updated_at are its expires_at, the moment it
// expired, whenever the change is stored, so the order reads the same before and after.
// Any other order (no hold, hold not passed, CONFIRMED, CANCELED) is left as it is and
// restore is false: an order is expired, and its stock restored, at most once.
func (o *Order) Expire(now time.Time) (restore bool, err error) {
	if !o.holdPassed(now) {
		return false, nil
	}
	o.status, o.canceledAt, o.updatedAt, o.cancelReason = Canceled, o.expiresAt, o.expiresAt, ReasonExpired
	return true, nil
}

// AsOf is the order as it stands at now, for reads: a copy, in which a CREATED order whose
// hold has passed is shown as Expire would store it (CANCELED, reason expired, canceled_at
// its expires_at), even before anything expired it in storage.
func (o *Order) AsOf(now time.Time) *Order {
	c := Rehydrate(o.Snapshot())
	_, _ = c.Expire(now) // Expire never fails: it expires or leaves the order as it is
	return c
}

// ID is 0 until the order is stored.
func (o *Order) ID() int64            { return o.id }
func (o *Order) CustomerID() int64    { return o.customerID }
func (o *Order) Status() Status       { return o.status }
func (o *Order) TotalCents() int64    { return o.totalCents }
func (o *Order) CreatedAt() time.Time { return o.createdAt }
func (o *Order) UpdatedAt() time.Time { return o.updatedAt }

// ConfirmedAt is the time of confirmation; ok is false while the order was never confirmed.
func (o *Order) ConfirmedAt() (t time.Time, ok bool) { return o.confirmedAt, !o.confirmedAt.IsZero() }

// CanceledAt is the time of cancellation; ok is false while the order is not canceled.
func (o *Order) CanceledAt() (t time.Time, ok bool) { return o.canceledAt, !o.canceledAt.IsZero() }

// ExpiresAt is the end of the order's hold, fixed when it was created; ok is false when the
// order has none (holds were off). It stays set after the order was confirmed or canceled.
func (o *Order) ExpiresAt() (t time.Time, ok bool) { return o.expiresAt, !o.expiresAt.IsZero() }

// CancelReason is why the order was canceled; zero while it is not canceled.
func (o *Order) CancelReason() CancelReason { return o.cancelReason }

// Items returns a copy of the items, by product id ascending.
func (o *Order) Items() []Item { return slices.Clone(o.items) }

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
