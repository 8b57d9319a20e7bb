package mysql_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/adapters/repotest"
	"github.com/b2b-backoffice/backoffice/application/orders"
)

// ordersStore returns the store on the package's database; every test of the suites uses
// data of its own, so they share it.
func ordersStore(t *testing.T) orders.Store {
	return mysql.NewOrdersStore(env.DB(t))
}

// ordersCustomer inserts a customers row directly (orders.customer_id is a foreign key);
// customers-api is another service and not under test here.
func ordersCustomer(t *testing.T) int64 {
	t.Helper()
	return insertOrdersCustomer(t, env.DB(t))
}

func insertOrdersCustomer(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	now := time.Now().UTC()
	res, err := db.ExecContext(t.Context(),
		"INSERT INTO customers (name, email, created_at, updated_at) VALUES (?, ?, ?, ?)",
		"Orders test", "orders-"+mysqltest.Unique()+"@example.com", now, now)
	if err != nil {
		t.Fatalf("insert customer: %v", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestProductsContract(t *testing.T) {
	t.Parallel()
	repotest.RunProducts(t, ordersStore)
}

func TestOrdersContract(t *testing.T) {
	t.Parallel()
	repotest.RunOrders(t, ordersStore, ordersCustomer)
}
