//go:build !lambda

package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLocalServerServesMetrics: the orchestrator's local server counts its requests by route
// pattern and status and serves them at /metrics in the Prometheus text format.
func TestLocalServerServesMetrics(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil, nil)
	srv := httptest.NewServer(w.app.HTTP)
	t.Cleanup(srv.Close)
	p := w.orders.SeedProduct(t, "SKU-M", "Widget", 100, 10)
	ok := w.post(t, srv, body(w.customerID, p.ID(), 1, "metrics-1", ""), w.auth())
	again := w.post(t, srv, body(w.customerID, p.ID(), 1, "metrics-1", ""), w.auth())
	refused := w.post(t, srv, body(w.customerID, p.ID(), 1, "metrics-2", ""), nil)
	if ok.status != 201 || again.status != 201 || refused.status != 401 {
		t.Fatalf("got %d, %d, %d; want 201, 201, 401", ok.status, again.status, refused.status)
	}
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	text := string(b)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("got /metrics %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`http_requests_total{method="POST",route="/orchestrator/create-and-confirm-order",service="orchestrator",status="201"} 2`,
		`http_requests_total{method="POST",route="/orchestrator/create-and-confirm-order",service="orchestrator",status="401"} 1`,
		`http_request_duration_seconds_count{method="POST",route="/orchestrator/create-and-confirm-order",service="orchestrator"} 3`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
