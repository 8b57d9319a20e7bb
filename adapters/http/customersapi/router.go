// Package customersapi is the HTTP adapter of customers-api: a gorilla/mux router over the
// customer and login use cases, with the contract's envelopes, errors and guards.
package customersapi

import (
	_ "embed"
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/b2b-backoffice/backoffice/adapters/http/docs"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/application/auth"
	"github.com/b2b-backoffice/backoffice/application/customers"
)

// ServiceName is the name /health reports.
const ServiceName = "customers-api"

// spec is the service's OpenAPI 3 description, served at GET /openapi.yaml. It must say what
// the contract says; the tests validate every recorded answer against it.
//
//go:embed openapi.yaml
var spec []byte

// Spec returns a copy of the OpenAPI document, for tests elsewhere that validate answers.
func Spec() []byte { return append([]byte(nil), spec...) }

// ReadyChecks are the readiness checks of GET /ready: the database on MySQL (Own), none on
// memory adapters.
type ReadyChecks httpkit.ReadyChecks

// Deps is everything the router needs. Bootstrap fills it with Wire; tests build it by
// hand (see the customersapitest package for a ready-made one over memory adapters).
type Deps struct {
	Customers    *customers.Service
	Login        *auth.Service
	Verifier     auth.TokenVerifier
	ServiceToken httpkit.ServiceToken
	Logger       *slog.Logger
	Ready        ReadyChecks
	Metrics      httpkit.Metrics // nil: no /metrics
}

// NewRouter returns the whole customers-api handler: the routes of the contract wrapped in
// httpkit.Middleware (request ids, access log, panic recovery, 1 MiB body limit). Business
// routes need a user JWT; /internal routes need the service token.
func NewRouter(d Deps) http.Handler {
	h := &handlers{customers: d.Customers, login: d.Login}
	r := mux.NewRouter()
	user := httpkit.RequireJWT(d.Verifier)
	service := httpkit.RequireServiceToken(d.ServiceToken)

	read := []string{http.MethodGet, http.MethodHead} // HEAD is answered wherever GET is
	r.Handle("/health", httpkit.Health(ServiceName)).Methods(read...)
	r.Handle("/ready", httpkit.Ready(ServiceName, httpkit.ReadyChecks(d.Ready))).Methods(read...)
	r.HandleFunc("/openapi.yaml", serveSpec).Methods(read...)
	docs.Register(r, ServiceName)
	if d.Metrics != nil {
		r.Handle("/metrics", d.Metrics.Handler()).Methods(read...)
	}

	// The login answers a token (RFC 6749 §5.1: no-store), its failures the same way.
	r.Handle("/auth/login", httpkit.NoStore(http.HandlerFunc(h.loginHandler))).Methods(http.MethodPost)

	// Every customer route answers with customer data: no cache may keep it.
	customer := func(guard func(http.Handler) http.Handler, fn http.HandlerFunc) http.Handler {
		return httpkit.NoStore(guard(fn))
	}
	r.Handle("/customers", customer(user, h.create)).Methods(http.MethodPost)
	r.Handle("/customers", customer(user, h.list)).Methods(read...)
	r.Handle("/customers/{id}", customer(user, h.get)).Methods(read...)
	r.Handle("/customers/{id}", customer(user, h.update)).Methods(http.MethodPut)
	r.Handle("/customers/{id}", customer(user, h.delete)).Methods(http.MethodDelete)

	r.Handle("/internal/customers/{id}", customer(service, h.get)).Methods(read...)

	return httpkit.WrapRouter(r, d.Logger, d.Metrics)
}

func serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(spec)
}
