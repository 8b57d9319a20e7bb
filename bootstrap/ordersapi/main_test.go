package main

import (
	"bytes"
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

	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

var env mysqltest.Env

func TestMain(m *testing.M) { os.Exit(mysqltest.Run(m, &env)) }

func config(t *testing.T, vars map[string]string) bootstrap.Config {
	t.Helper()
	cfg, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// customersAPI serves a real customers-api over memory adapters with serviceToken and
// returns its URL and a customer id that exists there.
func customersAPI(t *testing.T, serviceToken, jwtSecret string) (string, int64, *customersapitest.API) {
	t.Helper()
	api, srv := customersapitest.Start(t, customersapitest.Options{ServiceToken: serviceToken, JWTSecret: jwtSecret})
	return srv.URL, api.Seed(t, "ACME", "ops@acme.com", "").ID(), api
}

type answer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (a answer) data() map[string]any { d, _ := a.body["data"].(map[string]any); return d }

func (a answer) id() string {
	return strconv.FormatFloat(a.data()["id"].(float64), 'f', 0, 64)
}

// exercise runs the orders flow against a served handler: product, order, confirm, replay,
// a reused key, cancel, and an unknown customer.
func exercise(t *testing.T, base, token string, customerID int64) {
	t.Helper()
	send := func(method, path, body string, header ...string) answer {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		a := answer{status: res.StatusCode, header: res.Header, raw: raw}
		if len(raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			if err := json.Unmarshal(raw, &a.body); err != nil {
				t.Fatalf("%s %s: got body %q: %v", method, path, raw, err)
			}
		}
		return a
	}
	want := func(a answer, status int, what string) {
		t.Helper()
		if a.status != status {
			t.Fatalf("%s: got %d %s, want %d", what, a.status, a.raw, status)
		}
	}
	p := send("POST", "/products", `{"sku":"SKU-1","name":"Widget","price_cents":129900,"stock":10}`)
	want(p, 201, "create product")
	pid := p.id()
	o := send("POST", "/orders", `{"customer_id":`+strconv.FormatInt(customerID, 10)+`,"items":[{"product_id":`+pid+`,"qty":3}]}`)
	want(o, 201, "create order")
	if o.data()["total_cents"] != float64(389700) {
		t.Fatalf("got order %s", o.raw)
	}
	oid := o.id()
	first := send("POST", "/orders/"+oid+"/confirm", "", "X-Idempotency-Key", "abc-123")
	want(first, 200, "confirm")
	again := send("POST", "/orders/"+oid+"/confirm", "", "X-Idempotency-Key", "abc-123")
	want(again, 200, "replay")
	if !bytes.Equal(again.raw, first.raw) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: got %s (%q), want %s", again.raw, again.header.Get("Idempotent-Replayed"), first.raw)
	}
	want(send("POST", "/orders/"+oid+"/confirm", ""), 400, "confirm without a key")
	o2 := send("POST", "/orders", `{"customer_id":`+strconv.FormatInt(customerID, 10)+`,"items":[{"product_id":`+pid+`,"qty":1}]}`)
	want(o2, 201, "second order")
	want(send("POST", "/orders/"+o2.id()+"/confirm", "", "X-Idempotency-Key", "abc-123"), 422, "key on another order")
	c := send("POST", "/orders/"+oid+"/cancel", "")
	want(c, 200, "cancel")
	if c.data()["status"] != "CANCELED" {
		t.Fatalf("got %s", c.raw)
	}
	if s := send("GET", "/products/"+pid, ""); s.data()["stock"] != float64(9) {
		t.Fatalf("got product %s after cancel, want stock 9", s.raw)
	}
	want(send("POST", "/orders", `{"customer_id":999999,"items":[{"product_id":`+pid+`,"qty":1}]}`), 422, "unknown customer")
	want(send("GET", "/orders?status=CANCELED", ""), 200, "list")
	want(send("GET", "/ready", ""), 200, "ready")
	m := send("GET", "/metrics", "")
	want(m, 200, "metrics")
	if !bytes.Contains(m.raw, []byte(`backoffice_events_total{event="idempotent_replay",service="orders-api"} 1`)) {
		t.Fatalf("metrics do not count the replay:\n%s", m.raw)
	}
}

func TestMemoryInjectorWithSeedDefaults(t *testing.T) {
	base, customerID, capi := customersAPI(t, "", "")
	cfg := config(t, map[string]string{"CUSTOMERS_API_BASE": base})
	app, err := initializeMemory(cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()
	exercise(t, srv.URL, capi.UserToken(t), customerID)
}

func TestMySQLInjectorMigratesAndServes(t *testing.T) {
	const secret, service = "a-long-enough-test-secret", "a-long-enough-service-token"
	base, customerID, capi := customersAPI(t, service, secret)
	u := env.NewDatabase(t, false) // the service migrates it at start-up
	cfg := config(t, map[string]string{
		"DATABASE_URL": string(u), "JWT_SECRET": secret, "SERVICE_TOKEN": service, "CUSTOMERS_API_BASE": base,
	})
	app, cleanup, err := initializeMySQL(context.Background(), cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	// orders.customer_id references customers: the MySQL deployment shares one database, so
	// the customer customers-api knows is a row here too.
	db, err := sqlOpen(t, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO customers (id, name, email, created_at, updated_at) VALUES (?, 'ACME', 'ops@acme.com', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))", customerID); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()
	exercise(t, srv.URL, capi.UserToken(t), customerID)

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

// TestReadyDoesNotFollowCustomersAPI: with customers-api down orders-api still serves its
// reads, so /ready stays 200 (a load balancer must not pull it); /ready?verbose and the
// backoffice_dependency_up gauge report customers-api down.
func TestReadyDoesNotFollowCustomersAPI(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	app, err := initializeMemory(config(t, map[string]string{"CUSTOMERS_API_BASE": closed.URL}), discard())
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	app.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ready", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("ready with customers-api down: got %d %s, want 200", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	app.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ready?verbose", nil))
	var verbose struct {
		Status string `json:"status"`
		Checks []struct {
			Name  string `json:"name"`
			Kind  string `json:"kind"`
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &verbose); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK || len(verbose.Checks) != 1 || verbose.Checks[0].Name != "customers-api" ||
		verbose.Checks[0].Kind != "dependency" || verbose.Checks[0].OK || verbose.Checks[0].Error == "" {
		t.Fatalf("ready?verbose with customers-api down: got %d %s, want 200 listing customers-api failing", rec.Code, rec.Body)
	}
	if got := apitest.MetricsText(t, app.Handler); !strings.Contains(got,
		`backoffice_dependency_up{dependency="customers-api",service="orders-api"} 0`) {
		t.Errorf("metrics lack backoffice_dependency_up 0 for customers-api")
	}
	rec = httptest.NewRecorder()
	app.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("health with customers-api down: got %d, want 200", rec.Code)
	}
}

func TestMySQLRefusesWeakSecrets(t *testing.T) {
	_, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, func(k string) string {
		return map[string]string{"DATABASE_URL": "mysql://root@127.0.0.1:3306/x", "JWT_SECRET": "short", "SERVICE_TOKEN": "short"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") || !strings.Contains(err.Error(), "SERVICE_TOKEN") {
		t.Fatalf("got %v, want both weak secrets refused", err)
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
	for range 200 {
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

// TestStartChecksThePortFirst: with its port taken, start fails at once naming the port,
// without waiting for a database that is not there (DB_CONNECT_TIMEOUT would keep it
// trying for a minute).
func TestStartChecksThePortFirst(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	cfg := config(t, map[string]string{"PORT": port, "DATABASE_URL": "mysql://app@" + mysqltest.ClosedAddr(t) + "/shop",
		"JWT_SECRET": "a-long-enough-test-secret", "SERVICE_TOKEN": "a-long-enough-service-token", "DB_CONNECT_TIMEOUT": "1m"})
	began := time.Now()
	err = start(t.Context(), cfg, discard())
	if err == nil || !strings.Contains(err.Error(), "port "+port+" is not free") || time.Since(began) > 5*time.Second {
		t.Fatalf("got %v after %s, want the port named at once", err, time.Since(began))
	}
}
