// Package order is the order aggregate: a customer's order with items whose prices were
// copied from the catalogue, a total, and a closed life cycle CREATED -> CONFIRMED ->
// CANCELED (or CREATED -> CANCELED).
package order

import (
	"math"
	"slices"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/product"
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

// Order is the aggregate. Its fields are unexported: New creates one, Confirm and Cancel
// change it, Rehydrate rebuilds a stored one.
type Order struct {
	id          int64
	customerID  int64
	status      Status
	totalCents  int64
	createdAt   time.Time
	updatedAt   time.Time
	confirmedAt time.Time // zero: not confirmed
	canceledAt  time.Time // zero: not canceled
	items       []Item    // by product id ascending
}

// New builds a CREATED order (ID 0 until stored) for customerID from the requested lines,
// merged with Merge. products holds the catalogue entries the lines name, keyed by id; the
// order copies their sku, name and price.
//
// Errors, checked in this order: an invalid customer id or lines (KindInvalid); products
// missing from the map (*UnknownProductsError with every missing id); lines asking for more
// than a product's stock (*InsufficientStockError with every short line); a subtotal or
// total beyond int64 (KindInvalid). New does not change the products: taking the stock is
// the caller's job, in the same transaction.
func New(customerID int64, lines []Line, products map[int64]*product.Product, now time.Time) (*Order, error) {
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
	now = product.Timestamp(now)
	return &Order{customerID: customerID, status: Created, totalCents: total, createdAt: now, updatedAt: now, items: items}, nil
}

// Rehydrate rebuilds a stored order. Only adapters call it, with values stored from a valid
// order; a zero confirmedAt or canceledAt means NULL. Items are sorted by product id.
func Rehydrate(id, customerID int64, status Status, totalCents int64, createdAt, updatedAt, confirmedAt, canceledAt time.Time, items []Item) *Order {
	items = slices.Clone(items)
	slices.SortFunc(items, func(a, b Item) int { return cmpInt64(a.productID, b.productID) })
	return &Order{id: id, customerID: customerID, status: status, totalCents: totalCents,
		createdAt: createdAt.UTC(), updatedAt: updatedAt.UTC(), confirmedAt: utcOrZero(confirmedAt),
		canceledAt: utcOrZero(canceledAt), items: items}
}

// Confirm makes a CREATED order CONFIRMED at now. Confirming a CONFIRMED order is a no-op
// success (it keeps its first confirmed_at); a CANCELED order gives ErrInvalidState.
func (o *Order) Confirm(now time.Time) error {
	switch o.status {
	case Created:
		now = product.Timestamp(now)
		o.status, o.confirmedAt, o.updatedAt = Confirmed, now, now
		return nil
	case Confirmed:
		return nil
	default:
		return ErrInvalidState
	}
}

// Cancel cancels the order at now. A CREATED order, or a CONFIRMED one at most window after
// its confirmed_at, becomes CANCELED and restore is true: the caller must put the items back
// in stock, in the same transaction. After the window it is ErrCancelWindowExpired and
// nothing changes. An order already CANCELED stays as it is and restore is false, so stock
// is never restored twice.
func (o *Order) Cancel(now time.Time, window time.Duration) (restore bool, err error) {
	now = product.Timestamp(now) // compared at the precision confirmed_at was stored with
	switch o.status {
	case Canceled:
		return false, nil
	case Confirmed:
		if now.After(o.confirmedAt.Add(window)) {
			return false, ErrCancelWindowExpired
		}
	}
	o.status, o.canceledAt, o.updatedAt = Canceled, now, now
	return true, nil
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
