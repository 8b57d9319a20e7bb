package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/adapters/metrics"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/bootstrap"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
)

type anyCustomer struct{}

func (anyCustomer) CheckCustomer(context.Context, int64) error { return nil }

// lines is a slog handler that sends each message to a channel.
type lines struct {
	mu  sync.Mutex
	out chan string
}

func (l *lines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool { msg += " " + a.String(); return true })
	select {
	case l.out <- msg:
	default:
	}
	return nil
}
func (l *lines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *lines) WithGroup(string) slog.Handler      { return l }

// runJob starts a background job, waits for its first log line, which must contain want
// (it runs at once, not after its interval), then checks that it stops with its context.
func runJob(t *testing.T, job func(ctx context.Context, logger *slog.Logger), want string) {
	t.Helper()
	log := &lines{out: make(chan string, 10)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		job(ctx, slog.New(log))
	}()
	select {
	case msg := <-log.out:
		if !strings.Contains(msg, want) {
			t.Fatalf("got log %q, want %q", msg, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not run")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not stop with its context")
	}
}

// TestPurgeExpiredKeys: the background purge deletes expired keys at once and stops when
// its context ends.
func TestPurgeExpiredKeys(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	store := memory.NewOrdersStore()
	svc := orders.NewService(store, anyCustomer{}, orders.Config{CancelWindow: time.Minute, IdempotencyTTL: time.Hour}, clock)
	p, err := svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: "P", Name: "p", PriceCents: 1, Stock: 5})
	if err != nil {
		t.Fatal(err)
	}
	encode := func(o *order.Order) (idempotency.Response, error) {
		return idempotency.Response{Status: 200, Body: []byte("{}")}, nil
	}
	for _, k := range []string{"k1", "k2"} {
		out, err := svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: p.ID(), Qty: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		key, _ := idempotency.ParseKey(k)
		if _, err := svc.ConfirmOrder(t.Context(), orders.ConfirmOrder{OrderID: out.Order.ID(), Key: key, Encode: encode}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()

	runJob(t, func(ctx context.Context, logger *slog.Logger) {
		PurgeExpiredKeys(ctx, svc, logger, time.Hour)
	},
		"purged expired idempotency keys count=2")
	if n, err := svc.PurgeExpiredKeys(t.Context()); err != nil || n != 0 {
		t.Fatalf("purge after the background purge: got %d, %v, want 0 left", n, err)
	}
}

// TestExpireOrders: the background sweep expires the orders whose hold has passed at once,
// restoring their stock, logs one line with its counts, adds them to the metrics, and stops
// when its context ends.
func TestExpireOrders(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	svc := orders.NewService(memory.NewOrdersStore(), anyCustomer{}, orders.Config{CancelWindow: time.Minute,
		IdempotencyTTL: time.Hour, HoldTTL: 30 * time.Minute}, clock)
	p, err := svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: "P", Name: "p", PriceCents: 1, Stock: 5})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := svc.CreateOrder(t.Context(), orders.CreateOrder{CustomerID: 1, Lines: []order.Line{{ProductID: p.ID(), Qty: 2}}}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()

	m := metrics.New("orders-api")
	runJob(t, func(ctx context.Context, logger *slog.Logger) {
		ExpireOrders(ctx, svc, m.Expiries(), logger, time.Hour)
	},
		"reservation sweep orders=2 units=4")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`backoffice_orders_expired_total{service="orders-api"} 2`, `backoffice_order_units_released_total{service="orders-api"} 4`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if got, err := svc.GetProduct(t.Context(), p.ID()); err != nil || got.Stock() != 5 {
		t.Fatalf("stock after the sweep: got %v, %v, want 5", got, err)
	}
	if n, err := svc.ExpireOrders(t.Context()); err != nil || n != (orders.Sweep{}) {
		t.Fatalf("sweep after the background sweep: got %+v, %v, want 0 left", n, err)
	}
}

// TestProvideOrdersConfig: the use cases get ORDER_HOLD_TTL, CANCEL_WINDOW and
// IDEMPOTENCY_TTL as configured.
func TestProvideOrdersConfig(t *testing.T) {
	t.Parallel()
	cfg, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, func(k string) string {
		return map[string]string{"ORDER_HOLD_TTL": "0", "CANCEL_WINDOW": "3m", "IDEMPOTENCY_TTL": "2h"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	got := ProvideOrdersConfig(cfg)
	if got.HoldTTL != 0 || got.CancelWindow != 3*time.Minute || got.IdempotencyTTL != 2*time.Hour {
		t.Fatalf("got %+v, want hold 0, cancel window 3m, idempotency TTL 2h", got)
	}
}

// TestOnlyTheMySQLStoreSharesFoundLookups: orders-api on MySQL, whose store checks the
// customer again under a lock, lets lookups share a "found" answer in flight; in memory,
// where nothing checks it again, every lookup keeps an answer from after it began.
func TestOnlyTheMySQLStoreSharesFoundLookups(t *testing.T) {
	t.Parallel()
	cfg, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, func(k string) string {
		return map[string]string{"SERVICE_TOKEN": "internal-service-token"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	mysqlClient, err := ProvideOrdersMySQLCustomersClient(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	memoryClient, err := bootstrap.ProvideCustomersClient(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !mysqlClient.SharesFound() || memoryClient.SharesFound() {
		t.Fatalf("shares found lookups: MySQL's client %v, memory's %v; want true and false", mysqlClient.SharesFound(), memoryClient.SharesFound())
	}
}
