// Package customersapitest runs the real customers-api handler over memory adapters (or the
// stores the caller gives), for
// tests of this service and of the services that call it (the orchestrator's end-to-end
// tests, orders-api's customer checks):
//
//	api := customersapitest.New(t, customersapitest.Options{})
//	srv := httptest.NewServer(api.Handler)         // or customersapitest.Start(t, opts)
//	c := api.Seed(t, "ACME", "ops@acme.com", "")   // a customer, without going through HTTP
//	req.Header.Set("Authorization", "Bearer "+api.UserToken(t))
//
// The defaults are the seed's demo values: admin/admin123, JWT secret "super-secret-key",
// service token "internal-service-token", issuer "customers-api". Login uses bcrypt's
// minimum cost so that tests stay fast.
package customersapitest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/bcrypt"
	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/jwt"
	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/adapters/tracing"
	"github.com/b2b-backoffice/backoffice/application/auth"
	"github.com/b2b-backoffice/backoffice/application/customers"
	"github.com/b2b-backoffice/backoffice/domain/customer"
)

// The demo values used when Options leave them empty.
const (
	DefaultJWTSecret     = apitest.DefaultJWTSecret
	DefaultJWTIssuer     = apitest.DefaultJWTIssuer
	DefaultServiceToken  = apitest.DefaultServiceToken
	DefaultAdminUser     = "admin"
	DefaultAdminPassword = "admin123"
)

// Options configure the handler; zero fields take the defaults above.
type Options struct {
	JWTSecret     string
	JWTIssuer     string
	ServiceToken  string
	AdminUser     string
	AdminPassword string
	// Now is the clock of the use cases; default time.Now in UTC.
	Now func() time.Time
	// Logger receives the access log; default discards it.
	Logger *slog.Logger
	// Ready are readiness checks for GET /ready; default none (always ready).
	Ready customersapi.ReadyChecks
	// Metrics, when set, receives the request metrics and is served at GET /metrics.
	Metrics httpkit.Metrics
	// LoginChecks bounds the password checks; default 4 at once, waiting up to a second.
	LoginChecks auth.CheckLimit
	// Passwords, when set, wraps the bcrypt checker (to count or hold its checks).
	Passwords func(auth.PasswordChecker) auth.PasswordChecker
	// Tracing, when set, traces the handler as the binary does; nil: off.
	Tracing *tracing.Tracing
	// Customers is the customer store; nil: a new memory.CustomerRepository.
	Customers customers.CustomerRepository
	// Limiter counts failed logins; nil: a new memory.AttemptLimiter with the contract's
	// policy. Replicas of one service share theirs (a MySQL limiter on one database).
	Limiter auth.AttemptLimiter
}

// API is customers-api over memory adapters.
type API struct {
	Handler   http.Handler
	Customers *customers.Service
	Repo      customers.CustomerRepository
	Limiter   auth.AttemptLimiter
	Tokens    *jwt.Tokens
	Options   Options // with defaults filled in
}

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
	if opts.AdminUser == "" {
		opts.AdminUser = DefaultAdminUser
	}
	if opts.AdminPassword == "" {
		opts.AdminPassword = DefaultAdminPassword
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Now().UTC() }
	}
	if opts.LoginChecks == (auth.CheckLimit{}) {
		opts.LoginChecks = auth.CheckLimit{Concurrent: 4, Wait: time.Second}
	}
	tokens := apitest.Tokens(tb, opts.JWTSecret, opts.JWTIssuer)
	bcryptChecker, err := bcrypt.NewPasswordChecker(opts.AdminUser, opts.AdminPassword, bcrypt.MinCost)
	if err != nil {
		tb.Fatalf("customersapitest: %v", err)
	}
	var checker auth.PasswordChecker = bcryptChecker
	if opts.Passwords != nil {
		checker = opts.Passwords(checker)
	}
	var repo customers.CustomerRepository = memory.NewCustomerRepository()
	if opts.Customers != nil {
		repo = opts.Customers
	}
	var limiter auth.AttemptLimiter = memory.NewAttemptLimiter(auth.DefaultAttemptPolicy(), 0)
	if opts.Limiter != nil {
		limiter = opts.Limiter
	}
	svc := customers.NewService(repo, opts.Now)
	h := customersapi.NewRouter(customersapi.Deps{
		Customers:    svc,
		Login:        auth.NewService(limiter, checker, tokens, opts.Now, opts.LoginChecks),
		Verifier:     tokens,
		ServiceToken: httpkit.ServiceToken(opts.ServiceToken),
		Logger:       opts.Logger,
		Ready:        opts.Ready,
		Metrics:      opts.Metrics,
	})
	return &API{Handler: opts.Tracing.Handler(h), Customers: svc, Repo: repo, Limiter: limiter, Tokens: tokens, Options: opts}
}

// Start serves a new API on an httptest server closed when the test ends.
func Start(tb testing.TB, opts Options) (*API, *httptest.Server) {
	tb.Helper()
	api := New(tb, opts)
	return api, apitest.Serve(tb, api.Handler)
}

// UserToken returns a valid user JWT for the admin.
func (a *API) UserToken(tb testing.TB) string {
	tb.Helper()
	tok, err := a.Tokens.Issue(a.Options.AdminUser, a.Options.Now())
	if err != nil {
		tb.Fatalf("customersapitest: %v", err)
	}
	return tok.Value
}

// Seed creates a customer through the use case and returns it.
func (a *API) Seed(tb testing.TB, name, email, phone string) *customer.Customer {
	tb.Helper()
	c, err := a.Customers.CreateCustomer(context.Background(), customers.CreateCustomer{Name: name, Email: email, Phone: phone})
	if err != nil {
		tb.Fatalf("customersapitest: seed %s: %v", email, err)
	}
	return c
}
