package mysql_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/adapters/repotest"
	"github.com/b2b-backoffice/backoffice/application/orders"
)

// benchOrdersPool is orders-api's default pool (DB_MAX_OPEN_CONNS, DB_MAX_IDLE_CONNS,
// DB_CONN_MAX_LIFETIME in bootstrap/config.go).
var benchOrdersPool = mysql.PoolConfig{MaxOpenConns: 32, MaxIdleConns: 32, ConnMaxLifetime: 5 * time.Minute}

// BenchmarkOrdersCreateConfirmMySQL runs create order + confirm (with a key) through the
// real orders.Service over the MySQL store with 16 goroutines (repotest.BenchCreateConfirm:
// the 16 clients of tools/loadtest's flow mode and of tools/sqlbench, so that the
// figures compare) on a pool sized like orders-api's. "shared_product": every flow buys the
// same product (one hot row lock, as loadtest -products 1); "own_product": each goroutine
// buys its own (loadtest's default).
// "interpolated" is the pool as adapters/mysql.Open makes it (arguments inlined by the
// driver: one round trip per statement); "prepared" is the same DSN with interpolateParams
// off (each statement prepared, executed and closed), to show what that setting buys.
//
//	TEST_DATABASE_URL=mysql://root@127.0.0.1:3306/ go test -run XXX -bench OrdersCreateConfirm ./adapters/mysql/
func BenchmarkOrdersCreateConfirmMySQL(b *testing.B) {
	for _, interpolate := range []bool{false, true} {
		name := "prepared"
		if interpolate {
			name = "interpolated"
		}
		b.Run(name, func(b *testing.B) {
			db := benchOrdersOpen(b, interpolate)
			svc := orders.NewService(mysql.NewOrdersStore(db), benchOrdersCustomers{},
				orders.Config{CancelWindow: 10 * time.Minute, IdempotencyTTL: 24 * time.Hour}, time.Now)
			now := time.Now().UTC()
			res, err := db.ExecContext(context.Background(),
				"INSERT INTO customers (name, email, created_at, updated_at) VALUES (?, ?, ?, ?)",
				"Bench", "bench-"+mysqltest.Unique()+"@example.com", now, now)
			if err != nil {
				b.Fatal(err)
			}
			customerID, err := res.LastInsertId()
			if err != nil {
				b.Fatal(err)
			}
			for _, shared := range []bool{true, false} {
				name := "own_product"
				if shared {
					name = "shared_product"
				}
				b.Run(name, func(b *testing.B) { repotest.BenchCreateConfirm(b, svc, customerID, shared) })
			}
		})
	}
}

// benchOrdersOpen opens a pool on the package's database as orders-api does, with the
// driver's interpolateParams as asked (orders-api has it on).
func benchOrdersOpen(b *testing.B, interpolate bool) *sql.DB {
	b.Helper()
	u := env.URL(b)
	dsn, err := mysql.DSN(u)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		b.Fatal(err)
	}
	cfg.InterpolateParams = interpolate
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		b.Fatal(err)
	}
	db := sql.OpenDB(connector)
	b.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(benchOrdersPool.MaxOpenConns)
	db.SetMaxIdleConns(benchOrdersPool.MaxIdleConns)
	db.SetConnMaxLifetime(benchOrdersPool.ConnMaxLifetime)
	return db
}

// benchOrdersCustomers says yes to every customer: the benchmark measures the orders side
// only (orders-api asks customers-api over HTTP; tools/loadtest includes that).
type benchOrdersCustomers struct{}

func (benchOrdersCustomers) CheckCustomer(context.Context, int64) error { return nil }
