package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// ProductRepository is orders.ProductRepository on the products table. Get one from
// OrdersStore.Repos or inside OrdersStore.Transact.
type ProductRepository struct{ c ordersConn }

const productColumns = "id, sku, name, price_cents, stock, created_at, updated_at"

// Create implements orders.ProductRepository. The unique index on sku (a binary string, so
// SKUs are compared exactly) turns a concurrent duplicate into 1062, which is
// product.ErrSKUTaken.
func (r *ProductRepository) Create(ctx context.Context, p *product.Product) (*product.Product, error) {
	res, err := r.c.q().ExecContext(ctx,
		"INSERT INTO products (sku, name, price_cents, stock, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		p.SKU(), p.Name(), p.PriceCents(), p.Stock(), p.CreatedAt(), p.UpdatedAt())
	if err != nil {
		return nil, r.c.done(duplicateAs(err, product.ErrSKUTaken, "insert product"))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, r.c.fail("insert product", err)
	}
	return product.Rehydrate(id, p.SKU(), p.Name(), p.PriceCents(), p.Stock(), p.CreatedAt(), p.UpdatedAt()), nil
}

// Get implements orders.ProductRepository.
func (r *ProductRepository) Get(ctx context.Context, id int64) (*product.Product, error) {
	p, err := scanProduct(r.c.q().QueryRowContext(ctx, "SELECT "+productColumns+" FROM products WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, product.ErrNotFound
	}
	if err != nil {
		return nil, r.c.fail("select product", err)
	}
	return p, nil
}

// Update implements orders.ProductRepository: SELECT ... FOR UPDATE, fn, then one UPDATE of
// the mutable columns. The sku is never written.
func (r *ProductRepository) Update(ctx context.Context, id int64, fn func(p *product.Product) error) (*product.Product, error) {
	var saved *product.Product
	err := r.c.locked(ctx, func(ctx context.Context, q queryer) error {
		p, err := scanProduct(q.QueryRowContext(ctx, "SELECT "+productColumns+" FROM products WHERE id = ? FOR UPDATE", id))
		if errors.Is(err, sql.ErrNoRows) {
			return product.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock product: %w", err)
		}
		if err := fn(p); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, "UPDATE products SET name = ?, price_cents = ?, stock = ?, updated_at = ? WHERE id = ?",
			p.Name(), p.PriceCents(), p.Stock(), p.UpdatedAt(), id); err != nil {
			return fmt.Errorf("update product: %w", err)
		}
		// The row's sku and created_at are what was read: fn cannot change them.
		saved = p
		return nil
	})
	if err != nil {
		return nil, r.c.done(err)
	}
	return saved, nil
}

// List implements orders.ProductRepository with a keyset scan on the primary key. The
// search is LIKE on escaped input with '\' as the escape character, so %, _ and \ match
// literally, and compares characters ignoring case, not collation weights (see
// containsLiteral; sku is a binary string, compared exactly for uniqueness, and is
// converted to text first).
func (r *ProductRepository) List(ctx context.Context, f orders.ProductFilter, page paging.Request) ([]*product.Product, error) {
	query, args := keysetPage("SELECT "+productColumns+" FROM products WHERE id > ?",
		page, f.Search, "("+containsLiteral("name")+" OR "+containsLiteral("sku")+")")
	items, err := queryAll(ctx, r.c.q(), scanProduct, query, args...)
	if err != nil {
		return nil, r.c.fail("list products", err)
	}
	return items, nil
}

// LockForOrder implements orders.ProductRepository. The primary key range scan visits the
// ids in ascending order, so the row locks are taken in that order.
func (r *ProductRepository) LockForOrder(ctx context.Context, ids []int64) ([]*product.Product, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	items, err := queryAll(ctx, r.c.q(), scanProduct,
		"SELECT "+productColumns+" FROM products WHERE id IN ("+ordersPlaceholders(len(ids))+") ORDER BY id FOR UPDATE", args...)
	if err != nil {
		return nil, r.c.fail("lock products", err)
	}
	return items, nil
}

// TakeStock implements orders.ProductRepository with the guarded update
// UPDATE ... SET stock = stock - qty WHERE id = ? AND stock >= qty: whatever the
// interleaving, a row's stock never goes below zero. No row changed means either no product
// or not enough stock; one more read tells which.
func (r *ProductRepository) TakeStock(ctx context.Context, id int64, qty int) error {
	if qty < 1 {
		return errors.New("take stock: qty must be >= 1")
	}
	n, err := execAffected(ctx, r.c.q(), "UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?", qty, id, qty)
	if err != nil {
		return r.c.fail("take stock", err)
	}
	if n == 1 {
		return nil
	}
	if err := r.exists(ctx, id); err != nil {
		return err
	}
	return order.ErrInsufficientStock
}

// RestoreStock implements orders.ProductRepository. The guard keeps the INT column from
// overflowing: a client can set a stock near the maximum and then cancel an order, so that
// is product.ErrStockLimit (409), never a driver error.
func (r *ProductRepository) RestoreStock(ctx context.Context, id int64, qty int) error {
	if qty < 1 {
		return errors.New("restore stock: qty must be >= 1")
	}
	n, err := execAffected(ctx, r.c.q(), "UPDATE products SET stock = stock + ? WHERE id = ? AND stock <= ?",
		qty, id, product.MaxStock-qty)
	if err != nil {
		return r.c.fail("restore stock", err)
	}
	if n == 1 {
		return nil
	}
	if err := r.exists(ctx, id); err != nil {
		return err
	}
	return product.ErrStockLimit
}

func (r *ProductRepository) exists(ctx context.Context, id int64) error {
	var one int
	err := r.c.q().QueryRowContext(ctx, "SELECT 1 FROM products WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return product.ErrNotFound
	}
	if err != nil {
		return r.c.fail("select product", err)
	}
	return nil
}

func scanProduct(s rowScanner) (*product.Product, error) {
	var (
		id, priceCents       int64
		sku, name            string
		stock                int
		createdAt, updatedAt time.Time
	)
	if err := s.Scan(&id, &sku, &name, &priceCents, &stock, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	return product.Rehydrate(id, sku, name, priceCents, stock, createdAt, updatedAt), nil
}
