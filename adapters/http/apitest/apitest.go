// Package apitest holds what the services' test handlers (customersapitest, ordersapitest)
// and HTTP tests share: the seed's demo secrets, which must agree across services (orders-api
// verifies the tokens customers-api issues), the JWT tokens built from them, the test server
// and raw requests for fuzzing.
package apitest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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

// CheckMetricLabelsBounded sends h requests with many invented methods to path and fails
// tb unless the request metrics h serves at /metrics stay a handful of series, with none of
// the invented methods as a label: every label must come from a closed set.
func CheckMetricLabelsBounded(tb testing.TB, h http.Handler, path string) {
	tb.Helper()
	const n = 300
	for i := range n {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(fmt.Sprintf("M%d", i), path, nil))
	}
	text := MetricsText(tb, h)
	if strings.Contains(text, `method="M`) {
		tb.Errorf("an invented method became a metric label")
	}
	if !strings.Contains(text, `method="OTHER"`) {
		tb.Errorf(`metrics lack method="OTHER" for the invented methods`)
	}
	if got := strings.Count(text, "\nhttp_requests_total{"); got > 10 {
		tb.Errorf("got %d http_requests_total series after %d requests with invented methods, want at most 10", got, n)
	}
}
