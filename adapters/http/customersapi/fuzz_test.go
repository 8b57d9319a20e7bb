package customersapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
)

// The fuzz targets below drive hostile requests through the whole customers-api handler
// (middleware, router, JWT guard, handlers, use cases, memory store) and hold it to the
// contract: never a panic, never a 5xx, only the statuses the route documents, and every
// answer in the contract's shape and valid against openapi.yaml. Their seeds run in every
// plain `go test`; `go test -run '^$' -fuzz FuzzX` explores further.

var errorCode = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// fuzzServe sends req through api's handler, checks the exchange against the spec (when the
// path names a documented operation) and the contract's envelope, and returns the recorder.
// allowed are the statuses the request may get besides the router's own 404/405 (a hostile
// path naming no route) and a 301 to the cleaned path (mux's answer to "/customers/../x").
func fuzzServe(t *testing.T, api *customersapitest.API, req *http.Request, allowed ...int) *httptest.ResponseRecorder {
	t.Helper()
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("%s %s: panic %v", req.Method, req.URL, p)
			}
		}()
		api.Handler.ServeHTTP(rec, req)
	}()
	if rec.Code == http.StatusMovedPermanently && path.Clean(req.URL.Path) != req.URL.Path {
		return rec // mux redirects an unclean path before any route runs
	}
	if rec.Code >= 500 {
		t.Fatalf("%s %s with body %q: got %d, want never a 5xx; body %s", req.Method, req.URL, body, rec.Code, rec.Body)
	}
	if rec.Header().Get(httpkit.HeaderRequestID) == "" {
		t.Fatalf("%s %s: got no X-Request-ID", req.Method, req.URL)
	}
	code := checkEnvelope(t, req, rec)
	if code == "route_not_found" || code == "method_not_allowed" {
		return rec // undocumented by design: no operation to check against
	}
	if !slices.Contains(allowed, rec.Code) {
		t.Fatalf("%s %s with body %q: got %d, want one of %v; body %s", req.Method, req.URL, body, rec.Code, allowed, rec.Body)
	}
	spec.Check(t, req, rec)
	return rec
}

// checkEnvelope checks the contract's shapes: 204 has no body; otherwise JSON with
// {"data": ...} (or the flat login token) on success and {"error": {"code", "message"}} on
// failure. It returns the error code, "" on success.
func checkEnvelope(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if rec.Code == http.StatusNoContent {
		if rec.Body.Len() != 0 {
			t.Fatalf("%s %s: got 204 with a body %q", req.Method, req.URL, rec.Body)
		}
		return ""
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: got Content-Type %q, want application/json", req.Method, req.URL, ct)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &top); err != nil {
		t.Fatalf("%s %s: got a body that is not a JSON object: %q", req.Method, req.URL, rec.Body)
	}
	if rec.Code < 300 {
		if _, ok := top["data"]; !ok {
			if _, ok := top["access_token"]; !ok {
				t.Fatalf("%s %s: got %d without data: %s", req.Method, req.URL, rec.Code, rec.Body)
			}
		}
		return ""
	}
	var e errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || len(top) != 1 ||
		!errorCode.MatchString(e.Error.Code) || e.Error.Message == "" {
		t.Fatalf("%s %s: got %d with %s, want {\"error\":{\"code\",\"message\"}}", req.Method, req.URL, rec.Code, rec.Body)
	}
	return e.Error.Code
}

// fuzzRequest is apitest.RawRequest with auth, when not empty, as the Authorization header.
func fuzzRequest(method, rawPath, rawQuery string, body []byte, auth string) *http.Request {
	req := apitest.RawRequest(method, rawPath, rawQuery, body)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return req
}

// FuzzLogin: any body on POST /auth/login is a token, 400, 401, 413 or 429.
func FuzzLogin(f *testing.F) {
	for _, s := range []string{`{"username":"admin","password":"admin123"}`, `{"username":"admin","password":"x"}`,
		`{"username":"","password":""}`, `{"username":"admin"}`, `{}`, `{"username":1}`, `{"username":"a","password":"b","x":1}`,
		`{"username":"\u0000","password":"\ud800"}`, `[]`, `null`, `{`, ``, `{"username":"admin","password":"admin123"} {}`} {
		f.Add([]byte(s))
	}
	api := customersapitest.New(f, customersapitest.Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzServe(t, api, fuzzRequest(http.MethodPost, "/auth/login", "", body, ""), 200, 400, 401, 413, 429)
	})
}

// FuzzCreateCustomer: any body on POST /customers is 201, 400, 409 or 413.
func FuzzCreateCustomer(f *testing.F) {
	for _, s := range []string{`{"name":"ACME","email":"ops@acme.com","phone":"+1 555"}`, `{"name":"ACME","email":"ops@acme.com"}`,
		`{"name":"A","email":"a@b.co","phone":null}`, `{"name":"","email":"a@b.co"}`, `{"name":"A","email":"not-an-email"}`,
		`{"name":"A","email":"A@B.CO"}`, `{"name":"A"}`, `{"email":"a@b.co"}`, `{"name":1,"email":"a@b.co"}`,
		`{"name":"A","email":"a@b.co","id":7}`, `{"name":"\u0000","email":"a@b.co"}`, `{"name":"A","email":"a@b.co","phone":"` + strings.Repeat("9", 51) + `"}`,
		`{"name":"` + strings.Repeat("é", 255) + `","email":"x@y.io"}`, `{"name":"A","email":"\"q\"@x.io"}`, `[]`, `{`, ``, `null`} {
		f.Add([]byte(s))
	}
	api := customersapitest.New(f, customersapitest.Options{})
	auth := "Bearer " + api.UserToken(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzServe(t, api, fuzzRequest(http.MethodPost, "/customers", "", body, auth), 201, 400, 409, 413)
	})
}

// FuzzUpdateCustomer: any id and body on PUT /customers/{id} is 200, 400, 404, 409 or 413.
func FuzzUpdateCustomer(f *testing.F) {
	for _, s := range []struct{ id, body string }{
		{"1", `{"name":"New"}`}, {"1", `{"phone":null}`}, {"1", `{"email":"taken@acme.com"}`}, {"1", `{"email":"NEW@acme.com"}`},
		{"1", `{}`}, {"1", `{"name":null}`}, {"1", `{"name":""}`}, {"1", `{"phone":1}`}, {"1", `{"id":2}`},
		{"2", `{"name":"x"}`}, {"0", `{"name":"x"}`}, {"-1", `{"name":"x"}`}, {"abc", `{"name":"x"}`}, {"1e3", `{"name":"x"}`},
		{"9223372036854775807", `{"name":"x"}`}, {"9223372036854775808", `{"name":"x"}`}, {"1", `{`}, {"1", ``}, {"..", `{}`}, {"a/b", `{}`},
	} {
		f.Add(s.id, []byte(s.body))
	}
	api := customersapitest.New(f, customersapitest.Options{})
	api.Seed(f, "Seeded", "seeded@acme.com", "")
	api.Seed(f, "Taken", "taken@acme.com", "")
	auth := "Bearer " + api.UserToken(f)
	f.Fuzz(func(t *testing.T, id string, body []byte) {
		fuzzServe(t, api, fuzzRequest(http.MethodPut, "/customers/"+url.PathEscape(id), "", body, auth), 200, 400, 404, 409, 413)
	})
}

// FuzzCustomerPathID: any id on GET and DELETE /customers/{id} and on GET
// /internal/customers/{id} is 200/204, 400 or 404.
func FuzzCustomerPathID(f *testing.F) {
	for _, id := range []string{"1", "2", "0", "-1", "+1", "01", " 1", "1 ", "1.0", "1e3", "0x1", "abc", "",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999", "١", "1%00", ".", "..", "a/b"} {
		f.Add(id)
	}
	api := customersapitest.New(f, customersapitest.Options{})
	api.Seed(f, "One", "one@acme.com", "")
	user := "Bearer " + api.UserToken(f)
	service := "Bearer " + customersapitest.DefaultServiceToken
	f.Fuzz(func(t *testing.T, id string) {
		p := url.PathEscape(id)
		fuzzServe(t, api, fuzzRequest(http.MethodGet, "/customers/"+p, "", nil, user), 200, 400, 404)
		fuzzServe(t, api, fuzzRequest(http.MethodGet, "/internal/customers/"+p, "", nil, service), 200, 400, 404)
		fuzzServe(t, api, fuzzRequest(http.MethodDelete, "/customers/"+p, "", nil, user), 204, 400, 404)
	})
}

// FuzzListCustomers: any query string on GET /customers is a page or 400.
func FuzzListCustomers(f *testing.F) {
	for _, q := range []string{"", "limit=1", "limit=100", "limit=0", "limit=101", "limit=-1", "limit=1e1", "limit=", "limit=99999999999999999999",
		"search=acme", "search=%25", "search=_", "search=%5C", "search=%27%22", "search=%FF", "search=" + strings.Repeat("s", 300),
		"cursor=" + httpkit.EncodeCursor(1), "cursor=" + httpkit.EncodeCursor(1<<62), "cursor=djE6LTE", "cursor=%%%", "cursor=",
		"limit=2&search=a&cursor=" + httpkit.EncodeCursor(2), "limit=1&limit=2", "search=a;b", "%zz=1", "&&=&"} {
		f.Add(q)
	}
	api := customersapitest.New(f, customersapitest.Options{})
	for _, n := range []string{"ACME", "100% Natural", "snake_case", `back\slash`, "O'Brien"} {
		api.Seed(f, n, strings.ToLower(strings.NewReplacer(" ", "", "%", "", `\`, "", "'", "").Replace(n))+"@acme.com", "")
	}
	auth := "Bearer " + api.UserToken(f)
	f.Fuzz(func(t *testing.T, query string) {
		fuzzServe(t, api, fuzzRequest(http.MethodGet, "/customers", query, nil, auth), 200, 400)
	})
}
