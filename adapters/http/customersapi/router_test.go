package customersapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi"
	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/http/openapitest"
	"github.com/b2b-backoffice/backoffice/adapters/jwt/jwttest"
)

var spec *openapitest.Validator

// TestMain checks, after a full run, that the tests exercised every documented status of
// every operation: a spec entry no test reaches is a claim nothing checks.
func TestMain(m *testing.M) {
	var err error
	spec, err = openapitest.Load(customersapi.Spec())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if f := flag.Lookup("test.run"); code == 0 && f != nil && f.Value.String() == "" {
		if missing := spec.Uncovered(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "documented responses no test produced:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

type env struct {
	api  *customersapitest.API
	user string // a valid user JWT
}

func newEnv(t *testing.T) *env {
	t.Helper()
	api := customersapitest.New(t, customersapitest.Options{})
	return &env{api: api, user: api.UserToken(t)}
}

type call struct {
	method, path, body string
	auth               string // full Authorization header value; "" for none
	header             map[string]string
	remote             string
	raw                bool // an undocumented route: not checked against the spec
}

func (e *env) do(t *testing.T, c call) *httptest.ResponseRecorder {
	t.Helper()
	req := openapitest.NewRequest(c.method, c.path, c.body)
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	if c.remote != "" {
		req.RemoteAddr = c.remote
	}
	if c.raw {
		rec := httptest.NewRecorder()
		e.api.Handler.ServeHTTP(rec, req)
		return rec
	}
	return spec.Serve(t, e.api.Handler, req)
}

func (e *env) bearer() string { return "Bearer " + e.user }

type errorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) errorBody {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("got status %d, want %d (body %s)", rec.Code, status, rec.Body)
	}
	var b errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("got body %q, want an error object: %v", rec.Body, err)
	}
	if b.Error.Code != code || b.Error.Message == "" {
		t.Fatalf("got error %+v, want code %q and a message", b.Error, code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("got Content-Type %q, want application/json", ct)
	}
	return b
}

type customerBody struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	Email     string  `json:"email"`
	Phone     *string `json:"phone"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

func (c customerBody) String() string {
	phone := "null"
	if c.Phone != nil {
		phone = strconv.Quote(*c.Phone)
	}
	return fmt.Sprintf("{id:%d name:%q email:%q phone:%s created_at:%s updated_at:%s}", c.ID, c.Name, c.Email, phone, c.CreatedAt, c.UpdatedAt)
}

func wantCustomer(t *testing.T, rec *httptest.ResponseRecorder, status int) customerBody {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("got status %d, want %d (body %s)", rec.Code, status, rec.Body)
	}
	var b struct {
		Data customerBody `json:"data"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("got body %q: %v", rec.Body, err)
	}
	for _, ts := range []string{b.Data.CreatedAt, b.Data.UpdatedAt} {
		if parsed, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") || parsed.IsZero() {
			t.Fatalf("got time %q, want RFC 3339 in UTC", ts)
		}
	}
	return b.Data
}

type listBody struct {
	Data       []customerBody `json:"data"`
	Pagination struct {
		Limit      int     `json:"limit"`
		NextCursor *string `json:"next_cursor"`
		HasMore    bool    `json:"has_more"`
	} `json:"pagination"`
}

func wantList(t *testing.T, rec *httptest.ResponseRecorder) listBody {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("got status %d, want 200 (body %s)", rec.Code, rec.Body)
	}
	var b listBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if b.Data == nil {
		t.Fatalf("got data null, want an array (body %s)", rec.Body)
	}
	return b
}

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
	rec = httptest.NewRecorder()
	e.api.Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/docs", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "/openapi.yaml") || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
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
	var wg sync.WaitGroup
	codes := make(chan int, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("POST", "/auth/login", strings.NewReader(`{"username":"admin","password":"bad"}`))
			req.Header.Set("Content-Type", "application/json")
			req.RemoteAddr = "192.0.2.50:1"
			rec := httptest.NewRecorder()
			e.api.Handler.ServeHTTP(rec, req)
			codes <- rec.Code
		}()
	}
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
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

func TestCustomerLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.do(t, call{method: "POST", path: "/customers", auth: e.bearer(),
		body: `{"name":" ACME Corp ","email":"Ops@ACME.com","phone":"+1-555-0100"}`})
	c := wantCustomer(t, rec, 201)
	if c.ID <= 0 || c.Name != "ACME Corp" || c.Email != "Ops@ACME.com" || c.Phone == nil || *c.Phone != "+1-555-0100" {
		t.Fatalf("got %+v", c)
	}
	if loc := rec.Header().Get("Location"); loc != "/customers/"+strconv.FormatInt(c.ID, 10) {
		t.Fatalf("got Location %q", loc)
	}
	path := "/customers/" + strconv.FormatInt(c.ID, 10)

	got := wantCustomer(t, e.do(t, call{method: "GET", path: path, auth: e.bearer()}), 200)
	if got.String() != c.String() {
		t.Fatalf("get: got %v, want %v", got, c)
	}
	got = wantCustomer(t, e.do(t, call{method: "GET", path: "/internal" + path, auth: "Bearer " + customersapitest.DefaultServiceToken}), 200)
	if got.String() != c.String() {
		t.Fatalf("internal get: got %v, want %v", got, c)
	}

	// Partial update: only the phone is removed; null means "remove".
	up := wantCustomer(t, e.do(t, call{method: "PUT", path: path, auth: e.bearer(), body: `{"phone":null}`}), 200)
	if up.Phone != nil || up.Name != c.Name || up.Email != c.Email || up.CreatedAt != c.CreatedAt {
		t.Fatalf("got %+v after removing the phone", up)
	}
	up = wantCustomer(t, e.do(t, call{method: "PUT", path: path, auth: e.bearer(), body: `{"name":"ACME Inc","email":"billing@acme.com","phone":"42"}`}), 200)
	if up.Name != "ACME Inc" || up.Email != "billing@acme.com" || up.Phone == nil || *up.Phone != "42" {
		t.Fatalf("got %+v after a full update", up)
	}
	if got := wantCustomer(t, e.do(t, call{method: "GET", path: path, auth: e.bearer()}), 200); got.String() != up.String() {
		t.Fatalf("get after update: got %v, want %v", got, up)
	}

	// Delete: 204 with no body, then 404 everywhere, not listed, email free again.
	rec = e.do(t, call{method: "DELETE", path: path, auth: e.bearer()})
	if rec.Code != 204 || rec.Body.Len() != 0 {
		t.Fatalf("delete: got %d %q, want 204 and no body", rec.Code, rec.Body)
	}
	wantError(t, e.do(t, call{method: "GET", path: path, auth: e.bearer()}), 404, "customer_not_found")
	wantError(t, e.do(t, call{method: "GET", path: "/internal" + path, auth: "Bearer " + customersapitest.DefaultServiceToken}), 404, "customer_not_found")
	wantError(t, e.do(t, call{method: "PUT", path: path, auth: e.bearer(), body: `{"name":"X"}`}), 404, "customer_not_found")
	wantError(t, e.do(t, call{method: "DELETE", path: path, auth: e.bearer()}), 404, "customer_not_found")
	if l := wantList(t, e.do(t, call{method: "GET", path: "/customers", auth: e.bearer()})); len(l.Data) != 0 {
		t.Fatalf("got %d listed after delete, want 0", len(l.Data))
	}
	again := wantCustomer(t, e.do(t, call{method: "POST", path: "/customers", auth: e.bearer(), body: `{"name":"New","email":"BILLING@acme.com"}`}), 201)
	if again.ID == c.ID || again.Phone != nil {
		t.Fatalf("got %+v, want a new customer without phone", again)
	}
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.api.Seed(t, "Taken", "taken@acme.com", "")
	for _, tt := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"email":"a@acme.com"}`, 400, "invalid_request"},
		{`{"name":"A"}`, 400, "invalid_request"},
		{`{"name":"   ","email":"a@acme.com"}`, 400, "invalid_request"},
		{`{"name":"` + strings.Repeat("n", 256) + `","email":"a@acme.com"}`, 400, "invalid_request"},
		{`{"name":"A","email":"not-an-email"}`, 400, "invalid_request"},
		{`{"name":"A","email":"A <a@acme.com>"}`, 400, "invalid_request"},
		{`{"name":"A","email":"a@acme.com","phone":"` + strings.Repeat("1", 51) + `"}`, 400, "invalid_request"},
		{`{"name":"A","email":"a@acme.com","id":7}`, 400, "invalid_request"},
		{`{"name":"A","email":"a@acme.com","created_at":"2020-01-01T00:00:00Z"}`, 400, "invalid_request"},
		{`{"name":5,"email":"a@acme.com"}`, 400, "invalid_request"},
		{`{"name":null,"email":"a@acme.com"}`, 400, "invalid_request"},
		{`["A"]`, 400, "invalid_request"},
		{`{"name":"A","email":"a@acme.com"`, 400, "invalid_request"},
		{``, 400, "invalid_request"},
		{`{"name":"A","email":"TAKEN@Acme.com"}`, 409, "email_taken"},
		{`{"name":"` + strings.Repeat("n", 1<<20) + `","email":"a@acme.com"}`, 413, "payload_too_large"},
	} {
		wantError(t, e.do(t, call{method: "POST", path: "/customers", auth: e.bearer(), body: tt.body}), tt.status, tt.code)
	}
	if l := wantList(t, e.do(t, call{method: "GET", path: "/customers", auth: e.bearer()})); len(l.Data) != 1 {
		t.Fatalf("got %d customers after refused creations, want only the seeded one", len(l.Data))
	}
}

func TestUpdateErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.api.Seed(t, "A", "a@acme.com", "1")
	e.api.Seed(t, "B", "b@acme.com", "")
	path := "/customers/" + strconv.FormatInt(c.ID(), 10)
	for _, tt := range []struct {
		path, body string
		status     int
		code       string
	}{
		{path, `{}`, 400, "invalid_request"},
		{path, `{"name":null}`, 400, "invalid_request"},
		{path, `{"email":null}`, 400, "invalid_request"},
		{path, `{"name":""}`, 400, "invalid_request"},
		{path, `{"email":"nope"}`, 400, "invalid_request"},
		{path, `{"phone":123}`, 400, "invalid_request"},
		{path, `{"nickname":"x"}`, 400, "invalid_request"},
		{path, `{"name":"X","id":99}`, 400, "invalid_request"},
		{path, `null`, 400, "invalid_request"},
		{path, `{"email":"B@ACME.COM"}`, 409, "email_taken"},
		{path, `{"name":"` + strings.Repeat("n", 1<<20) + `"}`, 413, "payload_too_large"},
		{"/customers/999999", `{"name":"X"}`, 404, "customer_not_found"},
		{"/customers/abc", `{"name":"X"}`, 400, "invalid_request"},
	} {
		wantError(t, e.do(t, call{method: "PUT", path: tt.path, auth: e.bearer(), body: tt.body}), tt.status, tt.code)
	}
	got := wantCustomer(t, e.do(t, call{method: "GET", path: path, auth: e.bearer()}), 200)
	if got.Name != "A" || got.Email != "a@acme.com" || got.Phone == nil || *got.Phone != "1" {
		t.Fatalf("got %+v after refused updates, want it unchanged", got)
	}
}

func TestBadIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := "Bearer " + customersapitest.DefaultServiceToken
	for _, id := range []string{"abc", "0", "-1", "+1", "1.5", "1e3", "0x10", "9223372036854775808", "-9223372036854775809", "99999999999999999999", "%20"} {
		wantError(t, e.do(t, call{method: "GET", path: "/customers/" + id, auth: e.bearer()}), 400, "invalid_request")
		wantError(t, e.do(t, call{method: "PUT", path: "/customers/" + id, body: `{"name":"N"}`, auth: e.bearer()}), 400, "invalid_request")
		wantError(t, e.do(t, call{method: "DELETE", path: "/customers/" + id, auth: e.bearer()}), 400, "invalid_request")
		wantError(t, e.do(t, call{method: "GET", path: "/internal/customers/" + id, auth: svc}), 400, "invalid_request")
	}
	for _, id := range []string{"424242", "9223372036854775807"} {
		wantError(t, e.do(t, call{method: "GET", path: "/customers/" + id, auth: e.bearer()}), 404, "customer_not_found")
		wantError(t, e.do(t, call{method: "PUT", path: "/customers/" + id, body: `{"name":"N"}`, auth: e.bearer()}), 404, "customer_not_found")
		wantError(t, e.do(t, call{method: "DELETE", path: "/customers/" + id, auth: e.bearer()}), 404, "customer_not_found")
		wantError(t, e.do(t, call{method: "GET", path: "/internal/customers/" + id, auth: svc}), 404, "customer_not_found")
	}
}

func TestListPaginationAndSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var want []int64
	for i := range 5 {
		want = append(want, e.api.Seed(t, fmt.Sprintf("Customer %d", i), fmt.Sprintf("c%d@acme.com", i), "").ID())
	}
	e.api.Seed(t, "100% Natural", "natural@farm.io", "")
	e.api.Seed(t, "100X Natural", "x@farm.io", "")
	e.api.Seed(t, "snake_case Ltd", "snake@farm.io", "")

	var got []int64
	cursor := ""
	for pages := 0; ; pages++ {
		q := url.Values{"limit": {"2"}, "search": {"customer"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		l := wantList(t, e.do(t, call{method: "GET", path: "/customers?" + q.Encode(), auth: e.bearer()}))
		if l.Pagination.Limit != 2 || len(l.Data) > 2 {
			t.Fatalf("got limit %d and %d items, want 2 and at most 2", l.Pagination.Limit, len(l.Data))
		}
		for _, c := range l.Data {
			got = append(got, c.ID)
		}
		if !l.Pagination.HasMore {
			if l.Pagination.NextCursor != nil {
				t.Fatalf("got next_cursor %q on the last page, want null", *l.Pagination.NextCursor)
			}
			break
		}
		if l.Pagination.NextCursor == nil || pages > 5 {
			t.Fatal("has_more without next_cursor, or endless pages")
		}
		cursor = *l.Pagination.NextCursor
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got ids %v, want %v", got, want)
	}

	l := wantList(t, e.do(t, call{method: "GET", path: "/customers", auth: e.bearer()}))
	if l.Pagination.Limit != 20 || len(l.Data) != 8 || l.Pagination.HasMore {
		t.Fatalf("default page: got limit %d, %d items, has_more %v", l.Pagination.Limit, len(l.Data), l.Pagination.HasMore)
	}
	for search, wantNames := range map[string][]string{
		"100%":     {"100% Natural"},
		"e_c":      {"snake_case Ltd"},
		"_":        {"snake_case Ltd"},
		"FARM.IO":  {"100% Natural", "100X Natural", "snake_case Ltd"},
		"%":        {"100% Natural"},
		"absent":   nil,
		"'; --":    nil,
		`\`:        nil,
		"c3@ACME.": {"Customer 3"},
	} {
		l := wantList(t, e.do(t, call{method: "GET", path: "/customers?search=" + url.QueryEscape(search), auth: e.bearer()}))
		var names []string
		for _, c := range l.Data {
			names = append(names, c.Name)
		}
		if fmt.Sprint(names) != fmt.Sprint(wantNames) {
			t.Errorf("search %q: got %v, want %v", search, names, wantNames)
		}
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "limit=", "limit=-1", "cursor=garbage", "cursor=" + httpkit.EncodeCursor(0) + "x",
		"search=" + strings.Repeat("s", 256), "search=%FF"} {
		wantError(t, e.do(t, call{method: "GET", path: "/customers?" + q, auth: e.bearer()}), 400, "invalid_request")
	}
	if l := wantList(t, e.do(t, call{method: "GET", path: "/customers?cursor=" + httpkit.EncodeCursor(math.MaxInt64), auth: e.bearer()})); len(l.Data) != 0 || l.Pagination.HasMore {
		t.Fatalf("cursor at the largest id: got %d items, want an empty last page", len(l.Data))
	}
	l = wantList(t, e.do(t, call{method: "GET", path: "/customers?limit=100", auth: e.bearer()}))
	if l.Pagination.Limit != 100 {
		t.Fatalf("got limit %d, want 100", l.Pagination.Limit)
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

// tamper changes the payload of a signed token without re-signing it.
func tamper(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("got %d token parts", len(parts))
	}
	claims := gojwt.MapClaims{"sub": "root", "iss": "customers-api", "exp": time.Now().Add(time.Hour).Unix()}
	b, _ := json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
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

func TestConcurrentCreatesOfOneEmailOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const workers = 30
	var wg sync.WaitGroup
	codes := make(chan int, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := "race@acme.com"
			if i%2 == 1 {
				email = "RACE@Acme.com"
			}
			req := httptest.NewRequest("POST", "/customers", strings.NewReader(`{"name":"R","email":"`+email+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", e.bearer())
			rec := httptest.NewRecorder()
			e.api.Handler.ServeHTTP(rec, req)
			codes <- rec.Code
		}()
	}
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[201] != 1 || got[409] != workers-1 {
		t.Fatalf("got statuses %v, want one 201 and %d x 409", got, workers-1)
	}
}
