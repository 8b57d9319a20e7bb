package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/bootstrap/benchstat"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
)

var env mysqltest.Env

func TestMain(m *testing.M) { os.Exit(mysqltest.Run(m, &env)) }

// loadtestFlowFields are the keys of bootstrap/loadtest's flow-mode line, in its order; a
// script compares the two lines by these names.
var loadtestFlowFields = []string{"mode", "clients", "products", "seconds", "flows", "flows_per_s", "errors",
	"confirm_p50_ms", "confirm_p95_ms", "confirm_p99_ms", "create_p50_ms", "create_p95_ms", "create_p99_ms"}

// TestRunLeavesConsistentRows runs the flows for a moment and checks, in the database, that
// every counted flow created one order of one unit, confirmed it and stored its key with
// the response, and that the stock went down by exactly the number of flows.
func TestRunLeavesConsistentRows(t *testing.T) {
	for _, c := range []struct {
		name        string
		interpolate bool
		products    int
		want        int
	}{{"prepared", false, 1, 1}, {"interpolated", true, 1, 1}, {"three_products", false, 3, 3}, {"one_per_client", false, 0, 4}} {
		t.Run(c.name, func(t *testing.T) {
			u := env.URL(t)
			var out bytes.Buffer
			res, err := run(context.Background(), options{url: u, clients: 4, duration: 300 * time.Millisecond, pool: 4,
				interpolate: c.interpolate, customerCheck: true, migrate: true, products: c.products}, &out)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			if res.flows == 0 || res.errors != 0 {
				t.Fatalf("got %d flows and %d errors, want some flows and no error", res.flows, res.errors)
			}

			line := strings.TrimSpace(out.String())
			fields := strings.Fields(line)
			if fields[0] != "BENCH" {
				t.Fatalf("line %q does not start with BENCH", line)
			}
			values := map[string]string{}
			var keys []string
			for _, f := range fields[1:] {
				k, v, ok := strings.Cut(f, "=")
				if !ok {
					t.Fatalf("field %q is not key=value", f)
				}
				keys = append(keys, k)
				values[k] = v
			}
			if got := keys[:len(loadtestFlowFields)]; !slices.Equal(got, loadtestFlowFields) {
				t.Fatalf("keys %v, want loadtest's %v first", got, loadtestFlowFields)
			}
			if values["mode"] != "sql" || values["clients"] != "4" || values["errors"] != "0" || values["products"] != strconv.Itoa(c.want) {
				t.Fatalf("line %q: want mode=sql clients=4 errors=0", line)
			}

			db := env.DB(t)
			ctx := context.Background()
			if len(res.productIDs) != c.want {
				t.Fatalf("got products %v, want %d", res.productIDs, c.want)
			}
			var taken int64
			for _, id := range res.productIDs {
				var stock, sold int64
				if err := db.QueryRowContext(ctx, "SELECT stock FROM products WHERE id = ?", id).Scan(&stock); err != nil {
					t.Fatal(err)
				}
				if err := db.QueryRowContext(ctx, "SELECT COALESCE(SUM(qty), 0) FROM order_items WHERE product_id = ?", id).Scan(&sold); err != nil {
					t.Fatal(err)
				}
				if stock != initialStock-sold || sold == 0 {
					t.Fatalf("product %d: stock %d, sold %d, want stock %d - sold and some sold", id, stock, sold, initialStock)
				}
				taken += sold
			}
			if taken != res.flows {
				t.Fatalf("%d units taken, want one per flow (%d)", taken, res.flows)
			}
			var confirmed, units, other, keysStored int64
			if err := db.QueryRowContext(ctx, `SELECT
					COALESCE(SUM(o.status = 'CONFIRMED' AND o.confirmed_at IS NOT NULL), 0),
					COALESCE(SUM(i.qty), 0),
					COALESCE(SUM(o.status <> 'CONFIRMED'), 0)
				FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.customer_id = ?`, res.customerID).
				Scan(&confirmed, &units, &other); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM idempotency_keys k JOIN orders o ON k.target = CAST(o.id AS CHAR)
				WHERE o.customer_id = ? AND k.operation = 'confirm_order' AND k.response_status = 200
				AND k.response_body LIKE '{"data":{"id":%"status":"CONFIRMED"%'`, res.customerID).Scan(&keysStored); err != nil {
				t.Fatal(err)
			}
			// A flow starts only before the deadline and always runs to its end, and none
			// failed: every order is confirmed.
			if confirmed != res.flows || other != 0 || units != res.flows || keysStored != res.flows {
				t.Fatalf("flows %d: confirmed %d, other %d, units %d, stored keys %d", res.flows, confirmed, other, units, keysStored)
			}
		})
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	for _, o := range []options{
		{clients: 1, duration: time.Second, pool: 1, products: 1},
		{url: mysql.DatabaseURL("mysql://x@127.0.0.1:1/x"), clients: 0, duration: time.Second, pool: 1, products: 1},
		{url: mysql.DatabaseURL("mysql://x@127.0.0.1:1/x"), clients: 1, duration: 0, pool: 1, products: 1},
		{url: mysql.DatabaseURL("mysql://x@127.0.0.1:1/x"), clients: 1, duration: time.Second, pool: 1, products: -1},
	} {
		var out bytes.Buffer
		if _, err := run(context.Background(), o, &out); err == nil {
			t.Fatalf("run(%+v): got no error", o)
		}
		if out.Len() != 0 {
			t.Fatalf("run(%+v) printed %q before failing", o, out.String())
		}
	}
}

// sessionCounters are the server's per-connection counters that tell which statements ran
// and which rows they touched.
var sessionCounters = []string{"Questions", "Com_stmt_prepare", "Com_stmt_execute", "Com_stmt_close",
	"Com_select", "Com_insert", "Com_update", "Com_delete", "Com_set_option", "Com_begin", "Com_commit",
	"Com_rollback", "Handler_write", "Handler_update", "Handler_delete", "Handler_read_key", "Handler_read_next",
	"Handler_read_rnd_next"}

// sessionDelta runs fn on a pool of one connection and returns how much each session
// counter grew.
func sessionDelta(t *testing.T, db *sql.DB, fn func() error) map[string]int64 {
	t.Helper()
	read := func() map[string]int64 {
		rows, err := db.Query("SHOW SESSION STATUS")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		all := map[string]int64{}
		for rows.Next() {
			var name, value string
			if err := rows.Scan(&name, &value); err != nil {
				t.Fatal(err)
			}
			var n int64
			if _, err := fmt.Sscan(value, &n); err == nil {
				all[name] = n
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, c := range sessionCounters {
			out[c] = all[c]
		}
		return out
	}
	before := read()
	if err := fn(); err != nil {
		t.Fatal(err)
	}
	after := read()
	for k := range after {
		after[k] -= before[k]
	}
	return after
}

type yesCustomers struct{}

func (yesCustomers) CheckCustomer(context.Context, int64) error { return nil }

// TestSameStatementsAsTheAdapters keeps sqlbench honest: one flow of its bare SQL and one
// flow through orders.Service over the MySQL store (create without a key, confirm with a
// fresh key), each on the same single connection, must make the server count the same
// statements of each kind, the same prepared statements and the same row operations. When
// an adapter changes its SQL, this fails until sqlbench mirrors it.
func TestSameStatementsAsTheAdapters(t *testing.T) {
	ctx := context.Background()
	db, err := mysql.Open(ctx, env.URL(t), mysql.PoolConfig{MaxOpenConns: 1, MaxIdleConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := &bench{db: db}
	if err := b.setUp(ctx, 1); err != nil {
		t.Fatal(err)
	}
	productID := b.productIDs[0]
	var lat benchstat.Latencies
	bareFlow := func() error { return b.flow(ctx, productID, false, &lat) }
	svc := orders.NewService(mysql.NewOrdersStore(db), yesCustomers{},
		orders.Config{CancelWindow: 10 * time.Minute, IdempotencyTTL: 24 * time.Hour})
	encode := func(status int) orders.Encoder {
		return func(o *order.Order) (idempotency.Response, error) {
			return idempotency.Response{Status: status, Body: []byte(`{"data":{}}`)}, nil
		}
	}
	serviceFlow := func() error {
		out, err := svc.CreateOrder(ctx, orders.CreateOrder{CustomerID: b.customerID,
			Lines: []order.Line{{ProductID: productID, Qty: 1}}, Encode: encode(201)})
		if err != nil {
			return err
		}
		key, err := idempotency.ParseKey("same-statements-" + strconv.FormatInt(out.Order.ID(), 10))
		if err != nil {
			return err
		}
		_, err = svc.ConfirmOrder(ctx, orders.ConfirmOrder{OrderID: out.Order.ID(), Key: key, Encode: encode(200)})
		return err
	}
	// A first flow of each warms the server's table caches (opening a table reads keys).
	sessionDelta(t, db, bareFlow)
	sessionDelta(t, db, serviceFlow)
	bare := sessionDelta(t, db, bareFlow)
	service := sessionDelta(t, db, serviceFlow)
	if bare["Com_commit"] != 2 || bare["Com_insert"] == 0 || bare["Com_update"] == 0 {
		t.Fatalf("bare flow counters %v: want 2 commits, inserts and updates", bare)
	}
	if !maps.Equal(bare, service) {
		for _, c := range sessionCounters {
			if bare[c] != service[c] {
				t.Errorf("%s: sqlbench %d, orders.Service over adapters/mysql %d", c, bare[c], service[c])
			}
		}
	}
	t.Logf("one flow: %v", bare)
}
