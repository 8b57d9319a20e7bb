// Package product is the catalogue entity: a product with a unique, immutable SKU, a price
// in integer cents and a stock that never goes below zero.
package product

import (
	"strings"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/text"
	"github.com/b2b-backoffice/backoffice/domain/timestamp"
)

// Limits of a product's fields. Stock and quantities fit the database's INT column, so a
// value the database would refuse is a client mistake (KindInvalid), never an internal error.
const (
	MaxSKULength  = 100
	MaxNameLength = 255
	MaxStock      = 1<<31 - 1
)

// Errors of the product domain.
var (
	// ErrNotFound: no product with that id.
	ErrNotFound = errs.New(errs.KindNotFound, "product_not_found", "product not found")
	// ErrSKUTaken: another product already has that SKU.
	ErrSKUTaken = errs.New(errs.KindConflict, "sku_taken", "a product with that sku already exists")
	// ErrStockLimit: giving units back (a cancelled order's) would raise the stock above
	// MaxStock, which a client can bring about by setting the stock near it. Nothing
	// changes; the cancel succeeds once the stock is lowered.
	ErrStockLimit = errs.New(errs.KindConflict, "stock_limit_exceeded", "the stock would exceed its maximum of 2147483647; lower it first")
)

// Product is a catalogue entry. Its fields are unexported: New validates a new product,
// Update, Take and Restore change it, Rehydrate rebuilds a stored one.
type Product struct {
	id         int64
	sku        string
	name       string
	priceCents int64
	stock      int
	createdAt  time.Time
	updatedAt  time.Time
}

// New validates a product that has not been stored yet (its ID is 0 until a repository
// stores it). The SKU and the name follow the text policy (domain/text). The name loses its
// surrounding spaces, as a customer's name does; the SKU is kept byte for byte, since SKUs
// compare exactly, but must not be blank. now is truncated to microseconds, the precision the database keeps, so that
// what a create answers equals what a later read returns.
func New(sku, name string, priceCents int64, stock int, now time.Time) (*Product, error) {
	if err := text.Check("sku", sku, MaxSKULength); err != nil {
		return nil, err
	}
	if strings.TrimSpace(sku) == "" {
		return nil, errs.Invalid("sku is required and must not be blank")
	}
	name, err := text.Field("name", name, MaxNameLength, true)
	if err != nil {
		return nil, err
	}
	if err := validPrice(priceCents); err != nil {
		return nil, err
	}
	if err := validStock(stock); err != nil {
		return nil, err
	}
	now = timestamp.Of(now)
	return &Product{sku: sku, name: name, priceCents: priceCents, stock: stock, createdAt: now, updatedAt: now}, nil
}

// Snapshot is a product's state field by field, as adapters store it: the one list of the
// product's fields. Changing a Snapshot does not change the product it came from.
type Snapshot struct {
	ID         int64
	SKU        string
	Name       string
	PriceCents int64
	Stock      int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Rehydrate rebuilds a stored product from its snapshot. Only adapters call it, with values
// they stored from a valid product; it does not validate.
func Rehydrate(s Snapshot) *Product {
	return &Product{id: s.ID, sku: s.SKU, name: s.Name, priceCents: s.PriceCents, stock: s.Stock,
		createdAt: s.CreatedAt.UTC(), updatedAt: s.UpdatedAt.UTC()}
}

// Snapshot returns the product's state field by field.
func (p *Product) Snapshot() Snapshot {
	return Snapshot{ID: p.id, SKU: p.sku, Name: p.name, PriceCents: p.priceCents, Stock: p.stock,
		CreatedAt: p.createdAt, UpdatedAt: p.updatedAt}
}

// Changes is a partial change; nil fields stay as they are. The SKU is not in it: it never
// changes.
type Changes struct {
	Name       *string
	PriceCents *int64
	Stock      *int
}

// Update validates the changes and applies them at now, all or nothing. Empty changes are
// KindInvalid: at least one field is required.
func (p *Product) Update(ch Changes, now time.Time) error {
	if ch.Name == nil && ch.PriceCents == nil && ch.Stock == nil {
		return errs.Invalid("at least one of name, price_cents, stock is required")
	}
	var name string
	if ch.Name != nil {
		var err error
		if name, err = text.Field("name", *ch.Name, MaxNameLength, true); err != nil {
			return err
		}
	}
	if ch.PriceCents != nil {
		if err := validPrice(*ch.PriceCents); err != nil {
			return err
		}
	}
	if ch.Stock != nil {
		if err := validStock(*ch.Stock); err != nil {
			return err
		}
	}
	if ch.Name != nil {
		p.name = name
	}
	if ch.PriceCents != nil {
		p.priceCents = *ch.PriceCents
	}
	if ch.Stock != nil {
		p.stock = *ch.Stock
	}
	p.updatedAt = timestamp.Of(now)
	return nil
}

// ErrNotEnoughStock: Take asked for more units than the stock holds. Nothing changes. The
// orders area answers it as order.ErrInsufficientStock, with the lines that are short.
var ErrNotEnoughStock = errs.New(errs.KindConflict, "insufficient_stock", "not enough stock")

// Take removes qty units (qty >= 1) from the stock, which never goes below zero:
// ErrNotEnoughStock when it holds fewer than qty, and nothing changes. It does not touch
// updated_at: stock moves with orders, not with catalogue edits.
func (p *Product) Take(qty int) error {
	if qty < 1 {
		return errs.Invalid("qty must be >= 1")
	}
	if p.stock < qty {
		return ErrNotEnoughStock
	}
	p.stock -= qty
	return nil
}

// Restore gives qty units (qty >= 1) back to the stock: ErrStockLimit when the stock would
// pass MaxStock, and nothing changes.
func (p *Product) Restore(qty int) error {
	if qty < 1 {
		return errs.Invalid("qty must be >= 1")
	}
	if p.stock > MaxStock-qty {
		return ErrStockLimit
	}
	p.stock += qty
	return nil
}

// ID is 0 until the product is stored.
func (p *Product) ID() int64            { return p.id }
func (p *Product) SKU() string          { return p.sku }
func (p *Product) Name() string         { return p.name }
func (p *Product) PriceCents() int64    { return p.priceCents }
func (p *Product) Stock() int           { return p.stock }
func (p *Product) CreatedAt() time.Time { return p.createdAt }
func (p *Product) UpdatedAt() time.Time { return p.updatedAt }

func validPrice(c int64) error {
	if c < 0 {
		return errs.Invalid("price_cents must be >= 0")
	}
	return nil
}

func validStock(s int) error {
	if s < 0 || s > MaxStock {
		return errs.Invalid("stock must be between 0 and %d", MaxStock)
	}
	return nil
}
