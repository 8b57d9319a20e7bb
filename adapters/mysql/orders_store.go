package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/b2b-backoffice/backoffice/application/orders"
)

// OrdersStore is the persistence of the orders area on MySQL: products, orders with their
// items and idempotency records. Transact runs a unit of work in one READ COMMITTED
// transaction through Transact (deadlocks and lock-wait timeouts retry the whole unit);
// Repos gives repositories on the pool, where every call stands alone.
//
// Lock order, which every unit follows so that no two units wait on each other in a cycle:
// the idempotency key row, then the order row, then product rows by id ascending.
type OrdersStore struct {
	db      *sql.DB
	onRetry RetryObserver
}

var (
	_ orders.Store             = (*OrdersStore)(nil)
	_ orders.ProductRepository = (*ProductRepository)(nil)
	_ orders.OrderRepository   = (*OrderRepository)(nil)
	_ orders.IdempotencyStore  = (*IdempotencyStore)(nil)
)

// NewOrdersStore returns the store on db, whose schema the migrations made.
func NewOrdersStore(db *sql.DB) *OrdersStore { return &OrdersStore{db: db} }

// ObserveRetries makes every transaction of the store call onRetry before it runs again
// after a deadlock or a lock-wait timeout (see TransactObserved). Call it before the store
// is used; it returns s.
func (s *OrdersStore) ObserveRetries(onRetry RetryObserver) *OrdersStore {
	s.onRetry = onRetry
	return s
}

// Transact implements orders.TxProvider. The repositories given to fn act on the
// transaction; fn may run again after a deadlock or a lock-wait timeout, and when the
// retries run out the error is ErrUnavailable (503).
func (s *OrdersStore) Transact(ctx context.Context, fn func(ctx context.Context, r orders.Repos) error) error {
	return TransactObserved(ctx, s.db, s.onRetry, func(ctx context.Context, tx *sql.Tx) error {
		return fn(ctx, ordersConn{db: s.db, tx: tx, onRetry: s.onRetry}.repos())
	})
}

// Repos implements orders.Store: repositories on the pool, outside any transaction. Their
// Update methods still lock: each runs in a transaction of its own.
func (s *OrdersStore) Repos() orders.Repos { return ordersConn{db: s.db, onRetry: s.onRetry}.repos() }

// Ping reports whether the database answers; orders-api's /ready uses it.
func (s *OrdersStore) Ping(ctx context.Context) error { return Ping(ctx, s.db) }

// ordersConn is where the repositories send their statements: the transaction of a unit of
// work, or the pool.
type ordersConn struct {
	db      *sql.DB
	tx      *sql.Tx // nil: the pool, each statement in autocommit
	onRetry RetryObserver
}

func (c ordersConn) repos() orders.Repos {
	return orders.Repos{
		Products:    &ProductRepository{c: c},
		Orders:      &OrderRepository{c: c},
		Idempotency: &IdempotencyStore{c: c},
	}
}

func (c ordersConn) q() queryer {
	if c.tx != nil {
		return c.tx
	}
	return c.db
}

// locked runs fn on the transaction when there is one, else in a transaction of its own:
// a read with FOR UPDATE and the write after it must share one.
func (c ordersConn) locked(ctx context.Context, fn func(ctx context.Context, q queryer) error) error {
	if c.tx != nil {
		return fn(ctx, c.tx)
	}
	return TransactObserved(ctx, c.db, c.onRetry, func(ctx context.Context, tx *sql.Tx) error { return fn(ctx, tx) })
}

// fail wraps err with what was being done. Outside a transaction the error is classified
// here (connection loss -> ErrUnavailable); inside one, Transact classifies it once the
// unit ends, after deciding whether to retry.
func (c ordersConn) fail(what string, err error) error {
	err = fmt.Errorf("%s: %w", what, err)
	if c.tx == nil {
		return classify(err)
	}
	return err
}

// done classifies an error that already says what failed, outside a transaction only.
func (c ordersConn) done(err error) error {
	if c.tx == nil {
		return classify(err)
	}
	return err
}

// ordersPlaceholders returns "?, ?, ?" for n arguments.
func ordersPlaceholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
