package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

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
// product.ErrSKUTaken. Outside a unit of work the insert runs in a transaction of its own,
// so that a deadlock on the unique index (possible when many inserts race) is retried.
func (r *ProductRepository) Create(ctx context.Context, p *product.Product) (*product.Product, error) {
	var id int64
	err := r.c.locked(ctx, func(ctx context.Context, q *Tx) error {
		res, err := q.ExecContext(ctx,
			"INSERT INTO products (sku, name, price_cents, stock, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			p.SKU(), p.Name(), p.PriceCents(), p.Stock(), p.CreatedAt(), p.UpdatedAt())
		if err != nil {
			return duplicateAs(err, product.ErrSKUTaken, "insert product")
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("insert product: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	stored := p.Snapshot()
	stored.ID = id
	return product.Rehydrate(stored), nil
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
	err := r.c.locked(ctx, func(ctx context.Context, q *Tx) error {
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
		r.c.unit.hold(id, p.Stock())
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
		page, f.Search, "("+r.c.d.containsLiteral("name")+" OR "+r.c.d.containsLiteral("sku")+")")
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
	items, err := queryAll(ctx, r.c.q(), scanProduct,
		"SELECT "+productColumns+" FROM products WHERE id IN ("+ordersPlaceholders(len(ids))+") ORDER BY id FOR UPDATE", int64Args(ids)...)
	if err != nil {
		return nil, r.c.fail("lock products", err)
	}
	for _, p := range items {
		r.c.unit.hold(p.ID(), p.Stock())
	}
	return items, nil
}

// TakeStock implements orders.ProductRepository with one guarded update for all lines:
//
//	UPDATE products SET stock = CASE id WHEN ? THEN stock - ? ... END
//	WHERE id IN (...) AND CASE id WHEN ? THEN stock >= ? ... END
//
// Whatever the interleaving, a row's stock never goes below zero. Fewer rows changed than
// lines means a product is missing or short; the unit is then rolled back (outside a
// transaction the update runs in one of its own) and one more read tells which.
//
// Inside a unit that holds every line's product locked with enough stock (LockForOrder
// read it, unitState), the guard cannot refuse: the update then goes without it and without
// waiting for an answer, with the unit's next statement (Tx.Later). The products' CHECK
// (stock >= 0) still fails the unit if the held figures were ever wrong.
func (r *ProductRepository) TakeStock(ctx context.Context, lines []order.Line) error {
	if len(lines) > 0 && r.c.tx != nil && r.c.unit.covers(lines) && validQty(lines) {
		query, args := stockUpdate(lines, "stock - ?", "", nil)
		r.c.tx.Later(query, args...)
		r.c.unit.addStock(lines, -1)
		return nil
	}
	if err := r.changeStock(ctx, lines, "take stock", "stock - ?", "stock >= ?", func(l order.Line) int { return l.Qty }, order.ErrInsufficientStock); err != nil {
		return err
	}
	r.c.unit.addStock(lines, -1)
	return nil
}

// validQty reports whether every line's qty is at least 1.
func validQty(lines []order.Line) bool {
	for _, l := range lines {
		if l.Qty < 1 {
			return false
		}
	}
	return true
}

// RestoreStock implements orders.ProductRepository with one guarded update, like TakeStock.
// The guard keeps the INT column from overflowing: a client can set a stock near the
// maximum and then cancel an order, so that is product.ErrStockLimit (409), never a driver
// error.
func (r *ProductRepository) RestoreStock(ctx context.Context, lines []order.Line) error {
	if err := r.changeStock(ctx, lines, "restore stock", "stock + ?", "stock <= ?", func(l order.Line) int { return product.MaxStock - l.Qty }, product.ErrStockLimit); err != nil {
		return err
	}
	r.c.unit.addStock(lines, 1)
	return nil
}

// changeStock runs stockUpdate's guarded UPDATE. short is the error when a guard refuses a
// row.
func (r *ProductRepository) changeStock(ctx context.Context, lines []order.Line, what, set, guard string, guardArg func(order.Line) int, short error) error {
	if len(lines) == 0 {
		return nil
	}
	if !validQty(lines) {
		return errors.New(what + ": qty must be >= 1")
	}
	query, args := stockUpdate(lines, set, guard, guardArg)
	return r.c.locked(ctx, func(ctx context.Context, tx *Tx) error {
		n, err := execAffected(ctx, tx, query, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if n == int64(len(lines)) {
			return nil
		}
		if err := r.allExist(ctx, tx, lines); err != nil {
			return err
		}
		return short
	})
}

// stockUpdate is UPDATE products SET stock = CASE id WHEN <id> THEN <set> ... END WHERE id
// IN (...), where set takes the line's qty, and when guard is not empty AND CASE id WHEN <id>
// THEN <guard> ... END, where guard takes the bound guardArg gives.
func stockUpdate(lines []order.Line, set, guard string, guardArg func(order.Line) int) (string, []any) {
	var q strings.Builder
	args := make([]any, 0, 5*len(lines))
	q.WriteString("UPDATE products SET stock = CASE id")
	for _, l := range lines {
		q.WriteString(" WHEN ? THEN " + set)
		args = append(args, l.ProductID, l.Qty)
	}
	q.WriteString(" END WHERE id IN (" + ordersPlaceholders(len(lines)) + ")")
	for _, l := range lines {
		args = append(args, l.ProductID)
	}
	if guard != "" {
		q.WriteString(" AND CASE id")
		for _, l := range lines {
			q.WriteString(" WHEN ? THEN " + guard)
			args = append(args, l.ProductID, guardArg(l))
		}
		q.WriteString(" END")
	}
	return q.String(), args
}

// allExist returns product.ErrNotFound unless every line's product exists.
func (r *ProductRepository) allExist(ctx context.Context, q queryer, lines []order.Line) error {
	args := make([]any, len(lines))
	for i, l := range lines {
		args[i] = l.ProductID
	}
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM products WHERE id IN ("+ordersPlaceholders(len(lines))+")", args...).Scan(&n)
	if err != nil {
		return fmt.Errorf("select products: %w", err)
	}
	if n != len(lines) {
		return product.ErrNotFound
	}
	return nil
}

func scanProduct(s rowScanner) (*product.Product, error) {
	var p product.Snapshot
	// The stock is scanned as the driver's int64: into an int, database/sql would convert it
	// through its decimal text.
	var stock int64
	if err := s.Scan(&p.ID, &p.SKU, &p.Name, &p.PriceCents, &stock, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	p.Stock = int(stock)
	return product.Rehydrate(p), nil
}
