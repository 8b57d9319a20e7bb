package ordersapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/jwt"
)

func TestOperationalRoutes(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	c.token = ""

	rec := c.do(http.MethodGet, "/health", "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[map[string]string](t, rec); got["status"] != "ok" || got["service"] != "orders-api" || len(got) != 2 {
		t.Fatalf("got /health %v", got)
	}
	if rec.Header().Get("X-Request-ID") == "" {
		t.Fatal("got no X-Request-ID")
	}
	wantStatus(t, c.do(http.MethodGet, "/ready", ""), http.StatusOK)

	// The spec is served as it is embedded; /docs renders it with files from this host
	// (adapters/http/docs tests the page in a browser).
	spec := c.do(http.MethodGet, "/openapi.yaml", "")
	wantStatus(t, spec, http.StatusOK)
	if spec.Body.String() != string(ordersapi.Spec()) || !strings.HasPrefix(spec.Header().Get("Content-Type"), "application/yaml") {
		t.Fatalf("got /openapi.yaml %q with Content-Type %q", spec.Body.String()[:40], spec.Header().Get("Content-Type"))
	}
	docs := c.do(http.MethodGet, "/docs", "")
	wantStatus(t, docs, http.StatusOK)
	if !strings.Contains(docs.Body.String(), `src="docs/swagger-ui-bundle.js"`) || docs.Header().Get("Content-Security-Policy") == "" {
		t.Fatalf("got /docs without Swagger UI from this host or without a Content-Security-Policy: %.200s", docs.Body.String())
	}
}

func TestReadyFailsWhenACheckFails(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{Ready: ordersapi.ReadyChecks{Own: map[string]httpkit.Check{
		"database": func(context.Context) error { return errors.New("down") },
	}}})
	rec := c.do(http.MethodGet, "/ready", "")
	wantStatus(t, rec, http.StatusServiceUnavailable)
	if strings.Contains(rec.Body.String(), "down") {
		t.Fatalf("got the check's error text in the answer: %s", rec.Body.String())
	}
}

func TestRequestIDEchoed(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	rec := c.do(http.MethodGet, "/products", "", "X-Request-ID", "req-123", "X-Correlation-ID", "corr-9")
	wantStatus(t, rec, http.StatusOK)
	if got := rec.Header().Get("X-Request-ID"); got != "req-123" {
		t.Fatalf("got X-Request-ID %q, want req-123", got)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	for _, tc := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{http.MethodGet, "/nope", http.StatusNotFound, "route_not_found", ""},
		{http.MethodGet, "/orders/1/confirm", http.StatusMethodNotAllowed, "method_not_allowed", "POST"},
		{http.MethodDelete, "/products/1", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD, PATCH"},
		{http.MethodPut, "/orders", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD, POST"},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		c.api.Handler.ServeHTTP(rec, req)
		wantError(t, rec, tc.status, tc.code)
		if got := rec.Header().Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: got Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}

// TestBusinessRoutesNeedAJWT: every business route answers 401 unauthorized without a
// valid user token, before looking at anything else.
func TestBusinessRoutesNeedAJWT(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	p := c.createProduct("AUTH-1", 100, 5)
	o := c.mustCreateOrder(`{"customer_id":1,"items":[{"product_id":` + itoa(p.ID) + `,"qty":1}]}`)

	other, err := jwt.NewTokens(jwt.Secret("another-secret-of-32-bytes-long!"), jwt.Issuer(ordersapitest.DefaultJWTIssuer), jwt.Lifetime(3600e9))
	if err != nil {
		t.Fatal(err)
	}
	foreign := c.api.UserToken(t)
	if tok, err := other.Issue("admin", nowUTC()); err == nil {
		foreign = tok.Value
	}
	routes := []struct{ method, path, body string }{
		{http.MethodPost, "/products", `{"sku":"X","name":"x","price_cents":1,"stock":1}`},
		{http.MethodGet, "/products", ""},
		{http.MethodGet, "/products/" + itoa(p.ID), ""},
		{http.MethodPatch, "/products/" + itoa(p.ID), `{"stock":1}`},
		{http.MethodPost, "/orders", `{"customer_id":1,"items":[{"product_id":1,"qty":1}]}`},
		{http.MethodGet, "/orders", ""},
		{http.MethodGet, orderPath(o.ID, ""), ""},
		{http.MethodPost, orderPath(o.ID, "/confirm"), ""},
		{http.MethodPost, orderPath(o.ID, "/cancel"), ""},
	}
	for _, token := range []string{"", "not-a-jwt", foreign} {
		c.token = token
		for _, r := range routes {
			rec := c.do(r.method, r.path, r.body, "Idempotency-Key", "k")
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s with token %.10q: got %d, want 401", r.method, r.path, token, rec.Code)
				continue
			}
			wantError(t, rec, http.StatusUnauthorized, "unauthorized")
		}
	}
	c.token = c.api.UserToken(t)
	if got := c.stock(p.ID); got != 4 {
		t.Fatalf("got stock %d after refused requests, want 4", got)
	}
	if rec := c.do(http.MethodGet, orderPath(o.ID, ""), ""); decode[envelope[orderBody]](t, rec).Data.Status != "CREATED" {
		t.Fatalf("refused requests changed the order: %s", rec.Body.String())
	}
}
