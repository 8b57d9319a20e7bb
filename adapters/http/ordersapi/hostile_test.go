package ordersapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/jwt/jwttest"
)

// hostileTokens are bearer tokens that must never pass the JWT guard: jwttest.Hostile's
// (each differs from a valid one in exactly one way the contract names), the service token
// (it opens /internal routes, never the business ones) and a valid token's parts reversed.
func hostileTokens(t *testing.T) map[string]string {
	t.Helper()
	tokens, valid := jwttest.Hostile(t, []byte(ordersapitest.DefaultJWTSecret), ordersapitest.DefaultJWTIssuer)
	parts := strings.Split(valid, ".")
	tokens["service token"] = ordersapitest.DefaultServiceToken
	tokens["valid, reversed"] = parts[2] + "." + parts[1] + "." + parts[0]
	return tokens
}

// TestHostileTokensOnEveryBusinessRoute: every business route answers 401 unauthorized to
// every hostile token, and none of those requests changes anything.
func TestHostileTokensOnEveryBusinessRoute(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	p := c.createProduct("HOSTILE-1", 100, 5)
	o := c.mustCreateOrder(`{"customer_id":1,"items":[{"product_id":` + itoa(p.ID) + `,"qty":1}]}`)
	routes := []struct{ method, path, body string }{
		{http.MethodPost, "/products", `{"sku":"X","name":"x","price_cents":1,"stock":1}`},
		{http.MethodGet, "/products", ""},
		{http.MethodGet, "/products/" + itoa(p.ID), ""},
		{http.MethodPatch, "/products/" + itoa(p.ID), `{"stock":100}`},
		{http.MethodPost, "/orders", `{"customer_id":1,"items":[{"product_id":` + itoa(p.ID) + `,"qty":1}]}`},
		{http.MethodGet, "/orders", ""},
		{http.MethodGet, orderPath(o.ID, ""), ""},
		{http.MethodPost, orderPath(o.ID, "/confirm"), ""},
		{http.MethodPost, orderPath(o.ID, "/cancel"), ""},
	}
	valid := c.token
	for name, token := range hostileTokens(t) {
		c.token = token
		for _, r := range routes {
			rec := c.do(r.method, r.path, r.body, "Idempotency-Key", "hostile-"+name)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s on %s %s: got %d, want 401", name, r.method, r.path, rec.Code)
				continue
			}
			wantError(t, rec, http.StatusUnauthorized, "unauthorized")
		}
	}
	c.token = valid
	if got := c.stock(p.ID); got != 4 {
		t.Fatalf("got stock %d after refused requests, want 4", got)
	}
	if got := decode[envelope[orderBody]](t, c.do(http.MethodGet, orderPath(o.ID, ""), "")).Data.Status; got != "CREATED" {
		t.Fatalf("got order status %s after refused requests, want CREATED", got)
	}
	if n := len(decode[envelope[[]productBody]](t, c.do(http.MethodGet, "/products", "")).Data); n != 1 {
		t.Fatalf("got %d products after refused requests, want 1", n)
	}
}

// TestOversizedBodiesOnRoutesWithoutABody: confirm and cancel take no body, yet one over
// 1 MiB is 413 as everywhere, and changes nothing. (POST /products, PATCH /products/{id}
// and POST /orders have their 413 cases in products_test.go and orders_test.go.)
func TestOversizedBodiesOnRoutesWithoutABody(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	p := c.createProduct("BIG-1", 100, 5)
	o := c.mustCreateOrder(`{"customer_id":1,"items":[{"product_id":` + itoa(p.ID) + `,"qty":1}]}`)
	big := strings.Repeat("x", httpkit.MaxBodyBytes+1)
	wantError(t, c.do(http.MethodPost, orderPath(o.ID, "/confirm"), big, "X-Idempotency-Key", "big-1"), http.StatusRequestEntityTooLarge, "payload_too_large")
	wantError(t, c.do(http.MethodPost, orderPath(o.ID, "/cancel"), big), http.StatusRequestEntityTooLarge, "payload_too_large")
	if got := decode[envelope[orderBody]](t, c.do(http.MethodGet, orderPath(o.ID, ""), "")).Data.Status; got != "CREATED" {
		t.Fatalf("got order status %s after refused requests, want CREATED", got)
	}
	// The refused confirmation left its key free; a small body is ignored.
	rec := c.do(http.MethodPost, orderPath(o.ID, "/confirm"), `{"ignored":true}`, "X-Idempotency-Key", "big-1")
	wantStatus(t, rec, http.StatusOK)
	if rec.Header().Get("Idempotent-Replayed") != "" {
		t.Fatal("the refused confirmation stored an answer")
	}
	wantStatus(t, c.do(http.MethodPost, orderPath(o.ID, "/cancel"), strings.Repeat(" ", httpkit.MaxBodyBytes)), http.StatusOK)
}

// TestOutOfRangeIDsOnEveryIDRoute: an id that is not a positive int64 in decimal digits is
// 400 invalid_request on every {id} route (never 404 for a value no row can have, never
// 500); the largest int64 is a well-formed id that names nothing: 404.
func TestOutOfRangeIDsOnEveryIDRoute(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	routes := []struct {
		method, path, body, notFound string
	}{
		{http.MethodGet, "/products/%s", "", "product_not_found"},
		{http.MethodPatch, "/products/%s", `{"stock":1}`, "product_not_found"},
		{http.MethodGet, "/orders/%s", "", "order_not_found"},
		{http.MethodPost, "/orders/%s/confirm", "", "order_not_found"},
		{http.MethodPost, "/orders/%s/cancel", "", "order_not_found"},
	}
	for _, r := range routes {
		for _, id := range []string{"0", "-1", "+1", "9223372036854775808", "-9223372036854775809", "99999999999999999999", "abc", "1e3", "1.5", "0x10", " 1", "1 ", "１"} {
			path := strings.Replace(r.path, "%s", url.PathEscape(id), 1)
			wantError(t, c.do(r.method, path, r.body, "X-Idempotency-Key", "ids"), http.StatusBadRequest, "invalid_request")
		}
		path := strings.Replace(r.path, "%s", "9223372036854775807", 1)
		wantError(t, c.do(r.method, path, r.body, "X-Idempotency-Key", "ids"), http.StatusNotFound, r.notFound)
	}
}

// TestCancelThatWouldOverflowTheStock: an order of 5 units is made, then the product's
// stock is set to the largest value the database holds; cancelling would raise it past
// that. The client gets a 409 (the cancel cannot happen while the stock is that high), never
// a 500, and nothing changes: the order stays CREATED and the stock stays at the maximum.
func TestCancelThatWouldOverflowTheStock(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	p := c.createProduct("FULL-1", 100, 10)
	o := c.mustCreateOrder(`{"customer_id":1,"items":[{"product_id":` + itoa(p.ID) + `,"qty":5}]}`)
	wantStatus(t, c.do(http.MethodPatch, "/products/"+itoa(p.ID), `{"stock":2147483647}`), http.StatusOK)
	wantError(t, c.do(http.MethodPost, orderPath(o.ID, "/cancel"), ""), http.StatusConflict, "stock_limit_exceeded")
	if got := c.stock(p.ID); got != 2147483647 {
		t.Fatalf("got stock %d after the refused cancel, want 2147483647", got)
	}
	if got := decode[envelope[orderBody]](t, c.do(http.MethodGet, orderPath(o.ID, ""), "")).Data.Status; got != "CREATED" {
		t.Fatalf("got order status %s after the refused cancel, want CREATED", got)
	}
	// Once the stock is lowered, the same cancel succeeds and restores the 5 units.
	wantStatus(t, c.do(http.MethodPatch, "/products/"+itoa(p.ID), `{"stock":100}`), http.StatusOK)
	wantStatus(t, c.do(http.MethodPost, orderPath(o.ID, "/cancel"), ""), http.StatusOK)
	if got := c.stock(p.ID); got != 105 {
		t.Fatalf("got stock %d after the cancel, want 105", got)
	}
}

// TestListBoundsOutsideTheDatabaseRange: from/to outside 1000-01-01..9999-12-31 UTC (year
// 0, or a time zone offset that moves 9999-12-31 into year 10000) is 400 on every store;
// MySQL would otherwise fail the query.
func TestListBoundsOutsideTheDatabaseRange(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	for _, q := range []string{"from=0000-01-01", "to=0999-12-31", "from=9999-12-31T23:59:59-23:59", "to=0000-01-01T00:00:00%2B23:59"} {
		wantError(t, c.do(http.MethodGet, "/orders?"+q, ""), http.StatusBadRequest, "invalid_request")
	}
	for _, q := range []string{"from=1000-01-01", "to=9999-12-31", "from=1000-01-01T00:00:00Z&to=9999-12-31T23:59:59.999999Z"} {
		wantStatus(t, c.do(http.MethodGet, "/orders?"+q, ""), http.StatusOK)
	}
}
