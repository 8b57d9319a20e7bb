package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/tools/benchstat"
)

var env mysqltest.Env

func TestMain(m *testing.M) { os.Exit(mysqltest.Run(m, &env)) }

func TestStatementBuilders(t *testing.T) {
	t.Parallel()
	if got, want := lockProductsSQL(3), "SELECT id, sku, name, price_cents, stock FROM products WHERE id IN (?, ?, ?) ORDER BY id FOR UPDATE"; got != want {
		t.Errorf("lockProductsSQL(3) = %q, want %q", got, want)
	}
	items := []productRow{{id: 4, price: 100, sku: "A", name: "a", qty: 1}, {id: 9, price: 250, sku: "B", name: "b", qty: 2}}
	q, args := insertItemsSQL(7, items)
	if want := "INSERT INTO order_items (order_id, product_id, sku, name, qty, unit_price_cents, subtotal_cents) VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)"; q != want {
		t.Errorf("insertItemsSQL: %q, want %q", q, want)
	}
	if want := []any{int64(7), int64(4), "A", "a", int64(1), int64(100), int64(100), int64(7), int64(9), "B", "b", int64(2), int64(250), int64(500)}; fmt.Sprint(args) != fmt.Sprint(want) {
		t.Errorf("insertItemsSQL args %v, want %v", args, want)
	}
	q, args = takeStockSQL(items)
	if want := "UPDATE products SET stock = stock - CASE id WHEN ? THEN ? WHEN ? THEN ? END WHERE id IN (?, ?)"; q != want {
		t.Errorf("takeStockSQL: %q, want %q", q, want)
	}
	if want := []any{int64(4), int64(1), int64(9), int64(2), int64(4), int64(9)}; fmt.Sprint(args) != fmt.Sprint(want) {
		t.Errorf("takeStockSQL args %v, want %v", args, want)
	}
}

// questions runs fn on db (a pool of one connection) and returns how many statements the
// server counted for that session meanwhile (its Questions counter), less the SHOW that
// reads it. It skips t on a server without that counter (TiDB).
func questions(t *testing.T, db *sql.DB, fn func() error) int64 {
	t.Helper()
	read := func() int64 {
		var name string
		var n int64
		err := db.QueryRow("SHOW SESSION STATUS LIKE 'Questions'").Scan(&name, &n)
		if errors.Is(err, sql.ErrNoRows) {
			t.Skip("the server keeps no Questions counter (TiDB): statement counts not measured")
		}
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := read()
	if err := fn(); err != nil {
		t.Fatal(err)
	}
	return read() - before - 1
}

// oneConnection is sqlbench's pool on a fresh database, of one connection so that its
// session counters see every statement, set up with customers and products.
func oneConnection(t *testing.T, customers, products int) *bench {
	t.Helper()
	ctx := context.Background()
	u := env.NewDatabase(t, true)
	db, err := open(ctx, u, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := &bench{db: db}
	if err := b.setUp(ctx, customers, products); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCeilingStatementCounts: the session is at READ COMMITTED without a statement per
// transaction, and the server counts 12 statements for one flow, whatever its number of
// lines, and one for each read.
func TestCeilingStatementCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := oneConnection(t, 2, 21)
	var version, level string
	if err := b.db.QueryRow("SELECT @@version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	variable := "transaction_isolation"
	if strings.Contains(strings.ToLower(version), "mariadb") {
		variable = "tx_isolation"
	}
	if err := b.db.QueryRow("SELECT @@SESSION." + variable).Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level != "READ-COMMITTED" {
		t.Errorf("session isolation %q, want READ-COMMITTED", level)
	}
	var lat benchstat.Latencies
	if n := questions(t, b.db, func() error { return nil }); n != 0 {
		t.Fatalf("nothing counted %d statements, want 0: the calibration is off", n)
	}
	for _, lines := range [][]int64{b.productIDs[:1], b.productIDs[3:5], {b.productIDs[0], b.productIDs[7], b.productIDs[20]}} {
		if n := questions(t, b.db, func() error { return b.flow(ctx, lines, &lat) }); n != 12 {
			t.Errorf("a flow of %d lines: %d statements, want 12", len(lines), n)
		}
	}
	if n := questions(t, b.db, func() error { return b.firstProducts(ctx) }); n != 1 {
		t.Errorf("the products page: %d statements, want 1", n)
	}
	if n := questions(t, b.db, func() error { return b.customer(ctx, b.customerIDs[1]) }); n != 1 {
		t.Errorf("a customer: %d statements, want 1", n)
	}
}

// TestCeilingFlowsLeaveConsistentRows runs flows of random lines and checks, in the
// database, every order: confirmed, its lines and total, its key with the stored answer,
// and every product's stock down by exactly the units ordered.
func TestCeilingFlowsLeaveConsistentRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := oneConnection(t, 1, 5)
	rng := rand.New(rand.NewPCG(1, 2))
	var lat benchstat.Latencies
	const flows = 20
	sold := map[int64]int64{}
	lines := 0
	for range flows {
		picked := benchstat.PickProducts(rng, b.productIDs)
		for _, id := range picked {
			sold[id]++
		}
		lines += len(picked)
		if err := b.flow(ctx, picked, &lat); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range b.productIDs {
		var stock, price, units int64
		if err := b.db.QueryRow("SELECT stock, price_cents FROM products WHERE id = ?", id).Scan(&stock, &price); err != nil {
			t.Fatal(err)
		}
		if err := b.db.QueryRow("SELECT COALESCE(SUM(qty), 0) FROM order_items WHERE product_id = ? AND unit_price_cents = ?", id, price).Scan(&units); err != nil {
			t.Fatal(err)
		}
		if stock != initialStock-sold[id] || units != sold[id] {
			t.Errorf("product %d: stock %d, %d units in orders; want stock %d and %d units", id, stock, units, initialStock-sold[id], sold[id])
		}
	}
	var orders, confirmed, badTotals, items, keys int64
	if err := b.db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(status = 'CONFIRMED' AND confirmed_at IS NOT NULL), 0),
			COALESCE(SUM(total_cents <> (SELECT SUM(subtotal_cents) FROM order_items i WHERE i.order_id = o.id)), 0)
		FROM orders o WHERE customer_id = ?`, b.customerIDs[0]).Scan(&orders, &confirmed, &badTotals); err != nil {
		t.Fatal(err)
	}
	if err := b.db.QueryRow("SELECT COUNT(*) FROM order_items").Scan(&items); err != nil {
		t.Fatal(err)
	}
	if err := b.db.QueryRow(`SELECT COUNT(*) FROM idempotency_keys k JOIN orders o ON k.target = CAST(o.id AS CHAR)
		WHERE k.operation = 'confirm_order' AND k.response_status = 200
		AND k.response_body LIKE CONCAT('{"data":{"id":', o.id, ',%"status":"CONFIRMED"%')`).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if orders != flows || confirmed != flows || badTotals != 0 || items != int64(lines) || keys != flows {
		t.Errorf("%d flows of %d lines: %d orders, %d confirmed, %d with a wrong total, %d items, %d stored answers",
			flows, lines, orders, confirmed, badTotals, items, keys)
	}
}

// TestRunPrintsTheLine runs each mode for a moment, through the -wait handshake, and reads
// its line back.
func TestRunPrintsTheLine(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"flow", "reads"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			res, err := run(context.Background(), options{url: env.NewDatabase(t, false), mode: mode, clients: 3, duration: 300 * time.Millisecond,
				migrate: true, products: 8, readCustomers: 5, wait: strings.NewReader("go\n")}, &out)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			ready, line, _ := strings.Cut(out.String(), "\n")
			if ready != benchstat.ReadyLine {
				t.Errorf("first line %q, want %q", ready, benchstat.ReadyLine)
			}
			f, ok := benchstat.ParseLine(strings.TrimSpace(line))
			if !ok {
				t.Fatalf("no BENCH line in %q", out.String())
			}
			wantProducts := map[string]string{"flow": "8", "reads": "21"}[mode]
			if f["mode"] != "sql-"+mode || f["clients"] != "3" || f["pool"] != "3" || f["errors"] != "0" || f["ops"] == "0" || f["products"] != wantProducts {
				t.Errorf("line %q: want mode=sql-%s clients=3 pool=3 errors=0 products=%s and some ops", line, mode, wantProducts)
			}
			kind := map[string]string{"flow": "flow", "reads": "read"}[mode]
			if _, ok := f[kind+"_p99_ms"]; !ok {
				t.Errorf("line %q has no %s_p99_ms", line, kind)
			}
			if res.Ops == 0 || len(res.productIDs) == 0 || !slices.IsSorted(res.productIDs) {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	t.Parallel()
	u := mysql.DatabaseURL("mysql://x@127.0.0.1:1/x")
	good := options{url: u, mode: "flow", clients: 1, duration: time.Second, products: 1, readCustomers: 1}
	for _, change := range []func(*options){
		func(o *options) { o.url = "" },
		func(o *options) { o.mode = "writes" },
		func(o *options) { o.clients = 0 },
		func(o *options) { o.duration = 0 },
		func(o *options) { o.pool = -1 },
		func(o *options) { o.products = 0 },
		func(o *options) { o.readCustomers = 0 },
	} {
		o := good
		change(&o)
		var out bytes.Buffer
		_, err := run(context.Background(), o, &out)
		if err == nil || !strings.Contains(err.Error(), "-mode") && !strings.Contains(err.Error(), "must be") && !strings.Contains(err.Error(), "DATABASE_URL") {
			t.Errorf("run(%+v): got %v, want a refusal of the options before connecting", o, err)
		}
		if out.Len() != 0 {
			t.Errorf("run(%+v) printed %q before failing", o, out.String())
		}
	}
}
