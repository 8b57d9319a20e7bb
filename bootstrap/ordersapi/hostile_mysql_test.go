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

	"github.com/b2b-backoffice/backoffice/adapters/jwt"
)

// TestHostileInputOnMySQL sends, to orders-api built by its MySQL injector, the inputs that
// only a real database could choke on: dates outside DATETIME's range, strings that are not
// UTF-8 or that fill a column with 4-byte characters, LIKE metacharacters, the largest ids,
// prices and stocks. Each answer must be a client error or a success, never a 5xx.
func TestHostileInputOnMySQL(t *testing.T) {
	t.Parallel()
	const secret = "a-long-enough-test-secret"
	base, customerID, _ := customersAPI(t, "a-long-enough-service-token", secret)
	u := env.NewDatabase(t, false)
	cfg := config(t, map[string]string{"DATABASE_URL": string(u), "JWT_SECRET": secret,
		"SERVICE_TOKEN": "a-long-enough-service-token", "CUSTOMERS_API_BASE": base})
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
		app.Handler.ServeHTTP(rec, req)
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	emoji := "\U0001F600"
	cid := strconv.FormatInt(customerID, 10)
	for _, r := range []struct{ method, target, body string }{
		{"POST", "/products", `{"sku":"` + strings.Repeat(emoji, 100) + `","name":"` + strings.Repeat(emoji, 255) + `","price_cents":9223372036854775807,"stock":2147483647}`},
		{"POST", "/products", `{"sku":"NUL\u0000","name":"a\u0000b","price_cents":0,"stock":0}`},
		{"POST", "/products", `{"sku":"` + strings.Repeat("é", 100) + `","name":"` + strings.Repeat("\\\\%_'\\\"", 40) + `","price_cents":1,"stock":1}`},
		{"POST", "/products", `{"sku":"\ud800","name":"lone surrogate \udfff","price_cents":1,"stock":1}`},
		{"PATCH", "/products/1", `{"name":"` + strings.Repeat(emoji, 255) + `","price_cents":9223372036854775807,"stock":2147483647}`},
		{"POST", "/orders", `{"customer_id":` + cid + `,"items":[{"product_id":1,"qty":2147483647}]}`},
		{"POST", "/orders", `{"customer_id":` + cid + `,"items":[{"product_id":1,"qty":2147483648}]}`},
		{"POST", "/orders", `{"customer_id":` + cid + `,"items":[{"product_id":9223372036854775807,"qty":1}]}`},
		{"POST", "/orders", `{"customer_id":9223372036854775807,"items":[{"product_id":1,"qty":1}]}`},
		{"GET", "/products?search=%FF", ""},
		{"GET", "/products?search=%F0%9F%98%80", ""},
		{"GET", "/products?search=" + url.QueryEscape(`\%_'"`), ""},
		{"GET", "/products?search=" + strings.Repeat("x", 5000), ""},
		{"GET", "/products?search=%00", ""},
		{"GET", "/products?cursor=djE6OTIyMzM3MjAzNjg1NDc3NTgwNw", ""}, // v1:9223372036854775807
		{"GET", "/products/9223372036854775807", ""},
		{"GET", "/orders/9223372036854775807", ""},
		{"POST", "/orders/9223372036854775807/confirm", ""},
		{"POST", "/orders/9223372036854775807/cancel", ""},
		{"GET", "/orders?from=0000-01-01", ""},
		{"GET", "/orders?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59.999999999Z", ""},
		{"GET", "/orders?to=9999-12-31", ""},
		{"GET", "/orders?from=9999-12-31T23:59:59-23:59", ""},
		{"GET", "/orders?to=0000-01-01T00:00:00%2B23:59", ""},
		{"GET", "/orders?from=2026-01-01&to=2025-01-01", ""},
		{"GET", "/orders?customer_id=9223372036854775807&status=CONFIRMED", ""},
		{"GET", "/orders?cursor=djE6OTIyMzM3MjAzNjg1NDc3NTgwNw&limit=100", ""},
	} {
		status, body := send(r.method, r.target, r.body, "Idempotency-Key", "hostile-"+r.method)
		t.Logf("%s %.60s -> %d %.120s", r.method, r.target, status, body)
		if status >= 500 {
			t.Errorf("%s %.80s: got %d %s, want a client error or a success", r.method, r.target, status, body)
		}
	}
	// The same idempotency key with a 255-character value and every printable ASCII byte.
	key := strings.Repeat(" !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~", 7)[:255]
	for range 2 {
		if status, body := send("POST", "/orders", `{"customer_id":`+cid+`,"items":[{"product_id":1,"qty":1}]}`, "Idempotency-Key", key); status >= 500 {
			t.Errorf("255-byte printable key: got %d %s", status, body)
		}
	}
}
