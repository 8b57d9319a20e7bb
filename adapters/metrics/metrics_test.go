package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/b2b-backoffice/backoffice/adapters/metrics"
)

func TestObserverLabelsByRouteTemplate(t *testing.T) {
	t.Parallel()
	m := metrics.New("orders-api")
	router := mux.NewRouter()
	router.HandleFunc("/orders/{id}", func(http.ResponseWriter, *http.Request) {}).Methods(http.MethodGet)
	observe := m.Observer(router)
	observe(httptest.NewRequest(http.MethodGet, "/orders/17", nil), 200, 3*time.Millisecond)
	observe(httptest.NewRequest(http.MethodGet, "/orders/18", nil), 404, time.Millisecond)
	observe(httptest.NewRequest(http.MethodGet, "/nope", nil), 404, time.Millisecond)
	m.Count(metrics.EventIdempotentReplay)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
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
	if strings.Contains(text, `route="/orders/17"`) {
		t.Error("raw path used as a label")
	}
}
