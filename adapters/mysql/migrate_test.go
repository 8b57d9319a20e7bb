package mysql_test

import (
	"context"
	"database/sql"
	"io"
	"os"
	"sync"
	"testing"

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
