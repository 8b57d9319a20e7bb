package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/jwt"
)

// hostileCustomerRequests are the inputs only a real database could choke on: columns filled
// with 4-byte characters, NUL bytes and invisible characters, lone surrogates, LIKE
// metacharacters and quotes, search text that is not UTF-8, the largest ids. Each has the
// one answer the contract gives, on MySQL and in memory alike.
func hostileCustomerRequests() []struct {
	method, target, body string
	want                 int
} {
	emoji := "\U0001F600"
	longLocal := strings.Repeat("a", 64)
	return []struct {
		method, target, body string
		want                 int
	}{
		{"POST", "/customers", `{"name":"` + strings.Repeat(emoji, 255) + `","email":"emoji@acme.com","phone":"` + strings.Repeat(emoji, 50) + `"}`, 201},
		{"POST", "/customers", `{"name":"NUL\u0000name","email":"nul@acme.com","phone":"\u0000"}`, 400},
		{"POST", "/customers", `{"name":"lone \ud800 surrogate","email":"lone@acme.com"}`, 400}, // not UTF-8: refused, not turned into U+FFFD
		{"POST", "/customers", "{\"name\":\"raw \xff byte\",\"email\":\"raw@acme.com\"}", 400},
		{"POST", "/customers", `{"name":"O'Brien \"Q\" 100% a_b \\","email":"quote@acme.com"}`, 201},
		{"POST", "/customers", `{"name":"Long","email":"` + longLocal + "@" + strings.Repeat("d", 63) + "." + strings.Repeat("e", 63) + "." + strings.Repeat("f", 57) + `.com"}`, 201},
		{"POST", "/customers", `{"name":"Unicode mail","email":"` + emoji + `@acme.com"}`, 400},
		{"POST", "/customers", `{"name":"Dup","email":"EMOJI@ACME.COM"}`, 409},
		{"POST", "/customers", `{"name":"\uFEFF","email":"bom@acme.com"}`, 400},
		{"POST", "/customers", `{"name":"zero\u200Bwidth","email":"zw@acme.com"}`, 400},
		{"POST", "/customers", `{"name":"C1 \u0085","email":"c1@acme.com"}`, 400},
		{"POST", "/customers", `{"name":"Separator","email":"sep@acme.com","phone":"\u2028"}`, 400},
		{"POST", "/customers", `{"name":"Mark","email":"mark@acme.com","phone":"\u200E555"}`, 400},
		{"POST", "/customers", `{"name":"   ","email":"blank@acme.com"}`, 400},
		{"PUT", "/customers/1", `{"name":"` + strings.Repeat("\u00e9", 255) + `","email":"Emoji@Acme.com"}`, 200},
		{"PUT", "/customers/1", `{"name":"\uFEFF"}`, 400},
		{"PUT", "/customers/1", `{"phone":"\u0000"}`, 400},
		{"PUT", "/customers/9223372036854775807", `{"name":"x"}`, 404},
		{"GET", "/customers/9223372036854775807", "", 404},
		{"DELETE", "/customers/9223372036854775807", "", 404},
		{"GET", "/customers?search=%FF", "", 400},
		{"GET", "/customers?search=%00", "", 400},
		{"GET", "/customers?search=%EF%BB%BF", "", 400},
		{"GET", "/customers?search=%E2%80%8B", "", 400},
		{"GET", "/customers?search=%C2%85", "", 400},
		{"GET", "/customers?search=" + url.QueryEscape(`\%_'"`), "", 200},
		{"GET", "/customers?search=" + url.QueryEscape(strings.Repeat(emoji, 255)), "", 200},
		{"GET", "/customers?search=" + url.QueryEscape(strings.Repeat(emoji, 256)), "", 400},
		{"GET", "/customers?search=%F0%9F%98%80", "", 200},
		{"GET", "/customers?search=" + url.QueryEscape(`"q" 100% A_B \`), "", 200},
		{"GET", "/customers?search=%EF%BF%BD", "", 200},    // U+FFFD: nobody has it (nothing invalid was stored as it)
		{"GET", "/customers?search=%C3%89%C3%89", "", 200}, // ÉÉ
		{"GET", "/customers?search=ee", "", 200},
		{"GET", "/customers?cursor=djE6OTIyMzM3MjAzNjg1NDc3NTgwNw&limit=100", "", 200},
	}
}

// TestHostileInputOnMySQLAndMemory sends the hostile requests to customers-api built by its
// MySQL injector and by its memory injector, and wants the same status from both, and the
// same customers from every search (the collation traps are in repotest's suites). Then
// /metrics (MySQL) shows the pool's gauges.
func TestHostileInputOnMySQLAndMemory(t *testing.T) {
	t.Parallel()
	const secret = "a-long-enough-test-secret"
	vars := map[string]string{"JWT_SECRET": secret, "SERVICE_TOKEN": "a-long-enough-service-token",
		"ADMIN_USER": "operator", "ADMIN_PASSWORD": "correct horse battery staple"}
	memCfg := config(t, vars)
	mem, err := initializeMemory(memCfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	vars["DATABASE_URL"] = string(env.NewDatabase(t, false))
	cfg := config(t, vars)
	sql, cleanup, err := initializeMySQL(context.Background(), cfg, discard())
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
	var results map[string][]string // what the searches of the first app found
	for _, app := range []struct {
		name string
		app  CustomersAPIApp
	}{{"memory", mem}, {"mysql", sql}} {
		send := func(method, target, body, auth string) (int, string) {
			t.Helper()
			req := httptest.NewRequest(method, "/", strings.NewReader(body))
			req.URL, _ = url.Parse(target)
			req.Header.Set("Authorization", "Bearer "+auth)
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			app.app.Handler.ServeHTTP(rec, req)
			b, _ := io.ReadAll(rec.Body)
			return rec.Code, string(b)
		}
		found := map[string][]string{}
		for _, r := range hostileCustomerRequests() {
			status, body := send(r.method, r.target, r.body, tok.Value)
			if status != r.want {
				t.Errorf("%s: %s %.80s: got %d %.200s, want %d", app.name, r.method, r.target, status, body, r.want)
			}
			if r.method == "GET" && status == http.StatusOK {
				found[r.target] = apitest.ListedNames(t, body)
			}
		}
		if status, body := send("GET", "/internal/customers/9223372036854775807", "", cfg.ServiceToken); status != 404 {
			t.Errorf("%s: internal route, largest id: got %d %s, want 404", app.name, status, body)
		}
		if n := len(found[`/customers?search=%C3%89%C3%89`]); n != 1 {
			t.Errorf("%s: search ÉÉ: got %d customers, want 1 (the one renamed to é×255)", app.name, n)
		}
		if n := len(found[`/customers?search=%EF%BF%BD`]); n != 0 {
			t.Errorf("%s: search U+FFFD: got %d customers, want none (invalid UTF-8 is refused, never stored replaced)", app.name, n)
		}
		if results == nil {
			results = found
		} else {
			apitest.SameLists(t, results, found)
		}
	}
	// The MySQL app serves the pool's gauges and the (so far zero) transaction retries.
	status, text := func() (int, string) {
		rec := httptest.NewRecorder()
		sql.Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Code, rec.Body.String()
	}()
	for _, want := range []string{`go_sql_open_connections{db_name="customers-api"}`, `go_sql_in_use_connections{db_name="customers-api"}`,
		`backoffice_events_total{event="transaction_retry",service="customers-api"} 0`,
		`http_requests_total{method="POST",route="/customers",service="customers-api",status="201"}`} {
		if status != 200 || !strings.Contains(text, want) {
			t.Errorf("/metrics (%d) lacks %q", status, want)
		}
	}
}
