package ordersapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/customer"
)

// The fuzz targets below drive hostile requests through the whole orders-api handler
// (middleware, router, JWT guard, handlers, use cases, memory store) and hold it to the
// contract: never a panic, never a 5xx, only the statuses the route documents, and every
// answer in the contract's shape and valid against openapi.yaml. Their seeds run in every
// plain `go test`; `go test -run '^$' -fuzz FuzzX` explores further.

var errorCode = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// fuzzAPI is one orders-api shared by the runs of a fuzz target, with products and orders
// to act on. Customers above 1000 do not exist.
type fuzzAPI struct {
	api  *ordersapitest.API
	auth string
}

type someCustomers struct{}

func (someCustomers) CheckCustomer(_ context.Context, id int64) error {
	if id > 1000 {
		return fmt.Errorf("customer %d: %w", id, customer.ErrNotFound)
	}
	return nil
}

var _ orders.CustomerChecker = someCustomers{}

func newFuzzAPI(f *testing.F) *fuzzAPI {
	f.Helper()
	api := ordersapitest.New(f, ordersapitest.Options{Customers: someCustomers{}})
	for i, stock := range []int{1 << 30, 5, 0} {
		api.SeedProduct(f, fmt.Sprintf("SKU-%d", i+1), fmt.Sprintf("Product %d", i+1), int64(100*(i+1)), stock)
	}
	api.SeedProduct(f, `100%_\'"`, `Odd "name" 100% _x_ \ 'q'`, 1, 1)
	fa := &fuzzAPI{api: api, auth: "Bearer " + api.UserToken(f)}
	for range 3 { // orders 1..3, CREATED
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(`{"customer_id":1,"items":[{"product_id":1,"qty":1}]}`))
		req.Header.Set("Authorization", fa.auth)
		req.Header.Set("Content-Type", "application/json")
		api.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			f.Fatalf("seed order: got %d %s", rec.Code, rec.Body)
		}
	}
	return fa
}

// serve sends req through the handler, checks the exchange against the spec (when the path
// names a documented operation) and the contract's envelope, and returns the recorder.
// allowed are the statuses the request may get besides the router's own 404/405 (a hostile
// path naming no route) and a 301 to the cleaned path (mux's answer to "/orders/../x").
func (fa *fuzzAPI) serve(t *testing.T, req *http.Request, allowed ...int) *httptest.ResponseRecorder {
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
		fa.api.Handler.ServeHTTP(rec, req)
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
	validator(t).Check(t, req, rec)
	return rec
}

// checkEnvelope checks the contract's shapes: JSON with {"data": ...} on success and
// {"error": {"code", "message"}} on failure. It returns the error code, "" on success.
func checkEnvelope(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: got Content-Type %q, want application/json", req.Method, req.URL, ct)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &top); err != nil {
		t.Fatalf("%s %s: got a body that is not a JSON object: %q", req.Method, req.URL, rec.Body)
	}
	if rec.Code < 300 {
		if _, ok := top["data"]; !ok {
			t.Fatalf("%s %s: got %d without data: %s", req.Method, req.URL, rec.Code, rec.Body)
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

// request is apitest.RawRequest with the fuzzer's Authorization header.
func (fa *fuzzAPI) request(method, rawPath, rawQuery string, body []byte) *http.Request {
	req := apitest.RawRequest(method, rawPath, rawQuery, body)
	req.Header.Set("Authorization", fa.auth)
	return req
}

// keyHeaders sets the idempotency key headers the fuzzer chose: each present or not, with
// any value (an empty one included).
func keyHeaders(req *http.Request, hasKey bool, key string, hasX bool, xKey string) {
	if hasKey {
		req.Header[ordersapiHeaderKey] = []string{key}
	}
	if hasX {
		req.Header[ordersapiHeaderXKey] = []string{xKey}
	}
}

const (
	ordersapiHeaderKey  = "Idempotency-Key"
	ordersapiHeaderXKey = "X-Idempotency-Key"
)

// FuzzCreateProduct: any body on POST /products is 201, 400, 409 or 413.
func FuzzCreateProduct(f *testing.F) {
	for _, s := range []string{`{"sku":"N-1","name":"New","price_cents":100,"stock":3}`, `{"sku":"SKU-1","name":"Dup","price_cents":1,"stock":1}`,
		`{"sku":"sku-1","name":"Dup?","price_cents":1,"stock":1}`, `{"sku":"","name":"x","price_cents":1,"stock":1}`,
		`{"sku":"A","name":"x","price_cents":-1,"stock":1}`, `{"sku":"A","name":"x","price_cents":1,"stock":-1}`,
		`{"sku":"A","name":"x","price_cents":9223372036854775807,"stock":2147483647}`, `{"sku":"A","name":"x","price_cents":9223372036854775808,"stock":1}`,
		`{"sku":"A","name":"x","price_cents":1.5,"stock":1}`, `{"sku":"A","name":"x","price_cents":1e2,"stock":1}`,
		`{"sku":"A","name":"x","price_cents":1,"stock":9223372036854775807}`, `{"sku":"A","name":"x","price_cents":1}`,
		`{"sku":"A","name":"x","price_cents":1,"stock":1,"id":9}`, `{"SKU":"A","name":"x","price_cents":1,"stock":1}`,
		`{"sku":" A ","name":"x","price_cents":1,"stock":1}`, `{"sku":"\u0000","name":"\ud800","price_cents":1,"stock":1}`,
		`{"sku":"` + strings.Repeat("é", 100) + `","name":"x","price_cents":1,"stock":1}`, `[]`, `{`, ``, `null`} {
		f.Add([]byte(s))
	}
	fa := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fa.serve(t, fa.request(http.MethodPost, "/products", "", body), 201, 400, 409, 413)
	})
}

// FuzzPatchProduct: any id and body on PATCH /products/{id} is 200, 400, 404 or 413.
func FuzzPatchProduct(f *testing.F) {
	for _, s := range []struct{ id, body string }{
		{"1", `{"name":"Renamed"}`}, {"2", `{"price_cents":5,"stock":7}`}, {"1", `{"sku":"X"}`}, {"1", `{"sku":null}`}, {"1", `{}`},
		{"1", `{"name":null}`}, {"1", `{"stock":-1}`}, {"1", `{"price_cents":-1}`}, {"1", `{"stock":1e10}`}, {"1", `{"stock":"1"}`},
		{"1", `{"Name":"x"}`}, {"1", `{"name":"a","name":"b"}`}, {"99", `{"name":"x"}`}, {"0", `{"name":"x"}`}, {"-1", `{"name":"x"}`},
		{"abc", `{"name":"x"}`}, {"1e3", `{"name":"x"}`}, {"9223372036854775808", `{"name":"x"}`}, {"1", `{`}, {"1", ``},
	} {
		f.Add(s.id, []byte(s.body))
	}
	fa := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, id string, body []byte) {
		fa.serve(t, fa.request(http.MethodPatch, "/products/"+url.PathEscape(id), "", body), 200, 400, 404, 413)
	})
}

// FuzzCreateOrder: any body and key headers on POST /orders are 201 (new or replayed), 400,
// 409, 413 or 422.
func FuzzCreateOrder(f *testing.F) {
	for _, s := range []struct {
		body   string
		hasKey bool
		key    string
		hasX   bool
		xKey   string
	}{
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":2}]}`},
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":1},{"product_id":1,"qty":1}]}`, hasKey: true, key: "k-1"},
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":2}]}`, hasKey: true, key: "k-1"},
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":3}]}`, hasKey: true, key: "k-1"},
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":1}]}`, hasKey: true, key: "k-2", hasX: true, xKey: "k-3"},
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":1}]}`, hasKey: true, key: "", hasX: true, xKey: ""},
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":1}]}`, hasX: true, xKey: "k\r\nX: y"},
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":1}]}`, hasKey: true, key: strings.Repeat("k", 256)},
		{body: `{"customer_id":1001,"items":[{"product_id":1,"qty":1}]}`},
		{body: `{"customer_id":1,"items":[{"product_id":2,"qty":6}]}`},
		{body: `{"customer_id":1,"items":[{"product_id":3,"qty":1},{"product_id":77,"qty":1}]}`},
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":2147483647},{"product_id":1,"qty":2147483647}]}`},
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":9223372036854775807},{"product_id":1,"qty":9223372036854775807}]}`},
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":0}]}`},
		{body: `{"customer_id":1,"items":[{"product_id":-1,"qty":1}]}`},
		{body: `{"customer_id":1,"items":[]}`},
		{body: `{"customer_id":1,"items":null}`},
		{body: `{"customer_id":1,"items":[null]}`},
		{body: `{"customer_id":"1","items":[{"product_id":1,"qty":1}]}`},
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":1,"price":0}]}`},
		{body: `{"Customer_Id":1,"items":[{"product_id":1,"qty":1}]}`},
		{body: `{"customer_id":1,"items":[{"product_id":1,"qty":1}],"customer_id":2}`},
		{body: `{`}, {body: ``}, {body: `[]`},
	} {
		f.Add([]byte(s.body), s.hasKey, s.key, s.hasX, s.xKey)
	}
	fa := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, body []byte, hasKey bool, key string, hasX bool, xKey string) {
		req := fa.request(http.MethodPost, "/orders", "", body)
		keyHeaders(req, hasKey, key, hasX, xKey)
		rec := fa.serve(t, req, 201, 400, 409, 413, 422)
		if rec.Header().Get("Idempotent-Replayed") != "" && !hasKey && !hasX {
			t.Fatalf("got a replay without any key")
		}
	})
}

// FuzzConfirmOrder: any id and key headers on POST /orders/{id}/confirm are 200, 400, 404,
// 409 or 422.
func FuzzConfirmOrder(f *testing.F) {
	for _, s := range []struct {
		id     string
		hasKey bool
		key    string
		hasX   bool
		xKey   string
	}{
		{id: "1", hasX: true, xKey: "c-1"}, {id: "1", hasX: true, xKey: "c-1"}, {id: "2", hasX: true, xKey: "c-1"},
		{id: "2", hasKey: true, key: "c-2"}, {id: "2", hasKey: true, key: "c-2", hasX: true, xKey: "c-2"},
		{id: "3", hasKey: true, key: "a", hasX: true, xKey: "b"}, {id: "3"}, {id: "3", hasKey: true, key: ""},
		{id: "3", hasKey: true, key: "\x7f"}, {id: "3", hasKey: true, key: strings.Repeat("k", 255)},
		{id: "99", hasX: true, xKey: "c-9"}, {id: "0", hasX: true, xKey: "c"}, {id: "-1", hasX: true, xKey: "c"},
		{id: "abc", hasX: true, xKey: "c"}, {id: "1e3", hasX: true, xKey: "c"}, {id: "9223372036854775808", hasX: true, xKey: "c"},
	} {
		f.Add(s.id, s.hasKey, s.key, s.hasX, s.xKey)
	}
	fa := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, id string, hasKey bool, key string, hasX bool, xKey string) {
		req := fa.request(http.MethodPost, "/orders/"+url.PathEscape(id)+"/confirm", "", nil)
		keyHeaders(req, hasKey, key, hasX, xKey)
		fa.serve(t, req, 200, 400, 404, 409, 422)
	})
}

// FuzzOrdersPathID: any id on GET /products/{id}, GET /orders/{id} and POST
// /orders/{id}/cancel is 200, 400, 404 or (cancel) 409.
func FuzzOrdersPathID(f *testing.F) {
	for _, id := range []string{"1", "2", "3", "0", "-1", "+1", "01", " 1", "1.0", "1e3", "0x1", "abc", "",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999", "١", "1%00", ".", "..", "a/b"} {
		f.Add(id)
	}
	fa := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, id string) {
		p := url.PathEscape(id)
		fa.serve(t, fa.request(http.MethodGet, "/products/"+p, "", nil), 200, 400, 404)
		fa.serve(t, fa.request(http.MethodGet, "/orders/"+p, "", nil), 200, 400, 404)
		fa.serve(t, fa.request(http.MethodPost, "/orders/"+p+"/cancel", "", nil), 200, 400, 404, 409)
	})
}

// FuzzListOrders: any query string on GET /orders (status, customer_id, from, to, cursor,
// limit) is a page or 400.
func FuzzListOrders(f *testing.F) {
	for _, q := range []string{"", "status=CREATED", "status=created", "status=CONFIRMED&customer_id=1", "status=BOGUS", "status=",
		"customer_id=1", "customer_id=0", "customer_id=-1", "customer_id=1e3", "customer_id=9223372036854775808",
		"from=2026-01-01", "to=2026-12-31", "from=2026-02-30", "from=2026-01-01T00:00:00Z", "to=2026-01-01T00:00:00.123456789%2B01:00",
		"from=0000-01-01", "to=9999-12-31", "from=99999-01-01T00:00:00Z", "from=2026-1-1", "from=2026-01-01t00:00:00z", "from=yesterday",
		"from=2027-01-01&to=2026-01-01", "limit=1&cursor=" + httpkit.EncodeCursor(3), "cursor=" + httpkit.EncodeCursor(1<<62), "cursor=xyz",
		"limit=0", "limit=101", "limit=1e1", "status=CREATED&status=CANCELED", "%zz", "&&=&"} {
		f.Add(q)
	}
	fa := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, query string) {
		fa.serve(t, fa.request(http.MethodGet, "/orders", query, nil), 200, 400)
	})
}

// FuzzListProducts: any query string on GET /products (search, cursor, limit) is a page or
// 400.
func FuzzListProducts(f *testing.F) {
	for _, q := range []string{"", "search=sku", "search=%25", "search=_", "search=%5C", "search=%27", "search=%22name%22",
		"search=%FF", "search=" + strings.Repeat("s", 300), "limit=2&cursor=" + httpkit.EncodeCursor(2), "cursor=djE6LTE",
		"limit=", "limit=100", "limit=-5", "search=a&search=b", "%zz", "&&=&"} {
		f.Add(q)
	}
	fa := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, query string) {
		fa.serve(t, fa.request(http.MethodGet, "/products", query, nil), 200, 400)
	})
}
