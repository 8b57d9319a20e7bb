package lambda_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/lambda"
	"github.com/b2b-backoffice/backoffice/adapters/metrics"
)

// TestOrchestratorHeadersAndMediaType: every orchestrator answer (success or not, event or
// local server) carries nosniff and no-store (a success holds the customer); a body that
// is not JSON is 415 in the orchestrator's shape.
func TestOrchestratorHeadersAndMediaType(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	auth := map[string]string{"Authorization": "Bearer " + f.token}
	for name, event := range map[string]string{
		"v1 201": v1("POST", goodBody, auth), "v2 201": v2("POST", goodBody, false, auth),
		"v1 401": v1("POST", goodBody, nil), "v1 405": v1("GET", "", auth),
	} {
		a := invoke(t, f, event)
		if h := header(a.Headers); h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s (%d): got headers %v, want nosniff and no-store", name, a.StatusCode, a.Headers)
		}
	}
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded"} {
		h := map[string]string{"Authorization": "Bearer " + f.token, "Content-Type": ct}
		a := invoke(t, f, v1("POST", goodBody, h))
		if a.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(a.Body, `"success":false`) ||
			!strings.Contains(a.Body, `"code":"unsupported_media_type"`) {
			t.Errorf("body as %s: got %d %s, want 415 unsupported_media_type in the orchestrator's shape", ct, a.StatusCode, a.Body)
		}
	}
	srv := localServer(t, f, nil)
	for _, path := range []string{"/health", "/ready", "/nope"} {
		res, _ := do(t, "GET", srv.URL+path, "", nil)
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("local %s: got headers %v, want nosniff", path, res.Header)
		}
	}
	res, _ := do(t, "HEAD", srv.URL+"/health", "", nil)
	if res.StatusCode != http.StatusOK {
		t.Errorf("HEAD /health: got %d, want 200", res.StatusCode)
	}
	res, body := do(t, "POST", srv.URL+lambda.Route, goodBody, map[string]string{"Authorization": "Bearer " + f.token, "Content-Type": "text/plain"})
	if res.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(body, `"code":"unsupported_media_type"`) {
		t.Errorf("local server, text/plain body: got %d %s, want 415", res.StatusCode, body)
	}
}

func header(m map[string]string) http.Header {
	h := http.Header{}
	for k, v := range m {
		h.Set(k, v)
	}
	return h
}

// TestLocalServerTimesOutInItsOwnShape: a function that does not answer by REQUEST_TIMEOUT
// (plus httpkit.DeadlineMargin) gets the client a 504 gateway_timeout in the orchestrator's
// envelope, with its request and correlation ids, not a hung connection.
func TestLocalServerTimesOutInItsOwnShape(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stuck := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		<-release // ignores its context
		return nil, context.Canceled
	}
	h := lambda.LocalServer(stuck, "orchestrator", httpkit.ReadyChecks{}, slog.New(slog.DiscardHandler), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := httpkit.DefaultServerConfig("")
	cfg.RequestTimeout, cfg.DrainDelay = 200*time.Millisecond, 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpkit.ServeListener(ctx, slog.New(slog.DiscardHandler), cfg, ln, h) }()
	t.Cleanup(func() { cancel(); <-done })

	req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+lambda.Route, strings.NewReader(goodBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "slow-1")
	req.Header.Set("X-Correlation-ID", "corr-slow")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("got %v, want an answer", err)
	}
	defer res.Body.Close()
	var got failure
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusGatewayTimeout || got.Success == nil || *got.Success || got.CorrelationID != "corr-slow" ||
		got.Error["code"] != "gateway_timeout" {
		t.Fatalf("got %d %+v, want 504 gateway_timeout with success false and correlationId corr-slow", res.StatusCode, got)
	}
	if res.Header.Get("X-Request-ID") != "slow-1" || res.Header.Get("X-Correlation-ID") != "corr-slow" {
		t.Errorf("got headers %v, want the caller's request and correlation ids", res.Header)
	}
}

// TestLocalServerMetricLabelsStayBounded: invented methods never become labels.
func TestLocalServerMetricLabelsStayBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := lambda.LocalServer(f.handler.Handle, "orchestrator", httpkit.ReadyChecks{}, slog.New(slog.DiscardHandler), metrics.New("orchestrator"))
	apitest.CheckMetricLabelsBounded(t, h, "/health")
	apitest.CheckMetricLabelsBounded(t, h, lambda.Route)
	if text := apitest.MetricsText(t, h); !strings.Contains(text, `route="/orchestrator/create-and-confirm-order"`) {
		t.Errorf("metrics lack the route's own label")
	}
}
