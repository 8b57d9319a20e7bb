// Package apitest holds what the services' test handlers (customersapitest, ordersapitest)
// and HTTP tests share: the seed's demo secrets, which must agree across services (orders-api
// verifies the tokens customers-api issues), the JWT tokens built from them, the test server
// and raw requests for fuzzing.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/jwt"
)

// The seed's demo values.
const (
	DefaultJWTSecret    = "super-secret-key"
	DefaultJWTIssuer    = "customers-api"
	DefaultServiceToken = "internal-service-token"
)

// Tokens returns JWT tokens (one-hour lifetime) for secret and issuer. It stops the test on
// an error.
func Tokens(tb testing.TB, secret, issuer string) *jwt.Tokens {
	tb.Helper()
	tokens, err := jwt.NewTokens(jwt.Secret(secret), jwt.Issuer(issuer), jwt.Lifetime(time.Hour))
	if err != nil {
		tb.Fatalf("apitest: %v", err)
	}
	return tokens
}

// Serve serves h on an httptest server closed when the test ends.
func Serve(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}

// RawRequest builds a request with the path and raw query set verbatim (a fuzzed query or
// escaped path need not survive httptest.NewRequest's parser). A non-nil body is sent as
// JSON.
func RawRequest(method, rawPath, rawQuery string, body []byte) *http.Request {
	req := httptest.NewRequest(method, "/", nil)
	if p, err := url.PathUnescape(rawPath); err == nil {
		req.URL.Path = p
		req.URL.RawPath = rawPath
	} else {
		req.URL.Path = rawPath
	}
	req.URL.RawQuery = rawQuery
	req.RequestURI = req.URL.RequestURI()
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// MetricsText returns what h serves at GET /metrics, failing tb unless it answers 200.
func MetricsText(tb testing.TB, h http.Handler) string {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		tb.Fatalf("got /metrics %d, want 200", rec.Code)
	}
	return rec.Body.String()
}

// ListedNames returns the "name" of every item of a list answer ({"data": [...]}), in order.
func ListedNames(tb testing.TB, body string) []string {
	tb.Helper()
	var page struct {
		Data []struct{ Name string } `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		tb.Fatalf("apitest: list answer %.200s: %v", body, err)
	}
	names := []string{}
	for _, item := range page.Data {
		names = append(names, item.Name)
	}
	return names
}

// SameLists fails the test for every request in got whose names differ from what want holds
// for it: the same requests sent to one service over two stores find the same items.
func SameLists(tb testing.TB, want, got map[string][]string) {
	tb.Helper()
	for target, names := range got {
		if !slices.Equal(want[target], names) {
			tb.Errorf("GET %.80s: the first store found %.200q, the second %.200q", target, want[target], names)
		}
	}
}
