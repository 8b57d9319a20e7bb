// Package ordersapitest runs the real orders-api handler over memory adapters (or a store
// the caller gives), for tests of this service and of the services that call it (the
// orchestrator's end-to-end tests):
//
//	api, srv := ordersapitest.Start(t, ordersapitest.Options{CustomersBase: customersSrv.URL})
//	p := api.SeedProduct(t, "SKU-1", "Widget", 129900, 10)
//	req.Header.Set("Authorization", "Bearer "+api.UserToken(t))
//
// With CustomersBase set, customers are checked through the real customers client against
// that customers-api (with the service token); else Customers is used, and with neither
// every customer exists. The defaults are the seed's demo values: JWT secret
// "super-secret-key", issuer "customers-api", service token "internal-service-token".
package ordersapitest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/customersclient"
	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi"
	"github.com/b2b-backoffice/backoffice/adapters/jwt"
	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/adapters/tracing"
	"github.com/b2b-backoffice/backoffice/adapters/upstream"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// The demo values used when Options leave them empty.
const (
	DefaultJWTSecret    = apitest.DefaultJWTSecret
	DefaultJWTIssuer    = apitest.DefaultJWTIssuer
	DefaultServiceToken = apitest.DefaultServiceToken
)

// Options configure the handler; zero fields take the defaults.
type Options struct {
	JWTSecret string
	JWTIssuer string
	// CustomersBase is customers-api's base URL; when set, customers are checked with the
	// real customers client and ServiceToken.
	CustomersBase string
	// ServiceToken is sent to customers-api and required on orders-api's /internal routes.
	ServiceToken string
	// CustomersTimeout is the customers client's per-attempt timeout (default 2s).
	CustomersTimeout time.Duration
	// Customers checks customers when CustomersBase is empty; nil: every customer exists.
	Customers orders.CustomerChecker
	// Store is the persistence; nil: a new memory.OrdersStore.
	Store orders.Store
	// CancelWindow (default 10m) and IdempotencyTTL (default 24h) of the use cases.
	CancelWindow   time.Duration
	IdempotencyTTL time.Duration
	// HoldTTL is how long new orders hold their stock (ORDER_HOLD_TTL). Unlike the fields
	// above, zero keeps its meaning: orders never expire.
	HoldTTL time.Duration
	// Now is the clock of the use cases; default time.Now in UTC.
	Now func() time.Time
	// Logger receives the access log; default discards it.
	Logger *slog.Logger
	// Ready are readiness checks for GET /ready; default none (always ready).
	Ready ordersapi.ReadyChecks
	// Metrics, when set, receives the request metrics and idempotency counters and is
	// served at GET /metrics.
	Metrics httpkit.Metrics
	// Tracing, when set, traces the handler and the calls to customers-api as the binary
	// does (a MySQL Store traces its statements when its pool was opened with
	// Tracing.OpenDB); nil: off.
	Tracing *tracing.Tracing
}

// API is orders-api over the configured store.
type API struct {
	Handler http.Handler
	Orders  *orders.Service
	Store   orders.Store
	Tokens  *jwt.Tokens
	Options Options // with defaults filled in
}

// AnyCustomer is a CustomerChecker for which every customer exists.
type AnyCustomer struct{}

// CheckCustomer implements orders.CustomerChecker.
func (AnyCustomer) CheckCustomer(context.Context, int64) error { return nil }

// New builds the handler. It stops the test on a configuration error.
func New(tb testing.TB, opts Options) *API {
	tb.Helper()
	if opts.JWTSecret == "" {
		opts.JWTSecret = DefaultJWTSecret
	}
	if opts.JWTIssuer == "" {
		opts.JWTIssuer = DefaultJWTIssuer
	}
	if opts.ServiceToken == "" {
		opts.ServiceToken = DefaultServiceToken
	}
	if opts.CustomersTimeout == 0 {
		opts.CustomersTimeout = 2 * time.Second
	}
	if opts.CancelWindow == 0 {
		opts.CancelWindow = 10 * time.Minute
	}
	if opts.IdempotencyTTL == 0 {
		opts.IdempotencyTTL = 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Now().UTC() }
	}
	if opts.Store == nil {
		opts.Store = memory.NewOrdersStore()
	}
	checker := opts.Customers
	if opts.CustomersBase != "" {
		c, err := customersclient.New(customersclient.Config{BaseURL: opts.CustomersBase, ServiceToken: opts.ServiceToken,
			Timeout: opts.CustomersTimeout, Backoff: 10 * time.Millisecond, Transport: opts.Tracing.Transport(upstream.NewTransport())})
		if err != nil {
			tb.Fatalf("ordersapitest: %v", err)
		}
		checker = c
	}
	if checker == nil {
		checker = AnyCustomer{}
	}
	tokens := apitest.Tokens(tb, opts.JWTSecret, opts.JWTIssuer)
	svc := orders.NewService(opts.Store, checker, orders.Config{
		CancelWindow: opts.CancelWindow, IdempotencyTTL: opts.IdempotencyTTL, HoldTTL: opts.HoldTTL}, opts.Now)
	h := ordersapi.NewRouter(ordersapi.Deps{Orders: svc, Verifier: tokens, ServiceToken: httpkit.ServiceToken(opts.ServiceToken),
		Logger: opts.Logger, Ready: opts.Ready, Metrics: opts.Metrics})
	return &API{Handler: opts.Tracing.Handler(h), Orders: svc, Store: opts.Store, Tokens: tokens, Options: opts}
}

// Start serves a new API on an httptest server closed when the test ends.
func Start(tb testing.TB, opts Options) (*API, *httptest.Server) {
	tb.Helper()
	api := New(tb, opts)
	return api, apitest.Serve(tb, api.Handler)
}

// UserToken returns a valid user JWT, as customers-api's login would issue it.
func (a *API) UserToken(tb testing.TB) string {
	tb.Helper()
	tok, err := a.Tokens.Issue("admin", time.Now())
	if err != nil {
		tb.Fatalf("ordersapitest: %v", err)
	}
	return tok.Value
}

// SeedProduct creates a product through the use case and returns it.
func (a *API) SeedProduct(tb testing.TB, sku, name string, priceCents int64, stock int) *product.Product {
	tb.Helper()
	p, err := a.Orders.CreateProduct(context.Background(), orders.CreateProduct{SKU: sku, Name: name, PriceCents: priceCents, Stock: stock})
	if err != nil {
		tb.Fatalf("ordersapitest: seed product %s: %v", sku, err)
	}
	return p
}
