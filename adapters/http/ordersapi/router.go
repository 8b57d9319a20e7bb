// Package ordersapi is the HTTP adapter of orders-api: a gorilla/mux router over the
// orders use cases (catalogue, order creation, idempotent confirmation, cancellation), with
// the contract's envelopes, errors and JWT guard.
package ordersapi

import (
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/b2b-backoffice/backoffice/adapters/http/docs"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/application/auth"
	"github.com/b2b-backoffice/backoffice/application/orders"
)

// ServiceName is the name /health reports.
const ServiceName = "orders-api"

// ReadyChecks are the checks of GET /ready: the database on MySQL (Own; none means always
// ready) and customers-api's /health (a Dependency, only reported).
type ReadyChecks httpkit.ReadyChecks

// Event names passed to Metrics.Count (the same as adapters/metrics'), so that the
// dashboards see replays and idempotency conflicts.
const (
	eventReplay   = "idempotent_replay"
	eventConflict = "idempotency_conflict"
)

// Deps is everything the router needs. Bootstrap fills it with Wire; tests build it by hand
// (see the ordersapitest package for one over memory adapters).
type Deps struct {
	Orders   *orders.Service
	Verifier auth.TokenVerifier
	// ServiceToken guards the /internal routes (the orchestrator's stored answers).
	ServiceToken httpkit.ServiceToken
	Logger       *slog.Logger // nil: discard the access log
	Ready        ReadyChecks
	Metrics      httpkit.Metrics // nil: no /metrics, no counters
}

// NewRouter returns the whole orders-api handler: the routes of the contract wrapped in
// httpkit.Middleware (request ids, access log, panic recovery, 1 MiB body limit). Business
// routes need a user JWT (Authorization: Bearer, verified by d.Verifier); /internal routes
// need the service token.
func NewRouter(d Deps) http.Handler {
	h := newHandlers(d.Orders, d.Metrics)
	r := mux.NewRouter()
	user := httpkit.RequireJWT(d.Verifier)
	read := []string{http.MethodGet, http.MethodHead} // HEAD is answered wherever GET is
	route := func(path string, fn http.HandlerFunc, methods ...string) {
		r.Handle(path, user(fn)).Methods(methods...)
	}

	r.Handle("/health", httpkit.Health(ServiceName)).Methods(read...)
	r.Handle("/ready", httpkit.Ready(ServiceName, httpkit.ReadyChecks(d.Ready))).Methods(read...)
	r.HandleFunc("/openapi.yaml", serveSpec).Methods(read...)
	docs.Register(r, ServiceName)
	if d.Metrics != nil {
		r.Handle("/metrics", d.Metrics.Handler()).Methods(read...)
	}

	route("/products", h.createProduct, http.MethodPost)
	route("/products", h.listProducts, read...)
	route("/products/{id}", h.getProduct, read...)
	route("/products/{id}", h.patchProduct, http.MethodPatch)

	route("/orders", h.createOrder, http.MethodPost)
	route("/orders", h.listOrders, read...)
	route("/orders/{id}", h.getOrder, read...)
	route("/orders/{id}/confirm", h.confirmOrder, http.MethodPost)
	route("/orders/{id}/cancel", h.cancelOrder, http.MethodPost)

	service := httpkit.RequireServiceToken(d.ServiceToken)
	r.Handle("/internal/orchestrations/{key}", service(http.HandlerFunc(h.getAnswer))).Methods(http.MethodGet)
	r.Handle("/internal/orchestrations/{key}", service(http.HandlerFunc(h.putAnswer))).Methods(http.MethodPut)

	return httpkit.WrapRouter(r, d.Logger, d.Metrics)
}
