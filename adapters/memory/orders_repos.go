package memory

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// ProductRepository is orders.ProductRepository over an OrdersStore unit of work. Get one
// from OrdersStore.Repos or inside OrdersStore.Transact. Locks are implicit: the unit holds
// the store's mutex.
type ProductRepository struct{ tx *ordersTx }

// Create implements orders.ProductRepository.
func (r ProductRepository) Create(ctx context.Context, p *product.Product) (*product.Product, error) {
	var stored *product.Product
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		if tx.skuTaken(p.SKU()) {
			return product.ErrSKUTaken
		}
		tx.nextProductID++
		snap := p.Snapshot()
		snap.ID = tx.nextProductID
		stored = product.Rehydrate(snap)
		tx.products[stored.ID()] = *stored
		tx.skus[stored.SKU()] = stored.ID()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return copyProduct(*stored), nil
}

// Get implements orders.ProductRepository.
func (r ProductRepository) Get(ctx context.Context, id int64) (*product.Product, error) {
	var got product.Product
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		p, ok := tx.product(id)
		if !ok {
			return product.ErrNotFound
		}
		got = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return copyProduct(got), nil
}

// Update implements orders.ProductRepository.
func (r ProductRepository) Update(ctx context.Context, id int64, fn func(p *product.Product) error) (*product.Product, error) {
	var saved product.Product
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		p, ok := tx.product(id)
		if !ok {
			return product.ErrNotFound
		}
		work := copyProduct(p)
		if err := fn(work); err != nil {
			return err
		}
		// Only what the MySQL adapter writes is saved: whatever fn did, the id, the SKU and
		// created_at stay as stored.
		stored, next := p.Snapshot(), work.Snapshot()
		next.ID, next.SKU, next.CreatedAt = stored.ID, stored.SKU, stored.CreatedAt
		saved = *product.Rehydrate(next)
		tx.products[id] = saved
		return nil
	})
	if err != nil {
		return nil, err
	}
	return copyProduct(saved), nil
}

// List implements orders.ProductRepository.
func (r ProductRepository) List(ctx context.Context, f orders.ProductFilter, page paging.Request) ([]*product.Product, error) {
	var out []*product.Product
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		ids := tx.productIDs()
		slices.Sort(ids)
		needle := strings.ToLower(f.Search)
		for _, id := range ids {
			if id <= page.After {
				continue
			}
			p, _ := tx.product(id)
			if needle != "" && !strings.Contains(strings.ToLower(p.Name()), needle) && !strings.Contains(strings.ToLower(p.SKU()), needle) {
				continue
			}
			out = append(out, copyProduct(p))
			if len(out) > page.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LockForOrder implements orders.ProductRepository.
func (r ProductRepository) LockForOrder(ctx context.Context, ids []int64) ([]*product.Product, error) {
	var out []*product.Product
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		for _, id := range ids {
			if p, ok := tx.product(id); ok {
				out = append(out, copyProduct(p))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TakeStock implements orders.ProductRepository through product.Take.
func (r ProductRepository) TakeStock(ctx context.Context, lines []order.Line) error {
	err := r.changeStock(ctx, lines, "take stock", (*product.Product).Take)
	if errors.Is(err, product.ErrNotEnoughStock) {
		return order.ErrInsufficientStock // as the guarded UPDATE of the MySQL adapter answers
	}
	return err
}

// RestoreStock implements orders.ProductRepository through product.Restore (ErrStockLimit,
// as the INT column would refuse it on MySQL).
func (r ProductRepository) RestoreStock(ctx context.Context, lines []order.Line) error {
	return r.changeStock(ctx, lines, "restore stock", (*product.Product).Restore)
}

// changeStock applies change to a copy of every line's product and saves the copies only
// when every line succeeded: all lines or none, like the single guarded UPDATE of the MySQL
// adapter.
func (r ProductRepository) changeStock(ctx context.Context, lines []order.Line, what string, change func(p *product.Product, qty int) error) error {
	for _, l := range lines {
		if l.Qty < 1 {
			return errors.New(what + ": qty must be >= 1")
		}
	}
	return r.tx.run(ctx, func(tx *ordersTx) error {
		changed := make([]*product.Product, 0, len(lines))
		for _, l := range lines {
			p, ok := tx.product(l.ProductID)
			if !ok {
				return product.ErrNotFound
			}
			work := copyProduct(p)
			if err := change(work, l.Qty); err != nil {
				return err
			}
			changed = append(changed, work)
		}
		for _, p := range changed {
			tx.products[p.ID()] = *p
		}
		return nil
	})
}

func copyProduct(p product.Product) *product.Product { return product.Rehydrate(p.Snapshot()) }

// OrderRepository is orders.OrderRepository over an OrdersStore unit of work.
type OrderRepository struct{ tx *ordersTx }

// Create implements orders.OrderRepository.
func (r OrderRepository) Create(ctx context.Context, o *order.Order) (*order.Order, error) {
	var stored *order.Order
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		for _, it := range o.Items() {
			// The foreign key of order_items.product_id.
			if _, ok := tx.product(it.ProductID()); !ok {
				return product.ErrNotFound
			}
		}
		tx.nextOrderID++
		stored = withID(o, tx.nextOrderID)
		tx.orders[stored.ID()] = *copyOrder(stored)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return copyOrder(stored), nil
}

// Get implements orders.OrderRepository.
func (r OrderRepository) Get(ctx context.Context, id int64) (*order.Order, error) {
	var got *order.Order
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		o, ok := tx.order(id)
		if !ok {
			return order.ErrNotFound
		}
		got = copyOrder(&o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}

// Update implements orders.OrderRepository.
func (r OrderRepository) Update(ctx context.Context, id int64, fn func(o *order.Order) error) (*order.Order, error) {
	var saved *order.Order
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		o, ok := tx.order(id)
		if !ok {
			return order.ErrNotFound
		}
		work := copyOrder(&o)
		if err := fn(work); err != nil {
			return err
		}
		// Only the life-cycle fields are written: whatever fn did, the fields that never
		// change are kept as stored.
		stored, next := o.Snapshot(), work.Snapshot()
		next.ID, next.CustomerID, next.TotalCents, next.CreatedAt, next.ExpiresAt, next.Items =
			stored.ID, stored.CustomerID, stored.TotalCents, stored.CreatedAt, stored.ExpiresAt, stored.Items
		saved = order.Rehydrate(next)
		tx.orders[id] = *copyOrder(saved)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return saved, nil
}

// List implements orders.OrderRepository.
func (r OrderRepository) List(ctx context.Context, f orders.OrderFilter, page paging.Request) ([]*order.Order, error) {
	var out []*order.Order
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		ids := tx.orderIDs()
		slices.SortFunc(ids, func(a, b int64) int { return cmp.Compare(b, a) })
		for _, id := range ids {
			if page.After > 0 && id >= page.After {
				continue
			}
			o, _ := tx.order(id)
			if !orderMatches(&o, f) {
				continue
			}
			out = append(out, copyOrder(&o))
			if len(out) > page.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ClaimExpired implements orders.OrderRepository. A unit of work holds the store's lock for
// its whole run, so two sweeps never see one order at once: nothing is left to skip.
func (r OrderRepository) ClaimExpired(ctx context.Context, now time.Time, skip []int64, limit int) ([]int64, error) {
	type due struct {
		id  int64
		exp time.Time
	}
	var all []due
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		for _, id := range tx.orderIDs() {
			o, _ := tx.order(id)
			// The sweep's own query on MySQL: stored CREATED with expires_at <= now.
			if exp, ok := o.ExpiresAt(); o.Status() == order.Created && ok && !exp.After(now) && !slices.Contains(skip, id) {
				all = append(all, due{id, exp})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b due) int {
		if c := a.exp.Compare(b.exp); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	out := make([]int64, 0, min(limit, len(all)))
	for _, d := range all[:min(limit, len(all))] {
		out = append(out, d.id)
	}
	return out, nil
}

// orderMatches reports whether o matches f, judging its status as of f.At (as ListOrders
// shows it).
func orderMatches(o *order.Order, f orders.OrderFilter) bool {
	status := o.Status()
	if !f.Status.IsZero() && !f.At.IsZero() {
		status = o.AsOf(f.At).Status()
	}
	switch {
	case !f.Status.IsZero() && status != f.Status:
		return false
	case f.CustomerID != 0 && o.CustomerID() != f.CustomerID:
		return false
	case !f.From.IsZero() && o.CreatedAt().Before(f.From):
		return false
	case !f.To.IsZero() && o.CreatedAt().After(f.To):
		return false
	}
	return true
}

func withID(o *order.Order, id int64) *order.Order {
	s := o.Snapshot()
	s.ID = id
	return order.Rehydrate(s)
}

// copyOrder is a deep copy (Rehydrate and Items clone the items).
func copyOrder(o *order.Order) *order.Order { return withID(o, o.ID()) }

// IdempotencyStore is orders.IdempotencyStore over an OrdersStore unit of work. Units run
// one at a time, so a key is never seen in progress: a second request with the same key
// runs after the first has committed (and replays) or rolled back (and runs anew).
type IdempotencyStore struct{ tx *ordersTx }

// Reserve implements orders.IdempotencyStore.
func (r IdempotencyStore) Reserve(ctx context.Context, rec *idempotency.Record) (*idempotency.Record, error) {
	var existing *idempotency.Record
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		id := idemID{rec.Operation(), rec.Key().String()}
		if cur := tx.record(id); cur != nil && !cur.Expired(rec.CreatedAt()) {
			if !cur.Completed() {
				return idempotency.ErrInProgress
			}
			existing = copyRecord(cur)
			return nil
		}
		// Absent or expired: an expired record is replaced, as if purged first.
		tx.keys[id] = copyRecord(rec)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return existing, nil
}

// Complete implements orders.IdempotencyStore.
func (r IdempotencyStore) Complete(ctx context.Context, rec *idempotency.Record) error {
	if !rec.Completed() {
		return errors.New("complete idempotency key: the record has no response")
	}
	return r.tx.run(ctx, func(tx *ordersTx) error {
		id := idemID{rec.Operation(), rec.Key().String()}
		if _, staged := tx.keys[id]; !staged || tx.keys[id] == nil {
			return errors.New("complete idempotency key: the key was not reserved in this transaction")
		}
		tx.keys[id] = copyRecord(rec)
		return nil
	})
}

// Find implements orders.IdempotencyStore. On the Repos view it sees committed records only,
// as a non-locking read on MySQL does.
func (r IdempotencyStore) Find(ctx context.Context, op idempotency.Operation, key idempotency.Key, now time.Time) (*idempotency.Record, error) {
	var found *idempotency.Record
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		if cur := tx.record(idemID{op, key.String()}); cur != nil && !cur.Expired(now) {
			found = copyRecord(cur)
		}
		return nil
	})
	return found, err
}

// Purge implements orders.IdempotencyStore.
func (r IdempotencyStore) Purge(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := r.tx.run(ctx, func(tx *ordersTx) error {
		for _, id := range tx.recordIDs() {
			if tx.record(id).Expired(now) {
				tx.keys[id] = nil
				n++
			}
		}
		return nil
	})
	return n, err
}

func copyRecord(rec *idempotency.Record) *idempotency.Record {
	return idempotency.Rehydrate(rec.Snapshot())
}
