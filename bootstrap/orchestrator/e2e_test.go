package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"

	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

// The end-to-end tests run, in this process, the real customers-api and orders-api handlers
// over memory adapters on httptest servers, and the orchestrator built by its Wire injector
// from a configuration read by bootstrap.LoadConfig, as the binary builds it.

const route = "/orchestrator/create-and-confirm-order"

// seen records the ids every upstream request carried.
type seen struct {
	mu      sync.Mutex
	corrIDs []string
	reqIDs  []string
}

func (s *seen) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corrIDs, s.reqIDs = nil, nil
}

// ids returns the ids recorded so far.
func (s *seen) ids() (corrIDs, reqIDs []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.corrIDs...), append([]string(nil), s.reqIDs...)
}

func (s *seen) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.corrIDs = append(s.corrIDs, r.Header.Get("X-Correlation-ID"))
		s.reqIDs = append(s.reqIDs, r.Header.Get("X-Request-ID"))
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

type world struct {
	customersDown atomic.Bool // customers-api drops every connection (a crashed process)
	customers     *customersapitest.API
	orders        *ordersapitest.API
	customersURL  string
	ordersURL     string
	seen          *seen
	app           *OrchestratorApp
	token         string
	customerID    int64
}

// gate drops the connection of every request while customersDown is set.
func (w *world) gate(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !w.customersDown.Load() {
			h.ServeHTTP(rw, r)
			return
		}
		if conn, _, err := http.NewResponseController(rw).Hijack(); err == nil {
			_ = conn.Close()
		}
	})
}

// newWorld starts both services and an orchestrator over them. wrapOrders and wrapCustomers,
// when not nil, sit between the orchestrator and the service (to slow it down).
func newWorld(t *testing.T, env map[string]string, wrapCustomers, wrapOrders func(http.Handler) http.Handler) *world {
	t.Helper()
	w := &world{seen: &seen{}}
	w.customers = customersapitest.New(t, customersapitest.Options{})
	csrv := httptest.NewServer(w.seen.wrap(w.gate(w.customers.Handler)))
	t.Cleanup(csrv.Close)
	w.orders = ordersapitest.New(t, ordersapitest.Options{CustomersBase: csrv.URL})
	osrv := httptest.NewServer(w.seen.wrap(w.orders.Handler))
	t.Cleanup(osrv.Close)
	w.customersURL, w.ordersURL = csrv.URL, osrv.URL
	if wrapCustomers != nil {
		s := httptest.NewServer(wrapCustomers(w.gate(w.customers.Handler)))
		t.Cleanup(s.Close)
		w.customersURL = s.URL
	}
	if wrapOrders != nil {
		s := httptest.NewServer(wrapOrders(w.orders.Handler))
		t.Cleanup(s.Close)
		w.ordersURL = s.URL
	}
	vars := map[string]string{
		"CUSTOMERS_API_BASE": w.customersURL, "ORDERS_API_BASE": w.ordersURL,
		"JWT_SECRET": customersapitest.DefaultJWTSecret, "SERVICE_TOKEN": customersapitest.DefaultServiceToken,
		"UPSTREAM_TIMEOUT": "3s",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := bootstrap.LoadConfig(bootstrap.Orchestrator, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	w.app, err = initializeOrchestrator(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("initializeOrchestrator: %v", err)
	}
	w.token = w.login(t, csrv.URL)
	w.customerID = w.customers.Seed(t, "ACME", "ops@acme.com", "+1 555 0100").ID()
	w.seen.reset() // forget the login: only the orchestrator's calls count
	return w
}

// login gets a JWT from customers-api's POST /auth/login, as a client would.
func (w *world) login(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Post(base+"/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"admin123"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != 200 || body.AccessToken == "" {
		t.Fatalf("login: got %d %v", res.StatusCode, err)
	}
	return body.AccessToken
}

type reply struct {
	status int
	header http.Header
	body   string
}

// invokeV1 sends a REST API event through the Lambda runtime's handler wrapper.
func (w *world) invokeV1(t *testing.T, body string, headers map[string]string) reply {
	t.Helper()
	e, _ := json.Marshal(map[string]any{"resource": route, "path": route, "httpMethod": "POST", "headers": headers,
		"body": body, "requestContext": map[string]any{"requestId": "gw-1", "stage": "prod"}})
	return w.invoke(t, e)
}

// invokeV2 sends an HTTP API event.
func (w *world) invokeV2(t *testing.T, body string, headers map[string]string) reply {
	t.Helper()
	lower := map[string]string{}
	for k, v := range headers {
		lower[strings.ToLower(k)] = v
	}
	e, _ := json.Marshal(map[string]any{"version": "2.0", "routeKey": "POST " + route, "rawPath": route, "headers": lower,
		"body": body, "isBase64Encoded": false, "requestContext": map[string]any{"requestId": "gw-2", "http": map[string]any{"method": "POST", "path": route}}})
	return w.invoke(t, e)
}

func (w *world) invoke(t *testing.T, event []byte) reply {
	t.Helper()
	out, err := awslambda.NewHandler(w.app.Handler.Handle).Invoke(context.Background(), event)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var r struct { // v1 answers carry multiValueHeaders, v2 answers headers
		StatusCode        int                 `json:"statusCode"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Body              string              `json:"body"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	for k, vs := range r.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return reply{status: r.StatusCode, header: h, body: r.Body}
}

// post sends the request to the local HTTP server of the orchestrator.
func (w *world) post(t *testing.T, srv *httptest.Server, body string, headers map[string]string) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+route, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: string(b)}
}

// auth returns the headers of a caller with a valid JWT, sending JSON.
func (w *world) auth() map[string]string {
	return map[string]string{"Authorization": "Bearer " + w.token, "Content-Type": "application/json"}
}

func (w *world) stock(t *testing.T, productID int64) int {
	t.Helper()
	p, err := w.orders.Orders.GetProduct(context.Background(), productID)
	if err != nil {
		t.Fatal(err)
	}
	return p.Stock()
}

// ordersOf counts the customer's orders through orders-api's GET /orders.
func (w *world) ordersOf(t *testing.T, customerID int64) []int64 {
	t.Helper()
	var body struct {
		Data []struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	w.userCall(t, http.MethodGet, fmt.Sprintf("%s/orders?customer_id=%d&limit=100", w.ordersURL, customerID), http.StatusOK, &body)
	ids := make([]int64, len(body.Data))
	for i, o := range body.Data {
		ids[i] = o.ID
	}
	return ids
}

// userCall sends method url as the logged-in user, fails t unless the answer has status
// want, and decodes its body into out when out is not nil.
func (w *world) userCall(t *testing.T, method, url string, want int, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		t.Fatalf("%s %s: got %d, want %d", method, url, res.StatusCode, want)
	}
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
}

func body(customerID, productID, qty int64, key, corr string) string {
	b := fmt.Sprintf(`{"customer_id":%d,"items":[{"product_id":%d,"qty":%d}],"idempotency_key":%q`, customerID, productID, qty, key)
	if corr != "" {
		b += fmt.Sprintf(`,"correlation_id":%q`, corr)
	}
	return b + "}"
}

func errorCode(t *testing.T, r reply) string {
	t.Helper()
	var b struct {
		Success       *bool  `json:"success"`
		CorrelationID string `json:"correlationId"`
		Error         struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &b); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	if b.Success == nil || *b.Success || b.CorrelationID == "" || b.Error.Message == "" {
		t.Fatalf("got %s, want the orchestrator's error shape", r.body)
	}
	return b.Error.Code
}

func TestEndToEndHappyPathAndRetries(t *testing.T) {
	w := newWorld(t, nil, nil, nil)
	p := w.orders.SeedProduct(t, "LAPTOP-1", "Laptop", 129900, 10)
	req := body(w.customerID, p.ID(), 3, "order-abc-1", "req-789")

	first := w.invokeV1(t, req, w.auth())
	if first.status != 201 {
		t.Fatalf("got %d %s, want 201", first.status, first.body)
	}
	// Every call the orchestrator (and orders-api on its behalf) made carried the ids:
	// orders-api's stored answer (none yet), customers-api, orders-api create, customers-api
	// from orders-api, orders-api confirm, orders-api storing the answer.
	corrIDs, reqIDs := w.seen.ids()
	if len(corrIDs) != 6 {
		t.Errorf("got %d upstream calls, want 6", len(corrIDs))
	}
	for i := range corrIDs {
		if corrIDs[i] != "req-789" || reqIDs[i] != "gw-1" {
			t.Errorf("upstream call %d carried correlation %q request %q, want req-789 and gw-1", i, corrIDs[i], reqIDs[i])
		}
	}
	ids := w.ordersOf(t, w.customerID)
	if len(ids) != 1 {
		t.Fatalf("got orders %v, want one", ids)
	}
	want := fmt.Sprintf(`{"success":true,"correlationId":"req-789","data":{"customer":{"id":%d,"name":"ACME","email":"ops@acme.com","phone":"+1 555 0100"},`+
		`"order":{"id":%d,"status":"CONFIRMED","total_cents":389700,"items":[{"product_id":%d,"qty":3,"unit_price_cents":129900,"subtotal_cents":389700}]}}}`,
		w.customerID, ids[0], p.ID())
	if first.body != want {
		t.Fatalf("got  %s\nwant %s", first.body, want)
	}
	if got := w.stock(t, p.ID()); got != 7 {
		t.Fatalf("got stock %d, want 7", got)
	}
	if first.header.Get("X-Correlation-ID") != "req-789" || first.header.Get("X-Request-ID") != "gw-1" {
		t.Errorf("got headers %v, want correlation req-789 and request id gw-1", first.header)
	}

	// The same key again, as v2 and through the local HTTP server: same body, same order,
	// stock decremented once.
	again := w.invokeV2(t, req, w.auth())
	local := httptest.NewServer(w.app.HTTP)
	defer local.Close()
	viaHTTP := w.post(t, local, req, w.auth())
	for name, r := range map[string]reply{"v2": again, "local HTTP": viaHTTP} {
		if r.status != 201 || r.body != first.body {
			t.Errorf("%s retry: got %d %s, want 201 and the first body", name, r.status, r.body)
		}
	}
	if got := w.stock(t, p.ID()); got != 7 {
		t.Fatalf("after retries: got stock %d, want 7", got)
	}
	if ids := w.ordersOf(t, w.customerID); len(ids) != 1 {
		t.Fatalf("after retries: got orders %v, want one", ids)
	}

	// The same key with another body: 422 idempotency_key_reused, nothing changes.
	other := w.invokeV1(t, body(w.customerID, p.ID(), 2, "order-abc-1", ""), w.auth())
	if other.status != 422 || errorCode(t, other) != "idempotency_key_reused" {
		t.Fatalf("got %d %s, want 422 idempotency_key_reused", other.status, other.body)
	}
	if got := w.stock(t, p.ID()); got != 7 {
		t.Fatalf("after a reused key: got stock %d, want 7", got)
	}

	// A new key is a new order.
	fresh := w.invokeV1(t, body(w.customerID, p.ID(), 1, "order-abc-2", ""), w.auth())
	if fresh.status != 201 || w.stock(t, p.ID()) != 6 || len(w.ordersOf(t, w.customerID)) != 2 {
		t.Fatalf("new key: got %d %s, stock %d, want 201, stock 6, two orders", fresh.status, fresh.body, w.stock(t, p.ID()))
	}
}

// A crash after orders-api created the order but before it was confirmed: the retry finishes
// that same order.
func TestEndToEndRetryAfterCrashBetweenCreateAndConfirm(t *testing.T) {
	w := newWorld(t, nil, nil, nil)
	p := w.orders.SeedProduct(t, "PHONE-1", "Phone", 50000, 5)
	key := "crash-key-1"
	// What the first attempt did before it crashed: the create, under the derived key.
	createBody := fmt.Sprintf(`{"customer_id":%d,"items":[{"product_id":%d,"qty":2}]}`, w.customerID, p.ID())
	req, _ := http.NewRequest(http.MethodPost, w.ordersURL+"/orders", strings.NewReader(createBody))
	req.Header.Set("Authorization", "Bearer "+w.token)
	req.Header.Set("Idempotency-Key", orchestration.CreateKey(key))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Data struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"data"`
	}
	_ = json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	if res.StatusCode != 201 || created.Data.Status != "CREATED" {
		t.Fatalf("direct create: got %d %+v", res.StatusCode, created)
	}

	r := w.invokeV1(t, body(w.customerID, p.ID(), 2, key, ""), w.auth())
	if r.status != 201 || !strings.Contains(r.body, fmt.Sprintf(`"order":{"id":%d,"status":"CONFIRMED"`, created.Data.ID)) {
		t.Fatalf("got %d %s, want 201 confirming order %d", r.status, r.body, created.Data.ID)
	}
	if got := w.stock(t, p.ID()); got != 3 {
		t.Fatalf("got stock %d, want 3 (decremented once)", got)
	}
	if ids := w.ordersOf(t, w.customerID); len(ids) != 1 {
		t.Fatalf("got orders %v, want only the first one", ids)
	}
}

// Many clients retrying one key at once: one order, one stock decrement; every answer is the
// same 201 or a 409 in progress, never anything else.
func TestEndToEndConcurrentSameKey(t *testing.T) {
	w := newWorld(t, nil, nil, nil)
	p := w.orders.SeedProduct(t, "TABLET-1", "Tablet", 30000, 50)
	req := body(w.customerID, p.ID(), 4, "same-key-concurrent", "corr-c")
	const n = 20
	replies := w.race(n, func(int) string { return req })
	var okBody string
	oks := 0
	for _, r := range replies {
		switch {
		case r.status == 201:
			if okBody != "" && r.body != okBody {
				t.Fatalf("two different 201 bodies:\n%s\n%s", okBody, r.body)
			}
			okBody = r.body
			oks++
		case r.status == 409 && errorCode(t, r) == "idempotency_key_in_progress":
		default:
			t.Fatalf("got %d %s, want 201 or 409 idempotency_key_in_progress", r.status, r.body)
		}
	}
	if oks == 0 {
		t.Fatal("no request succeeded")
	}
	if got := w.stock(t, p.ID()); got != 46 {
		t.Fatalf("got stock %d, want 46 (one decrement of 4)", got)
	}
	if ids := w.ordersOf(t, w.customerID); len(ids) != 1 {
		t.Fatalf("got orders %v, want one", ids)
	}
	// Whoever got 409 retries and gets the same answer.
	if r := w.invokeV1(t, req, w.auth()); r.status != 201 || r.body != okBody {
		t.Fatalf("retry after the race: got %d %s, want the same 201", r.status, r.body)
	}
}

// race sends n requests at once from n goroutines, request i with body(i), as v1 events
// through the Lambda runtime's handler wrapper, and returns their replies in that order.
func (w *world) race(n int, body func(i int) string) []reply {
	replies := make([]reply, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			out, err := awslambda.NewHandler(w.app.Handler.Handle).Invoke(context.Background(), mustV1(body(i), w.auth()))
			if err != nil {
				replies[i] = reply{status: -1, body: err.Error()}
				return
			}
			var r struct {
				StatusCode int    `json:"statusCode"`
				Body       string `json:"body"`
			}
			_ = json.Unmarshal(out, &r)
			replies[i] = reply{status: r.StatusCode, body: r.Body}
		})
	}
	close(start)
	wg.Wait()
	return replies
}

func mustV1(body string, headers map[string]string) []byte {
	e, _ := json.Marshal(map[string]any{"resource": route, "path": route, "httpMethod": "POST", "headers": headers, "body": body})
	return e
}

func TestEndToEndErrors(t *testing.T) {
	w := newWorld(t, nil, nil, nil)
	p := w.orders.SeedProduct(t, "MONITOR-1", "Monitor", 20000, 2)
	gone := w.customers.Seed(t, "Gone Ltd", "gone@example.com", "")
	if err := w.customers.Customers.DeleteCustomer(context.Background(), gone.ID()); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		body    string
		headers map[string]string
		status  int
		code    string
	}{
		{"unknown customer", body(999999, p.ID(), 1, "k-unknown-customer", ""), w.auth(), 404, "customer_not_found"},
		{"deleted customer", body(gone.ID(), p.ID(), 1, "k-deleted-customer", ""), w.auth(), 404, "customer_not_found"},
		{"insufficient stock", body(w.customerID, p.ID(), 3, "k-stock", ""), w.auth(), 409, "insufficient_stock"},
		{"unknown product", body(w.customerID, 999999, 1, "k-product", ""), w.auth(), 422, "product_not_found"},
		{"missing key", fmt.Sprintf(`{"customer_id":%d,"items":[{"product_id":%d,"qty":1}]}`, w.customerID, p.ID()), w.auth(), 400, "idempotency_key_required"},
		{"unknown field", fmt.Sprintf(`{"customer_id":%d,"items":[{"product_id":%d,"qty":1}],"idempotency_key":"k","total":1}`, w.customerID, p.ID()), w.auth(), 400, "invalid_request"},
		{"no JWT", body(w.customerID, p.ID(), 1, "k-no-jwt", ""), nil, 401, "unauthorized"},
		{"JWT of another secret", body(w.customerID, p.ID(), 1, "k-bad-jwt", ""), map[string]string{"Authorization": "Bearer " + foreignToken(t)}, 401, "unauthorized"},
	}
	for _, tc := range cases {
		for _, send := range []func(*testing.T, string, map[string]string) reply{w.invokeV1, w.invokeV2} {
			r := send(t, tc.body, tc.headers)
			if r.status != tc.status || errorCode(t, r) != tc.code {
				t.Errorf("%s: got %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
			}
		}
	}
	if got := w.stock(t, p.ID()); got != 2 {
		t.Fatalf("got stock %d, want 2: failed requests changed nothing", got)
	}
	if ids := w.ordersOf(t, w.customerID); len(ids) != 0 {
		t.Fatalf("got orders %v, want none", ids)
	}
	// A 409 insufficient_stock keeps orders-api's details.
	r := w.invokeV1(t, body(w.customerID, p.ID(), 3, "k-stock", ""), w.auth())
	if !strings.Contains(r.body, `"details":{"items":[{`) || !strings.Contains(r.body, `"available":2`) {
		t.Errorf("got %s, want details.items with available 2", r.body)
	}
}

func foreignToken(t *testing.T) string {
	t.Helper()
	other := ordersapitest.New(t, ordersapitest.Options{JWTSecret: "another-secret-entirely"})
	return other.UserToken(t)
}

// hang answers nothing on the given method and path prefix until the caller gives up. The
// body is read first: only then does net/http notice a closed connection and cancel the
// request's context.
func hang(method, prefix string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == method && strings.HasPrefix(r.URL.Path, prefix) {
				_, _ = io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-time.After(30 * time.Second): // never hold the test's server open for good
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestEndToEndUpstreamTimeouts(t *testing.T) {
	env := map[string]string{"UPSTREAM_TIMEOUT": "200ms"}
	t.Run("orders-api", func(t *testing.T) {
		w := newWorld(t, env, nil, hang(http.MethodPost, "/orders"))
		p := w.orders.SeedProduct(t, "SLOW-1", "Slow", 100, 5)
		r := w.invokeV1(t, body(w.customerID, p.ID(), 1, "k-slow-orders", ""), w.auth())
		if r.status != 504 || errorCode(t, r) != "upstream_timeout" {
			t.Fatalf("got %d %s, want 504 upstream_timeout", r.status, r.body)
		}
	})
	t.Run("customers-api", func(t *testing.T) {
		w := newWorld(t, env, hang(http.MethodGet, "/internal/customers/"), nil)
		p := w.orders.SeedProduct(t, "SLOW-2", "Slow", 100, 5)
		r := w.invokeV1(t, body(w.customerID, p.ID(), 1, "k-slow-customers", ""), w.auth())
		if r.status != 504 || errorCode(t, r) != "upstream_timeout" {
			t.Fatalf("got %d %s, want 504 upstream_timeout", r.status, r.body)
		}
		if ids := w.ordersOf(t, w.customerID); len(ids) != 0 {
			t.Fatalf("got orders %v, want none", ids)
		}
	})
}

func TestEndToEndUpstreamDownAndBadAnswers(t *testing.T) {
	t.Run("orders-api unreachable", func(t *testing.T) {
		w := newWorld(t, map[string]string{"ORDERS_API_BASE": closedURL(t)}, nil, nil)
		r := w.invokeV1(t, body(w.customerID, 1, 1, "k-down", ""), w.auth())
		if r.status != 502 || errorCode(t, r) != "bad_gateway" {
			t.Fatalf("got %d %s, want 502 bad_gateway", r.status, r.body)
		}
	})
	t.Run("orders-api answers garbage", func(t *testing.T) {
		garbage := func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(201)
				_, _ = io.Copy(w, bytes.NewBufferString("<html>oops</html>"))
			})
		}
		w := newWorld(t, nil, nil, garbage)
		r := w.invokeV1(t, body(w.customerID, 1, 1, "k-garbage", ""), w.auth())
		if r.status != 502 || errorCode(t, r) != "bad_gateway" {
			t.Fatalf("got %d %s, want 502 bad_gateway", r.status, r.body)
		}
	})
	t.Run("ready?verbose reports a service down, ready stays 200", func(t *testing.T) {
		w := newWorld(t, map[string]string{"CUSTOMERS_API_BASE": closedURL(t)}, nil, nil)
		local := httptest.NewServer(w.app.HTTP)
		defer local.Close()
		for path, want := range map[string]string{
			"/ready":         `{"status":"ready","service":"orchestrator"}`,
			"/ready?verbose": `"checks":[{"name":"customers-api","kind":"dependency","ok":false,"error":`,
		} {
			res, err := http.Get(local.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(b), want) {
				t.Errorf("%s: got %d %s, want 200 with %s", path, res.StatusCode, b, want)
			}
		}
		if text := apitest.MetricsText(t, w.app.HTTP); !strings.Contains(text,
			`backoffice_dependency_up{dependency="customers-api",service="orchestrator"} 0`) {
			t.Errorf("metrics lack backoffice_dependency_up 0 for customers-api")
		}
	})
	t.Run("ready when both answer", func(t *testing.T) {
		w := newWorld(t, nil, nil, nil)
		local := httptest.NewServer(w.app.HTTP)
		defer local.Close()
		res, err := http.Get(local.URL + "/ready")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("got %d, want 200", res.StatusCode)
		}
	})
}

// closedURL is the address of a server that has been shut down: connections are refused.
func closedURL(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL
	s.Close()
	return u
}

// deleteCustomer deletes the customer through customers-api's DELETE /customers/{id}, as a
// user would.
func (w *world) deleteCustomer(t *testing.T, id int64) {
	t.Helper()
	w.userCall(t, http.MethodDelete, fmt.Sprintf("%s/customers/%d", w.customersURL, id), http.StatusNoContent, nil)
}

// orderStatus reads an order's status through orders-api's GET /orders/{id}.
func (w *world) orderStatus(t *testing.T, id int64) string {
	t.Helper()
	var body struct {
		Data struct {
			Status string `json:"status"`
		} `json:"data"`
	}
	w.userCall(t, http.MethodGet, fmt.Sprintf("%s/orders/%d", w.ordersURL, id), http.StatusOK, &body)
	return body.Data.Status
}

// A key that completed answers its stored 201, byte for byte, whatever happened to the
// customer since: deleted, or customers-api down. Another body with the key is still 422.
func TestEndToEndRetryAfterTheCustomerIsGone(t *testing.T) {
	for _, gone := range []string{"deleted", "customers-api down"} {
		t.Run(gone, func(t *testing.T) {
			w := newWorld(t, nil, nil, nil)
			p := w.orders.SeedProduct(t, "KEEP-1", "Keeper", 1000, 10)
			req := body(w.customerID, p.ID(), 2, "keep-key-1", "corr-first")
			first := w.invokeV1(t, req, w.auth())
			if first.status != 201 {
				t.Fatalf("got %d %s, want 201", first.status, first.body)
			}
			ids := w.ordersOf(t, w.customerID)
			if gone == "deleted" {
				w.deleteCustomer(t, w.customerID)
			} else {
				w.customersDown.Store(true)
			}
			local := httptest.NewServer(w.app.HTTP)
			defer local.Close()
			retries := map[string]reply{
				"v1":             w.invokeV1(t, req, w.auth()),
				"v2":             w.invokeV2(t, req, w.auth()),
				"local HTTP":     w.post(t, local, req, w.auth()),
				"another corr":   w.invokeV1(t, body(w.customerID, p.ID(), 2, "keep-key-1", "corr-retry"), w.auth()),
				"no corr at all": w.invokeV1(t, body(w.customerID, p.ID(), 2, "keep-key-1", ""), w.auth()),
			}
			for name, r := range retries {
				if r.status != 201 || r.body != first.body {
					t.Errorf("%s retry: got %d %s, want 201 and the first body %s", name, r.status, r.body, first.body)
				}
				if r.header.Get("Idempotent-Replayed") != "true" {
					t.Errorf("%s retry: got headers %v, want Idempotent-Replayed: true", name, r.header)
				}
			}
			if got := retries["another corr"].header.Get("X-Correlation-ID"); got != "corr-retry" {
				t.Errorf("got X-Correlation-ID %q, want the retry's own corr-retry", got)
			}
			other := w.invokeV1(t, body(w.customerID, p.ID(), 3, "keep-key-1", ""), w.auth())
			if other.status != 422 || errorCode(t, other) != "idempotency_key_reused" {
				t.Fatalf("another body: got %d %s, want 422 idempotency_key_reused", other.status, other.body)
			}
			if got := w.stock(t, p.ID()); got != 8 {
				t.Fatalf("got stock %d, want 8 (one decrement)", got)
			}
			if now := w.ordersOf(t, w.customerID); len(now) != 1 || now[0] != ids[0] || w.orderStatus(t, ids[0]) != "CONFIRMED" {
				t.Fatalf("got orders %v, want only %v, CONFIRMED", now, ids)
			}
			// A new key is a new request: the customer is checked, as before.
			fresh := w.invokeV1(t, body(w.customerID, p.ID(), 1, "keep-key-2", ""), w.auth())
			want := map[string]int{"deleted": 404, "customers-api down": 502}[gone]
			if fresh.status != want {
				t.Fatalf("new key: got %d %s, want %d", fresh.status, fresh.body, want)
			}
		})
	}
}

// Concurrent first attempts of one key, each with its own correlation id: one order, one
// stock decrement, and every 201 is the same bytes (the answer stored first); the others are
// 409 in progress. Then, with the customer deleted, concurrent retries all answer those bytes.
func TestEndToEndConcurrentSameKeyOneAnswer(t *testing.T) {
	w := newWorld(t, nil, nil, nil)
	p := w.orders.SeedProduct(t, "RACE-1", "Racer", 500, 100)
	const n = 16
	race := func(corr func(i int) string) []reply {
		return w.race(n, func(i int) string { return body(w.customerID, p.ID(), 5, "race-key", corr(i)) })
	}
	oneBody := func(replies []reply, allowInProgress bool) string {
		t.Helper()
		var ok string
		for _, r := range replies {
			switch {
			case r.status == 201 && (ok == "" || r.body == ok):
				ok = r.body
			case r.status == 201:
				t.Fatalf("two different 201 bodies:\n%s\n%s", ok, r.body)
			case allowInProgress && r.status == 409 && errorCode(t, r) == "idempotency_key_in_progress":
			default:
				t.Fatalf("got %d %s, want 201 or 409 idempotency_key_in_progress", r.status, r.body)
			}
		}
		if ok == "" {
			t.Fatal("no request succeeded")
		}
		return ok
	}
	first := oneBody(race(func(i int) string { return fmt.Sprintf("corr-%d", i) }), true)
	if got := w.stock(t, p.ID()); got != 95 {
		t.Fatalf("got stock %d, want 95 (one decrement of 5)", got)
	}
	if ids := w.ordersOf(t, w.customerID); len(ids) != 1 {
		t.Fatalf("got orders %v, want one", ids)
	}
	w.deleteCustomer(t, w.customerID)
	if again := oneBody(race(func(i int) string { return fmt.Sprintf("corr-retry-%d", i) }), false); again != first {
		t.Fatalf("retries after the delete: got %s, want %s", again, first)
	}
	if ids := w.ordersOf(t, w.customerID); len(ids) != 1 || w.stock(t, p.ID()) != 95 {
		t.Fatalf("after the retries: got orders %v, stock %d, want one order and 95", ids, w.stock(t, p.ID()))
	}
}
