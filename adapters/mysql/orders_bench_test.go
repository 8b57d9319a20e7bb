package mysql_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// benchOrdersClients is how many goroutines the flow benchmark runs at once: the 16 clients
// of bootstrap/loadtest's flow mode and of bootstrap/sqlbench, so that the figures compare.
const benchOrdersClients = 16

// benchOrdersPool is orders-api's default pool (DB_MAX_OPEN_CONNS, DB_MAX_IDLE_CONNS,
// DB_CONN_MAX_LIFETIME in bootstrap/config.go).
var benchOrdersPool = mysql.PoolConfig{MaxOpenConns: 32, MaxIdleConns: 32, ConnMaxLifetime: 5 * time.Minute}

// BenchmarkOrdersCreateConfirmMySQL runs create order + confirm (with a key) through the
// real orders.Service over the MySQL store with 16 goroutines on a pool sized like
// orders-api's. "shared_product": every flow buys the same product (one hot row lock, as
// loadtest -products 1); "own_product": each goroutine buys its own (loadtest's default).
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
				orders.Config{CancelWindow: 10 * time.Minute, IdempotencyTTL: 24 * time.Hour})
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
				b.Run(name, func(b *testing.B) { benchOrdersFlows(b, svc, shared, customerID) })
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
// only (orders-api asks customers-api over HTTP; bootstrap/loadtest includes that).
type benchOrdersCustomers struct{}

func (benchOrdersCustomers) CheckCustomer(context.Context, int64) error { return nil }

var benchOrdersSeq atomic.Int64

func benchOrdersFlows(b *testing.B, svc *orders.Service, shared bool, customerID int64) {
	ctx := context.Background()
	newProduct := func() int64 {
		p, err := svc.CreateProduct(ctx, orders.NewProduct{
			SKU:  fmt.Sprintf("BENCH-%s-%d", mysqltest.Unique(), benchOrdersSeq.Add(1)),
			Name: "Bench", PriceCents: 1999, Stock: product.MaxStock})
		if err != nil {
			b.Fatal(err)
		}
		return p.ID()
	}
	var sharedID int64
	if shared {
		sharedID = newProduct()
	}
	var failed atomic.Int64
	var firstErr atomic.Value
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((benchOrdersClients + procs - 1) / procs)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		productID := sharedID
		if !shared {
			productID = newProduct()
		}
		create, confirm := benchOrdersEncoder(201), benchOrdersEncoder(200)
		for pb.Next() {
			if err := benchOrdersFlow(ctx, svc, customerID, productID, create, confirm); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}
	})
	b.StopTimer()
	if e := firstErr.Load(); e != nil {
		b.Fatalf("%d of %d flows failed, first: %v", failed.Load(), b.N, e)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "flows/s")
}

// benchOrdersFlow is what bootstrap/loadtest's flow mode asks over HTTP: create an order of
// one unit without a key, then confirm it with a fresh key.
func benchOrdersFlow(ctx context.Context, svc *orders.Service, customerID, productID int64, create, confirm orders.Encoder) error {
	out, err := svc.CreateOrder(ctx, orders.CreateOrder{CustomerID: customerID,
		Lines: []order.Line{{ProductID: productID, Qty: 1}}, Encode: create})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	key, err := idempotency.ParseKey(fmt.Sprintf("bench-%d-%d", out.Order.ID(), benchOrdersSeq.Add(1)))
	if err != nil {
		return err
	}
	res, err := svc.ConfirmOrder(ctx, orders.ConfirmOrder{OrderID: out.Order.ID(), Key: key, Encode: confirm})
	if err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	if res.Replayed || res.Response.Status != 200 {
		return fmt.Errorf("confirm: replayed %v, status %d", res.Replayed, res.Response.Status)
	}
	return nil
}

// benchOrdersEncoder stands in for the HTTP layer's encoder (the order as JSON in a data
// envelope), so that the stored idempotency body has a realistic size.
func benchOrdersEncoder(status int) orders.Encoder {
	return func(o *order.Order) (idempotency.Response, error) {
		type item struct {
			ProductID      int64  `json:"product_id"`
			SKU            string `json:"sku"`
			Name           string `json:"name"`
			Qty            int    `json:"qty"`
			UnitPriceCents int64  `json:"unit_price_cents"`
			SubtotalCents  int64  `json:"subtotal_cents"`
		}
		v := struct {
			ID         int64  `json:"id"`
			CustomerID int64  `json:"customer_id"`
			Status     string `json:"status"`
			TotalCents int64  `json:"total_cents"`
			CreatedAt  string `json:"created_at"`
			Items      []item `json:"items"`
		}{ID: o.ID(), CustomerID: o.CustomerID(), Status: o.Status().String(), TotalCents: o.TotalCents(),
			CreatedAt: o.CreatedAt().Format(time.RFC3339Nano)}
		for _, it := range o.Items() {
			v.Items = append(v.Items, item{it.ProductID(), it.SKU(), it.Name(), it.Qty(), it.UnitPriceCents(), it.SubtotalCents()})
		}
		b, err := json.Marshal(map[string]any{"data": v})
		return idempotency.Response{Status: status, Body: b}, err
	}
}
