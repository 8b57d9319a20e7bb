package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/domain/customer"
)

// TestMetricsCountRequestsAndRetries: customers-api on memory serves per-route request
// metrics without pool gauges; the repository the MySQL injector builds reports its
// transaction retries to the metrics it serves.
func TestMetricsCountRequestsAndRetries(t *testing.T) {
	t.Parallel()
	mem, err := initializeMemory(config(t, nil), discard())
	if err != nil {
		t.Fatal(err)
	}
	mem.Handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/customers/7", nil))
	text := apitest.MetricsText(t, mem.Handler)
	if !strings.Contains(text, `http_requests_total{method="GET",route="/customers/{id}",service="customers-api",status="401"} 1`) ||
		strings.Contains(text, "go_sql_") {
		t.Errorf("memory: got metrics without the request or with pool gauges:\n%.800s", text)
	}

	// The MySQL injector's pool gauges are checked by TestHostileInputOnMySQL, on its app.
	u := env.NewDatabase(t, true)
	db, err := mysql.Open(context.Background(), u, mysql.PoolConfig{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := ProvideCustomersMySQLMetrics(db)
	repo := ProvideCustomerMySQLRepository(db, m)
	c, err := customer.NewCustomer("Retry", "retry@acme.com", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if c, err = repo.Create(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	attempt := 0
	if _, err := repo.Update(t.Context(), c.ID(), func(*customer.Customer) error {
		if attempt++; attempt == 1 {
			return &gomysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded"}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if text := apitest.MetricsText(t, m.Handler()); !strings.Contains(text, `backoffice_events_total{event="transaction_retry",service="customers-api"} 1`) {
		t.Errorf("after a retried update: metrics lack the retry")
	}
}
