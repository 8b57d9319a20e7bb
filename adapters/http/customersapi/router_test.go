package customersapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi"
	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/http/openapitest"
	"github.com/b2b-backoffice/backoffice/adapters/jwt/jwttest"
)

func TestOperationsRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.do(t, call{method: "GET", path: "/health"})
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"status":"ok","service":"customers-api"}` {
		t.Fatalf("health: got %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(t, call{method: "GET", path: "/ready"}); rec.Code != 200 {
		t.Fatalf("ready: got %d %s, want 200", rec.Code, rec.Body)
	}
	rec = e.do(t, call{method: "GET", path: "/openapi.yaml"})
	if rec.Code != 200 || rec.Body.String() != string(customersapi.Spec()) || rec.Header().Get("Content-Type") != "application/yaml" {
		t.Fatalf("openapi: got %d %q, want the embedded spec as application/yaml", rec.Code, rec.Header().Get("Content-Type"))
	}
	rec = e.do(t, call{method: "GET", path: "/docs"})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `href="openapi.yaml"`) || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("docs: got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestReadyFailsWhenACheckFails(t *testing.T) {
	t.Parallel()
	api := customersapitest.New(t, customersapitest.Options{Ready: customersapi.ReadyChecks{Own: map[string]httpkit.Check{
		"database": func(context.Context) error { return errors.New("connection refused") },
	}}})
	rec := spec.Serve(t, api.Handler, openapitest.NewRequest("GET", "/ready", ""))
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "refused") {
		t.Fatalf("got %d %s, want 503 without the error text", rec.Code, rec.Body)
	}
}

func TestBusinessRoutesNeedAValidJWT(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	secret := []byte(customersapitest.DefaultJWTSecret)
	now := time.Now()
	good := jwttest.Claims("admin", "customers-api", now)
	with := func(k string, v any) gojwt.MapClaims { return jwttest.With(good, k, v) }
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	none := jwttest.Sign(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, good)
	bad := map[string]string{
		"no header":       "",
		"not bearer":      "Basic YWRtaW46YWRtaW4xMjM=",
		"empty bearer":    "Bearer ",
		"garbage":         "Bearer not.a.jwt",
		"alg none":        "Bearer " + none,
		"HS512":           "Bearer " + jwttest.Sign(t, gojwt.SigningMethodHS512, secret, good),
		"RS256":           "Bearer " + jwttest.Sign(t, gojwt.SigningMethodRS256, rsaKey, good),
		"expired":         "Bearer " + jwttest.Sign(t, gojwt.SigningMethodHS256, secret, with("exp", now.Add(-time.Hour).Unix())),
		"no exp":          "Bearer " + jwttest.Sign(t, gojwt.SigningMethodHS256, secret, with("exp", nil)),
		"wrong issuer":    "Bearer " + jwttest.Sign(t, gojwt.SigningMethodHS256, secret, with("iss", "someone-else")),
		"wrong secret":    "Bearer " + jwttest.Sign(t, gojwt.SigningMethodHS256, []byte("another-secret-of-length"), good),
		"service token":   "Bearer " + customersapitest.DefaultServiceToken,
		"tampered claims": "Bearer " + tamper(t, e.user),
	}
	routes := []call{
		{method: "POST", path: "/customers", body: `{"name":"A","email":"a@acme.com"}`},
		{method: "GET", path: "/customers"},
		{method: "GET", path: "/customers/1"},
		{method: "PUT", path: "/customers/1", body: `{"name":"B"}`},
		{method: "DELETE", path: "/customers/1"},
	}
	e.api.Seed(t, "A", "seed@acme.com", "")
	for name, auth := range bad {
		for _, r := range routes {
			r.auth = auth
			rec := e.do(t, r)
			if rec.Code != 401 {
				t.Errorf("%s on %s %s: got %d, want 401", name, r.method, r.path, rec.Code)
				continue
			}
			wantError(t, rec, 401, "unauthorized")
		}
	}
	// The same claims signed right are accepted: the refusals above are about the token.
	if rec := e.do(t, call{method: "GET", path: "/customers/1", auth: "Bearer " + jwttest.Sign(t, gojwt.SigningMethodHS256, secret, good)}); rec.Code != 200 {
		t.Fatalf("well-signed token: got %d, want 200", rec.Code)
	}
	if l := wantList(t, e.do(t, call{method: "GET", path: "/customers", auth: e.bearer()})); len(l.Data) != 1 {
		t.Fatalf("got %d customers, want only the seeded one: no refused request wrote anything", len(l.Data))
	}
}

func TestInternalRouteNeedsTheServiceToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.api.Seed(t, "A", "a@acme.com", "")
	path := "/internal/customers/" + strconv.FormatInt(c.ID(), 10)
	for name, auth := range map[string]string{
		"none":          "",
		"user JWT":      e.bearer(),
		"wrong token":   "Bearer internal-service-tokeN",
		"token prefix":  "Bearer internal-service",
		"token longer":  "Bearer internal-service-token-x",
		"not bearer":    "Token internal-service-token",
		"bare token":    customersapitest.DefaultServiceToken,
		"empty bearer":  "Bearer",
		"lowercase ok?": "bearer " + customersapitest.DefaultServiceToken[:5],
	} {
		rec := e.do(t, call{method: "GET", path: path, auth: auth})
		if rec.Code != 401 {
			t.Errorf("%s: got %d, want 401", name, rec.Code)
			continue
		}
		wantError(t, rec, 401, "unauthorized")
	}
	if got := wantCustomer(t, e.do(t, call{method: "GET", path: path, auth: "Bearer " + customersapitest.DefaultServiceToken}), 200); got.ID != c.ID() {
		t.Fatalf("got id %d, want %d", got.ID, c.ID())
	}
	// The service token is not accepted on the other internal-looking paths either.
	wantError(t, e.do(t, call{method: "DELETE", path: path, auth: "Bearer " + customersapitest.DefaultServiceToken, raw: true}), 405, "method_not_allowed")
}

func TestRequestIDIsEchoedOnEveryAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []call{
		{method: "GET", path: "/health"},
		{method: "GET", path: "/customers"},
		{method: "GET", path: "/customers", auth: e.bearer()},
		{method: "POST", path: "/auth/login", body: `{}`},
		{method: "GET", path: "/nowhere", raw: true},
	} {
		c.header = map[string]string{"X-Request-ID": "req-123", "X-Correlation-ID": "corr-9"}
		rec := e.do(t, c)
		if got := rec.Header().Get("X-Request-ID"); got != "req-123" {
			t.Errorf("%s %s: got X-Request-ID %q, want req-123", c.method, c.path, got)
		}
		c.header = nil
		rec = e.do(t, c)
		if got := rec.Header().Get("X-Request-ID"); len(got) < 16 {
			t.Errorf("%s %s without one: got X-Request-ID %q, want a generated id", c.method, c.path, got)
		}
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range []string{"/nowhere", "/customers/1/orders", "/customers/", "/internal/customers"} {
		wantError(t, e.do(t, call{method: "GET", path: p, auth: e.bearer(), raw: true}), 404, "route_not_found")
	}
	for _, tt := range []struct{ method, path, allow string }{
		{"PATCH", "/customers/1", "DELETE, GET, HEAD, PUT"},
		{"DELETE", "/customers", "GET, HEAD, POST"},
		{"GET", "/auth/login", "POST"},
		{"POST", "/health", "GET, HEAD"},
	} {
		rec := e.do(t, call{method: tt.method, path: tt.path, auth: e.bearer(), raw: true})
		wantError(t, rec, 405, "method_not_allowed")
		if got := rec.Header().Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: got Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
}
