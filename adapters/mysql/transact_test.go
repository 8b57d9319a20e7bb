package mysql_test

import (
	"context"
	"database/sql"
	"errors"
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
