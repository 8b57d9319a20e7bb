package main

import (
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/jwt"
)

// TestHostileInputOnMySQL sends, to customers-api built by its MySQL injector, the inputs
// only a real database could choke on: columns filled with 4-byte characters, NUL bytes,
// lone surrogates, LIKE metacharacters and quotes, search text that is not UTF-8, the
// largest ids. Each answer must be a client error or a success, never a 5xx. Then /metrics
// shows the pool's gauges.
func TestHostileInputOnMySQL(t *testing.T) {
	t.Parallel()
	const secret = "a-long-enough-test-secret"
	cfg := config(t, map[string]string{"DATABASE_URL": string(env.NewDatabase(t, false)), "JWT_SECRET": secret,
		"SERVICE_TOKEN": "a-long-enough-service-token", "ADMIN_USER": "operator", "ADMIN_PASSWORD": "correct horse battery staple"})
	app, cleanup, err := initializeMySQL(context.Background(), cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	tokens, err := jwt.NewTokens(jwt.Secret(secret), jwt.Issuer(cfg.JWTIssuer), jwt.Lifetime(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokens.Issue("operator", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, target, body, auth string) (int, string) {
		t.Helper()
		req := httptest.NewRequest(method, "/", strings.NewReader(body))
		req.URL, _ = url.Parse(target)
		req.Header.Set("Authorization", "Bearer "+auth)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		app.Handler.ServeHTTP(rec, req)
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	emoji := "\U0001F600"
	longLocal := strings.Repeat("a", 64)
	for _, r := range []struct{ method, target, body string }{
		{"POST", "/customers", `{"name":"` + strings.Repeat(emoji, 255) + `","email":"emoji@acme.com","phone":"` + strings.Repeat(emoji, 50) + `"}`},
		{"POST", "/customers", `{"name":"NUL\u0000name","email":"nul@acme.com","phone":"\u0000"}`},
		{"POST", "/customers", `{"name":"lone \ud800 surrogate","email":"lone@acme.com"}`},
		{"POST", "/customers", `{"name":"O'Brien \"Q\" 100% a_b \\","email":"quote@acme.com"}`},
		{"POST", "/customers", `{"name":"Long","email":"` + longLocal + "@" + strings.Repeat("d", 63) + "." + strings.Repeat("e", 63) + "." + strings.Repeat("f", 57) + `.com"}`},
		{"POST", "/customers", `{"name":"Unicode mail","email":"` + emoji + `@acme.com"}`},
		{"POST", "/customers", `{"name":"Dup","email":"EMOJI@ACME.COM"}`},
		{"PUT", "/customers/1", `{"name":"` + strings.Repeat("\u00e9", 255) + `","email":"Emoji@Acme.com"}`},
		{"PUT", "/customers/9223372036854775807", `{"name":"x"}`},
		{"GET", "/customers/9223372036854775807", ""},
		{"DELETE", "/customers/9223372036854775807", ""},
		{"GET", "/customers?search=%FF", ""},
		{"GET", "/customers?search=%00", ""},
		{"GET", "/customers?search=" + url.QueryEscape(`\%_'"`), ""},
		{"GET", "/customers?search=" + url.QueryEscape(strings.Repeat(emoji, 255)), ""},
		{"GET", "/customers?search=%F0%9F%98%80", ""},
		{"GET", "/customers?cursor=djE6OTIyMzM3MjAzNjg1NDc3NTgwNw&limit=100", ""},
	} {
		status, body := send(r.method, r.target, r.body, tok.Value)
		t.Logf("%s %.60s -> %d %.120s", r.method, r.target, status, body)
		if status >= 500 {
			t.Errorf("%s %.80s: got %d %s, want a client error or a success", r.method, r.target, status, body)
		}
	}
	if status, body := send("GET", "/internal/customers/9223372036854775807", "", cfg.ServiceToken); status != 404 {
		t.Errorf("internal route, largest id: got %d %s, want 404", status, body)
	}
	// The same app serves the pool's gauges and the (so far zero) transaction retries.
	status, text := send("GET", "/metrics", "", "")
	for _, want := range []string{`go_sql_open_connections{db_name="customers-api"}`, `go_sql_in_use_connections{db_name="customers-api"}`,
		`backoffice_events_total{event="transaction_retry",service="customers-api"} 0`,
		`http_requests_total{method="POST",route="/customers",service="customers-api",status="201"}`} {
		if status != 200 || !strings.Contains(text, want) {
			t.Errorf("/metrics (%d) lacks %q", status, want)
		}
	}
}
