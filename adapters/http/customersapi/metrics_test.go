package customersapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/metrics"
)

// TestMetricsCountRequestsByRouteAndStatus: with metrics, GET /metrics serves Prometheus
// text in which every request counted under its route template and status, with a latency
// histogram per route; ids never become labels.
func TestMetricsCountRequestsByRouteAndStatus(t *testing.T) {
	t.Parallel()
	api := customersapitest.New(t, customersapitest.Options{Metrics: metrics.New("customers-api")})
	auth := "Bearer " + api.UserToken(t)
	send := func(method, path, body, authz string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		api.Handler.ServeHTTP(rec, req)
		return rec
	}
	api.Seed(t, "ACME", "ops@acme.com", "")
	send("GET", "/customers/1", "", auth)
	send("GET", "/customers/2", "", auth)
	send("GET", "/customers/77", "", auth)
	send("GET", "/customers", "", "")
	send("POST", "/customers", `{"name":"B","email":"b@acme.com"}`, auth)
	send("POST", "/auth/login", `{"username":"admin","password":"wrong"}`, "")
	send("GET", "/nowhere", "", "")

	rec := send("GET", "/metrics", "", "")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("got /metrics %d %q, want 200 Prometheus text", rec.Code, rec.Header().Get("Content-Type"))
	}
	text := rec.Body.String()
	for _, want := range []string{
		`http_requests_total{method="GET",route="/customers/{id}",service="customers-api",status="200"} 1`,
		`http_requests_total{method="GET",route="/customers/{id}",service="customers-api",status="404"} 2`,
		`http_requests_total{method="GET",route="/customers",service="customers-api",status="401"} 1`,
		`http_requests_total{method="POST",route="/customers",service="customers-api",status="201"} 1`,
		`http_requests_total{method="POST",route="/auth/login",service="customers-api",status="401"} 1`,
		`http_requests_total{method="GET",route="unmatched",service="customers-api",status="404"} 1`,
		`http_request_duration_seconds_count{method="GET",route="/customers/{id}",service="customers-api"} 3`,
		"\ngo_goroutines ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(text, "/customers/77") {
		t.Error("a raw path became a label")
	}
	// Without metrics there is no /metrics route.
	plain := customersapitest.New(t, customersapitest.Options{})
	rec = httptest.NewRecorder()
	plain.Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("got /metrics %d without metrics, want 404", rec.Code)
	}
}
