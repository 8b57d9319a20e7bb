package ordersapi

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// productJSON is the contract's product object.
type productJSON struct {
	ID         int64  `json:"id"`
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
	Stock      int    `json:"stock"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
}

func toProductJSON(p *product.Product) productJSON {
	return productJSON{ID: p.ID(), SKU: p.SKU(), Name: p.Name(), PriceCents: p.PriceCents(), Stock: p.Stock(),
		CreatedAt: httpkit.Time(p.CreatedAt()), UpdatedAt: httpkit.Time(p.UpdatedAt())}
}

// orderJSON is the contract's order object, items included. expires_at is the end of the
// hold while the order is CREATED, null otherwise (confirmed, canceled, or made while holds
// were off); cancel_reason is "requested" or "expired" on a CANCELED order, else null.
type orderJSON struct {
	ID           int64           `json:"id"`
	CustomerID   int64           `json:"customer_id"`
	Status       string          `json:"status"`
	TotalCents   int64           `json:"total_cents"`
	CreatedAt    string          `json:"created_at"`
	UpdatedAt    string          `json:"updated_at"`
	ConfirmedAt  *string         `json:"confirmed_at"`
	CanceledAt   *string         `json:"canceled_at"`
	ExpiresAt    *string         `json:"expires_at"`
	CancelReason *string         `json:"cancel_reason"`
	Items        []orderItemJSON `json:"items"`
}

type orderItemJSON struct {
	ProductID      int64  `json:"product_id"`
	SKU            string `json:"sku"`
	Name           string `json:"name"`
	Qty            int    `json:"qty"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	SubtotalCents  int64  `json:"subtotal_cents"`
}

// toOrderJSON writes o as it is: the use cases give reads the order as of now (an order
// past its hold is already CANCELED/expired).
func toOrderJSON(o *order.Order) orderJSON {
	out := orderJSON{ID: o.ID(), CustomerID: o.CustomerID(), Status: o.Status().String(), TotalCents: o.TotalCents(),
		CreatedAt: httpkit.Time(o.CreatedAt()), UpdatedAt: httpkit.Time(o.UpdatedAt()), Items: []orderItemJSON{}}
	out.ConfirmedAt = optionalTime(o.ConfirmedAt())
	out.CanceledAt = optionalTime(o.CanceledAt())
	if o.Status() == order.Created {
		out.ExpiresAt = optionalTime(o.ExpiresAt())
	}
	if r := o.CancelReason(); !r.IsZero() {
		s := r.String()
		out.CancelReason = &s
	}
	for _, it := range o.Items() {
		out.Items = append(out.Items, orderItemJSON{ProductID: it.ProductID(), SKU: it.SKU(), Name: it.Name(), Qty: it.Qty(),
			UnitPriceCents: it.UnitPriceCents(), SubtotalCents: it.SubtotalCents()})
	}
	return out
}

// optionalTime is httpkit.Time(t), or nil (JSON null) when t is not set.
func optionalTime(t time.Time, ok bool) *string {
	if !ok {
		return nil
	}
	s := httpkit.Time(t)
	return &s
}

// createProductRequest is the body of POST /products. Pointers tell a missing field from a
// zero value: every field is required.
type createProductRequest struct {
	SKU        *string `json:"sku"`
	Name       *string `json:"name"`
	PriceCents *int64  `json:"price_cents"`
	Stock      *int    `json:"stock"`
}

func (b createProductRequest) command() (orders.CreateProduct, error) {
	switch {
	case b.SKU == nil:
		return orders.CreateProduct{}, errs.Invalid("sku is required")
	case b.Name == nil:
		return orders.CreateProduct{}, errs.Invalid("name is required")
	case b.PriceCents == nil:
		return orders.CreateProduct{}, errs.Invalid("price_cents is required")
	case b.Stock == nil:
		return orders.CreateProduct{}, errs.Invalid("stock is required")
	}
	return orders.CreateProduct{SKU: *b.SKU, Name: *b.Name, PriceCents: *b.PriceCents, Stock: *b.Stock}, nil
}

// patchProductRequest is the body of PATCH /products/{id}. The sku is named so that sending
// it gets a clear answer (it cannot change) rather than "unknown field".
type patchProductRequest struct {
	SKU        json.RawMessage          `json:"sku"`
	Name       httpkit.Optional[string] `json:"name"`
	PriceCents httpkit.Optional[int64]  `json:"price_cents"`
	Stock      httpkit.Optional[int]    `json:"stock"`
}

func (b patchProductRequest) patch() (product.Changes, error) {
	if b.SKU != nil {
		return product.Changes{}, errs.Invalid("sku cannot change")
	}
	var p product.Changes
	var err error
	if p.Name, err = b.Name.Ptr("name"); err != nil {
		return p, err
	}
	if p.PriceCents, err = b.PriceCents.Ptr("price_cents"); err != nil {
		return p, err
	}
	if p.Stock, err = b.Stock.Ptr("stock"); err != nil {
		return p, err
	}
	// An empty patch is refused by the domain (at least one field is required).
	return p, nil
}

// createOrderRequest is the body of POST /orders.
type createOrderRequest struct {
	CustomerID *int64            `json:"customer_id"`
	Items      []createOrderLine `json:"items"`
}

type createOrderLine struct {
	ProductID *int64 `json:"product_id"`
	Qty       *int   `json:"qty"`
}

func (b createOrderRequest) lines() (int64, []order.Line, error) {
	if b.CustomerID == nil {
		return 0, nil, errs.Invalid("customer_id is required")
	}
	if b.Items == nil {
		return 0, nil, errs.Invalid("items is required")
	}
	lines := make([]order.Line, 0, len(b.Items))
	for i, it := range b.Items {
		if it.ProductID == nil {
			return 0, nil, errs.Invalid("items[%d].product_id is required", i)
		}
		if it.Qty == nil {
			return 0, nil, errs.Invalid("items[%d].qty is required", i)
		}
		lines = append(lines, order.Line{ProductID: *it.ProductID, Qty: *it.Qty})
	}
	// The domain checks the rest (1..100 lines, qty >= 1, positive ids) with the contract's
	// messages.
	return *b.CustomerID, lines, nil
}

// orderFilter reads GET /orders' query: status, customer_id, from and to.
func orderFilter(q map[string][]string) (orders.OrderFilter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var f orders.OrderFilter
	if s := get("status"); s != "" {
		st, err := order.ParseStatus(s)
		if err != nil {
			return f, err
		}
		f.Status = st
	}
	if s := get("customer_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, errs.Invalid("customer_id must be a positive integer")
		}
		f.CustomerID = id
	}
	var err error
	if f.From, err = parseBound("from", get("from"), false); err != nil {
		return f, err
	}
	if f.To, err = parseBound("to", get("to"), true); err != nil {
		return f, err
	}
	return f, nil
}

// parseBound reads a from/to value: an RFC 3339 time, or a YYYY-MM-DD date meaning the
// whole UTC day, both bounds inclusive: from a date is 00:00:00 of that day, to a date is
// its last stored instant (the next midnight minus one microsecond, DATETIME(6)'s step).
func parseBound(name, s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) == len("2006-01-02") && !strings.ContainsAny(s, "Tt") {
		d, err := time.ParseInLocation(time.DateOnly, s, time.UTC)
		if err != nil {
			return time.Time{}, errs.Invalid("%s must be an RFC 3339 time or a YYYY-MM-DD date", name)
		}
		if end {
			return d.AddDate(0, 0, 1).Add(-time.Microsecond), nil
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errs.Invalid("%s must be an RFC 3339 time or a YYYY-MM-DD date", name)
	}
	return t.UTC(), nil
}
