// Command sqlbench is the baseline for orders-api's hot path: it runs the bare transactions
// of the create+confirm flow directly on MySQL, with no HTTP, no JSON decoding, no domain
// objects and no customers-api call, at -clients concurrency for -duration, and prints one
// summary line with the field names of bootstrap/loadtest's flow mode:
//
//	BENCH mode=sql clients=16 products=16 seconds=10.0 flows=N flows_per_s=X errors=0 confirm_p50_ms=.. ... create_p99_ms=.. pool=32 interpolate=false customer_check=false pool_waits=0 pool_wait_ms=0
//
// The statements, their order, their arguments, the isolation level (READ COMMITTED), the
// locks and the retry policy are those of the MySQL adapters (adapters/mysql orders_repo.go,
// products_repo.go, idempotency_store.go, through adapters/mysql.Transact) for an order of
// one unit of a product created without a key and confirmed with a fresh key. As in
// loadtest, -products 0 (the default) gives each client a product of its own and
// -products 1 makes every client buy the same one (one hot row lock):
//
//	create:  BEGIN; SELECT products ... WHERE id IN (?) ORDER BY id FOR UPDATE;
//	         UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?;
//	         INSERT INTO orders ...; INSERT INTO order_items ...; COMMIT
//	confirm: BEGIN; SET @backoffice_lock_wait = ..., SESSION innodb_lock_wait_timeout = 2;
//	         INSERT INTO idempotency_keys ... (response_status 0);
//	         SET SESSION innodb_lock_wait_timeout = @backoffice_lock_wait;
//	         SELECT orders ... WHERE id = ? FOR UPDATE; SELECT order_items ... WHERE order_id = ?;
//	         UPDATE orders SET status = ?, ...; UPDATE idempotency_keys SET response_status = ?,
//	         response_body = ? ...; COMMIT
//
// With -customer-check it also runs, before each create, the query customers-api answers
// orders-api's customer check with. -interpolate=false makes the driver prepare each
// statement (prepare + execute: two round trips) instead of sending it as text with its
// arguments inlined (one), to measure what that setting changes. Both default to what the
// services do.
//
//	DATABASE_URL=mysql://root@127.0.0.1:3306/bench go run ./bootstrap/sqlbench -clients 16 -duration 10s
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/bootstrap/benchstat"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
)

type options struct {
	url           mysql.DatabaseURL
	clients       int
	duration      time.Duration
	pool          int
	interpolate   bool
	customerCheck bool
	migrate       bool
	products      int
}

func main() {
	var (
		o   options
		url string
	)
	flag.StringVar(&url, "database-url", os.Getenv("DATABASE_URL"), "mysql://user:pass@host:port/db (default $DATABASE_URL)")
	flag.IntVar(&o.clients, "clients", 16, "concurrent clients")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long to run")
	flag.IntVar(&o.pool, "pool", 32, "max open (and idle) connections, as orders-api's DB_MAX_OPEN_CONNS")
	flag.BoolVar(&o.interpolate, "interpolate", true, "send statements as text with inlined arguments (as the services do) instead of preparing them")
	flag.BoolVar(&o.customerCheck, "customer-check", false, "also run customers-api's customer lookup before each create")
	flag.BoolVar(&o.migrate, "migrate", true, "create the database and apply the migrations first")
	flag.IntVar(&o.products, "products", 0, "products the clients buy, client i buying product i mod N (0: one per client, as loadtest; 1: one hot row)")
	flag.Parse()
	o.url = mysql.DatabaseURL(url)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	_, err := run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sqlbench:", err)
		os.Exit(1)
	}
}

// result is what a run did, for the test to check against the database.
type result struct {
	customerID int64
	productIDs []int64
	flows      int64
	errors     int64
}

// initialStock is the product's stock: enough for any run (the loadtest uses the same).
const initialStock = 2_000_000_000

func run(ctx context.Context, o options, out io.Writer) (result, error) {
	if o.url == "" {
		return result{}, errors.New("no database: set DATABASE_URL or -database-url")
	}
	if o.clients < 1 || o.duration <= 0 || o.pool < 1 || o.products < 0 {
		return result{}, errors.New("-clients, -duration and -pool must be positive, -products not negative")
	}
	if o.products == 0 {
		o.products = o.clients
	}
	if o.migrate {
		if err := mysql.Migrate(ctx, o.url, io.Discard); err != nil {
			return result{}, err
		}
	}
	db, err := open(ctx, o)
	if err != nil {
		return result{}, err
	}
	defer db.Close()

	b := &bench{db: db}
	if err := b.setUp(ctx, o.products); err != nil {
		return result{}, err
	}
	var (
		lat             benchstat.Latencies
		flows, failures atomic.Int64
		firstErr        atomic.Value
		wg              sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(o.duration)
	for i := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			productID := b.productIDs[i%len(b.productIDs)]
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := b.flow(ctx, productID, o.customerCheck, &lat); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				flows.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := result{customerID: b.customerID, productIDs: b.productIDs, flows: flows.Load(), errors: failures.Load()}
	fields := []string{"BENCH", "mode=sql", fmt.Sprintf("clients=%d", o.clients), fmt.Sprintf("products=%d", o.products), fmt.Sprintf("seconds=%.1f", elapsed.Seconds()),
		fmt.Sprintf("flows=%d", res.flows), fmt.Sprintf("flows_per_s=%.1f", float64(res.flows)/elapsed.Seconds()),
		fmt.Sprintf("errors=%d", res.errors)}
	fields = append(fields, lat.Fields()...)
	stats := db.Stats()
	fields = append(fields, fmt.Sprintf("pool=%d", o.pool), fmt.Sprintf("interpolate=%t", o.interpolate),
		fmt.Sprintf("customer_check=%t", o.customerCheck),
		fmt.Sprintf("pool_waits=%d", stats.WaitCount), fmt.Sprintf("pool_wait_ms=%d", stats.WaitDuration.Milliseconds()))
	fmt.Fprintln(out, strings.Join(fields, " "))
	if e := firstErr.Load(); e != nil {
		fmt.Fprintln(out, "first error:", e)
		return res, errors.New("some flows failed")
	}
	return res, nil
}

// open opens the pool as orders-api does (adapters/mysql's DSN), with the driver's
// interpolateParams as asked (the services have it on).
func open(ctx context.Context, o options) (*sql.DB, error) {
	pool := mysql.PoolConfig{MaxOpenConns: o.pool, MaxIdleConns: o.pool, ConnMaxLifetime: 5 * time.Minute}
	dsn, err := mysql.DSN(o.url)
	if err != nil {
		return nil, err
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg.InterpolateParams = o.interpolate
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(pool.MaxOpenConns)
	db.SetMaxIdleConns(pool.MaxIdleConns)
	db.SetConnMaxLifetime(pool.ConnMaxLifetime)
	if err := mysql.Ping(ctx, db); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// bench holds the pool and the rows the flows use: one customer and the products, as in
// bootstrap/loadtest's flow mode.
type bench struct {
	db         *sql.DB
	customerID int64
	productIDs []int64
	seq        atomic.Int64
}

// stamp is how the domain stamps times: UTC at microsecond precision (DATETIME(6)).
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func (b *bench) setUp(ctx context.Context, products int) error {
	now := stamp(time.Now())
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	res, err := b.db.ExecContext(ctx, "INSERT INTO customers (name, email, created_at, updated_at) VALUES (?, ?, ?, ?)",
		"SQL bench "+tag, "sqlbench-"+tag+"@example.com", now, now)
	if err != nil {
		return fmt.Errorf("insert customer: %w", err)
	}
	if b.customerID, err = res.LastInsertId(); err != nil {
		return err
	}
	for i := range products {
		res, err = b.db.ExecContext(ctx, "INSERT INTO products (sku, name, price_cents, stock, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			fmt.Sprintf("SQLBENCH-%s-%d", tag, i), "SQL bench "+tag, 1999, initialStock, now, now)
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

func (b *bench) flow(ctx context.Context, productID int64, customerCheck bool, lat *benchstat.Latencies) error {
	t0 := time.Now()
	if customerCheck {
		if err := b.checkCustomer(ctx); err != nil {
			return err
		}
	}
	orderID, err := b.create(ctx, productID)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	lat.Add("create", time.Since(t0))
	t1 := time.Now()
	if err := b.confirm(ctx, orderID); err != nil {
		return fmt.Errorf("confirm %d: %w", orderID, err)
	}
	lat.Add("confirm", time.Since(t1))
	return nil
}

// checkCustomer is customers-api's lookup behind GET /internal/customers/{id}
// (adapters/mysql customers_repo.go getCustomer), in autocommit.
func (b *bench) checkCustomer(ctx context.Context) error {
	var (
		id                   int64
		name, email          string
		phone                sql.NullString
		createdAt, updatedAt time.Time
	)
	err := b.db.QueryRowContext(ctx,
		"SELECT id, name, email, phone, created_at, updated_at FROM customers WHERE id = ? AND deleted_at IS NULL", b.customerID).
		Scan(&id, &name, &email, &phone, &createdAt, &updatedAt)
	if err != nil {
		return fmt.Errorf("check customer: %w", err)
	}
	return nil
}

// orderRow is what the flow knows of an order: enough to encode the response body.
type orderRow struct {
	id, customerID, totalCents int64
	status                     string
	createdAt, updatedAt       time.Time
	confirmedAt, canceledAt    sql.NullTime
	expiresAt                  sql.NullTime
	cancelReason               sql.NullString
	items                      []itemRow
}

type itemRow struct {
	productID, unitPrice, subtotal int64
	sku, name                      string
	qty                            int
}

// create is CreateOrder's transaction for one unit of productID (application/orders
// createOrder over adapters/mysql): LockForOrder, TakeStock, Orders.Create. The response is
// encoded after the commit, as the use case does for a create without a key.
func (b *bench) create(ctx context.Context, productID int64) (int64, error) {
	var o orderRow
	err := mysql.Transact(ctx, b.db, func(ctx context.Context, tx *sql.Tx) error {
		now := stamp(time.Now())
		// ProductRepository.LockForOrder
		rows, err := tx.QueryContext(ctx,
			"SELECT id, sku, name, price_cents, stock, created_at, updated_at FROM products WHERE id IN (?) ORDER BY id FOR UPDATE", productID)
		if err != nil {
			return fmt.Errorf("lock products: %w", err)
		}
		var (
			found                bool
			id, price            int64
			sku, name            string
			stock                int
			createdAt, updatedAt time.Time
		)
		for rows.Next() {
			if err := rows.Scan(&id, &sku, &name, &price, &stock, &createdAt, &updatedAt); err != nil {
				rows.Close()
				return err
			}
			found = true
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("lock products: %w", err)
		}
		if !found {
			return errors.New("product not found")
		}
		if stock < 1 {
			return errors.New("insufficient stock")
		}
		// ProductRepository.TakeStock
		res, err := tx.ExecContext(ctx, "UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?", 1, productID, 1)
		if err != nil {
			return fmt.Errorf("take stock: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("take stock: %d rows changed, %v", n, err)
		}
		// OrderRepository.Create
		o = orderRow{customerID: b.customerID, totalCents: price, status: "CREATED", createdAt: now, updatedAt: now,
			expiresAt: sql.NullTime{Time: now.Add(orderHold), Valid: true},
			items:     []itemRow{{productID: id, unitPrice: price, subtotal: price, sku: sku, name: name, qty: 1}}}
		res, err = tx.ExecContext(ctx,
			"INSERT INTO orders (customer_id, status, total_cents, created_at, updated_at, confirmed_at, canceled_at, expires_at, cancel_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			o.customerID, o.status, o.totalCents, o.createdAt, o.updatedAt, o.confirmedAt, o.canceledAt, o.expiresAt, o.cancelReason)
		if err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		if o.id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		it := o.items[0]
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO order_items (order_id, product_id, sku, name, qty, unit_price_cents, subtotal_cents) VALUES (?, ?, ?, ?, ?, ?, ?)",
			o.id, it.productID, it.sku, it.name, it.qty, it.unitPrice, it.subtotal); err != nil {
			return fmt.Errorf("insert order items: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if _, err := encode(o); err != nil {
		return 0, err
	}
	return o.id, nil
}

// orderHold mirrors ORDER_HOLD_TTL's default: orders-api stores expires_at with each order.
const orderHold = 30 * time.Minute

// keyLockWait mirrors adapters/mysql's keyLockWait (seconds).
const keyLockWait = 2

// confirm is ConfirmOrder's transaction with a fresh key (application/orders idempotent over
// adapters/mysql): Reserve, Orders.Update(Confirm), encode, Complete.
func (b *bench) confirm(ctx context.Context, orderID int64) error {
	const op = "confirm_order"
	key := fmt.Sprintf("bench-%d-%d", orderID, b.seq.Add(1))
	target := strconv.FormatInt(orderID, 10)
	fp := idempotency.Fingerprint(op, target)
	return mysql.Transact(ctx, b.db, func(ctx context.Context, tx *sql.Tx) error {
		now := stamp(time.Now())
		// IdempotencyStore.Reserve
		if _, err := tx.ExecContext(ctx, "SET @backoffice_lock_wait = @@SESSION.innodb_lock_wait_timeout, SESSION innodb_lock_wait_timeout = "+strconv.Itoa(keyLockWait)); err != nil {
			return fmt.Errorf("reserve: %w", err)
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO idempotency_keys (operation, idem_key, target, fingerprint, response_status, response_body, created_at, expires_at)
			VALUES (?, ?, ?, ?, 0, '', ?, ?)`,
			op, key, target, fp, now, now.Add(24*time.Hour))
		if _, rerr := tx.ExecContext(context.WithoutCancel(ctx), "SET SESSION innodb_lock_wait_timeout = @backoffice_lock_wait"); rerr != nil {
			err = errors.Join(err, rerr)
		}
		if err != nil {
			return fmt.Errorf("reserve: %w", err)
		}
		// OrderRepository.Update: the order locked, then its items.
		var o orderRow
		if err := tx.QueryRowContext(ctx,
			"SELECT id, customer_id, status, total_cents, created_at, updated_at, confirmed_at, canceled_at, expires_at, cancel_reason FROM orders WHERE id = ? FOR UPDATE", orderID).
			Scan(&o.id, &o.customerID, &o.status, &o.totalCents, &o.createdAt, &o.updatedAt, &o.confirmedAt, &o.canceledAt, &o.expiresAt, &o.cancelReason); err != nil {
			return fmt.Errorf("select order: %w", err)
		}
		rows, err := tx.QueryContext(ctx,
			"SELECT order_id, product_id, sku, name, qty, unit_price_cents, subtotal_cents FROM order_items WHERE order_id = ? ORDER BY order_id, product_id", orderID)
		if err != nil {
			return fmt.Errorf("select order items: %w", err)
		}
		for rows.Next() {
			var (
				it      itemRow
				orderID int64
			)
			if err := rows.Scan(&orderID, &it.productID, &it.sku, &it.name, &it.qty, &it.unitPrice, &it.subtotal); err != nil {
				rows.Close()
				return err
			}
			o.items = append(o.items, it)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("select order items: %w", err)
		}
		if o.status != "CREATED" {
			return fmt.Errorf("order is %s, want CREATED", o.status)
		}
		o.status, o.updatedAt, o.confirmedAt = "CONFIRMED", now, sql.NullTime{Time: now, Valid: true}
		if _, err := tx.ExecContext(ctx,
			"UPDATE orders SET status = ?, updated_at = ?, confirmed_at = ?, canceled_at = ?, cancel_reason = ? WHERE id = ?",
			o.status, o.updatedAt, o.confirmedAt, o.canceledAt, o.cancelReason, orderID); err != nil {
			return fmt.Errorf("update order: %w", err)
		}
		// The encoder, then IdempotencyStore.Complete.
		body, err := encode(o)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			"UPDATE idempotency_keys SET response_status = ?, response_body = ? WHERE operation = ? AND idem_key = ? AND response_status = 0",
			200, body, op, key)
		if err != nil {
			return fmt.Errorf("complete: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("complete: %d rows changed, %v", n, err)
		}
		return nil
	})
}

// encode is the response body orders-api stores and answers: the order in a data envelope.
func encode(o orderRow) ([]byte, error) {
	type item struct {
		ProductID      int64  `json:"product_id"`
		SKU            string `json:"sku"`
		Name           string `json:"name"`
		Qty            int    `json:"qty"`
		UnitPriceCents int64  `json:"unit_price_cents"`
		SubtotalCents  int64  `json:"subtotal_cents"`
	}
	type orderJSON struct {
		ID           int64   `json:"id"`
		CustomerID   int64   `json:"customer_id"`
		Status       string  `json:"status"`
		TotalCents   int64   `json:"total_cents"`
		CreatedAt    string  `json:"created_at"`
		UpdatedAt    string  `json:"updated_at"`
		ConfirmedAt  *string `json:"confirmed_at"`
		CanceledAt   *string `json:"canceled_at"`
		ExpiresAt    *string `json:"expires_at"`
		CancelReason *string `json:"cancel_reason"`
		Items        []item  `json:"items"`
	}
	v := orderJSON{ID: o.id, CustomerID: o.customerID, Status: o.status, TotalCents: o.totalCents,
		CreatedAt: o.createdAt.Format(time.RFC3339Nano), UpdatedAt: o.updatedAt.Format(time.RFC3339Nano), Items: []item{}}
	if o.confirmedAt.Valid {
		s := o.confirmedAt.Time.Format(time.RFC3339Nano)
		v.ConfirmedAt = &s
	}
	if o.expiresAt.Valid && o.status == "CREATED" {
		s := o.expiresAt.Time.Format(time.RFC3339Nano)
		v.ExpiresAt = &s
	}
	for _, it := range o.items {
		v.Items = append(v.Items, item{it.productID, it.sku, it.name, it.qty, it.unitPrice, it.subtotal})
	}
	b, err := json.Marshal(struct {
		Data orderJSON `json:"data"`
	}{v})
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b, nil
}
