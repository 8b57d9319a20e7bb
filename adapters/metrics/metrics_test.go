package metrics_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/metrics"
)

func metricsText(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

func TestObserveLabelsByRouteMethodAndStatus(t *testing.T) {
	t.Parallel()
	m := metrics.New("orders-api")
	m.Observe("/orders/{id}", http.MethodGet, 200, 3*time.Millisecond)
	m.Observe("/orders/{id}", http.MethodGet, 404, time.Millisecond)
	m.Observe("unmatched", http.MethodGet, 404, time.Millisecond)
	m.Count(metrics.EventIdempotentReplay)

	text := metricsText(t, m)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/orders/{id}",service="orders-api",status="200"} 1`,
		`http_requests_total{method="GET",route="/orders/{id}",service="orders-api",status="404"} 1`,
		`http_requests_total{method="GET",route="unmatched",service="orders-api",status="404"} 1`,
		`http_request_duration_seconds_count{method="GET",route="/orders/{id}",service="orders-api"} 2`,
		`backoffice_events_total{event="idempotent_replay",service="orders-api"} 1`,
		`backoffice_events_total{event="transaction_retry",service="orders-api"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics output lacks %q", want)
		}
	}
}

// TestObserveKeepsLabelsInClosedSets: methods outside the known ones count as OTHER and
// impossible statuses as "other", so callers cannot grow the number of series.
func TestObserveKeepsLabelsInClosedSets(t *testing.T) {
	t.Parallel()
	m := metrics.New("customers-api")
	for i := range 500 {
		m.Observe("/health", fmt.Sprintf("M%d", i), 200, time.Millisecond)
		m.Observe("/health", http.MethodGet, 1000+i, time.Millisecond)
	}
	text := metricsText(t, m)
	for _, want := range []string{
		`http_requests_total{method="OTHER",route="/health",service="customers-api",status="200"} 500`,
		`http_requests_total{method="GET",route="/health",service="customers-api",status="other"} 500`,
		`http_request_duration_seconds_count{method="OTHER",route="/health",service="customers-api"} 500`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics output lacks %q", want)
		}
	}
	if n := strings.Count(text, "\nhttp_requests_total{"); n != 2 {
		t.Errorf("got %d http_requests_total series, want 2", n)
	}
}

func TestExpiriesCountSweeps(t *testing.T) {
	t.Parallel()
	m := metrics.New("orders-api")
	e := m.Expiries()
	if text := metricsText(t, m); !strings.Contains(text, `backoffice_orders_expired_total{service="orders-api"} 0`) {
		t.Fatalf("before any sweep the counter is not exported at 0:\n%s", text)
	}
	e.Add(3, 7)
	e.Add(0, 0)
	e.Add(1, 2)
	text := metricsText(t, m)
	for _, want := range []string{
		`backoffice_orders_expired_total{service="orders-api"} 4`,
		`backoffice_order_units_released_total{service="orders-api"} 9`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics output lacks %q", want)
		}
	}
}
