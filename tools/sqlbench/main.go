// Command sqlbench is the ceiling `make bench` compares the services with: the fewest SQL
// statements the contract allows for each operation tools/loadtest sends, run as bare
// SQL from Go (database/sql, go-sql-driver with interpolateParams, a pool as large as the
// clients) on the database the services use, at -clients concurrency for -duration. It
// prints one line in loadtest's format (tools/benchstat):
//
//	BENCH mode=sql-flow clients=16 seconds=20.0 ops=N ops_per_s=X errors=0 status_5xx=0 confirm_p50_ms=.. ... products=64 pool=16 pool_waits=0 pool_wait_ms=0
//
// -mode flow is one create+confirm of an order of 1 to 3 random products of -products
// (benchstat.PickProducts, as loadtest), qty 1 each, in 12 statements:
//
//	SELECT id, name, email, phone, created_at, updated_at FROM customers WHERE id = ? AND deleted_at IS NULL
//	BEGIN
//	SELECT ... FROM products WHERE id IN (...) ORDER BY id FOR UPDATE   (stock checked on these rows)
//	INSERT INTO orders (...) VALUES (...)
//	INSERT INTO order_items (...) VALUES (...), (...)                    (every line at once)
//	UPDATE products SET stock = stock - CASE id WHEN ? THEN ? ... END WHERE id IN (...)
//	COMMIT
//	BEGIN
//	INSERT INTO idempotency_keys (...)                                   (the key reserved)
//	UPDATE orders SET status = 'CONFIRMED', ... WHERE id = ? AND status = 'CREATED'
//	UPDATE idempotency_keys SET response_status = 200, response_body = ? WHERE ...
//	COMMIT
//
// BEGIN is one round trip: the transactions use the session's isolation level, which the
// DSN sets to READ COMMITTED once per connection (tx_isolation on MariaDB,
// transaction_isolation on MySQL: SELECT @@version tells which). A deadlock or lock-wait
// timeout reruns the transaction, as the services do.
//
// -mode reads is, half each, the first page of products and one customer by id (of
// -read-customers it creates):
//
//	SELECT id, sku, name, price_cents, stock, created_at, updated_at FROM products WHERE id > 0 ORDER BY id LIMIT 21
//	SELECT id, name, email, phone, created_at, updated_at FROM customers WHERE id = ? AND deleted_at IS NULL
//
// With -wait it prints benchstat.ReadyLine once set up and starts when a line arrives on
// stdin (tools/bench reads the server's statement counter around the load alone).
//
//	DATABASE_URL=mysql://root@127.0.0.1:3306/bench go run ./tools/sqlbench -mode flow -clients 16 -duration 10s
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/timestamp"
	"github.com/b2b-backoffice/backoffice/tools/benchstat"
)

type options struct {
	url           mysql.DatabaseURL
	mode          string
	clients       int
	duration      time.Duration
	pool          int
	migrate       bool
	products      int
	readCustomers int
	wait          io.Reader // with -wait: where the start line comes from; nil: start at once
}

func main() {
	var (
		o    options
		url  string
		wait bool
	)
	flag.StringVar(&url, "database-url", os.Getenv("DATABASE_URL"), "mysql://user:pass@host:port/db (default $DATABASE_URL)")
	flag.StringVar(&o.mode, "mode", "flow", "flow (create+confirm) or reads")
	flag.IntVar(&o.clients, "clients", 16, "concurrent clients")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long to run")
	flag.IntVar(&o.pool, "pool", 0, "max open (and idle) connections (0: as many as -clients)")
	flag.BoolVar(&o.migrate, "migrate", true, "create the database and apply the migrations first")
	flag.IntVar(&o.products, "products", 64, "products the orders pick 1 to 3 of at random (at least 21 in reads mode: a full page)")
	flag.IntVar(&o.readCustomers, "read-customers", 50, "customers the reads mode creates and reads at random")
	flag.BoolVar(&wait, "wait", false, "once set up, print "+benchstat.ReadyLine+" and wait for a line on stdin before the load")
	flag.Parse()
	o.url = mysql.DatabaseURL(url)
	if wait {
		o.wait = os.Stdin
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	_, err := run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sqlbench:", err)
		os.Exit(1)
	}
}

// result is what a run did, for the tests to check against the database.
type result struct {
	customerIDs []int64
	productIDs  []int64
	benchstat.Result
}

// initialStock is each product's stock: enough for any run (loadtest uses the same).
const initialStock = 2_000_000_000

func run(ctx context.Context, o options, out io.Writer) (result, error) {
	if o.url == "" {
		return result{}, errors.New("no database: set DATABASE_URL or -database-url")
	}
	if o.mode != "flow" && o.mode != "reads" {
		return result{}, fmt.Errorf("unknown -mode %q: want flow or reads", o.mode)
	}
	if o.clients < 1 || o.duration <= 0 || o.pool < 0 || o.products < 1 || o.readCustomers < 1 {
		return result{}, errors.New("-clients, -duration, -products and -read-customers must be positive, -pool not negative")
	}
	if o.pool == 0 {
		o.pool = o.clients
	}
	if o.migrate {
		if err := mysql.Migrate(ctx, o.url, io.Discard); err != nil {
			return result{}, err
		}
	}
	db, err := open(ctx, o.url, o.pool)
	if err != nil {
		return result{}, err
	}
	defer db.Close()

	b := &bench{db: db}
	customers, products := 1, o.products
	if o.mode == "reads" {
		customers, products = o.readCustomers, max(o.products, 21)
	}
	if err := b.setUp(ctx, customers, products); err != nil {
		return result{}, err
	}
	if o.wait != nil {
		if err := benchstat.AwaitStart(o.wait, out); err != nil {
			return result{}, err
		}
	}
	op := func(ctx context.Context, rng *rand.Rand, lat *benchstat.Latencies) error {
		return b.flow(ctx, benchstat.PickProducts(rng, b.productIDs), lat)
	}
	if o.mode == "reads" {
		op = b.read
	}
	res := result{customerIDs: b.customerIDs, productIDs: b.productIDs, Result: benchstat.Run(ctx, o.clients, o.duration, op)}
	stats := db.Stats()
	return res, res.Report(out, "sql-"+o.mode, fmt.Sprintf("products=%d", len(b.productIDs)), fmt.Sprintf("pool=%d", o.pool),
		fmt.Sprintf("pool_waits=%d", stats.WaitCount), fmt.Sprintf("pool_wait_ms=%d", stats.WaitDuration.Milliseconds()))
}

// open opens a pool of size connections exactly as the services open theirs
// (adapters/mysql.Open: UTC, utf8mb4, interpolateParams, the session at READ COMMITTED with
// its lock-wait and statement bounds), so that a transaction's BEGIN is one statement and
// the two sides differ only in what they send.
func open(ctx context.Context, u mysql.DatabaseURL, size int) (*sql.DB, error) {
	return mysql.Open(ctx, u, mysql.PoolConfig{MaxOpenConns: size, MaxIdleConns: size, ConnMaxLifetime: 5 * time.Minute})
}

// bench holds the pool and the rows the operations use.
type bench struct {
	db          *sql.DB
	customerIDs []int64
	productIDs  []int64
	seq         atomic.Int64
}

func (b *bench) setUp(ctx context.Context, customers, products int) error {
	now := timestamp.Of(time.Now())
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i := range customers {
		res, err := b.db.ExecContext(ctx, "INSERT INTO customers (name, email, created_at, updated_at) VALUES (?, ?, ?, ?)",
			"SQL bench "+tag, fmt.Sprintf("sqlbench-%s-%d@example.com", tag, i), now, now)
		if err != nil {
			return fmt.Errorf("insert customer: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		b.customerIDs = append(b.customerIDs, id)
	}
	for i := range products {
		res, err := b.db.ExecContext(ctx, "INSERT INTO products (sku, name, price_cents, stock, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			fmt.Sprintf("SQLBENCH-%s-%d", tag, i), "SQL bench "+tag, 1999+i, initialStock, now, now)
		if err != nil {
			return fmt.Errorf("insert product: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		b.productIDs = append(b.productIDs, id)
	}
	return nil
}

// The statements of the reads and of the customer lookup, with the adapters' columns.
const (
	customerByID  = "SELECT id, name, email, phone, created_at, updated_at FROM customers WHERE id = ? AND deleted_at IS NULL"
	productsFirst = "SELECT id, sku, name, price_cents, stock, created_at, updated_at FROM products WHERE id > 0 ORDER BY id LIMIT 21"
)

// customer reads one customer as customers-api answers GET /customers/{id} and orders-api's
// check through GET /internal/customers/{id}.
func (b *bench) customer(ctx context.Context, id int64) error {
	var (
		name, email          string
		phone                sql.NullString
		createdAt, updatedAt time.Time
	)
	if err := b.db.QueryRowContext(context.WithoutCancel(ctx), customerByID, id).Scan(&id, &name, &email, &phone, &createdAt, &updatedAt); err != nil {
		return fmt.Errorf("customer %d: %w", id, err)
	}
	return nil
}

// read is one operation of the reads mode: the first page of products or one customer.
func (b *bench) read(ctx context.Context, rng *rand.Rand, lat *benchstat.Latencies) error {
	t0 := time.Now()
	kind := "products"
	var err error
	if rng.IntN(2) == 1 {
		kind = "customer"
		err = b.customer(ctx, b.customerIDs[rng.IntN(len(b.customerIDs))])
	} else {
		err = b.firstProducts(ctx)
	}
	if err != nil {
		return err
	}
	d := time.Since(t0)
	lat.Add(kind, d)
	lat.Add("read", d)
	return nil
}

func (b *bench) firstProducts(ctx context.Context) error {
	rows, err := b.db.QueryContext(context.WithoutCancel(ctx), productsFirst)
	if err != nil {
		return fmt.Errorf("list products: %w", err)
	}
	n := 0
	for rows.Next() {
		var p productRow
		var createdAt, updatedAt time.Time
		if err := rows.Scan(&p.id, &p.sku, &p.name, &p.price, &p.stock, &createdAt, &updatedAt); err != nil {
			return errors.Join(err, rows.Close())
		}
		n++
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("list products: %w", err)
	}
	if n == 0 {
		return errors.New("list products: no rows")
	}
	return nil
}

type productRow struct {
	id, price  int64
	sku, name  string
	stock, qty int64 // qty: the quantity ordered, when the row is an order's line
}

// order is what the flow knows of the order it created: enough for the confirm's stored
// response.
type order struct {
	id, customerID, total int64
	createdAt             time.Time
	items                 []productRow
}

// flow is one create+confirm of an order of productIDs (ascending, distinct), one unit
// each, by the first customer.
func (b *bench) flow(ctx context.Context, productIDs []int64, lat *benchstat.Latencies) error {
	ctx = context.WithoutCancel(ctx) // as the services' statements run (see transact)
	t0 := time.Now()
	customerID := b.customerIDs[0]
	if err := b.customer(ctx, customerID); err != nil {
		return err
	}
	var o order
	err := transact(ctx, b.db, func(tx *sql.Tx) (err error) {
		o, err = create(ctx, tx, customerID, productIDs)
		return err
	})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	lat.Add("create", time.Since(t0))
	t1 := time.Now()
	key := fmt.Sprintf("bench-%d-%d", o.id, b.seq.Add(1))
	if err := transact(ctx, b.db, func(tx *sql.Tx) error { return confirm(ctx, tx, o, key) }); err != nil {
		return fmt.Errorf("confirm %d: %w", o.id, err)
	}
	lat.Add("confirm", time.Since(t1))
	lat.Add("flow", time.Since(t0))
	return nil
}

// create is the order's transaction: lock the products (ascending id), check their stock,
// insert the order and all its items, take all the stock: four statements.
func create(ctx context.Context, tx *sql.Tx, customerID int64, productIDs []int64) (order, error) {
	now := timestamp.Of(time.Now())
	o := order{customerID: customerID, createdAt: now}
	rows, err := tx.QueryContext(ctx, lockProductsSQL(len(productIDs)), int64Args(productIDs)...)
	if err != nil {
		return o, fmt.Errorf("lock products: %w", err)
	}
	for rows.Next() {
		var p productRow
		if err := rows.Scan(&p.id, &p.sku, &p.name, &p.price, &p.stock); err != nil {
			return o, errors.Join(err, rows.Close())
		}
		p.qty = 1
		if p.stock < p.qty {
			return o, errors.Join(fmt.Errorf("product %d: insufficient stock", p.id), rows.Close())
		}
		o.items = append(o.items, p)
		o.total += p.price * p.qty
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return o, fmt.Errorf("lock products: %w", err)
	}
	if len(o.items) != len(productIDs) {
		return o, fmt.Errorf("products %v: %d found", productIDs, len(o.items))
	}
	// The columns are named: orders may have more (nullable) ones than these.
	res, err := tx.ExecContext(ctx,
		"INSERT INTO orders (customer_id, status, total_cents, created_at, updated_at) VALUES (?, 'CREATED', ?, ?, ?)",
		customerID, o.total, now, now)
	if err != nil {
		return o, fmt.Errorf("insert order: %w", err)
	}
	if o.id, err = res.LastInsertId(); err != nil {
		return o, fmt.Errorf("insert order: %w", err)
	}
	query, args := insertItemsSQL(o.id, o.items)
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		return o, fmt.Errorf("insert order items: %w", err)
	}
	query, args = takeStockSQL(o.items)
	res, err = tx.ExecContext(ctx, query, args...)
	if err != nil {
		return o, fmt.Errorf("take stock: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(o.items)) {
		return o, fmt.Errorf("take stock: %d rows changed, want %d (%v)", n, len(o.items), err)
	}
	return o, nil
}

// confirm is the confirmation's transaction with a fresh key: reserve the key, confirm the
// order if it is still CREATED, store the answer: three statements.
func confirm(ctx context.Context, tx *sql.Tx, o order, key string) error {
	const op = "confirm_order"
	now := timestamp.Of(time.Now())
	target := strconv.FormatInt(o.id, 10)
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO idempotency_keys (operation, idem_key, target, fingerprint, response_status, response_body, created_at, expires_at)
		VALUES (?, ?, ?, ?, 0, '', ?, ?)`,
		op, key, target, idempotency.Fingerprint(op, target), now, now.Add(24*time.Hour)); err != nil {
		return fmt.Errorf("reserve key: %w", err)
	}
	res, err := tx.ExecContext(ctx,
		"UPDATE orders SET status = 'CONFIRMED', updated_at = ?, confirmed_at = ? WHERE id = ? AND status = 'CREATED'", now, now, o.id)
	if err != nil {
		return fmt.Errorf("confirm order: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("confirm order: %d rows changed, want 1 (%v)", n, err)
	}
	body, err := encode(o, now)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		"UPDATE idempotency_keys SET response_status = 200, response_body = ? WHERE operation = ? AND idem_key = ?",
		body, op, key); err != nil {
		return fmt.Errorf("store answer: %w", err)
	}
	return nil
}

// lockProductsSQL locks n products by id, in ascending order (the services' lock order).
func lockProductsSQL(n int) string {
	return "SELECT id, sku, name, price_cents, stock FROM products WHERE id IN (" + placeholders(n) + ") ORDER BY id FOR UPDATE"
}

// insertItemsSQL inserts every item of order orderID in one statement.
func insertItemsSQL(orderID int64, items []productRow) (string, []any) {
	var b strings.Builder
	b.WriteString("INSERT INTO order_items (order_id, product_id, sku, name, qty, unit_price_cents, subtotal_cents) VALUES ")
	args := make([]any, 0, 7*len(items))
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, orderID, it.id, it.sku, it.name, it.qty, it.price, it.price*it.qty)
	}
	return b.String(), args
}

// takeStockSQL takes each item's quantity from its product in one
// statement; the stock was checked on the rows locked before.
func takeStockSQL(items []productRow) (string, []any) {
	var b strings.Builder
	b.WriteString("UPDATE products SET stock = stock - CASE id")
	args := make([]any, 0, 3*len(items))
	for _, it := range items {
		b.WriteString(" WHEN ? THEN ?")
		args = append(args, it.id, it.qty)
	}
	b.WriteString(" END WHERE id IN (" + placeholders(len(items)) + ")")
	for _, it := range items {
		args = append(args, it.id)
	}
	return b.String(), args
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func int64Args(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// transact runs fn in one database/sql transaction: BEGIN and COMMIT are statements of their
// own, as the naive ceiling counts them (the services' Tx sends them with other statements).
// A deadlock, lock-wait timeout or MariaDB's 1020 reruns it, as the services do. The flow's
// statements run on a context without cancellation, as the services' do, so that the driver
// hands none of them to its watcher goroutine (database/sql still watches each transaction
// and its result sets with goroutines of its own: that is the naive ceiling's cost).
func transact(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	var err error
	for attempt := 1; attempt <= 5; attempt++ {
		if err = transactOnce(ctx, db, fn); !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt*attempt) * 10 * time.Millisecond)
	}
	return err
}

func transactOnce(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// retryable reports a deadlock (1213), a lock-wait timeout (1205) or MariaDB's 1020.
func retryable(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205 || me.Number == 1020)
}

// encode is the answer orders-api stores for a confirmation: the order in a data envelope.
func encode(o order, confirmedAt time.Time) ([]byte, error) {
	type item struct {
		ProductID      int64  `json:"product_id"`
		SKU            string `json:"sku"`
		Name           string `json:"name"`
		Qty            int64  `json:"qty"`
		UnitPriceCents int64  `json:"unit_price_cents"`
		SubtotalCents  int64  `json:"subtotal_cents"`
	}
	type orderJSON struct {
		ID          int64   `json:"id"`
		CustomerID  int64   `json:"customer_id"`
		Status      string  `json:"status"`
		TotalCents  int64   `json:"total_cents"`
		CreatedAt   string  `json:"created_at"`
		UpdatedAt   string  `json:"updated_at"`
		ConfirmedAt string  `json:"confirmed_at"`
		CanceledAt  *string `json:"canceled_at"`
		Items       []item  `json:"items"`
	}
	at := confirmedAt.Format(time.RFC3339Nano)
	v := orderJSON{ID: o.id, CustomerID: o.customerID, Status: "CONFIRMED", TotalCents: o.total,
		CreatedAt: o.createdAt.Format(time.RFC3339Nano), UpdatedAt: at, ConfirmedAt: at, Items: []item{}}
	for _, it := range o.items {
		v.Items = append(v.Items, item{it.id, it.sku, it.name, it.qty, it.price, it.price * it.qty})
	}
	b, err := json.Marshal(struct {
		Data orderJSON `json:"data"`
	}{v})
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b, nil
}
