package orders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// benchClients is how many goroutines the flow benchmarks run at once: the 16 clients of
// bootstrap/loadtest's flow mode, so that the figures compare.
const benchClients = 16

// benchEncoder stands in for the HTTP layer's encoder: the order as JSON in a data envelope,
// so that the benchmark pays for encoding and for storing the body under the key.
func benchEncoder(status int) orders.Encoder {
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

// okCustomers says yes to every customer: the benchmark measures the orders side only.
type okCustomers struct{}

func (okCustomers) CheckCustomer(context.Context, int64) error { return nil }

// BenchmarkCreateConfirmMemory runs create order + confirm (with a key) through the real
// orders.Service over the memory store with 16 goroutines. "shared_product": every flow
// buys the same product (loadtest -products 1); "own_product": each goroutine buys a
// product of its own (loadtest's default).
//
//	go test -run XXX -bench CreateConfirm ./application/orders/
func BenchmarkCreateConfirmMemory(b *testing.B) {
	for _, shared := range []bool{true, false} {
		name := "own_product"
		if shared {
			name = "shared_product"
		}
		b.Run(name, func(b *testing.B) {
			svc := orders.NewService(memory.NewOrdersStore(), okCustomers{},
				orders.Config{CancelWindow: 10 * time.Minute, IdempotencyTTL: 24 * time.Hour})
			runFlows(b, svc, shared, 1)
		})
	}
}

// runFlows runs b.N create+confirm flows on ~benchClients goroutines and reports flows/s.
func runFlows(b *testing.B, svc *orders.Service, shared bool, customerID int64) {
	ctx := context.Background()
	newProduct := func() int64 {
		p, err := svc.CreateProduct(ctx, orders.NewProduct{
			SKU: fmt.Sprintf("BENCH-%d-%d", time.Now().UnixNano(), seq.Add(1)), Name: "Bench", PriceCents: 1999, Stock: product.MaxStock})
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
	b.SetParallelism((benchClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		productID := sharedID
		if !shared {
			productID = newProduct()
		}
		create, confirm := benchEncoder(201), benchEncoder(200)
		for pb.Next() {
			if err := oneFlow(ctx, svc, customerID, productID, create, confirm); err != nil {
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

var seq atomic.Int64

// oneFlow is what bootstrap/loadtest's flow mode asks over HTTP: create an order of one
// unit without a key, then confirm it with a fresh key.
func oneFlow(ctx context.Context, svc *orders.Service, customerID, productID int64, create, confirm orders.Encoder) error {
	out, err := svc.CreateOrder(ctx, orders.CreateOrder{CustomerID: customerID,
		Lines: []order.Line{{ProductID: productID, Qty: 1}}, Encode: create})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	key, err := idempotency.ParseKey(fmt.Sprintf("bench-%d-%d", out.Order.ID(), seq.Add(1)))
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
