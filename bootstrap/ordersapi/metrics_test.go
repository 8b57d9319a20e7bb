package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/application/orders"
)

// TestMySQLStoreCountsTransactionRetries: the store the MySQL injector builds reports every
// retried unit of work (here a deadlock on the first attempt) to the metrics it serves.
func TestMySQLStoreCountsTransactionRetries(t *testing.T) {
	t.Parallel()
	db, err := sqlOpen(t, env.NewDatabase(t, true))
	if err != nil {
		t.Fatal(err)
	}
	m := ProvideOrdersMySQLMetrics(db)
	store := ProvideOrdersMySQLStore(db, m)
	const retries = `backoffice_events_total{event="transaction_retry",service="orders-api"} `
	if text := apitest.MetricsText(t, m.Handler()); !strings.Contains(text, retries+"0") {
		t.Fatalf("before any retry: metrics lack %q", retries+"0")
	}
	attempt := 0
	if err := store.Transact(context.Background(), func(context.Context, orders.Repos) error {
		if attempt++; attempt == 1 {
			return &gomysql.MySQLError{Number: 1213, Message: "Deadlock found"}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	text := apitest.MetricsText(t, m.Handler())
	for _, want := range []string{retries + "1", `go_sql_max_open_connections{db_name="orders-api"} 2`, `go_sql_open_connections{db_name="orders-api"}`} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestMySQLInjectorServesPoolGauges: orders-api on MySQL serves the pool's gauges and the
// per-route request metrics at /metrics; on memory there is no pool to report.
func TestMySQLInjectorServesPoolGauges(t *testing.T) {
	t.Parallel()
	base, _, _ := customersAPI(t, "", "")
	cfg := config(t, map[string]string{"DATABASE_URL": string(env.NewDatabase(t, false)), "JWT_SECRET": "a-long-enough-test-secret",
		"SERVICE_TOKEN": "a-long-enough-service-token", "CUSTOMERS_API_BASE": base})
	app, cleanup, err := initializeMySQL(context.Background(), cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	app.Handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/products/1", nil))
	text := apitest.MetricsText(t, app.Handler)
	for _, want := range []string{`go_sql_in_use_connections{db_name="orders-api"}`, `go_sql_wait_count_total{db_name="orders-api"}`,
		`http_requests_total{method="GET",route="/products/{id}",service="orders-api",status="401"} 1`,
		`backoffice_events_total{event="transaction_retry",service="orders-api"} 0`} {
		if !strings.Contains(text, want) {
			t.Errorf("MySQL: metrics lack %q", want)
		}
	}

	mem, err := initializeMemory(config(t, map[string]string{"CUSTOMERS_API_BASE": base}), discard())
	if err != nil {
		t.Fatal(err)
	}
	mem.Handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/orders", nil))
	if text := apitest.MetricsText(t, mem.Handler); strings.Contains(text, "go_sql_") || !strings.Contains(text, "http_request_duration_seconds") {
		t.Errorf("memory: got pool gauges or no request metrics:\n%.500s", text)
	}
}
