package repotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// benchClients is how many goroutines BenchCreateConfirm runs at once: the 16 clients of
// tools/loadtest's flow mode and of tools/sqlbench, so that the figures compare.
const benchClients = 16

// BenchCreateConfirm runs b.N create+confirm flows through svc on ~16 goroutines and
// reports flows/s. Each flow is what tools/loadtest's flow mode asks over HTTP: create
// an order of one unit of a product for customerID without a key, then confirm it with a
// fresh key. With shared every flow buys the same product (one hot row, as loadtest
// -products 1); without, each goroutine buys a product of its own (loadtest's default).
// The products are created through svc with the maximum stock before the timer starts
// (shared) or inside each goroutine (own).
func BenchCreateConfirm(b *testing.B, svc *orders.Service, customerID int64, shared bool) {
	ctx := context.Background()
	token := benchToken(b)
	var seq atomic.Int64
	newProduct := func() int64 {
		p, err := svc.CreateProduct(ctx, orders.CreateProduct{
			SKU:  fmt.Sprintf("BENCH-%s-%d", token, seq.Add(1)),
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
	b.SetParallelism((benchClients + procs - 1) / procs)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		productID := sharedID
		if !shared {
			productID = newProduct()
		}
		create, confirm := benchEncoder(201), benchEncoder(200)
		for pb.Next() {
			if err := benchFlow(ctx, svc, customerID, productID, token, create, confirm); err != nil {
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

// benchToken is a random word that keeps the SKUs of one run apart from those of other runs
// on the same database.
func benchToken(b *testing.B) string {
	b.Helper()
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		b.Fatal(err)
	}
	return hex.EncodeToString(r[:])
}

// benchFlow creates an order of one unit without a key, then confirms it with a fresh key
// (the run's token and the new order's id).
func benchFlow(ctx context.Context, svc *orders.Service, customerID, productID int64, token string, create, confirm orders.Encoder) error {
	out, err := svc.CreateOrder(ctx, orders.CreateOrder{CustomerID: customerID,
		Lines: []order.Line{{ProductID: productID, Qty: 1}}, Encode: create})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	key, err := idempotency.ParseKey(fmt.Sprintf("bench-%s-%d", token, out.Order.ID()))
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

// benchEncoder stands in for the HTTP layer's encoder: the order as JSON in a data envelope,
// so that the benchmark pays for encoding and for storing a body of realistic size under
// the key.
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
