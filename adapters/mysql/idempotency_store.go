package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/idempotency"
)

// IdempotencyStore is orders.IdempotencyStore on the idempotency_keys table, whose primary
// key (operation, idem_key) is the claim on a key.
//
// Reserve inserts the record first thing in the unit of work; in a unit of
// OrdersStore.Transact the INSERT travels ahead of the unit's next statement (keyClaim), in
// the same round trip, and is settled when the unit ends. InnoDB makes a second insert
// of the same key wait on the first one's row lock until that transaction ends: after a
// commit the waiter gets 1062, reads the committed record and replays it; after a rollback
// its insert goes through and it runs anew. The wait is bounded so that a slow first request
// answers the others 409 idempotency_key_in_progress, never a 500 and never a
// second state change. The wait is the session's innodb_lock_wait_timeout, which every
// pooled connection starts with (PoolConfig.StatementTimeout): no SET per transaction.
type IdempotencyStore struct{ c ordersConn }

// insertKey is Reserve's claim: the record without its response.
const insertKey = `INSERT INTO idempotency_keys (operation, idem_key, target, fingerprint, response_status, response_body, created_at, expires_at)
	VALUES (?, ?, ?, ?, 0, '', ?, ?)`

// reserveAttempts bounds Reserve's loop when the row it collided with vanishes (purged or
// expired and replaced) between its insert and its read.
const reserveAttempts = 3

// Reserve implements orders.IdempotencyStore. It must run inside OrdersStore.Transact: the
// claim is the uncommitted row.
func (s *IdempotencyStore) Reserve(ctx context.Context, rec *idempotency.Record) (*idempotency.Record, error) {
	if s.c.tx == nil {
		return nil, errors.New("reserve idempotency key: needs a transaction")
	}
	tx := s.c.q()

	op, key := string(rec.Operation()), rec.Key().String()
	args := []any{op, key, rec.Target(), rec.Fingerprint(), rec.CreatedAt(), rec.ExpiresAt()}
	if u := s.c.unit; u.optimistic && u.claim == nil {
		// Claimed with the unit's next statement; settleClaim deals with a key that is taken.
		s.c.tx.Later(insertKey, args...)
		u.claim = &keyClaim{op: op, key: key, flushes: s.c.tx.flushes}
		u.reserve(op, key)
		return nil, nil
	}
	for range reserveAttempts {
		_, err := tx.ExecContext(ctx, insertKey, args...)
		switch {
		case err == nil:
			s.c.unit.reserve(op, key)
			return nil, nil
		case mysqlErrNumber(err) == errLockWait || isStatementTimeout(err):
			// Deliberately not wrapping the driver error: Transact would retry a 1205.
			return nil, idempotency.ErrInProgress
		case !isDuplicate(err):
			// A deadlock (two waiters after the holder rolled back) is retried by Transact.
			return nil, fmt.Errorf("reserve idempotency key: %w", err)
		}
		cur, err := getRecord(ctx, tx, op, key)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reserve idempotency key: %w", err)
		}
		if cur.Expired(rec.CreatedAt()) {
			// An expired key counts as absent: remove it (as Purge would) and claim it.
			_, err := tx.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE operation = ? AND idem_key = ? AND expires_at <= ?",
				op, key, rec.CreatedAt())
			if mysqlErrNumber(err) == errLockWait {
				return nil, idempotency.ErrInProgress
			}
			if err != nil {
				return nil, fmt.Errorf("reserve idempotency key: delete expired: %w", err)
			}
			continue
		}
		if !cur.Completed() {
			return nil, idempotency.ErrInProgress
		}
		return cur, nil
	}
	return nil, idempotency.ErrInProgress
}

// Complete implements orders.IdempotencyStore: it fills in the response of the row Reserve
// inserted in this transaction. That row is the unit's, locked since it was inserted, so the
// update cannot miss it: it travels with the unit's COMMIT (Tx.Later). A key this unit did
// not reserve is refused.
func (s *IdempotencyStore) Complete(ctx context.Context, rec *idempotency.Record) error {
	if !rec.Completed() {
		return errors.New("complete idempotency key: the record has no response")
	}
	if s.c.tx == nil {
		return errors.New("complete idempotency key: needs a transaction")
	}
	op, key := string(rec.Operation()), rec.Key().String()
	if !s.c.unit.isReserved(op, key) {
		return errors.New("complete idempotency key: the key was not reserved in this transaction")
	}
	resp := rec.Response()
	s.c.tx.Later("UPDATE idempotency_keys SET order_id = ?, response_status = ?, response_body = ? WHERE operation = ? AND idem_key = ? AND response_status = 0",
		sql.NullInt64{Int64: rec.OrderID(), Valid: rec.OrderID() != 0}, resp.Status, resp.Body, op, key)
	return nil
}

// Find implements orders.IdempotencyStore with a plain (consistent, non-locking) read: a
// row inserted by a transaction still running is not visible, and nothing waits on it.
func (s *IdempotencyStore) Find(ctx context.Context, op idempotency.Operation, key idempotency.Key, now time.Time) (*idempotency.Record, error) {
	rec, err := getRecord(ctx, s.c.q(), string(op), key.String())
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, s.c.fail("find idempotency key", err)
	case rec.Expired(now):
		return nil, nil
	}
	return rec, nil
}

// purgeBatch bounds one purge transaction, so that a large backlog never holds many row
// locks (or a long undo log) at once.
const purgeBatch = 1000

// Purge implements orders.IdempotencyStore, in batches that use the index on expires_at and
// claim their rows with FOR UPDATE SKIP LOCKED: orders-api replicas purging at once delete
// disjoint rows and never wait for each other (see purgeClaimed).
func (s *IdempotencyStore) Purge(ctx context.Context, now time.Time) (int64, error) {
	n, err := purgeClaimed(ctx, s.c.db, s.c.onRetry, purgeClaim{
		claim:  "SELECT operation, idem_key FROM idempotency_keys WHERE expires_at <= ? ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED",
		delete: "DELETE FROM idempotency_keys WHERE (operation, idem_key) IN ",
		row:    "(?, ?)",
		scan: func(r rowScanner) ([]any, error) {
			var op string
			var key []byte
			err := r.Scan(&op, &key)
			return []any{op, key}, err
		},
	}, now, purgeBatch)
	if err != nil {
		return n, s.c.fail("purge idempotency keys", err)
	}
	return n, nil
}

func getRecord(ctx context.Context, q queryer, op, key string) (*idempotency.Record, error) {
	s := idempotency.Snapshot{Operation: idempotency.Operation(op), Key: key}
	var orderID sql.NullInt64
	err := q.QueryRowContext(ctx,
		"SELECT target, fingerprint, order_id, response_status, response_body, created_at, expires_at FROM idempotency_keys WHERE operation = ? AND idem_key = ?",
		op, key).Scan(&s.Target, &s.Fingerprint, &orderID, &s.Response.Status, &s.Response.Body, &s.CreatedAt, &s.ExpiresAt)
	if err != nil {
		return nil, err
	}
	s.OrderID = orderID.Int64
	return idempotency.Rehydrate(s), nil
}
