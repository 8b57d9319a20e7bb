// Package apitest holds what the services' test handlers (customersapitest, ordersapitest)
// and HTTP tests share: the seed's demo secrets, which must agree across services (orders-api
// verifies the tokens customers-api issues), the JWT tokens built from them, the test server
// and raw requests for fuzzing.
package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
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

// CheckMetricLabelsBounded sends h requests with many invented methods to path and fails
// tb unless they add at most a couple of series to the request metrics h serves at
// /metrics, none with an invented method as a label: every label must come from a closed
// set.
func CheckMetricLabelsBounded(tb testing.TB, h http.Handler, path string) {
	tb.Helper()
	series := func() int {
		n := 0
		for _, line := range strings.Split(MetricsText(tb, h), "\n") {
			if strings.HasPrefix(line, "http_requests_total{") {
				n++
			}
		}
		return n
	}
	before := series()
	const n = 300
	for i := range n {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(fmt.Sprintf("M%d", i), path, nil))
	}
	after := series()
	text := MetricsText(tb, h)
	if strings.Contains(text, `method="M`) {
		tb.Errorf("an invented method became a metric label")
	}
	if !strings.Contains(text, `method="OTHER"`) {
		tb.Errorf(`metrics lack method="OTHER" for the invented methods`)
	}
	if after-before > 3 {
		tb.Errorf("got %d new http_requests_total series after %d requests with invented methods, want at most 3", after-before, n)
	}
}

// Do serves one request and returns what was answered: h.ServeHTTP into a recorder
// (Direct), or through an OpenAPI validator that also checks the exchange.
type Do func(*http.Request) *httptest.ResponseRecorder

// Direct is the Do that serves req on h.
func Direct(h http.Handler) Do {
	return func(req *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
}

// NewRequest builds a request: method, path, body (none when empty) and header pairs.
func NewRequest(method, path, body string, header ...string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// Send serves one request to h: method, path, body (none when empty) and header pairs.
func Send(h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	return Direct(h)(NewRequest(method, path, body, header...))
}

// CheckHeadLikeGet fails tb unless HEAD path answers what GET path answers (status and
// Content-Type) without a body, both with X-Content-Type-Options: nosniff.
func CheckHeadLikeGet(tb testing.TB, h http.Handler, path string, header ...string) {
	tb.Helper()
	get := Send(h, http.MethodGet, path, "", header...)
	head := Send(h, http.MethodHead, path, "", header...)
	if head.Code != get.Code || head.Code == http.StatusMethodNotAllowed ||
		head.Header().Get("Content-Type") != get.Header().Get("Content-Type") {
		tb.Errorf("HEAD %s: got %d %q, want GET's %d %q", path, head.Code, head.Header().Get("Content-Type"),
			get.Code, get.Header().Get("Content-Type"))
	}
	for _, rec := range []*httptest.ResponseRecorder{get, head} {
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			tb.Errorf("%s: got X-Content-Type-Options %q, want nosniff", path, got)
		}
	}
}

// CheckJSONBodiesOnly fails tb unless method path with body, served by do, is refused 415
// unsupported_media_type when sent as text/plain, form data or with no Content-Type, and
// accepted (any other status) as application/json with a charset.
func CheckJSONBodiesOnly(tb testing.TB, do Do, method, path, body string, header ...string) {
	tb.Helper()
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "", "application/jsonx", "text/json"} {
		rec := do(NewRequest(method, path, body, append([]string{"Content-Type", ct}, header...)...))
		if rec.Code != http.StatusUnsupportedMediaType || !strings.Contains(rec.Body.String(), `"code":"unsupported_media_type"`) {
			tb.Errorf("%s %s as %q: got %d %s, want 415 unsupported_media_type", method, path, ct, rec.Code, rec.Body)
		}
	}
	for _, ct := range []string{"application/json; charset=utf-8", "Application/JSON"} {
		if rec := do(NewRequest(method, path, body, append([]string{"Content-Type", ct}, header...)...)); rec.Code == http.StatusUnsupportedMediaType {
			tb.Errorf("%s %s as %q: got 415, want it accepted", method, path, ct)
		}
	}
}
