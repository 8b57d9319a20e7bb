package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/metrics"
)

// TestPatternObserverLabelsByServeMuxPattern: behind a net/http ServeMux the route label is
// the matched pattern without its method, never the raw path.
func TestPatternObserverLabelsByServeMuxPattern(t *testing.T) {
	t.Parallel()
	m := metrics.New("orchestrator")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/orchestrator/create-and-confirm-order", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(201) })
	observe := m.PatternObserver()
	serve := func(method, path string) {
		req := httptest.NewRequest(method, path, nil)
		rec := httptest.NewRecorder()
		start := time.Now()
		mux.ServeHTTP(rec, req) // sets req.Pattern, as inside httpkit.Middleware
		observe(req, rec.Code, time.Since(start))
	}
	serve("GET", "/health")
	serve("POST", "/orchestrator/create-and-confirm-order")
	serve("POST", "/orchestrator/create-and-confirm-order")
	serve("GET", "/nope/123")

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/health",service="orchestrator",status="200"} 1`,
		`http_requests_total{method="POST",route="/orchestrator/create-and-confirm-order",service="orchestrator",status="201"} 2`,
		`http_requests_total{method="GET",route="unmatched",service="orchestrator",status="404"} 1`,
		`http_request_duration_seconds_count{method="POST",route="/orchestrator/create-and-confirm-order",service="orchestrator"} 2`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics output lacks %q", want)
		}
	}
	if strings.Contains(text, "/nope/123") {
		t.Error("raw path used as a label")
	}
}
