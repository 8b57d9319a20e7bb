package customersapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.do(t, call{method: "POST", path: "/auth/login", body: `{"username":"admin","password":"admin123"}`})
	if rec.Code != 200 {
		t.Fatalf("got %d %s, want 200", rec.Code, rec.Body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 {
		t.Fatalf("got %+v, want a Bearer token for 3600s", tok)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("got Cache-Control %q, want no-store", rec.Header().Get("Cache-Control"))
	}
	if rec := e.do(t, call{method: "GET", path: "/customers", auth: "Bearer " + tok.AccessToken}); rec.Code != 200 {
		t.Fatalf("using the issued token: got %d, want 200", rec.Code)
	}

	wrong := e.do(t, call{method: "POST", path: "/auth/login", body: `{"username":"admin","password":"nope"}`, remote: "10.9.9.9:1"})
	wantError(t, wrong, 401, "invalid_credentials")
	unknown := e.do(t, call{method: "POST", path: "/auth/login", body: `{"username":"ghost","password":"admin123"}`, remote: "10.9.9.9:1"})
	wantError(t, unknown, 401, "invalid_credentials")
	if wrong.Body.String() != unknown.Body.String() {
		t.Fatalf("unknown user answered %s, wrong password %s: want the same answer", unknown.Body, wrong.Body)
	}
	for _, body := range []string{`{"username":"admin"}`, `{"password":"admin123"}`, `{}`, `{"username":"","password":""}`,
		`{"username":"admin","password":"admin123","role":"root"}`, `{"username":1,"password":"x"}`, `not json`, ``, `{"username":"a","password":"b"} {}`} {
		wantError(t, e.do(t, call{method: "POST", path: "/auth/login", body: body}), 400, "invalid_request")
	}
	wantError(t, e.do(t, call{method: "POST", path: "/auth/login", body: `{"username":"` + strings.Repeat("a", 1<<20) + `"}`}), 413, "payload_too_large")
}

func TestLoginLimiter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	login := func(pw, remote string, header map[string]string) *httptest.ResponseRecorder {
		return e.do(t, call{method: "POST", path: "/auth/login", body: `{"username":"admin","password":"` + pw + `"}`, remote: remote, header: header})
	}
	for i := range 5 {
		wantError(t, login("bad", "192.0.2.1:5000", nil), 401, "invalid_credentials")
		_ = i
	}
	// Blocked, even with the right password, from another port of the same address, and with a
	// forged X-Forwarded-For.
	for _, remote := range []string{"192.0.2.1:5000", "192.0.2.1:6000"} {
		rec := login("admin123", remote, map[string]string{"X-Forwarded-For": "203.0.113.7"})
		wantError(t, rec, 429, "too_many_attempts")
		ra, err := strconv.Atoi(rec.Header().Get("Retry-After"))
		if err != nil || ra < 1 || ra > 60 {
			t.Fatalf("got Retry-After %q, want 1..60 seconds", rec.Header().Get("Retry-After"))
		}
	}
	// Another address is not locked out.
	if rec := login("admin123", "192.0.2.2:5000", nil); rec.Code != 200 {
		t.Fatalf("another address: got %d, want 200", rec.Code)
	}

	// A success resets the count: 4 failures, a success, then 5 more failures are all 401.
	for range 4 {
		wantError(t, login("bad", "198.51.100.1:1", nil), 401, "invalid_credentials")
	}
	if rec := login("admin123", "198.51.100.1:1", nil); rec.Code != 200 {
		t.Fatalf("success: got %d, want 200", rec.Code)
	}
	for range 5 {
		wantError(t, login("bad", "198.51.100.1:1", nil), 401, "invalid_credentials")
	}
	wantError(t, login("bad", "198.51.100.1:1", nil), 429, "too_many_attempts")
}

func TestLoginLimiterUnderConcurrentAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const workers = 40
	got := e.statusesOfConcurrent(workers, func(int) *http.Request {
		req := httptest.NewRequest("POST", "/auth/login", strings.NewReader(`{"username":"admin","password":"bad"}`))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "192.0.2.50:1"
		return req
	})
	// Attempts of one pair are serialized: exactly 5 get to check a password, whatever the
	// concurrency, and the rest are refused before any check.
	if got[401] != 5 || got[429] != workers-5 {
		t.Fatalf("got statuses %v, want exactly 5 x 401 and %d x 429", got, workers-5)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/auth/login", strings.NewReader(`{"username":"admin","password":"admin123"}`))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "192.0.2.50:1"
	e.api.Handler.ServeHTTP(rec, req)
	if rec.Code != 429 {
		t.Fatalf("after %d failures: got %d, want 429", workers, rec.Code)
	}
}
