package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// Tx is one transaction of a unit of work, on a pooled connection of its own. It sends what
// the unit needs in as few round trips as the protocol allows (the connections accept
// several statements in one query):
//   - START TRANSACTION travels with the unit's first statement;
//   - writes whose result nobody reads (Later) wait and travel ahead of the next statement;
//   - COMMIT travels with the writes still waiting when the unit ends, or with the unit's
//     last statement when the unit says which one that is (Finish).
//
// A database/sql transaction would send BEGIN and COMMIT on their own, two round trips per
// unit, and start a goroutine per transaction and per result set to watch the request's
// context. Tx's statements run detached from the request's cancellation instead (see
// statementContext); the request's context is checked before each one.
//
// Tx implements queryer, so the repositories' code runs on it as on the pool.
type Tx struct {
	conn    *sql.Conn
	begun   bool // START TRANSACTION has been sent (the server may or may not have run it)
	pending []string
	args    []any
	// flushes counts the batches that carried held-back writes: a write held back when it
	// was n has been sent once it is more (see keyClaim).
	flushes int
	// finishing: COMMIT travels with the next statement (orders.Unit.LastCall);
	// committed: it has, and the unit may send nothing more.
	finishing, committed bool
}

// errCommitted: a statement after the one that carried the unit's COMMIT (Finish).
var errCommitted = errors.New("the unit of work already committed with its last call")

// Finish makes COMMIT travel with the unit's next statement, after it: the caller promises
// that the unit sends nothing more, and that it reads all of that statement's results (the
// COMMIT's error comes last, with Rows.Close).
func (t *Tx) Finish() { t.finishing = true }

// statementContext is the context a statement runs on: ctx without its cancellation, so that
// neither database/sql (a goroutine per result set) nor the driver (a hand-off to its
// watcher goroutine per statement) has anything to watch. The server bounds every statement
// (PoolConfig.StatementTimeout: the lock wait and the statement time limit) and the driver
// bounds every read and write on the socket, so a statement of a canceled request still
// ends on its own, soon; the request's context is checked before every statement, so a
// canceled request sends no further statement, and its transaction is rolled back. A
// context that is already done is returned as it is: database/sql then fails at once.
func statementContext(ctx context.Context) context.Context {
	if ctx.Err() != nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// Later adds a write whose result nobody reads: it goes ahead of the unit's next statement,
// or with the COMMIT. Its error, if any, comes with that statement's (or the commit's) and
// fails the unit all the same. query is one statement (ExecInsertIDs counts them).
func (t *Tx) Later(query string, args ...any) {
	t.pending = append(t.pending, query)
	t.args = append(t.args, args...)
}

// batch returns query with what must go before it: START TRANSACTION when the unit has sent
// nothing yet, then the waiting writes. It empties the waiting writes. An empty query sends
// only what goes before it.
func (t *Tx) batch(query string, args []any) (string, []any) {
	if t.begun && len(t.pending) == 0 && !t.finishing {
		return query, args
	}
	parts := make([]string, 0, len(t.pending)+2)
	if !t.begun {
		parts = append(parts, "START TRANSACTION")
		t.begun = true
	}
	if len(t.pending) > 0 {
		t.flushes++
	}
	parts = append(parts, t.pending...)
	if query != "" {
		parts = append(parts, query)
		if t.finishing {
			parts = append(parts, "COMMIT")
			t.finishing, t.committed = false, true
		}
	}
	all := append(t.args, args...)
	t.pending, t.args = nil, nil
	return strings.Join(parts, "; "), all
}

// ExecContext runs query in the transaction, after what must go before it.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.committed {
		return nil, errCommitted
	}
	query, args = t.batch(query, args)
	return t.conn.ExecContext(statementContext(ctx), query, args...)
}

// ExecInsertIDs runs query in the transaction, after what must go before it, and returns
// the id that each of query's own statements generated (0 for one that made none), in order.
// database/sql gives only the last statement's (Result.LastInsertId), and a batch that reads
// an id back with a SELECT costs the server a statement more, so the query runs on the
// driver's connection (sql.Conn.Raw), whose result has them all (mysql.Result).
func (t *Tx) ExecInsertIDs(ctx context.Context, query string, args ...any) ([]int64, error) {
	if t.committed {
		return nil, errCommitted
	}
	before := len(t.pending) // statements sent ahead of query: the held-back writes...
	if !t.begun {
		before++ // ...and START TRANSACTION
	}
	query, args = t.batch(query, args)
	var ids []int64
	err := t.conn.Raw(func(dc any) error {
		all, err := execInsertIDs(statementContext(ctx), dc, query, args)
		if err != nil {
			return err
		}
		if len(all) <= before {
			return fmt.Errorf("%d results for %d statements sent before the query", len(all), before)
		}
		ids = all[before:]
		return nil
	})
	return ids, err
}

// execInsertIDs runs query on the driver's connection dc, with args converted by the
// driver as database/sql would have them (driver.Valuer types included), and returns the
// insert id of each statement.
func execInsertIDs(ctx context.Context, dc any, query string, args []any) ([]int64, error) {
	type execChecker interface {
		driver.ExecerContext
		driver.NamedValueChecker
	}
	ex, ok := dc.(execChecker)
	if !ok {
		return nil, fmt.Errorf("the driver's connection (%T) is not go-sql-driver/mysql's", dc)
	}
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		if err := ex.CheckNamedValue(&named[i]); err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
	}
	res, err := ex.ExecContext(ctx, query, named)
	if err != nil {
		return nil, err
	}
	all, ok := res.(gomysql.Result)
	if !ok {
		return nil, fmt.Errorf("the driver's result (%T) has no insert id per statement", res)
	}
	return all.AllLastInsertIds(), nil
}

// QueryContext runs query in the transaction, after what must go before it; the rows are
// query's own (the statements before it return none).
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if t.committed {
		return nil, errCommitted
	}
	query, args = t.batch(query, args)
	return t.conn.QueryContext(statementContext(ctx), query, args...)
}

// QueryRowContext is QueryContext for one row.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if t.committed {
		// A Row carries its error to Scan and database/sql makes one only from a failed
		// query: a context canceled (cause errCommitted) fails it before anything is sent,
		// and Scan says "context canceled".
		ctx, cancel := context.WithCancelCause(ctx)
		cancel(errCommitted)
		return t.conn.QueryRowContext(ctx, query, args...)
	}
	query, args = t.batch(query, args)
	return t.conn.QueryRowContext(statementContext(ctx), query, args...)
}

// flush sends the waiting writes now, on their own, when there are any.
func (t *Tx) flush(ctx context.Context) error {
	if len(t.pending) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := t.ExecContext(ctx, "")
	return err
}

// commit sends the waiting writes and COMMIT in one round trip. A unit that sent nothing
// and has nothing waiting has nothing to commit. When a waiting write fails, COMMIT never
// ran: the caller rolls back.
func (t *Tx) commit(ctx context.Context) error {
	t.finishing = false // no statement followed Finish: this COMMIT is the one
	if t.committed && len(t.pending) > 0 {
		return errCommitted // writes held back after the last statement: never dropped quietly
	}
	if t.committed || (!t.begun && len(t.pending) == 0) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := t.ExecContext(ctx, "COMMIT")
	return err
}

// rollbackTimeout bounds the ROLLBACK of a unit that failed; past it the connection is
// closed instead, which rolls the transaction back on the server all the same.
const rollbackTimeout = 5 * time.Second

// rollback ends a transaction that did not commit. A connection on which ROLLBACK fails is
// closed rather than returned to the pool, so that no later unit inherits an open
// transaction: the server rolls back what a closed connection left.
func (t *Tx) rollback() error {
	if !t.begun {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), rollbackTimeout)
	defer cancel()
	_, err := t.conn.ExecContext(ctx, "ROLLBACK")
	if err != nil {
		_ = t.conn.Raw(func(any) error { return driver.ErrBadConn })
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}

// transactOnce runs fn once in a transaction on a connection of its own, and commits when fn
// returns nil: what Transact retries.
func transactOnce(ctx context.Context, db *sql.DB, fn func(ctx context.Context, tx *Tx) error) (err error) {
	// No isolation option: the session is already READ COMMITTED (sessionParams), and an
	// explicit level would cost a SET TRANSACTION round trip before every BEGIN.
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{conn: conn}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.rollback()
			_ = release(conn)
			panic(p)
		}
	}()
	if err := fn(ctx, tx); err != nil {
		return withCleanup(err, tx.rollback(), release(conn))
	}
	if err := tx.commit(ctx); err != nil {
		return withCleanup(fmt.Errorf("commit: %w", err), tx.rollback(), release(conn))
	}
	return release(conn)
}

// release returns conn to the pool; a connection rollback already discarded is no error.
func release(conn *sql.Conn) error {
	if err := conn.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
		return err
	}
	return nil
}

// withCleanup is err, joined with what went wrong cleaning up after it, if anything did.
func withCleanup(err error, cleanup ...error) error {
	if c := errors.Join(cleanup...); c != nil {
		return errors.Join(err, c)
	}
	return err
}

// pool runs statements on the pool, each in autocommit, on statementContext: one statement
// costs no goroutine hand-off to watch the request's context.
type pool struct{ db *sql.DB }

func (p pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.db.ExecContext(statementContext(ctx), query, args...)
}

func (p pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.db.QueryContext(statementContext(ctx), query, args...)
}

func (p pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.db.QueryRowContext(statementContext(ctx), query, args...)
}
