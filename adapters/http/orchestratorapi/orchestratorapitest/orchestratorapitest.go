// Package orchestratorapitest runs the real orchestrator handler over fake services, for the
// tests of the orchestrator's HTTP adapter and of the Lambda adapter that serves it:
//
//	api := orchestratorapitest.New(t, orchestratorapitest.Options{})
//	srv := httptest.NewServer(api.Handler)
//	req.Header.Set("Authorization", "Bearer "+api.Token)
//
// The fakes answer like the real services: customer 1 (ACME) exists, orders succeed
// (order 101, confirmed at 3 x 129900), the first answer stored under a key stays. Each
// records its calls, and its errors can be set.
package orchestratorapitest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/http/orchestratorapi"
	"github.com/b2b-backoffice/backoffice/adapters/jwt"
	"github.com/b2b-backoffice/backoffice/adapters/jwt/jwttest"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
	"github.com/b2b-backoffice/backoffice/domain/customer"
)

// JWTSecret is the key of the tokens the handler accepts.
const JWTSecret = "test-secret-0123456789"

// GoodBody is the contract's example request and WantSuccess its 201 body over the fakes.
const (
	GoodBody    = `{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"abc-123","correlation_id":"req-789"}`
	WantSuccess = `{"success":true,"correlationId":"req-789","data":{"customer":{"id":1,"name":"ACME","email":"ops@acme.com","phone":"+34 600"},"order":{"id":101,"status":"CONFIRMED","total_cents":389700,"items":[{"product_id":2,"qty":3,"unit_price_cents":129900,"subtotal_cents":389700}]}}}`
)

// Options configure the handler; zero fields take the defaults.
type Options struct {
	Logger  *slog.Logger // default: discard
	Ready   orchestratorapi.ReadyChecks
	Metrics httpkit.Metrics
}

// API is the orchestrator's handler over the fakes, with a valid user token.
type API struct {
	Handler   http.Handler
	Customers *Customers
	Orders    *Orders
	Answers   *Answers
	Token     string
}

// New builds the handler.
func New(tb testing.TB, opts Options) *API {
	tb.Helper()
	tokens, err := jwt.NewTokens(jwt.Secret(JWTSecret), jwt.Issuer("customers-api"), jwt.Lifetime(time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := tokens.Issue("admin", time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &API{Customers: &Customers{}, Orders: &Orders{}, Answers: &Answers{stored: map[string]orchestration.StoredAnswer{}}, Token: tok.Value}
	a.Handler = orchestratorapi.NewRouter(orchestratorapi.Deps{
		Orchestration: orchestration.NewService(a.Customers, a.Orders, a.Answers),
		Verifier:      tokens, Logger: opts.Logger, Ready: opts.Ready, Metrics: opts.Metrics,
	})
	return a
}

// Calls is how many times the fake services were called.
func (a *API) Calls() int {
	a.Customers.mu.Lock()
	defer a.Customers.mu.Unlock()
	a.Orders.mu.Lock()
	defer a.Orders.mu.Unlock()
	return a.Customers.calls + a.Orders.calls
}

// Customers stands in for customers-api: customer 1 exists.
type Customers struct {
	mu    sync.Mutex
	calls int
	err   error
}

// Fail makes every later call fail with err (nil: succeed again).
func (f *Customers) Fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// GetCustomer implements orchestration.CustomerDirectory.
func (f *Customers) GetCustomer(_ context.Context, id int64) (orchestration.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return orchestration.Customer{}, f.err
	}
	if id != 1 {
		return orchestration.Customer{}, fmt.Errorf("customer %d: %w", id, customer.ErrNotFound)
	}
	phone := "+34 600"
	return orchestration.Customer{ID: 1, Name: "ACME", Email: "ops@acme.com", Phone: &phone}, nil
}

// Orders stands in for orders-api: every order is created and confirmed.
type Orders struct {
	mu        sync.Mutex
	calls     int
	tokens    []string
	createErr error
}

// FailCreate makes every later creation fail with err.
func (f *Orders) FailCreate(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.createErr = err
}

// Tokens returns the user tokens orders-api was called with, in order.
func (f *Orders) Tokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.tokens)
}

// CreateOrder implements orchestration.OrderService.
func (f *Orders) CreateOrder(_ context.Context, token string, req orchestration.CreateOrderRequest, _ string) (orchestration.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.tokens = append(f.tokens, token)
	if f.createErr != nil {
		return orchestration.Order{}, f.createErr
	}
	return orchestration.Order{ID: 101, CustomerID: req.CustomerID, Status: "CREATED"}, nil
}

// ConfirmOrder implements orchestration.OrderService.
func (f *Orders) ConfirmOrder(_ context.Context, token string, id int64, _ string) (orchestration.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.tokens = append(f.tokens, token)
	return orchestration.Order{ID: id, CustomerID: 1, Status: "CONFIRMED", TotalCents: 389700,
		Items: []orchestration.OrderItem{{ProductID: 2, Qty: 3, UnitPriceCents: 129900, SubtotalCents: 389700}}}, nil
}

// Answers stands in for orders-api's stored answers: the first answer of a key stays.
type Answers struct {
	mu      sync.Mutex
	stored  map[string]orchestration.StoredAnswer
	saveErr error
}

// FailSave makes every later save fail with err.
func (f *Answers) FailSave(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saveErr = err
}

// Answer implements orchestration.AnswerStore.
func (f *Answers) Answer(_ context.Context, key string) (orchestration.StoredAnswer, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.stored[key]
	return a, ok, nil
}

// SaveAnswer implements orchestration.AnswerStore.
func (f *Answers) SaveAnswer(_ context.Context, key string, a orchestration.StoredAnswer) (orchestration.StoredAnswer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.saveErr != nil {
		return orchestration.StoredAnswer{}, f.saveErr
	}
	if cur, ok := f.stored[key]; ok {
		return cur, nil
	}
	f.stored[key] = a
	return a, nil
}

var snakeCode = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Statuses are the statuses a request can get when both services answer well (422: inputs
// share keys, so a key may come again with another body).
var Statuses = []int{201, 400, 401, 404, 405, 413, 415, 422}

// CheckAnswer holds one answer to the contract's orchestrator shapes: a status of Statuses,
// JSON with both ids in the headers, and {success, correlationId, data|error} with the
// header's correlation id (a replay's body keeps its first run's).
func CheckAnswer(tb testing.TB, status int, header func(string) string, body []byte) {
	tb.Helper()
	if !slices.Contains(Statuses, status) {
		tb.Fatalf("got %d %s, want one of %v", status, body, Statuses)
	}
	if header("Content-Type") != "application/json" || header("X-Request-ID") == "" || header("X-Correlation-ID") == "" {
		tb.Fatalf("got Content-Type %q, X-Request-ID %q, X-Correlation-ID %q; want JSON and both ids",
			header("Content-Type"), header("X-Request-ID"), header("X-Correlation-ID"))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		tb.Fatalf("got a body that is not a JSON object: %q", body)
	}
	var b struct {
		Success       *bool  `json:"success"`
		CorrelationID string `json:"correlationId"`
		Data          *struct {
			Customer *struct {
				ID int64 `json:"id"`
			} `json:"customer"`
			Order *struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			} `json:"order"`
		} `json:"data"`
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Success == nil || b.CorrelationID == "" || len(top) != 3 {
		tb.Fatalf("got %s, want success, correlationId and data or error", body)
	}
	if b.CorrelationID != header("X-Correlation-ID") && header(orchestratorapi.HeaderReplayed) != "true" {
		tb.Fatalf("got correlationId %q and header %q, want the same", b.CorrelationID, header("X-Correlation-ID"))
	}
	if status == 201 {
		if !*b.Success || b.Data == nil || b.Data.Customer == nil || b.Data.Order == nil || b.Data.Order.Status != "CONFIRMED" {
			tb.Fatalf("got 201 %s, want success with the customer and the CONFIRMED order", body)
		}
		return
	}
	if *b.Success || b.Error == nil || !snakeCode.MatchString(b.Error.Code) || b.Error.Message == "" {
		tb.Fatalf("got %d %s, want success false and an error with code and message", status, body)
	}
}

// HostileTokens returns, by name, tokens the handler must refuse, and valid, the same claims
// signed right (see jwttest.Hostile).
func HostileTokens(tb testing.TB) (hostile map[string]string, valid string) {
	tb.Helper()
	return jwttest.Hostile(tb, []byte(JWTSecret), "customers-api")
}
