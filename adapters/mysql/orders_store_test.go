package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/adapters/repotest"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
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

// TestProductSKUComparedExactly: the column collation must not make SKUs that differ in
// case or trailing spaces collide (the port compares them exactly, like the memory store),
// while the search still ignores case.
func TestReservationsContract(t *testing.T) {
	t.Parallel()
	repotest.RunReservations(t, ordersStore, ordersCustomer)
}

func TestProductSKUComparedExactly(t *testing.T) {
	t.Parallel()
	store := mysql.NewOrdersStore(env.DB(t))
	tok := "Sku" + mysqltest.Unique()
	var ids []int64
	for _, sku := range []string{tok, strings.ToLower(tok), tok + " ", tok + "é"} {
		p, err := product.New(sku, "exact "+sku, 1, 1, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		stored, err := store.Repos().Products.Create(t.Context(), p)
		if err != nil {
			t.Fatalf("Create(%q): got %v, want a new product", sku, err)
		}
		got, err := store.Repos().Products.Get(t.Context(), stored.ID())
		if err != nil || got.SKU() != sku {
			t.Fatalf("Get: got %q, %v, want %q", got.SKU(), err, sku)
		}
		ids = append(ids, stored.ID())
	}
	p, _ := product.New(tok, "again", 1, 1, time.Now())
	if _, err := store.Repos().Products.Create(t.Context(), p); !errors.Is(err, product.ErrSKUTaken) {
		t.Fatalf("Create of the same SKU: got %v, want sku_taken", err)
	}
	found, err := store.Repos().Products.List(t.Context(), orders.ProductFilter{Search: strings.ToUpper(tok)}, paging.Request{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != len(ids) {
		t.Fatalf("search %q: got %d products, want %d", strings.ToUpper(tok), len(found), len(ids))
	}
}

func TestIdempotencyContract(t *testing.T) {
	t.Parallel()
	repotest.RunIdempotency(t, ordersStore, ordersCustomer)
}

type ordersAnyCustomer struct{}

func (ordersAnyCustomer) CheckCustomer(context.Context, int64) error { return nil }

// orderOnShortLockWaits is a service on a pool of conns connections whose statements wait
// at most 1 s for a lock (closed when the test ends), and a CREATED order of one item.
func orderOnShortLockWaits(t *testing.T, conns int) (*sql.DB, *orders.Service, *order.Order) {
	t.Helper()
	db := openPool(t, env.URL(t), mysql.PoolConfig{MaxOpenConns: conns, MaxIdleConns: conns, StatementTimeout: time.Second})
	svc := orders.NewService(mysql.NewOrdersStore(db), ordersAnyCustomer{}, orders.Config{CancelWindow: time.Minute, IdempotencyTTL: time.Hour}, time.Now)
	p, err := svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: "short-" + mysqltest.Unique(), Name: "short", PriceCents: 10, Stock: 5})
	if err != nil {
		t.Fatal(err)
	}
	out, err := svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: insertOrdersCustomer(t, db), Lines: []order.Line{{ProductID: p.ID(), Qty: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return db, svc, out.Order
}

// TestIdempotencyKeyHeldTooLongIsInProgress: while a transaction holds a key longer than
// the bounded wait, another request with that key gets idempotency_key_in_progress (409),
// never a lock-wait error, a 503 or a 500, and changes nothing; once the holder rolls back
// the key is free and the request runs.
func TestIdempotencyKeyHeldTooLongIsInProgress(t *testing.T) {
	t.Parallel()
	// A pool of two connections: the holder's and the waiter's, both checked at the end.
	db, svc, created := orderOnShortLockWaits(t, 2)
	key, _ := idempotency.ParseKey("held-" + mysqltest.Unique())
	encode := func(o *order.Order) (idempotency.Response, error) {
		return idempotency.Response{Status: 200, Body: []byte(o.Status().String())}, nil
	}

	// The holder is a confirm of the same order with the same key whose answer takes long:
	// its unit holds the key (and the order) until the encoder gives up.
	reserved, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		_, err := svc.ConfirmOrder(context.Background(), orders.ConfirmOrder{OrderID: created.ID(), Key: key,
			Encode: func(*order.Order) (idempotency.Response, error) {
				close(reserved)
				<-release
				return idempotency.Response{}, errors.New("holder gives up")
			}})
		holder <- err
	}()
	select {
	case <-reserved:
	case err := <-holder:
		t.Fatalf("holder: %v", err)
	}
	_, err := svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: created.ID(), Key: key, Encode: encode})
	if !errors.Is(err, idempotency.ErrInProgress) {
		t.Fatalf("confirm while the key is held: got %v, want idempotency_key_in_progress", err)
	}
	if got, _ := svc.GetOrder(t.Context(), created.ID()); got.Status() != order.Created {
		t.Fatalf("got status %s after an in-progress answer, want CREATED", got.Status())
	}
	close(release)
	if err := <-holder; err == nil || !strings.Contains(err.Error(), "holder gives up") {
		t.Fatalf("holder: got %v", err)
	}
	res, err := svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: created.ID(), Key: key, Encode: encode})
	if err != nil || res.Replayed || string(res.Response.Body) != "CONFIRMED" {
		t.Fatalf("confirm after the holder rolled back: got %+v, %v, want a first run", res, err)
	}
	// Both connections, the one that waited included, still have the session bounds they
	// were opened with: nothing in a unit of work changes them.
	for i := range 2 {
		conn, err := db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var cur int
		if err := conn.QueryRowContext(t.Context(), "SELECT @@SESSION.innodb_lock_wait_timeout").Scan(&cur); err != nil {
			t.Fatal(err)
		}
		if cur != 1 {
			t.Fatalf("connection %d: session innodb_lock_wait_timeout: got %d, want 1 (StatementTimeout 1s)", i, cur)
		}
	}
}

// TestConfirmWaitingOnTheOrderIsNotInProgress: a confirm whose key is free but whose order
// another transaction holds past the lock wait is not answered idempotency_key_in_progress
// (it waited on the order, not on the key, which it claimed in the same round trip): the unit
// is retried as after any lock-wait timeout, and goes through once the order is released.
func TestConfirmWaitingOnTheOrderIsNotInProgress(t *testing.T) {
	t.Parallel()
	db, svc, created := orderOnShortLockWaits(t, 3)
	// Another transaction holds the order's row for 1.5 s, past the 1 s lock wait.
	holder, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(t.Context(), "START TRANSACTION"); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := holder.QueryRowContext(t.Context(), "SELECT id FROM orders WHERE id = ? FOR UPDATE", created.ID()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	released := make(chan error, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond)
		_, err := holder.ExecContext(context.Background(), "ROLLBACK")
		released <- errors.Join(err, holder.Close())
	}()
	key, _ := idempotency.ParseKey("waits-" + mysqltest.Unique())
	res, err := svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: created.ID(), Key: key,
		Encode: func(o *order.Order) (idempotency.Response, error) {
			return idempotency.Response{Status: 200, Body: []byte(o.Status().String())}, nil
		}})
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	if err != nil || res.Replayed || string(res.Response.Body) != "CONFIRMED" {
		t.Fatalf("confirm that waited on the order: got %+v, %v; want a first run once the order is free", res, err)
	}
}

// TestIdempotencyKeysComparedExactly: "k" and "k " are two keys (the column is binary; a
// PAD SPACE collation made them one).
func TestIdempotencyKeysComparedExactly(t *testing.T) {
	t.Parallel()
	store := mysql.NewOrdersStore(env.DB(t))
	base := "pad-" + mysqltest.Unique()
	for _, s := range []string{base, base + " ", base + "  "} {
		key, err := idempotency.ParseKey(s)
		if err != nil {
			t.Fatal(err)
		}
		err = store.Transact(t.Context(), func(ctx context.Context, r orders.Repos) error {
			rec := idempotency.NewRecord(idempotency.OpConfirmOrder, key, "t", "f", time.Now(), time.Hour)
			existing, err := r.Idempotency.Reserve(ctx, rec)
			if err != nil {
				return err
			}
			if existing != nil {
				return fmt.Errorf("key %q: found the record of %q", s, existing.Key().String())
			}
			rec.Complete(0, idempotency.Response{Status: 200, Body: []byte(s)})
			return r.Idempotency.Complete(ctx, rec)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestOrderForMissingCustomerRow: when customers-api vouched for a customer that has no row
// in this database (the foreign key), the order is 422 customer_not_found and nothing is
// written, never a 500.
func TestOrderForMissingCustomerRow(t *testing.T) {
	t.Parallel()
	store := mysql.NewOrdersStore(env.DB(t))
	svc := orders.NewService(store, ordersAnyCustomer{}, orders.Config{CancelWindow: time.Minute, IdempotencyTTL: time.Hour}, time.Now)
	p, err := svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: "fk-" + mysqltest.Unique(), Name: "fk", PriceCents: 10, Stock: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1 << 60, Lines: []order.Line{{ProductID: p.ID(), Qty: 2}}})
	if !errors.Is(err, order.ErrCustomerNotFound) {
		t.Fatalf("got %v, want customer_not_found", err)
	}
	got, err := svc.GetProduct(t.Context(), p.ID())
	if err != nil || got.Stock() != 5 {
		t.Fatalf("got stock %d (%v) after a refused order, want 5", got.Stock(), err)
	}
}
