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
	d       dialect
	onRetry RetryObserver
}

var (
	_ orders.Store             = (*OrdersStore)(nil)
	_ orders.ProductRepository = (*ProductRepository)(nil)
	_ orders.OrderRepository   = (*OrderRepository)(nil)
	_ orders.IdempotencyStore  = (*IdempotencyStore)(nil)
)

// NewOrdersStore returns the store on db, whose schema the migrations made.
func NewOrdersStore(db *sql.DB) *OrdersStore { return &OrdersStore{db: db, d: detectDialect(db)} }

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
		c := ordersConn{db: s.db, d: s.d, tx: tx, onRetry: s.onRetry, pending: &pendingWrites{}}
		if err := fn(ctx, c.repos()); err != nil {
			return err
		}
		return c.pending.flush(ctx, tx)
	})
}

// Repos implements orders.Store: repositories on the pool, outside any transaction. Their
// Update methods still lock: each runs in a transaction of its own.
func (s *OrdersStore) Repos() orders.Repos {
	return ordersConn{db: s.db, d: s.d, onRetry: s.onRetry}.repos()
}

// Ping reports whether the database answers; orders-api's /ready uses it.
func (s *OrdersStore) Ping(ctx context.Context) error { return Ping(ctx, s.db) }

// ordersConn is where the repositories send their statements: the transaction of a unit of
// work, or the pool.
type ordersConn struct {
	db      *sql.DB
	d       dialect
	tx      *sql.Tx // nil: the pool, each statement in autocommit
	onRetry RetryObserver
	// pending holds, inside a unit of work, the writes whose result nobody reads; they
	// travel with the unit's next statement (see pendingWrites). Nil outside a unit.
	pending *pendingWrites
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
		return unitQueryer{tx: c.tx, pending: c.pending}
	}
	return c.db
}

// later sends a write whose result nobody reads with the unit's next statement when c is a
// unit's, else runs it now on q. Held back, its error, if any, comes with the next
// statement's (or the flush before COMMIT) and fails the unit all the same.
func (c ordersConn) later(ctx context.Context, q queryer, query string, args ...any) error {
	if c.pending == nil {
		_, err := q.ExecContext(ctx, query, args...)
		return err
	}
	c.pending.add(query, args)
	return nil
}

// locked runs fn on the transaction when there is one, else in a transaction of its own:
// a read with FOR UPDATE and the write after it must share one.
func (c ordersConn) locked(ctx context.Context, fn func(ctx context.Context, q queryer) error) error {
	if c.tx != nil {
		return fn(ctx, c.q())
	}
	return TransactObserved(ctx, c.db, c.onRetry, func(ctx context.Context, tx *sql.Tx) error {
		own := ordersConn{db: c.db, d: c.d, tx: tx, onRetry: c.onRetry, pending: &pendingWrites{}}
		if err := fn(ctx, own.q()); err != nil {
			return err
		}
		return own.pending.flush(ctx, tx)
	})
}

// pendingWrites are the writes of a unit of work held back to save a round trip each: the
// connections accept several statements in one query, so they go ahead of the unit's next
// statement, or alone just before COMMIT. The next statement's own result (rows, rows
// affected, insert id) is still the one its caller reads: it comes last.
type pendingWrites struct {
	stmts []string
	args  []any
}

func (p *pendingWrites) add(query string, args []any) {
	p.stmts = append(p.stmts, query)
	p.args = append(p.args, args...)
}

// ahead returns query with the pending writes before it, and empties them.
func (p *pendingWrites) ahead(query string, args []any) (string, []any) {
	if p == nil || len(p.stmts) == 0 {
		return query, args
	}
	q := strings.Join(append(p.stmts, query), "; ")
	a := append(p.args, args...)
	p.stmts, p.args = nil, nil
	return q, a
}

// flush sends what is still pending, before the unit commits.
func (p *pendingWrites) flush(ctx context.Context, tx *sql.Tx) error {
	if p == nil || len(p.stmts) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, strings.Join(p.stmts, "; "), p.args...)
	p.stmts, p.args = nil, nil
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// unitQueryer is a unit's transaction that sends the pending writes ahead of each statement.
type unitQueryer struct {
	tx      *sql.Tx
	pending *pendingWrites
}

func (u unitQueryer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query, args = u.pending.ahead(query, args)
	return u.tx.ExecContext(ctx, query, args...)
}

func (u unitQueryer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query, args = u.pending.ahead(query, args)
	return u.tx.QueryContext(ctx, query, args...)
}

func (u unitQueryer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	query, args = u.pending.ahead(query, args)
	return u.tx.QueryRowContext(ctx, query, args...)
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
