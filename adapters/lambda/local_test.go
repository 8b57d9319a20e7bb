package lambda_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/lambda"
)

func localServer(t *testing.T, f *fixture, ready error) *httptest.Server {
	t.Helper()
	checks := httpkit.ReadyChecks{Dependencies: map[string]httpkit.Check{"orders-api": func(context.Context) error { return ready }}}
	srv := httptest.NewServer(lambda.LocalServer(f.handler.Handle, "orchestrator", checks, slog.New(slog.DiscardHandler), nil))
	t.Cleanup(srv.Close)
	return srv
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

func TestLocalServerServesTheHandler(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := localServer(t, f, nil)
	res, body := do(t, "POST", srv.URL+lambda.Route, goodBody, map[string]string{"Authorization": "Bearer " + f.token, "X-Request-ID": "local-1"})
	if res.StatusCode != 201 || body != wantSuccess {
		t.Fatalf("got %d %s, want 201 %s", res.StatusCode, body, wantSuccess)
	}
	if res.Header.Get("X-Request-ID") != "local-1" || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("got headers %v, want X-Request-ID local-1 and JSON", res.Header)
	}
	if vs := res.Header.Values("X-Request-ID"); len(vs) != 1 {
		t.Errorf("got X-Request-ID %v, want one value", vs)
	}

	// Without a caller id, the middleware's id is the one the handler reports.
	res, _ = do(t, "POST", srv.URL+lambda.Route, goodBody, map[string]string{"Authorization": "Bearer " + f.token})
	if vs := res.Header.Values("X-Request-ID"); len(vs) != 1 || len(vs[0]) != 32 {
		t.Errorf("got X-Request-ID %v, want one new id", vs)
	}

	res, body = do(t, "POST", srv.URL+lambda.Route, goodBody, nil)
	if res.StatusCode != 401 || !strings.Contains(body, `"success":false`) {
		t.Errorf("got %d %s, want 401 in the orchestrator's shape", res.StatusCode, body)
	}
	res, _ = do(t, "GET", srv.URL+lambda.Route, "", nil)
	if res.StatusCode != 405 || res.Header.Get("Allow") != "POST" {
		t.Errorf("got %d Allow %q, want 405 Allow POST", res.StatusCode, res.Header.Get("Allow"))
	}
	res, body = do(t, "POST", srv.URL+lambda.Route, strings.Repeat("x", httpkit.MaxBodyBytes+1), map[string]string{"Authorization": "Bearer " + f.token})
	if res.StatusCode != 413 || !strings.Contains(body, `"payload_too_large"`) {
		t.Errorf("got %d %s, want 413 payload_too_large", res.StatusCode, body)
	}
	res, body = do(t, "GET", srv.URL+"/nope", "", nil)
	if res.StatusCode != 404 || !strings.Contains(body, `"route_not_found"`) {
		t.Errorf("got %d %s, want 404 route_not_found", res.StatusCode, body)
	}
}

func TestLocalServerHealthAndReady(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, body := do(t, "GET", localServer(t, f, nil).URL+"/health", "", nil)
	if res.StatusCode != 200 || body != `{"status":"ok","service":"orchestrator"}` {
		t.Errorf("health: got %d %s", res.StatusCode, body)
	}
	ok := localServer(t, f, nil)
	if res, _ := do(t, "GET", ok.URL+"/ready", "", nil); res.StatusCode != 200 {
		t.Errorf("ready: got %d, want 200", res.StatusCode)
	}
	// A service it calls being down does not take the orchestrator out of its load
	// balancer: /ready stays 200 and only ?verbose tells.
	down := localServer(t, f, errors.New("orders-api could not be reached"))
	if res, body := do(t, "GET", down.URL+"/ready", "", nil); res.StatusCode != 200 || body != `{"status":"ready","service":"orchestrator"}` {
		t.Errorf("ready with a dependency down: got %d %s, want 200 ready", res.StatusCode, body)
	}
	want := `{"status":"ready","service":"orchestrator","checks":[{"name":"orders-api","kind":"dependency","ok":false,"error":"orders-api could not be reached"}]}`
	if res, body := do(t, "GET", down.URL+"/ready?verbose", "", nil); res.StatusCode != 200 || body != want {
		t.Errorf("ready?verbose with a dependency down: got %d %s, want 200 %s", res.StatusCode, body, want)
	}
}
