package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/order"
)

// TestSweepSkipsLockedOrders: a sweep passes over an order another transaction holds locked
// (SKIP LOCKED) instead of waiting for it: it expires the others at once, and the locked
// one at the next sweep. Two replicas' sweeps therefore never queue behind each other.
func TestSweepSkipsLockedOrders(t *testing.T) {
	db, err := mysql.Open(t.Context(), env.NewDatabase(t, true), mysql.PoolConfig{MaxOpenConns: 4, MaxIdleConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2032, 3, 4, 5, 6, 7, 0, time.UTC)
	svc := orders.NewService(mysql.NewOrdersStore(db), ordersAnyCustomer{}, orders.Config{
		CancelWindow: time.Minute, IdempotencyTTL: time.Hour, HoldTTL: time.Minute}, func() time.Time { return now })
	customer := insertOrdersCustomer(t, db)
	p, err := svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: "SKIP-1", Name: "Skip", PriceCents: 1, Stock: 10})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, 5)
	for i := range ids {
		out, err := svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: customer, Lines: []order.Line{{ProductID: p.ID(), Qty: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = out.Order.ID()
	}
	now = now.Add(2 * time.Minute)

	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	var held int64
	if err := tx.QueryRowContext(t.Context(), "SELECT id FROM orders WHERE id = ? FOR UPDATE", ids[2]).Scan(&held); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	began := time.Now()
	got, err := svc.ExpireOrders(ctx)
	if took := time.Since(began); err != nil || got != (orders.Sweep{Orders: 4, Units: 8}) || took > time.Second {
		t.Fatalf("with one order locked elsewhere: got %+v, %v after %v, want 4 orders and 8 units at once", got, err, took)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got, err := svc.ExpireOrders(t.Context()); err != nil || got != (orders.Sweep{Orders: 1, Units: 2}) {
		t.Fatalf("once released: got %+v, %v, want the last order and its 2 units", got, err)
	}
	if p, err := svc.GetProduct(t.Context(), p.ID()); err != nil || p.Stock() != 10 {
		t.Fatalf("got stock %v (%v), want 10", p, err)
	}
}
