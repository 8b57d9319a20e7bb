// Package product is the catalogue entity: a product with a unique, immutable SKU, a price
// in integer cents and a stock that never goes below zero.
package product

import (
	"strings"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/text"
)

// Limits of a product's fields. Stock and quantities fit the database's INT column, so a
// value the database would refuse is a client mistake (400), never a 500.
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
// Apply changes it, Rehydrate rebuilds a stored one.
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
	now = Timestamp(now)
	return &Product{sku: sku, name: name, priceCents: priceCents, stock: stock, createdAt: now, updatedAt: now}, nil
}

// Rehydrate rebuilds a stored product. Only adapters call it, with values they stored from
// a valid product; it does not validate.
func Rehydrate(id int64, sku, name string, priceCents int64, stock int, createdAt, updatedAt time.Time) *Product {
	return &Product{id: id, sku: sku, name: name, priceCents: priceCents, stock: stock,
		createdAt: createdAt.UTC(), updatedAt: updatedAt.UTC()}
}

// Patch is a partial change; nil fields stay as they are. The SKU is not in it: it never
// changes.
type Patch struct {
	Name       *string
	PriceCents *int64
	Stock      *int
}

// Apply validates patch and applies it, all or nothing. An empty patch is KindInvalid: the
// contract requires at least one field.
func (p *Product) Apply(patch Patch, now time.Time) error {
	if patch.Name == nil && patch.PriceCents == nil && patch.Stock == nil {
		return errs.Invalid("at least one of name, price_cents, stock is required")
	}
	var name string
	if patch.Name != nil {
		var err error
		if name, err = text.Field("name", *patch.Name, MaxNameLength, true); err != nil {
			return err
		}
	}
	if patch.PriceCents != nil {
		if err := validPrice(*patch.PriceCents); err != nil {
			return err
		}
	}
	if patch.Stock != nil {
		if err := validStock(*patch.Stock); err != nil {
			return err
		}
	}
	if patch.Name != nil {
		p.name = name
	}
	if patch.PriceCents != nil {
		p.priceCents = *patch.PriceCents
	}
	if patch.Stock != nil {
		p.stock = *patch.Stock
	}
	p.updatedAt = Timestamp(now)
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

// Timestamp is the canonical form of a stored time: UTC, truncated to microseconds (the
// precision of DATETIME(6)). Every entity of the orders area stamps times with it.
func Timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

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
