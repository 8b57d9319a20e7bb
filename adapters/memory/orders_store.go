package memory

import (
	"context"
	"sync"

	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// OrdersStore is the orders area's persistence in memory: products, orders and idempotency
// records behind one mutex. Transact holds the mutex for the whole unit of work, so units
// run one at a time (the strongest isolation there is), and it stages every write in an
// overlay that reaches the committed maps only when the unit succeeds: a failed unit leaves
// nothing behind, exactly like a rolled-back MySQL transaction.
type OrdersStore struct {
	mu   sync.Mutex
	data ordersData
}

var (
	_ orders.Store             = (*OrdersStore)(nil)
	_ orders.ProductRepository = ProductRepository{}
	_ orders.OrderRepository   = OrderRepository{}
	_ orders.IdempotencyStore  = IdempotencyStore{}
)

// ordersData is the committed state. Rows are private copies: callers never hold a pointer
// into the store.
type ordersData struct {
	products      map[int64]product.Product
	skus          map[string]int64
	orders        map[int64]order.Order
	keys          map[idemID]*idempotency.Record
	nextProductID int64
	nextOrderID   int64
}

type idemID struct {
	op  idempotency.Operation
	key string
}

// NewOrdersStore returns an empty store.
func NewOrdersStore() *OrdersStore {
	return &OrdersStore{data: ordersData{
		products: map[int64]product.Product{},
		skus:     map[string]int64{},
		orders:   map[int64]order.Order{},
		keys:     map[idemID]*idempotency.Record{},
	}}
}

// Transact implements orders.TxProvider: fn runs alone, against a staged view; its writes
// are applied when it returns nil and dropped otherwise.
func (s *OrdersStore) Transact(ctx context.Context, fn func(ctx context.Context, r orders.Repos) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := newOrdersTx(&s.data)
	if err := fn(ctx, tx.repos()); err != nil {
		return err
	}
	tx.commit()
	return nil
}

// Repos implements orders.Store: each call takes the mutex and runs as its own tiny unit of
// work.
func (s *OrdersStore) Repos() orders.Repos {
	return (&ordersTx{store: s}).repos()
}

// ordersTx is one unit of work: reads fall through the overlay to the committed data,
// writes stay in the overlay until commit. With store set (the Repos view), every
// repository call is its own unit: it locks the store, runs and commits.
type ordersTx struct {
	store *OrdersStore // set only for the auto-commit view
	base  *ordersData

	products      map[int64]product.Product
	skus          map[string]int64
	orders        map[int64]order.Order
	keys          map[idemID]*idempotency.Record // nil value: deleted
	nextProductID int64
	nextOrderID   int64
}

func newOrdersTx(base *ordersData) *ordersTx {
	return &ordersTx{base: base,
		products:      map[int64]product.Product{},
		skus:          map[string]int64{},
		orders:        map[int64]order.Order{},
		keys:          map[idemID]*idempotency.Record{},
		nextProductID: base.nextProductID,
		nextOrderID:   base.nextOrderID,
	}
}

func (t *ordersTx) repos() orders.Repos {
	return orders.Repos{Products: ProductRepository{t}, Orders: OrderRepository{t}, Idempotency: IdempotencyStore{t}}
}

// run runs op in t when t is a unit of work, or in a fresh unit committed on success when t
// is the auto-commit view.
func (t *ordersTx) run(ctx context.Context, op func(tx *ordersTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.store == nil {
		return op(t)
	}
	t.store.mu.Lock()
	defer t.store.mu.Unlock()
	tx := newOrdersTx(&t.store.data)
	if err := op(tx); err != nil {
		return err
	}
	tx.commit()
	return nil
}

func (t *ordersTx) commit() {
	b := t.base
	for id, p := range t.products {
		b.products[id] = p
	}
	for sku, id := range t.skus {
		b.skus[sku] = id
	}
	for id, o := range t.orders {
		b.orders[id] = o
	}
	for id, rec := range t.keys {
		if rec == nil {
			delete(b.keys, id)
		} else {
			b.keys[id] = rec
		}
	}
	b.nextProductID, b.nextOrderID = t.nextProductID, t.nextOrderID
}

func (t *ordersTx) product(id int64) (product.Product, bool) {
	if p, ok := t.products[id]; ok {
		return p, true
	}
	p, ok := t.base.products[id]
	return p, ok
}

func (t *ordersTx) skuTaken(sku string) bool {
	if _, ok := t.skus[sku]; ok {
		return true
	}
	_, ok := t.base.skus[sku]
	return ok
}

func (t *ordersTx) order(id int64) (order.Order, bool) {
	if o, ok := t.orders[id]; ok {
		return o, true
	}
	o, ok := t.base.orders[id]
	return o, ok
}

func (t *ordersTx) record(id idemID) *idempotency.Record {
	if rec, ok := t.keys[id]; ok {
		return rec
	}
	return t.base.keys[id]
}

// productIDs and orderIDs list every id visible to the unit (products and orders are never
// deleted, so the overlay only adds).
func (t *ordersTx) productIDs() []int64 { return overlayIDs(t.base.products, t.products) }

func (t *ordersTx) orderIDs() []int64 { return overlayIDs(t.base.orders, t.orders) }

// overlayIDs lists the keys of base and of staged, each once.
func overlayIDs[V any](base, staged map[int64]V) []int64 {
	ids := make([]int64, 0, len(base)+len(staged))
	for id := range base {
		ids = append(ids, id)
	}
	for id := range staged {
		if _, ok := base[id]; !ok {
			ids = append(ids, id)
		}
	}
	return ids
}

func (t *ordersTx) recordIDs() []idemID {
	ids := make([]idemID, 0, len(t.base.keys)+len(t.keys))
	for id := range t.base.keys {
		if _, staged := t.keys[id]; !staged {
			ids = append(ids, id)
		}
	}
	for id, rec := range t.keys {
		if rec != nil {
			ids = append(ids, id)
		}
	}
	return ids
}
