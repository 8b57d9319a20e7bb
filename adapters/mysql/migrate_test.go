package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
)

var env mysqltest.Env

func TestMain(m *testing.M) { os.Exit(mysqltest.Run(m, &env)) }

func TestMigrateConcurrentProcessesApplyOnce(t *testing.T) {
	u := env.NewDatabase(t, false)
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- mysql.Migrate(context.Background(), u, io.Discard)
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("concurrent migrate: %v", err)
		}
	}
	db, err := mysql.Open(context.Background(), u, mysql.PoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir("../../db/migrations")
	if n != len(entries) {
		t.Fatalf("got %d applied migrations, want %d", n, len(entries))
	}
	for _, table := range []string{"customers", "products", "orders", "order_items", "idempotency_keys"} {
		var cs string
		err := db.QueryRow(`SELECT CCSA.character_set_name FROM information_schema.TABLES T
			JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY CCSA ON CCSA.collation_name = T.table_collation
			WHERE T.table_schema = DATABASE() AND T.table_name = ?`, table).Scan(&cs)
		if err == sql.ErrNoRows {
			t.Fatalf("table %s missing", table)
		}
		if err != nil {
			t.Fatal(err)
		}
		if cs != "utf8mb4" {
			t.Errorf("table %s charset: got %s, want utf8mb4", table, cs)
		}
	}
}

// TestMigratedChecksHold: the migrated tables reject rows their CHECK constraints forbid,
// whichever server it is (TiDB keeps and enforces them only with tidb_enable_check_constraint,
// which Migrate turns on).
func TestMigratedChecksHold(t *testing.T) {
	t.Parallel()
	db := env.DB(t)
	for _, c := range []struct {
		check, query string
	}{
		{"chk_products_stock", "INSERT INTO products (sku, name, price_cents, stock, created_at, updated_at) VALUES (?, 'x', 1, -1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))"},
		{"chk_products_price", "INSERT INTO products (sku, name, price_cents, stock, created_at, updated_at) VALUES (?, 'x', -1, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))"},
	} {
		_, err := db.ExecContext(t.Context(), c.query, "CHK-"+mysqltest.Unique())
		var me *gomysql.MySQLError
		if !errors.As(err, &me) || (me.Number != 3819 && me.Number != 4025) || !strings.Contains(me.Message, c.check) {
			t.Errorf("%s: got %v, want the server's check violation (3819 or 4025) naming it", c.check, err)
		}
	}
}
