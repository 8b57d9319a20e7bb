package orchestratorapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/http/orchestratorapi"
	"github.com/b2b-backoffice/backoffice/adapters/http/orchestratorapi/orchestratorapitest"
	"github.com/b2b-backoffice/backoffice/adapters/metrics"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
)

const (
	route       = orchestratorapi.Route
	goodBody    = orchestratorapitest.GoodBody
	wantSuccess = orchestratorapitest.WantSuccess
)

func serve(t *testing.T, opts orchestratorapitest.Options) (*orchestratorapitest.API, *httptest.Server) {
	t.Helper()
	api := orchestratorapitest.New(t, opts)
	return api, apitest.Serve(t, api.Handler)
}

func do(t *testing.T, method, url, body string, h map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// failure is the orchestrator's error envelope.
type failure struct {
	Success       *bool          `json:"success"`
	CorrelationID string         `json:"correlationId"`
	Error         map[string]any `json:"error"`
}

func failureOf(t *testing.T, body string) failure {
	t.Helper()
	var f failure
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if f.Success == nil || *f.Success || f.CorrelationID == "" || f.Error["message"] == "" {
		t.Fatalf("got %s, want success false, a correlationId and a message", body)
	}
	return f
}

func TestServesTheRoute(t *testing.T) {
	t.Parallel()
	api, srv := serve(t, orchestratorapitest.Options{})
	auth := map[string]string{"Authorization": "Bearer " + api.Token}
	res, body := do(t, "POST", srv.URL+route, goodBody, map[string]string{"Authorization": "Bearer " + api.Token, "X-Request-ID": "local-1"})
	if res.StatusCode != 201 || body != wantSuccess {
		t.Fatalf("got %d %s, want 201 %s", res.StatusCode, body, wantSuccess)
	}
	if res.Header.Get("X-Request-ID") != "local-1" || res.Header.Get("Content-Type") != "application/json" ||
		res.Header.Get("X-Correlation-ID") != "req-789" || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("got headers %v, want X-Request-ID local-1, the body's correlation id, JSON and no-store", res.Header)
	}
	if vs := res.Header.Values("X-Request-ID"); len(vs) != 1 {
		t.Errorf("got X-Request-ID %v, want one value", vs)
	}

	// Without a caller id, the middleware makes one.
	res, _ = do(t, "POST", srv.URL+route, goodBody, auth)
	if vs := res.Header.Values("X-Request-ID"); len(vs) != 1 || len(vs[0]) != 32 {
		t.Errorf("got X-Request-ID %v, want one new id", vs)
	}
	if res.Header.Get(orchestratorapi.HeaderReplayed) != "true" {
		t.Errorf("the same key again: got headers %v, want %s: true", res.Header, orchestratorapi.HeaderReplayed)
	}

	res, body = do(t, "POST", srv.URL+route, goodBody, nil)
	if res.StatusCode != 401 || failureOf(t, body).CorrelationID != "req-789" {
		t.Errorf("got %d %s, want 401 in the orchestrator's shape with the body's correlationId", res.StatusCode, body)
	}
	res, body = do(t, "POST", srv.URL+route, strings.Repeat("x", httpkit.MaxBodyBytes+1), auth)
	if res.StatusCode != 413 || failureOf(t, body).Error["code"] != "payload_too_large" {
		t.Errorf("got %d %s, want 413 payload_too_large", res.StatusCode, body)
	}
}

// TestRouterAnswersInTheOrchestratorsShape: the router's own answers (another method on the
// route, an unknown path) are in the orchestrator's envelope, with the X-Correlation-ID
// header's id (the body is not read for them) and no-store.
func TestRouterAnswersInTheOrchestratorsShape(t *testing.T) {
	t.Parallel()
	api, srv := serve(t, orchestratorapitest.Options{})
	for _, method := range []string{"GET", "PUT", "DELETE", "PATCH"} {
		res, body := do(t, method, srv.URL+route, "", map[string]string{"Authorization": "Bearer " + api.Token, "X-Correlation-ID": "c-405"})
		f := failureOf(t, body)
		if res.StatusCode != 405 || res.Header.Get("Allow") != "POST" || f.Error["code"] != "method_not_allowed" || f.CorrelationID != "c-405" ||
			res.Header.Get("X-Correlation-ID") != "c-405" || res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: got %d Allow %q %s %v, want 405 Allow POST method_not_allowed with correlationId c-405", method, res.StatusCode, res.Header.Get("Allow"), body, res.Header)
		}
	}
	res, body := do(t, "GET", srv.URL+"/nope", "", nil)
	if f := failureOf(t, body); res.StatusCode != 404 || f.Error["code"] != "route_not_found" || f.CorrelationID != res.Header.Get("X-Correlation-ID") {
		t.Errorf("got %d %s, want 404 route_not_found with a new correlation id in body and header", res.StatusCode, body)
	}
	if n := api.Calls(); n != 0 {
		t.Errorf("got %d calls to the services, want none", n)
	}
}

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	ready := func(err error) *httptest.Server {
		_, srv := serve(t, orchestratorapitest.Options{Ready: orchestratorapi.ReadyChecks{
			Dependencies: map[string]httpkit.Check{"orders-api": func(context.Context) error { return err }}}})
		return srv
	}
	ok := ready(nil)
	if res, body := do(t, "GET", ok.URL+"/health", "", nil); res.StatusCode != 200 || body != `{"status":"ok","service":"orchestrator"}` {
		t.Errorf("health: got %d %s", res.StatusCode, body)
	}
	if res, _ := do(t, "GET", ok.URL+"/ready", "", nil); res.StatusCode != 200 {
		t.Errorf("ready: got %d, want 200", res.StatusCode)
	}
	// A service it calls being down does not take the orchestrator out of its load
	// balancer: /ready stays 200 and only ?verbose tells.
	down := ready(errors.New("orders-api could not be reached"))
	if res, body := do(t, "GET", down.URL+"/ready", "", nil); res.StatusCode != 200 || body != `{"status":"ready","service":"orchestrator"}` {
		t.Errorf("ready with a dependency down: got %d %s, want 200 ready", res.StatusCode, body)
	}
	want := `{"status":"ready","service":"orchestrator","checks":[{"name":"orders-api","kind":"dependency","ok":false,"error":"orders-api could not be reached"}]}`
	if res, body := do(t, "GET", down.URL+"/ready?verbose", "", nil); res.StatusCode != 200 || body != want {
		t.Errorf("ready?verbose with a dependency down: got %d %s, want 200 %s", res.StatusCode, body, want)
	}
}

// TestHeadersAndMediaType: nosniff everywhere, HEAD like GET, and a body that is not JSON
// is 415 in the orchestrator's shape.
func TestHeadersAndMediaType(t *testing.T) {
	t.Parallel()
	api, srv := serve(t, orchestratorapitest.Options{})
	for _, path := range []string{"/health", "/ready", "/nope"} {
		res, _ := do(t, "GET", srv.URL+path, "", nil)
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: got headers %v, want nosniff", path, res.Header)
		}
	}
	apitest.CheckHeadLikeGet(t, api.Handler, "/health")
	apitest.CheckJSONBodiesOnly(t, apitest.Direct(api.Handler), http.MethodPost, route, goodBody, "Authorization", "Bearer "+api.Token)
	res, body := do(t, "POST", srv.URL+route, goodBody, map[string]string{"Authorization": "Bearer " + api.Token, "Content-Type": "text/plain"})
	if res.StatusCode != http.StatusUnsupportedMediaType || failureOf(t, body).Error["code"] != "unsupported_media_type" {
		t.Errorf("text/plain body: got %d %s, want 415", res.StatusCode, body)
	}
}

// TestHostileTokensOverHTTP: the hostile tokens the Lambda adapter's test sends in events
// are refused over HTTP too, before any call.
func TestHostileTokensOverHTTP(t *testing.T) {
	t.Parallel()
	api, srv := serve(t, orchestratorapitest.Options{})
	tokens, valid := orchestratorapitest.HostileTokens(t)
	for name, tok := range tokens {
		res, body := do(t, "POST", srv.URL+route, goodBody, map[string]string{"Authorization": "Bearer " + tok})
		if f := failureOf(t, body); res.StatusCode != http.StatusUnauthorized || f.Error["code"] != "unauthorized" || f.CorrelationID != "req-789" {
			t.Errorf("%s: got %d %s, want 401 unauthorized with the body's correlationId", name, res.StatusCode, body)
		}
	}
	if n := api.Calls(); n != 0 {
		t.Fatalf("got %d calls to the services for refused tokens, want none", n)
	}
	if res, body := do(t, "POST", srv.URL+route, goodBody, map[string]string{"Authorization": "Bearer " + valid}); res.StatusCode != 201 {
		t.Fatalf("valid token: got %d %s, want 201", res.StatusCode, body)
	}
}

// stuck is a use case that ignores its context until released.
type stuck chan struct{}

func (s stuck) CreateAndConfirm(context.Context, orchestration.CreateAndConfirm) (orchestration.Outcome, error) {
	<-s
	return orchestration.Outcome{}, context.Canceled
}

// TestTimesOutInItsOwnShape: a use case that does not return by REQUEST_TIMEOUT (plus
// httpkit.DeadlineMargin) gets the client a 504 gateway_timeout in the orchestrator's
// envelope, with its request and correlation ids, not a hung connection.
func TestTimesOutInItsOwnShape(t *testing.T) {
	t.Parallel()
	release := make(stuck)
	t.Cleanup(func() { close(release) })
	api := orchestratorapitest.New(t, orchestratorapitest.Options{})
	h := orchestratorapi.NewRouter(orchestratorapi.Deps{Orchestration: release, Verifier: acceptAll{}})
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

	req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+route, strings.NewReader(strings.Replace(goodBody, `,"correlation_id":"req-789"`, "", 1)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+api.Token)
	req.Header.Set("X-Request-ID", "slow-1")
	req.Header.Set("X-Correlation-ID", "corr-slow")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("got %v, want an answer", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	got := failureOf(t, string(b))
	if res.StatusCode != http.StatusGatewayTimeout || got.CorrelationID != "corr-slow" || got.Error["code"] != "gateway_timeout" {
		t.Fatalf("got %d %s, want 504 gateway_timeout with correlationId corr-slow", res.StatusCode, b)
	}
	if res.Header.Get("X-Request-ID") != "slow-1" || res.Header.Get("X-Correlation-ID") != "corr-slow" || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("got headers %v, want the caller's request and correlation ids and no-store", res.Header)
	}
}

type acceptAll struct{}

func (acceptAll) Verify(string) (string, error) { return "admin", nil }

// TestMetrics: requests are counted by route template and status, and invented methods
// never become labels.
func TestMetrics(t *testing.T) {
	t.Parallel()
	api := orchestratorapitest.New(t, orchestratorapitest.Options{Metrics: metrics.New(orchestratorapi.ServiceName)})
	apitest.Send(api.Handler, "POST", route, goodBody, "Content-Type", "application/json", "Authorization", "Bearer "+api.Token)
	apitest.Send(api.Handler, "POST", route, goodBody, "Content-Type", "application/json")
	apitest.CheckMetricLabelsBounded(t, api.Handler, "/health")
	apitest.CheckMetricLabelsBounded(t, api.Handler, route)
	text := apitest.MetricsText(t, api.Handler)
	for _, want := range []string{
		`http_requests_total{method="POST",route="/orchestrator/create-and-confirm-order",service="orchestrator",status="201"} 1`,
		`http_requests_total{method="POST",route="/orchestrator/create-and-confirm-order",service="orchestrator",status="401"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestOneAccessLogLinePerRequest: each request is logged once, by the middleware, with the
// correlation id the answer carries (the body's when it names one) and, for a 5xx, the cause.
func TestOneAccessLogLinePerRequest(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	api := orchestratorapitest.New(t, orchestratorapitest.Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	api.Orders.FailCreate(errors.New("dial tcp 10.0.0.1:3002: connection refused"))
	rec := apitest.Send(api.Handler, "POST", route, goodBody, "Content-Type", "application/json", "Authorization", "Bearer "+api.Token, "X-Correlation-ID", "from-header")
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "10.0.0.1") {
		t.Fatalf("got %d %s, want 500 without the cause", rec.Code, rec.Body)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var requests []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "request" {
			requests = append(requests, m)
		}
	}
	if len(requests) != 1 {
		t.Fatalf("got %d access log lines %v, want 1", len(requests), lines)
	}
	if r := requests[0]; r["correlation_id"] != "req-789" || r["status"] != float64(500) || !strings.Contains(r["error"].(string), "connection refused") {
		t.Errorf("got %v, want correlation_id req-789, status 500 and the cause", r)
	}
}
