package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
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
	// created: the orders this store created, kept for Update (see orderSnapshots); nil on
	// TiDB.
	created *orderSnapshots
}

var (
	_ orders.Store             = (*OrdersStore)(nil)
	_ orders.ProductRepository = (*ProductRepository)(nil)
	_ orders.OrderRepository   = (*OrderRepository)(nil)
	_ orders.IdempotencyStore  = (*IdempotencyStore)(nil)
)

// NewOrdersStore returns the store on db, whose schema the migrations made.
func NewOrdersStore(db *sql.DB) *OrdersStore {
	s := &OrdersStore{db: db, d: detectDialect(db)}
	if !s.d.tidb { // TiDB keeps the locked read: its units decide differently (dialect)
		s.created = newOrderSnapshots(orderSnapshotsMax)
	}
	return s
}

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
//
// fn may also run once more when its idempotency key was claimed optimistically (see
// keyClaim) and turned out to be held: the second run claims the key at once.
func (s *OrdersStore) Transact(ctx context.Context, fn func(ctx context.Context, r orders.Repos) error) error {
	// TiDB claims keys at once: the check of a blocked claim reads with SKIP LOCKED.
	err := s.transact(ctx, fn, !s.d.tidb)
	if errors.Is(err, errKeyTaken) {
		err = s.transact(ctx, fn, false)
	}
	return err
}

func (s *OrdersStore) transact(ctx context.Context, fn func(ctx context.Context, r orders.Repos) error, optimistic bool) error {
	var last *unitState // the attempt that ran last: when the unit commits, the one that did
	err := TransactObserved(ctx, s.db, s.onRetry, func(ctx context.Context, tx *Tx) error {
		c := ordersConn{db: s.db, d: s.d, tx: tx, onRetry: s.onRetry, unit: newUnitState(), snapshots: s.created}
		c.unit.optimistic = optimistic
		last = c.unit
		return c.settleClaim(ctx, fn(ctx, c.repos()))
	})
	if err == nil && last != nil {
		s.created.add(last.created) // committed: the orders exist as created
	}
	return err
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
	tx      *Tx // nil: the pool, each statement in autocommit
	onRetry RetryObserver
	// unit is what a unit of work knows of the rows it holds (nil outside one).
	unit *unitState
	// snapshots: the orders created by this store's committed units (nil outside a unit, and
	// on TiDB), which Update may take instead of reading the order (see orderSnapshots).
	snapshots *orderSnapshots
}

// unitState is what a unit of work knows for certain of the rows it holds locked, which no
// other transaction can change until it ends. Writes whose outcome that settles need no
// answer, and travel with the unit's next statement (Tx.Later) instead of costing a round
// trip of their own.
type unitState struct {
	// stock is the stock of each product the unit locked (LockForOrder, Update), as the
	// unit's own changes left it: TakeStock's guard cannot refuse lines it covers.
	stock map[int64]int
	// reserved are the idempotency keys the unit inserted (Reserve): Complete's update
	// cannot miss their row.
	reserved map[string]bool
	// optimistic lets Reserve claim a key with the unit's next statement (claim).
	optimistic bool
	claim      *keyClaim
	// created are the orders the unit created, kept once it commits (orderSnapshots).
	created []order.Snapshot
}

// keyClaim is an idempotency key Reserve claimed optimistically: its INSERT is held back
// (Tx.Later) and travels ahead of the unit's next statement, which saves a round trip per
// keyed request. Reserve answered "free" without knowing; the INSERT still runs first in the
// unit, before anything the unit reads or writes, so the lock order (the key, then the
// order, then products) and the single owner of a key are those of an INSERT sent at once.
// When the unit fails, settleClaim finds out whether the claim did:
//   - a duplicate key: another request completed the key, or held it and committed;
//     errKeyTaken makes Transact run the unit again, Reserve then reading the record
//     (replay, key reused, expired) as it does when it claims at once;
//   - a lock-wait or statement timeout: the claim waited for another request's key, or a
//     later statement waited for some other lock; claimBlocked tells which.
type keyClaim struct {
	op, key string
	flushes int // Tx.flushes when the INSERT was held back
}

// errKeyTaken: an optimistic claim met a key that another request holds or completed.
var errKeyTaken = errors.New("idempotency key claimed optimistically is taken")

// settleClaim returns what the unit's error err means once its optimistic claim, if any, is
// settled. A claim still waiting to be sent is sent now: Reserve's answer must hold even for
// a unit that sent nothing after it (its error, or its success, would otherwise hide a key
// that was taken).
func (c ordersConn) settleClaim(ctx context.Context, err error) error {
	cl := c.unit.claim
	if cl == nil {
		return err
	}
	if c.tx.flushes == cl.flushes {
		ferr := c.tx.flush(ctx)
		if ferr == nil {
			return err
		}
		err = withCleanup(ferr, err)
	} else if err == nil {
		return nil
	}
	switch {
	case isDuplicate(err):
		return errKeyTaken
	case mysqlErrNumber(err) == errLockWait || isStatementTimeout(err):
		return c.claimBlocked(ctx, cl, err)
	}
	return err
}

// claimBlocked tells, after a lock-wait or statement timeout in a unit whose claim was sent,
// whose lock the unit waited for. The key's row is read with SKIP LOCKED, which passes over
// a row another transaction holds but not the unit's own:
//   - no row: another request holds the key (its INSERT not committed yet):
//     idempotency.ErrInProgress, as Reserve answers at once;
//   - a row without a response: the unit's own claim; the wait was a later statement's, and
//     err stands (Transact retries it);
//   - a row with a response: another request completed the key just after the wait ended:
//     errKeyTaken, and the unit runs again to replay it.
func (c ordersConn) claimBlocked(ctx context.Context, cl *keyClaim, err error) error {
	var status int
	qerr := c.tx.QueryRowContext(ctx,
		"SELECT response_status FROM idempotency_keys WHERE operation = ? AND idem_key = ? FOR UPDATE SKIP LOCKED",
		cl.op, cl.key).Scan(&status)
	switch {
	case errors.Is(qerr, sql.ErrNoRows):
		return idempotency.ErrInProgress
	case qerr != nil:
		return withCleanup(err, qerr)
	case status == 0:
		return err
	default:
		return errKeyTaken
	}
}

func newUnitState() *unitState {
	return &unitState{stock: map[int64]int{}, reserved: map[string]bool{}}
}

// covers reports whether every line's product is held with at least the line's qty.
func (u *unitState) covers(lines []order.Line) bool {
	if u == nil {
		return false
	}
	for _, l := range lines {
		if stock, ok := u.stock[l.ProductID]; !ok || stock < l.Qty {
			return false
		}
	}
	return true
}

// hold records the stock of a product the unit has locked.
func (u *unitState) hold(id int64, stock int) {
	if u != nil {
		u.stock[id] = stock
	}
}

// addStock changes the held stock of the lines' products by sign*qty (those the unit holds).
func (u *unitState) addStock(lines []order.Line, sign int) {
	if u == nil {
		return
	}
	for _, l := range lines {
		if stock, ok := u.stock[l.ProductID]; ok {
			u.stock[l.ProductID] = stock + sign*l.Qty
		}
	}
}

// reservedKey names an idempotency key in unitState.reserved.
func reservedKey(op, key string) string { return op + "\x00" + key }

// reserve records a key the unit inserted; isReserved tells whether it did.
func (u *unitState) reserve(op, key string) {
	if u != nil {
		u.reserved[reservedKey(op, key)] = true
	}
}

func (u *unitState) isReserved(op, key string) bool {
	return u != nil && u.reserved[reservedKey(op, key)]
}

func (c ordersConn) repos() orders.Repos {
	r := orders.Repos{
		Products:    &ProductRepository{c: c},
		Orders:      &OrderRepository{c: c},
		Idempotency: &IdempotencyStore{c: c},
	}
	if c.tx != nil && !c.d.tidb {
		r.Unit = unit{c.tx}
	}
	return r
}

// unit is orders.Unit on a unit's Tx. TiDB has none: there Create reads the customer's check
// in the same batch as the inserts and decides after it, so COMMIT must not follow them.
type unit struct{ tx *Tx }

// LastCall implements orders.Unit: the COMMIT travels with the next statement (Tx.Finish).
func (u unit) LastCall() { u.tx.Finish() }

func (c ordersConn) q() queryer {
	if c.tx != nil {
		return c.tx
	}
	return pool{c.db}
}

// later sends a write whose result nobody reads with the unit's next statement when c is a
// unit's (Tx.Later), else runs it now on q. Held back, its error, if any, comes with the next
// statement's (or the commit's) and fails the unit all the same.
func (c ordersConn) later(ctx context.Context, q queryer, query string, args ...any) error {
	if c.tx == nil {
		_, err := q.ExecContext(ctx, query, args...)
		return err
	}
	c.tx.Later(query, args...)
	return nil
}

// locked runs fn on the transaction when there is one, else in a transaction of its own:
// a read with FOR UPDATE and the write after it must share one.
func (c ordersConn) locked(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if c.tx != nil {
		return fn(ctx, c.tx)
	}
	return TransactObserved(ctx, c.db, c.onRetry, func(ctx context.Context, tx *Tx) error {
		return fn(ctx, tx)
	})
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
