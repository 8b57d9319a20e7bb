package mysql_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// snapshotsService is a service on its own store (and so its own kept orders) on the
// package's database.
func snapshotsService(t *testing.T) (*mysql.OrdersStore, *orders.Service) {
	t.Helper()
	store := mysql.NewOrdersStore(env.DB(t))
	return store, orders.NewService(store, ordersAnyCustomer{}, orders.Config{CancelWindow: time.Minute, IdempotencyTTL: time.Hour}, time.Now)
}

func confirmWithKey(ctx context.Context, svc *orders.Service, id int64) (*order.Order, error) {
	key, _ := idempotency.ParseKey("snap-" + mysqltest.Unique())
	out, err := svc.ConfirmOrder(ctx, orders.ConfirmOrder{OrderID: id, Key: key,
		Encode: func(o *order.Order) (idempotency.Response, error) {
			return idempotency.Response{Status: 200, Body: []byte(o.Status().String())}, nil
		}})
	return out.Order, err
}

// TestConfirmFromTheKeptOrderAnswersAsTheStoredOne: the store keeps the order it created
// once the creation committed, the confirmation takes it (no locked read, see
// TestCreateConfirmFlowStatements), and what the confirmation answers is the order as the
// database now has it, field for field.
func TestConfirmFromTheKeptOrderAnswersAsTheStoredOne(t *testing.T) {
	t.Parallel()
	store, svc := snapshotsService(t)
	p := createProduct(t, svc, 10)
	out, err := svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: ordersCustomer(t), Lines: []order.Line{{ProductID: p, Qty: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	kept := 0 // TiDB keeps none: its units confirm from the locked read
	if store.KeepsSnapshots() {
		kept = 1
	}
	if n := store.KeptSnapshots(); n != kept {
		t.Fatalf("kept %d orders after one creation, want %d", n, kept)
	}
	confirmed, err := confirmWithKey(t.Context(), svc, out.Order.ID())
	if err != nil {
		t.Fatal(err)
	}
	if n := store.KeptSnapshots(); n != 0 {
		t.Errorf("kept %d orders after the confirmation took its own, want 0", n)
	}
	stored, err := svc.GetOrder(t.Context(), out.Order.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := confirmed.Snapshot(), stored.Snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("the confirmation answered\n%+v\nthe database holds\n%+v", got, want)
	}
}

// TestARolledBackCreationKeepsNothing: an order whose unit did not commit is not kept (its
// id may come back for another order after a restart of the server).
func TestARolledBackCreationKeepsNothing(t *testing.T) {
	t.Parallel()
	store, svc := snapshotsService(t)
	if !store.KeepsSnapshots() {
		t.Skip("this server (TiDB) keeps no created orders")
	}
	p := createProduct(t, svc, 10)
	customer := ordersCustomer(t)
	boom := errors.New("boom")
	create := func(fail bool) error {
		return store.Transact(t.Context(), func(ctx context.Context, r orders.Repos) error {
			locked, err := r.Products.LockForOrder(ctx, []int64{p})
			if err != nil {
				return err
			}
			o, err := order.New(customer, []order.Line{{ProductID: p, Qty: 1}}, map[int64]*product.Product{p: locked[0]}, time.Now(), time.Hour)
			if err != nil {
				return err
			}
			if _, err := r.Orders.Create(ctx, o); err != nil {
				return err
			}
			if fail {
				return boom
			}
			return nil
		})
	}
	if err := create(true); !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if n := store.KeptSnapshots(); n != 0 {
		t.Fatalf("kept %d orders of a unit rolled back, want 0", n)
	}
	if err := create(false); err != nil {
		t.Fatal(err)
	}
	if n := store.KeptSnapshots(); n != 1 {
		t.Fatalf("kept %d orders of a unit committed, want 1", n)
	}
}

// TestAKeptOrderNeverOverwritesOneMovedOnElsewhere: orders created through store A (which
// keeps them) are canceled through store B (another replica, which does not), some before A
// confirms them and some at the same time, from goroutines. A confirmation from a kept order
// that has since been canceled must find the row moved on, read it and refuse
// (invalid_order_state); every order ends CANCELED with its stock back exactly once.
func TestAKeptOrderNeverOverwritesOneMovedOnElsewhere(t *testing.T) {
	t.Parallel()
	_, a := snapshotsService(t)
	_, b := snapshotsService(t)
	const n = 16
	p := createProduct(t, a, n)
	customer := ordersCustomer(t)
	ids := make([]int64, n)
	for i := range ids {
		out, err := a.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: customer, Lines: []order.Line{{ProductID: p, Qty: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = out.Order.ID()
	}
	// The first half: canceled elsewhere first, then confirmed from the kept order.
	for _, id := range ids[:n/2] {
		if _, err := b.CancelOrder(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		if _, err := confirmWithKey(t.Context(), a, id); !errors.Is(err, order.ErrInvalidState) {
			t.Fatalf("order %d canceled elsewhere: confirm got %v, want invalid_order_state", id, err)
		}
	}
	// The second half: both at once.
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for _, id := range ids[n/2:] {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := confirmWithKey(context.Background(), a, id); err != nil && !errors.Is(err, order.ErrInvalidState) {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := b.CancelOrder(context.Background(), id); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range ids {
		o, err := a.GetOrder(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status() != order.Canceled {
			t.Errorf("order %d: %s, want CANCELED", id, o.Status())
		}
	}
	got, err := a.GetProduct(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Stock() != n {
		t.Errorf("stock %d after every order was canceled, want %d", got.Stock(), n)
	}
}

func createProduct(t *testing.T, svc *orders.Service, stock int) int64 {
	t.Helper()
	p, err := svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: "snap-" + mysqltest.Unique(), Name: "snap", PriceCents: 125, Stock: stock})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID()
}
