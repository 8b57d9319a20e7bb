package main

import (
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/jwt"
)

// TestHostileInputOnMySQLAndMemory sends, to orders-api built by its MySQL injector and by
// its memory injector, the inputs that only a real database could choke on: dates outside
// DATETIME's range, strings that are not UTF-8, hold NUL or invisible characters, or fill a
// column with 4-byte characters, LIKE metacharacters, the largest ids, prices and stocks.
// Each answer is a client error or a success, never a 5xx; where the contract names the
// answer (the text policy's 400s) it is that one; and both stores give the same status and
// the same search results (the collation traps are in repotest's suites).
func TestHostileInputOnMySQLAndMemory(t *testing.T) {
	t.Parallel()
	const secret = "a-long-enough-test-secret"
	base, customerID, _ := customersAPI(t, "a-long-enough-service-token", secret)
	vars := map[string]string{"JWT_SECRET": secret, "SERVICE_TOKEN": "a-long-enough-service-token", "CUSTOMERS_API_BASE": base}
	mem, err := initializeMemory(config(t, vars), discard())
	if err != nil {
		t.Fatal(err)
	}
	u := env.NewDatabase(t, false)
	vars["DATABASE_URL"] = string(u)
	cfg := config(t, vars)
	app, cleanup, err := initializeMySQL(context.Background(), cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	db, err := sqlOpen(t, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO customers (id, name, email, created_at, updated_at) VALUES (?, 'ACME', 'ops@acme.com', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))", customerID); err != nil {
		t.Fatal(err)
	}
	tokens, err := jwt.NewTokens(jwt.Secret(secret), jwt.Issuer(cfg.JWTIssuer), jwt.Lifetime(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokens.Issue("admin", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	emoji := "\U0001F600"
	cid := strconv.FormatInt(customerID, 10)
	// want 0: any answer but a 5xx, the same in both stores.
	requests := []struct {
		method, target, body string
		want                 int
	}{
		{"POST", "/products", `{"sku":"` + strings.Repeat(emoji, 100) + `","name":"` + strings.Repeat(emoji, 255) + `","price_cents":9223372036854775807,"stock":2147483647}`, 201},
		{"POST", "/products", `{"sku":"NUL\u0000","name":"a\u0000b","price_cents":0,"stock":0}`, 400},
		{"POST", "/products", `{"sku":"\u0000","name":"nul sku","price_cents":0,"stock":0}`, 400},
		{"POST", "/products", `{"sku":"BOM","name":"\uFEFF","price_cents":0,"stock":0}`, 400},
		{"POST", "/products", `{"sku":"ZW\u200B","name":"zero width sku","price_cents":0,"stock":0}`, 400},
		{"POST", "/products", `{"sku":"C1","name":"next line \u0085","price_cents":0,"stock":0}`, 400},
		{"POST", "/products", `{"sku":"LS","name":"line\u2028separator","price_cents":0,"stock":0}`, 400},
		{"POST", "/products", `{"sku":"BLANK","name":" \u00a0 ","price_cents":0,"stock":0}`, 400},
		{"POST", "/products", `{"sku":"` + strings.Repeat("é", 100) + `","name":"` + strings.Repeat("\\\\%_'\\\"", 40) + `","price_cents":1,"stock":1}`, 201},
		{"POST", "/products", `{"sku":"\ud800","name":"lone surrogate \udfff","price_cents":1,"stock":1}`, 400}, // not UTF-8: refused, not turned into U+FFFD
		{"PATCH", "/products/1", `{"name":"` + strings.Repeat(emoji, 255) + `","price_cents":9223372036854775807,"stock":2147483647}`, 200},
		{"PATCH", "/products/1", `{"name":"\uFEFF"}`, 400},
		{"PATCH", "/products/1", `{"name":"\u200Dx"}`, 400},
		{"PATCH", "/products/1", `{"name":"a\u0000"}`, 400},
		{"POST", "/orders", `{"customer_id":` + cid + `,"items":[{"product_id":1,"qty":2147483647}]}`, 0},
		{"POST", "/orders", `{"customer_id":` + cid + `,"items":[{"product_id":1,"qty":2147483648}]}`, 0},
		{"POST", "/orders", `{"customer_id":` + cid + `,"items":[{"product_id":9223372036854775807,"qty":1}]}`, 0},
		{"POST", "/orders", `{"customer_id":9223372036854775807,"items":[{"product_id":1,"qty":1}]}`, 0},
		{"GET", "/products?search=%FF", "", 400},
		{"GET", "/products?search=%00", "", 400},
		{"GET", "/products?search=%EF%BB%BF", "", 400},
		{"GET", "/products?search=%E2%80%8B", "", 400},
		{"GET", "/products?search=%C2%85", "", 400},
		{"GET", "/products?search=%F0%9F%98%80", "", 200},
		{"GET", "/products?search=" + url.QueryEscape(`\%_'"`), "", 200},
		{"GET", "/products?search=" + url.QueryEscape(`\%_'"\`), "", 200},
		{"GET", "/products?search=%C3%89%C3%89", "", 200}, // ÉÉ
		{"GET", "/products?search=ee", "", 200},
		{"GET", "/products?search=%EF%BF%BD", "", 200}, // U+FFFD: nothing invalid was stored as it
		{"GET", "/products?search=" + url.QueryEscape(strings.Repeat(emoji, 255)), "", 200},
		{"GET", "/products?search=" + strings.Repeat("x", 5000), "", 400},
		{"GET", "/products?cursor=djE6OTIyMzM3MjAzNjg1NDc3NTgwNw", "", 200}, // v1:9223372036854775807
		{"GET", "/products/9223372036854775807", "", 404},
		{"GET", "/orders/9223372036854775807", "", 404},
		{"POST", "/orders/9223372036854775807/confirm", "", 404},
		{"POST", "/orders/9223372036854775807/cancel", "", 404},
		{"GET", "/orders?from=0000-01-01", "", 0},
		{"GET", "/orders?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59.999999999Z", "", 0},
		{"GET", "/orders?to=9999-12-31", "", 0},
		{"GET", "/orders?from=9999-12-31T23:59:59-23:59", "", 0},
		{"GET", "/orders?to=0000-01-01T00:00:00%2B23:59", "", 0},
		{"GET", "/orders?from=2026-01-01&to=2025-01-01", "", 0},
		{"GET", "/orders?customer_id=9223372036854775807&status=CONFIRMED", "", 0},
		{"GET", "/orders?cursor=djE6OTIyMzM3MjAzNjg1NDc3NTgwNw&limit=100", "", 0},
	}
	var first []int                 // the statuses the memory app answered
	var results map[string][]string // what its searches found
	for _, a := range []struct {
		name string
		app  OrdersAPIApp
	}{{"memory", mem}, {"mysql", app}} {
		send := func(method, target, body string, header ...string) (int, string) {
			t.Helper()
			req := httptest.NewRequest(method, "/", strings.NewReader(body))
			req.URL, _ = url.Parse(target)
			req.Header.Set("Authorization", "Bearer "+tok.Value)
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			rec := httptest.NewRecorder()
			a.app.Handler.ServeHTTP(rec, req)
			b, _ := io.ReadAll(rec.Body)
			return rec.Code, string(b)
		}
		found := map[string][]string{}
		for i, r := range requests {
			status, body := send(r.method, r.target, r.body, "Idempotency-Key", "hostile-"+strconv.Itoa(i))
			switch {
			case status >= 500 || (r.want != 0 && status != r.want):
				t.Errorf("%s: %s %.80s: got %d %.200s, want %d (0: not a 5xx)", a.name, r.method, r.target, status, body, r.want)
			case a.name != "memory" && status != first[i]:
				t.Errorf("%s: %s %.80s: got %d %.200s, memory answered %d", a.name, r.method, r.target, status, body, first[i])
			}
			if a.name == "memory" {
				first = append(first, status)
			}
			if r.method == "GET" && strings.HasPrefix(r.target, "/products?search=") && status == 200 {
				found[r.target] = apitest.ListedNames(t, body)
			}
		}
		if n := len(found[`/products?search=%C3%89%C3%89`]); n != 1 {
			t.Errorf("%s: search ÉÉ: got %d products, want 1 (the SKU é×100)", a.name, n)
		}
		if n := len(found[`/products?search=%EF%BF%BD`]); n != 0 {
			t.Errorf("%s: search U+FFFD: got %d products, want none (invalid UTF-8 is refused, never stored replaced)", a.name, n)
		}
		// The same idempotency key with a 255-character value and every printable ASCII byte.
		key := strings.Repeat(" !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~", 7)[:255]
		for range 2 {
			if status, body := send("POST", "/orders", `{"customer_id":`+cid+`,"items":[{"product_id":1,"qty":1}]}`, "Idempotency-Key", key); status >= 500 {
				t.Errorf("%s: 255-byte printable key: got %d %s", a.name, status, body)
			}
		}
		if results == nil {
			results = found
		} else {
			apitest.SameLists(t, results, found)
		}
	}
}
