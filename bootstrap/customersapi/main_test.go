package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

var env mysqltest.Env

func TestMain(m *testing.M) { os.Exit(mysqltest.Run(m, &env)) }

func config(t *testing.T, vars map[string]string) bootstrap.Config {
	t.Helper()
	cfg, err := bootstrap.LoadConfig(bootstrap.CustomersAPI, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// exercise runs the seed README's flow against a served handler: login, create, read through
// the public and the internal route, list, update, delete.
func exercise(t *testing.T, base, user, password, serviceToken string) {
	t.Helper()
	send := func(method, path, auth, body string) (int, http.Header, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var out map[string]any
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatalf("%s %s: got body %q: %v", method, path, raw, err)
			}
		}
		return res.StatusCode, res.Header, out
	}
	status, _, body := send("POST", "/auth/login", "", `{"username":"`+user+`","password":"`+password+`"}`)
	if status != 200 {
		t.Fatalf("login: got %d %v", status, body)
	}
	tok, _ := body["access_token"].(string)
	status, hdr, body := send("POST", "/customers", tok, `{"name":"ACME","email":"ops@acme.com","phone":"+1-555-0100"}`)
	if status != 201 {
		t.Fatalf("create: got %d %v", status, body)
	}
	loc := hdr.Get("Location")
	id := strconv.FormatFloat(body["data"].(map[string]any)["id"].(float64), 'f', 0, 64)
	if loc != "/customers/"+id {
		t.Fatalf("got Location %q for id %s", loc, id)
	}
	for _, c := range []struct{ method, path, auth, body string }{
		{"GET", loc, tok, ""}, {"GET", "/internal" + loc, serviceToken, ""},
		{"GET", "/customers?search=acme", tok, ""}, {"PUT", loc, tok, `{"phone":null}`},
	} {
		if status, _, body := send(c.method, c.path, c.auth, c.body); status != 200 {
			t.Fatalf("%s %s: got %d %v", c.method, c.path, status, body)
		}
	}
	if status, _, _ := send("GET", "/internal"+loc, tok, ""); status != 401 {
		t.Fatalf("internal route with a user JWT: got %d, want 401", status)
	}
	if status, _, _ := send("DELETE", loc, tok, ""); status != 204 {
		t.Fatalf("delete: got %d", status)
	}
	if status, _, _ := send("GET", "/internal"+loc, serviceToken, ""); status != 404 {
		t.Fatalf("internal get after delete: got %d, want 404", status)
	}
	if status, _, _ := send("GET", "/ready", "", ""); status != 200 {
		t.Fatalf("ready: got %d", status)
	}
}

func TestMemoryInjectorWithSeedDefaults(t *testing.T) {
	app, err := initializeMemory(config(t, nil), discard())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()
	exercise(t, srv.URL, "admin", "admin123", "internal-service-token")
}

func TestMySQLInjectorMigratesAndServes(t *testing.T) {
	u := env.NewDatabase(t, false) // the service migrates it at start-up
	cfg := config(t, map[string]string{
		"DATABASE_URL": string(u), "JWT_SECRET": "a-long-enough-test-secret", "SERVICE_TOKEN": "a-long-enough-service-token",
		"ADMIN_USER": "operator", "ADMIN_PASSWORD": "correct horse battery staple",
	})
	app, cleanup, err := initializeMySQL(context.Background(), cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()
	exercise(t, srv.URL, "operator", "correct horse battery staple", "a-long-enough-service-token")

	cleanup() // closes the pool: /ready must now say 503
	res, err := http.Get(srv.URL + "/ready")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("ready with the pool closed: got %d, want 503", res.StatusCode)
	}
}

func TestStartServesUntilCanceled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := config(t, map[string]string{"PORT": strconv.Itoa(port)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- start(ctx, cfg, discard()) }()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	var up bool
	// start hashes the admin password with bcrypt before it listens: slow under -race on a
	// busy two-core machine, so wait on a deadline rather than a fixed number of tries.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		res, err := http.Get(base + "/health")
		if err == nil {
			res.Body.Close()
			up = res.StatusCode == 200
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !up {
		cancel()
		t.Fatalf("the server did not answer /health: %v", <-done)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("got %v on shutdown, want a clean stop", err)
	}
}

// TestStartChecksThePortBeforeMigrating: with its port taken, start fails naming the port
// and leaves the database as it found it: no migration ran.
func TestStartChecksThePortBeforeMigrating(t *testing.T) {
	u := env.NewDatabase(t, false)
	taken, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	cfg := config(t, map[string]string{"PORT": port, "DATABASE_URL": string(u),
		"JWT_SECRET": "a-long-enough-test-secret", "SERVICE_TOKEN": "a-long-enough-service-token",
		"ADMIN_USER": "operator", "ADMIN_PASSWORD": "correct horse battery staple"})
	if err := start(t.Context(), cfg, discard()); err == nil || !strings.Contains(err.Error(), "port "+port+" is not free") {
		t.Fatalf("got %v, want the port named", err)
	}
	db, err := mysql.Open(t.Context(), u, mysql.PoolConfig{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("got %d tables, want none: start migrated before it checked its port", tables)
	}
}
