package mysql_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
)

// TestPoolSessionsStartBounded: every pooled connection is at READ COMMITTED with the lock
// wait and statement time limit derived from StatementTimeout, whichever server it is.
func TestPoolSessionsStartBounded(t *testing.T) {
	t.Parallel()
	db, err := mysql.Open(t.Context(), env.URL(t), mysql.PoolConfig{MaxOpenConns: 2, StatementTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version string
	if err := db.QueryRowContext(t.Context(), "SELECT VERSION()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	isolation, limit := "@@transaction_isolation", "@@max_execution_time / 1000"
	if strings.Contains(strings.ToLower(version), "mariadb") {
		isolation, limit = "@@tx_isolation", "@@max_statement_time"
	}
	var (
		level    string
		lockWait int
		seconds  float64
	)
	err = db.QueryRowContext(t.Context(), "SELECT "+isolation+", @@innodb_lock_wait_timeout, "+limit).Scan(&level, &lockWait, &seconds)
	if err != nil {
		t.Fatal(err)
	}
	if level != "READ-COMMITTED" || lockWait != 2 || seconds != 5 {
		t.Fatalf("session: got isolation %s, lock wait %ds, statement limit %gs; want READ-COMMITTED, 2s, 5s", level, lockWait, seconds)
	}
	// A unit of work runs at that level without asking for it.
	err = mysql.Transact(t.Context(), db, func(ctx context.Context, tx *mysql.Tx) error {
		return tx.QueryRowContext(ctx, "SELECT "+isolation).Scan(&level)
	})
	if err != nil || level != "READ-COMMITTED" {
		t.Fatalf("inside Transact: got %q, %v; want READ-COMMITTED", level, err)
	}
}

// TestCreateConfirmFlowStatements pins the statements and round trips one create (two
// lines) and one keyed confirm cost, the statements counted by the server itself on the
// pool's only connection (the Questions counter counts each statement of a multi-statement
// query), the round trips by a proxy that counts the commands sent. With customers-api's
// lookup that is 13 statements in 5 round trips per flow, where the naive ceiling sends 12
// statements in 12: ours read the order back with its items under a lock to confirm it, and
// send BEGIN and COMMIT with other statements (Tx); the new order's id comes with the
// INSERT's answer (Tx.ExecInsertIDs). The customer is checked again, under a lock, inside
// the order's INSERT.
func TestCreateConfirmFlowStatements(t *testing.T) {
	t.Parallel()
	trips, db := countedConnection(t)
	svc := orders.NewService(mysql.NewOrdersStore(db), ordersAnyCustomer{}, orders.Config{CancelWindow: time.Minute, IdempotencyTTL: time.Hour}, time.Now)
	var lines []order.Line
	for range 2 {
		p, err := svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: "count-" + mysqltest.Unique(), Name: "count", PriceCents: 10, Stock: 5})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, order.Line{ProductID: p.ID(), Qty: 2})
	}
	customer := insertOrdersCustomer(t, db)
	// counts returns the statements and round trips so far, the SHOW's own excluded.
	counts := func() (statements, roundTrips int) {
		t.Helper()
		var name string
		var n int
		err := db.QueryRowContext(t.Context(), "SHOW SESSION STATUS LIKE 'Questions'").Scan(&name, &n)
		if errors.Is(err, sql.ErrNoRows) {
			t.Skip("the server keeps no Questions counter (TiDB): statements cannot be counted here")
		} else if err != nil {
			t.Fatal(err)
		}
		return n, trips.Count()
	}
	before, beforeTrips := counts()
	out, err := svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: customer, Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	created, createdTrips := counts()
	key, _ := idempotency.ParseKey("count-" + mysqltest.Unique())
	_, err = svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: out.Order.ID(), Key: key,
		Encode: func(o *order.Order) (idempotency.Response, error) {
			return idempotency.Response{Status: 200, Body: []byte("ok")}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	confirmed, confirmedTrips := counts()
	// Each SHOW counts itself once, as a statement and as a round trip.
	create, confirm := created-before-1, confirmed-created-1
	createTrips, confirmTrips := createdTrips-beforeTrips-1, confirmedTrips-createdTrips-1
	// create: BEGIN with the products FOR UPDATE; then the stock UPDATE with INSERT order
	// (its customer read LOCK IN SHARE MODE), INSERT items and COMMIT
	// (orders.Unit.LastCall): 6 statements in 2 round trips (on TiDB the customer is a SELECT
	// of its own, the id is read back by SELECT LAST_INSERT_ID() and COMMIT is a round trip
	// of its own: 8 in 3).
	// confirm, of an order this store created (kept, see orderSnapshots): BEGIN with INSERT
	// key (claimed optimistically) and the order's UPDATE if still CREATED; then UPDATE key
	// and COMMIT: 5 statements in 2 round trips.
	if create != 6 || confirm != 5 {
		t.Fatalf("statements: got create %d, confirm %d; want 6 and 5", create, confirm)
	}
	if createTrips != 2 || confirmTrips != 2 {
		t.Fatalf("round trips: got create %d, confirm %d; want 2 and 2", createTrips, confirmTrips)
	}

	// confirm, of an order another store (another replica) created: BEGIN with INSERT key
	// and the order and items FOR UPDATE; then UPDATE order, UPDATE key and COMMIT: 6
	// statements in 2 round trips.
	elsewhere := orders.NewService(mysql.NewOrdersStore(db), ordersAnyCustomer{}, orders.Config{CancelWindow: time.Minute, IdempotencyTTL: time.Hour}, time.Now)
	other, err := elsewhere.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: customer, Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	before, beforeTrips = counts()
	key, _ = idempotency.ParseKey("count-" + mysqltest.Unique())
	if _, err := svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: other.Order.ID(), Key: key,
		Encode: func(o *order.Order) (idempotency.Response, error) {
			return idempotency.Response{Status: 200, Body: []byte("ok")}, nil
		}}); err != nil {
		t.Fatal(err)
	}
	after, afterTrips := counts()
	if confirm, trips := after-before-1, afterTrips-beforeTrips-1; confirm != 6 || trips != 2 {
		t.Fatalf("confirm of another store's order: got %d statements in %d round trips, want 6 in 2", confirm, trips)
	}
}

// TestOrderNeverCommitsAfterCustomerDeletion: a soft delete of the customer that commits
// while an order for it is being made (it waits on the order's row lock of the customer,
// or the order waits on it) is either seen by the order, which then fails with
// customer_not_found, or waits until the order committed. Never an order committed after
// the deletion.
func TestOrderNeverCommitsAfterCustomerDeletion(t *testing.T) {
	t.Parallel()
	db := env.DB(t)
	svc := orders.NewService(mysql.NewOrdersStore(db), ordersAnyCustomer{}, orders.Config{CancelWindow: time.Minute, IdempotencyTTL: time.Hour}, time.Now)
	p, err := svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: "del-" + mysqltest.Unique(), Name: "del", PriceCents: 10, Stock: 1000})
	if err != nil {
		t.Fatal(err)
	}
	create := func(customer int64) error {
		_, err := svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: customer, Lines: []order.Line{{ProductID: p.ID(), Qty: 1}}})
		return err
	}

	// The deletion is in flight (row locked, not committed) when the order checks.
	customer := insertOrdersCustomer(t, db)
	del, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.ExecContext(t.Context(), "UPDATE customers SET deleted_at = ? WHERE id = ?", time.Now().UTC(), customer); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- create(customer) }()
	time.Sleep(100 * time.Millisecond) // let the order reach the customer's row; either way the answer below must hold
	if err := del.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, order.ErrCustomerNotFound) {
		t.Fatalf("order racing an uncommitted deletion: got %v, want customer_not_found", err)
	}

	// Many orders and one deletion at once: every order that succeeded committed before the
	// deletion did (its id is at most the highest id present when the deletion returned).
	for round := range 5 {
		customer := insertOrdersCustomer(t, db)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			okCount int
		)
		start := make(chan struct{})
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for range 3 {
					err := create(customer)
					if err == nil {
						mu.Lock()
						okCount++
						mu.Unlock()
						continue
					}
					if !errors.Is(err, order.ErrCustomerNotFound) {
						t.Errorf("round %d: create: %v", round, err)
					}
				}
			}()
		}
		close(start)
		time.Sleep(time.Duration(round) * 5 * time.Millisecond)
		if _, err := db.ExecContext(t.Context(), "UPDATE customers SET deleted_at = ? WHERE id = ?", time.Now().UTC(), customer); err != nil {
			t.Fatal(err)
		}
		var atDeletion int
		if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM orders WHERE customer_id = ?", customer).Scan(&atDeletion); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		var total int
		if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM orders WHERE customer_id = ?", customer).Scan(&total); err != nil {
			t.Fatal(err)
		}
		if total != atDeletion || total != okCount {
			t.Fatalf("round %d: %d orders when the deletion committed, %d in the end, %d creations succeeded; want all equal", round, atDeletion, total, okCount)
		}
	}
}

// TestCanceledRequestLeavesNoStatementOnServer: with the pool's statement bounds below the
// request's deadline, requests that time out waiting for a row lock end their statements on
// the server too: the server never holds more of the pool's connections than the pool has,
// and a confirm retried with the same key after such a failure runs anew (no
// idempotency_key_in_progress from an orphaned transaction).
func TestCanceledRequestLeavesNoStatementOnServer(t *testing.T) {
	t.Parallel()
	u := env.NewDatabase(t, true)
	const pool = 4
	db, err := mysql.Open(t.Context(), u, mysql.PoolConfig{MaxOpenConns: pool, MaxIdleConns: pool, StatementTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := mysql.Open(t.Context(), u, mysql.PoolConfig{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	svc := orders.NewService(mysql.NewOrdersStore(db), ordersAnyCustomer{}, orders.Config{CancelWindow: time.Minute, IdempotencyTTL: time.Hour}, time.Now)
	p, err := svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: "held-" + mysqltest.Unique(), Name: "held", PriceCents: 10, Stock: 100})
	if err != nil {
		t.Fatal(err)
	}
	customer := insertOrdersCustomer(t, db)
	first, err := svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: customer, Lines: []order.Line{{ProductID: p.ID(), Qty: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(mustParse(t, string(u)).Path, "/")
	serverConns := func() int {
		t.Helper()
		var n int
		if err := other.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ?", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Another session holds the product and the order.
	holder, err := other.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	if _, err := holder.ExecContext(t.Context(), "SELECT id FROM products WHERE id = ? FOR UPDATE", p.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(t.Context(), "SELECT id FROM orders WHERE id = ? FOR UPDATE", first.Order.ID()); err != nil {
		t.Fatal(err)
	}
	request := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(t.Context(), 1500*time.Millisecond) // the request's deadline
	}
	for wave := range 2 {
		var wg sync.WaitGroup
		for range pool {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := request()
				defer cancel()
				_, err := svc.CreateOrder(ctx, orders.CreateOrder{CustomerID: customer, Lines: []order.Line{{ProductID: p.ID(), Qty: 1}}})
				if err == nil {
					t.Errorf("wave %d: an order went through a held product", wave)
				}
			}()
		}
		wg.Wait()
		// The pool's connections, the holder's and the one counting.
		if n := serverConns(); n > pool+2 {
			t.Fatalf("after wave %d: the server has %d connections on the database, want at most %d (pool %d, holder, counter)", wave, n, pool+2, pool)
		}
	}
	key, _ := idempotency.ParseKey("retry-" + mysqltest.Unique())
	encode := func(o *order.Order) (idempotency.Response, error) {
		return idempotency.Response{Status: 200, Body: []byte(o.Status().String())}, nil
	}
	ctx, cancel := request()
	_, err = svc.ConfirmOrder(ctx, orders.ConfirmOrder{OrderID: first.Order.ID(), Key: key, Encode: encode})
	cancel()
	if errs.KindOf(err) != errs.KindUnavailable {
		t.Fatalf("confirm of a held order: got %v, want the database unavailable", err)
	}
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = request()
	defer cancel()
	out, err := svc.ConfirmOrder(ctx, orders.ConfirmOrder{OrderID: first.Order.ID(), Key: key, Encode: encode})
	if err != nil || out.Replayed || string(out.Response.Body) != "CONFIRMED" {
		t.Fatalf("the same key once the order is free: got %+v, %v; want a first run that confirms", out, err)
	}
	if n := serverConns(); n > pool+2 {
		t.Fatalf("in the end the server has %d connections on the database, want at most %d", n, pool+2)
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestDriverMessagesGoToTheLogger: what the driver itself reports (here, reading from a
// connection the server killed) reaches the pool's slog logger, not stderr as plain text.
func TestDriverMessagesGoToTheLogger(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		buf bytes.Buffer
	)
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{mu: &mu, w: &buf}, nil))
	db, err := mysql.Open(t.Context(), env.URL(t), mysql.PoolConfig{MaxOpenConns: 1, MaxIdleConns: 1, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id int64
	if err := db.QueryRowContext(t.Context(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB(t).ExecContext(t.Context(), "KILL CONNECTION ?", id); err != nil {
		t.Fatal(err)
	}
	// The pool notices the dead connection and opens a new one; the driver logs the loss.
	var one int
	for range 3 {
		if err := db.QueryRowContext(t.Context(), "SELECT 1").Scan(&one); err == nil {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(buf.String(), `"msg":"mysql driver"`) {
		t.Fatalf("log: got %q, want the driver's message as a structured record", buf.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestAConnectionTheServerClosedIsNeverUsed: the pool's only connection is killed by the
// server while idle; the next unit of work and the next statement on the pool still succeed,
// on a new connection (the dead one fails its first write with nothing sent, see Open).
func TestAConnectionTheServerClosedIsNeverUsed(t *testing.T) {
	t.Parallel()
	db, err := mysql.Open(t.Context(), env.URL(t), mysql.PoolConfig{MaxOpenConns: 1, MaxIdleConns: 1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// kill ends the pool's connection on the server.
	kill := func() int64 {
		t.Helper()
		var id int64
		if err := db.QueryRowContext(t.Context(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
			t.Fatal(err)
		}
		killConnections(t, id)
		return id
	}
	killed := kill()
	var unitConn int64
	err = mysql.Transact(t.Context(), db, func(ctx context.Context, tx *mysql.Tx) error {
		return tx.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&unitConn)
	})
	if err != nil || unitConn == killed {
		t.Fatalf("a unit after the kill: connection %d, %v; want a new connection and no error", unitConn, err)
	}
	killed = kill()
	var poolConn int64
	if err := db.QueryRowContext(t.Context(), "SELECT CONNECTION_ID()").Scan(&poolConn); err != nil || poolConn == killed {
		t.Fatalf("a statement after the kill: connection %d, %v; want a new connection and no error", poolConn, err)
	}
}

// TestAUnitOutlivesAServerThatDroppedEveryConnection: all 8 idle connections of the pool are
// closed by the server (as by a restart); the next unit still succeeds, after finding each
// dead connection without sending anything on it: more of them than Transact's attempts.
func TestAUnitOutlivesAServerThatDroppedEveryConnection(t *testing.T) {
	t.Parallel()
	const size = 8
	db, err := mysql.Open(t.Context(), env.URL(t), mysql.PoolConfig{MaxOpenConns: size, MaxIdleConns: size, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []int64
	conns := make([]*sql.Conn, size)
	for i := range conns { // hold them all at once, so that the pool opens size of them
		if conns[i], err = db.Conn(t.Context()); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := conns[i].QueryRowContext(t.Context(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, c := range conns {
		c.Close()
	}
	killConnections(t, ids...)
	var id int64
	err = mysql.Transact(t.Context(), db, func(ctx context.Context, tx *mysql.Tx) error {
		return tx.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id)
	})
	if err != nil {
		t.Fatalf("a unit after the server dropped every connection: %v", err)
	}
	for _, killed := range ids {
		if id == killed {
			t.Fatalf("the unit ran on connection %d, which the server closed", id)
		}
	}
}

// killConnections ends the server's connections ids and waits until the server has let them
// go (their sockets closed).
func killConnections(t *testing.T, ids ...int64) {
	t.Helper()
	admin := env.DB(t)
	args := make([]any, len(ids))
	for i, id := range ids {
		if _, err := admin.ExecContext(t.Context(), "KILL CONNECTION ?", id); err != nil {
			t.Fatal(err)
		}
		args[i] = id
	}
	in := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := admin.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID IN ("+in+")", args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d killed connections still listed after 10 s", n)
		}
	}
}
