package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

func insertProduct(ctx context.Context, tx *mysql.Tx, sku string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO products (sku, name, price_cents, stock, created_at, updated_at)
		VALUES (?, 'p', 1, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))`, sku)
	return err
}

// openPool opens a pool on url with cfg, closed when the test ends.
func openPool(t *testing.T, url mysql.DatabaseURL, cfg mysql.PoolConfig) *sql.DB {
	t.Helper()
	db, err := mysql.Open(t.Context(), url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// laterProduct holds back (Tx.Later) the INSERT of a product with stock.
func laterProduct(tx *mysql.Tx, sku string, stock int) {
	tx.Later(`INSERT INTO products (sku, name, price_cents, stock, created_at, updated_at)
		VALUES (?, 'p', 1, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))`, sku, stock)
}

func countSKU(t *testing.T, db *sql.DB, sku string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM products WHERE sku = ?", sku).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTransactRollsBackOnError(t *testing.T) {
	t.Parallel()
	db := env.DB(t)
	sku := "tx-" + mysqltest.Unique()
	boom := errors.New("boom")
	err := mysql.Transact(context.Background(), db, func(ctx context.Context, tx *mysql.Tx) error {
		if err := insertProduct(ctx, tx, sku); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if n := countSKU(t, db, sku); n != 0 {
		t.Fatalf("got %d rows after rollback, want 0", n)
	}
}

func TestTransactRetriesDeadlocks(t *testing.T) {
	t.Parallel()
	db := env.DB(t)
	sku := "tx-" + mysqltest.Unique()
	attempts := 0
	err := mysql.Transact(context.Background(), db, func(ctx context.Context, tx *mysql.Tx) error {
		attempts++
		if err := insertProduct(ctx, tx, sku); err != nil {
			return err
		}
		if attempts < 3 {
			return &gomysql.MySQLError{Number: 1213, Message: "Deadlock found"}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("got %v, want success on the third attempt", err)
	}
	if attempts != 3 {
		t.Fatalf("got %d attempts, want 3", attempts)
	}
	if n := countSKU(t, db, sku); n != 1 {
		t.Fatalf("got %d rows, want exactly 1 (earlier attempts rolled back)", n)
	}
}

func TestTransactGivesUpAsUnavailable(t *testing.T) {
	t.Parallel()
	db := env.DB(t)
	attempts := 0
	err := mysql.Transact(context.Background(), db, func(context.Context, *mysql.Tx) error {
		attempts++
		return &gomysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded"}
	})
	if !errors.Is(err, mysql.ErrUnavailable) || errs.KindOf(err) != errs.KindUnavailable {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	if attempts < 2 {
		t.Fatalf("got %d attempts, want retries", attempts)
	}
}

// TestTransactRollsBackWhenAHeldBackWriteFails: a write held back for the COMMIT (Tx.Later)
// that fails takes the unit down with it: nothing of the unit stays, and the connection goes
// back to the pool outside any transaction (the next statement on the pool's only connection
// commits on its own).
func TestTransactRollsBackWhenAHeldBackWriteFails(t *testing.T) {
	t.Parallel()
	db := openPool(t, env.URL(t), mysql.PoolConfig{MaxOpenConns: 1, MaxIdleConns: 1})
	sku := "later-" + mysqltest.Unique()
	err := mysql.Transact(t.Context(), db, func(ctx context.Context, tx *mysql.Tx) error {
		if err := insertProduct(ctx, tx, sku); err != nil {
			return err
		}
		// The products' CHECK (stock >= 0) refuses it, at COMMIT time.
		laterProduct(tx, sku+"-negative", -1)
		return nil
	})
	if err == nil {
		t.Fatal("a unit whose held-back write fails committed")
	}
	if n := countSKU(t, db, sku); n != 0 {
		t.Fatalf("got %d rows of the failed unit, want 0", n)
	}
	after := sku + "-after"
	if _, err := db.ExecContext(t.Context(), `INSERT INTO products (sku, name, price_cents, stock, created_at, updated_at)
		VALUES (?, 'p', 1, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))`, after); err != nil {
		t.Fatal(err)
	}
	other := env.DB(t)
	if n := countSKU(t, other, after); n != 1 {
		t.Fatalf("a statement on the pool after the failed unit: seen %d times from another connection, want 1 (committed)", n)
	}
}

// TestTransactStopsAtCancellation: statements run detached from the request's cancellation,
// but a unit whose context is canceled sends no further statement (the proxy counts what
// reaches the server: the first statement with its BEGIN, then only the ROLLBACK) and is
// rolled back.
func TestTransactStopsAtCancellation(t *testing.T) {
	t.Parallel()
	trips, db := countedConnection(t)
	sku := "cancel-" + mysqltest.Unique()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var before int
	err := mysql.Transact(ctx, db, func(ctx context.Context, tx *mysql.Tx) error {
		before = trips.Count()
		if err := insertProduct(ctx, tx, sku); err != nil {
			return err
		}
		cancel()
		return insertProduct(ctx, tx, sku+"-second")
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if sent := trips.Count() - before; sent != 2 {
		t.Fatalf("the unit sent %d round trips, want 2 (its first statement, then ROLLBACK)", sent)
	}
	other := env.DB(t)
	if n := countSKU(t, other, sku) + countSKU(t, other, sku+"-second"); n != 0 {
		t.Fatalf("got %d rows of the canceled unit, want 0", n)
	}
}

// TestTransactFinishCommitsWithTheLastStatement: after Finish the next statement carries the
// COMMIT (no round trip of its own: the proxy counts one for the whole unit); the unit is
// committed once that statement succeeds, and a statement after it is refused, never run
// outside the transaction.
func TestTransactFinishCommitsWithTheLastStatement(t *testing.T) {
	t.Parallel()
	trips, db := countedConnection(t)
	sku := "finish-" + mysqltest.Unique()
	var before int
	err := mysql.Transact(t.Context(), db, func(ctx context.Context, tx *mysql.Tx) error {
		// Counted from the start of the attempt that commits: a deadlock with another
		// test's writes makes Transact run the unit again.
		before = trips.Count()
		tx.Finish()
		return insertProduct(ctx, tx, sku)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := trips.Count() - before; got != 1 {
		t.Errorf("a unit of one statement after Finish: %d round trips, want 1 (BEGIN, the INSERT and COMMIT together)", got)
	}
	if n := countSKU(t, env.DB(t), sku); n != 1 {
		t.Fatalf("seen %d rows from another connection, want 1 (committed)", n)
	}

	err = mysql.Transact(t.Context(), db, func(ctx context.Context, tx *mysql.Tx) error {
		tx.Finish()
		if err := insertProduct(ctx, tx, sku+"-last"); err != nil {
			return err
		}
		return insertProduct(ctx, tx, sku+"-after")
	})
	if err == nil || !strings.Contains(err.Error(), "already committed") {
		t.Fatalf("a statement after the last one: got %v, want it refused", err)
	}
	if n := countSKU(t, env.DB(t), sku+"-after"); n != 0 {
		t.Fatalf("the refused statement ran: %d rows", n)
	}
	if n := countSKU(t, env.DB(t), sku+"-last"); n != 1 {
		t.Fatalf("the last statement: %d rows, want 1 (it committed before the misuse)", n)
	}
	// A write held back after the last statement is an error too, not dropped quietly.
	err = mysql.Transact(t.Context(), db, func(ctx context.Context, tx *mysql.Tx) error {
		tx.Finish()
		if err := insertProduct(ctx, tx, sku+"-last2"); err != nil {
			return err
		}
		laterProduct(tx, sku+"-late", 1)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "already committed") {
		t.Fatalf("a write held back after the last statement: got %v, want it refused", err)
	}
}

// TestTransactFinishNeverCommitsAFailedStatement: when the statement carrying the COMMIT
// fails, the COMMIT after it never runs (the server stops a batch at its first error) and
// the unit is rolled back, the writes before it too.
func TestTransactFinishNeverCommitsAFailedStatement(t *testing.T) {
	t.Parallel()
	db := openPool(t, env.URL(t), mysql.PoolConfig{MaxOpenConns: 1, MaxIdleConns: 1})
	sku := "finish-fail-" + mysqltest.Unique()
	err := mysql.Transact(t.Context(), db, func(ctx context.Context, tx *mysql.Tx) error {
		if err := insertProduct(ctx, tx, sku); err != nil {
			return err
		}
		laterProduct(tx, sku+"-held", 1)
		tx.Finish()
		return insertProduct(ctx, tx, sku) // a duplicate SKU
	})
	if err == nil {
		t.Fatal("a unit whose last statement failed committed")
	}
	for _, s := range []string{sku, sku + "-held"} {
		if n := countSKU(t, env.DB(t), s); n != 0 {
			t.Fatalf("%s: %d rows of the failed unit, want 0", s, n)
		}
	}
}

// TestExecInsertIDsGivesTheQuerysOwnIDs: the ids ExecInsertIDs returns are those of the
// query's own statements, in order, never those of what the unit sent ahead of it (START
// TRANSACTION, writes held back with Later, here inserts that generate ids of their own),
// and they are the rows' ids; a COMMIT may follow (Finish).
func TestExecInsertIDsGivesTheQuerysOwnIDs(t *testing.T) {
	t.Parallel()
	db := env.DB(t)
	sku := "ids-" + mysqltest.Unique()
	insert := `INSERT INTO products (sku, name, price_cents, stock, created_at, updated_at)
		VALUES (?, 'p', 1, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))`
	var got []int64
	err := mysql.Transact(t.Context(), db, func(ctx context.Context, tx *mysql.Tx) error {
		laterProduct(tx, sku+"-held1", 1)
		laterProduct(tx, sku+"-held2", 1)
		tx.Finish()
		var err error
		got, err = tx.ExecInsertIDs(ctx, insert+"; UPDATE products SET stock = 2 WHERE sku = ?; "+insert,
			sku+"-a", sku+"-held1", sku+"-b")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	idOf := func(s string) int64 {
		var id int64
		if err := db.QueryRowContext(t.Context(), "SELECT id FROM products WHERE sku = ?", s).Scan(&id); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return id
	}
	// got[1] is the UPDATE's, and the COMMIT that Finish appends answers after the query's
	// three: what a server reports for statements that insert nothing is its own business.
	if len(got) < 3 || got[0] != idOf(sku+"-a") || got[2] != idOf(sku+"-b") {
		t.Fatalf("ids %v, want %d (-a) first and %d (-b) third, not the held-back inserts' %d and %d",
			got, idOf(sku+"-a"), idOf(sku+"-b"), idOf(sku+"-held1"), idOf(sku+"-held2"))
	}
}
