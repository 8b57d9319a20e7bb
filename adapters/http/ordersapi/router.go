// Package ordersapi is the HTTP adapter of orders-api: a gorilla/mux router over the
// orders use cases (catalogue, order creation, idempotent confirmation, cancellation), with
// the contract's envelopes, errors and JWT guard.
package ordersapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/application/auth"
	"github.com/b2b-backoffice/backoffice/application/orders"
)

// ServiceName is the name /health reports.
const ServiceName = "orders-api"

// ReadyChecks are the readiness checks of GET /ready, by name: the database on MySQL,
// customers-api's /health. Empty means always ready.
type ReadyChecks map[string]httpkit.Check

// Metrics is what the router reports to, when given: per-route request metrics, served at
// GET /metrics, and counters of idempotency events. adapters/metrics implements it.
type Metrics interface {
	Observer(router *mux.Router) func(r *http.Request, status int, elapsed time.Duration)
	Count(event string)
	Handler() http.Handler
}

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
	Metrics      Metrics // nil: no /metrics, no counters
}

// NewRouter returns the whole orders-api handler: the routes of the contract wrapped in
// httpkit.Middleware (request ids, access log, panic recovery, 1 MiB body limit). Business
// routes need a user JWT (Authorization: Bearer, verified by d.Verifier); /internal routes
// need the service token.
func NewRouter(d Deps) http.Handler {
	h := &handlers{orders: d.Orders, metrics: d.Metrics}
	r := mux.NewRouter()
	user := httpkit.RequireJWT(d.Verifier)
	route := func(path, method string, fn http.HandlerFunc) {
		r.Handle(path, user(fn)).Methods(method)
	}

	r.Handle("/health", httpkit.Health(ServiceName)).Methods(http.MethodGet)
	r.Handle("/ready", httpkit.Ready(ServiceName, d.Ready)).Methods(http.MethodGet)
	r.HandleFunc("/openapi.yaml", serveSpec).Methods(http.MethodGet)
	r.HandleFunc("/docs", serveDocs).Methods(http.MethodGet)
	if d.Metrics != nil {
		r.Handle("/metrics", d.Metrics.Handler()).Methods(http.MethodGet)
	}

	route("/products", http.MethodPost, h.createProduct)
	route("/products", http.MethodGet, h.listProducts)
	route("/products/{id}", http.MethodGet, h.getProduct)
	route("/products/{id}", http.MethodPatch, h.patchProduct)

	route("/orders", http.MethodPost, h.createOrder)
	route("/orders", http.MethodGet, h.listOrders)
	route("/orders/{id}", http.MethodGet, h.getOrder)
	route("/orders/{id}/confirm", http.MethodPost, h.confirmOrder)
	route("/orders/{id}/cancel", http.MethodPost, h.cancelOrder)

	service := httpkit.RequireServiceToken(d.ServiceToken)
	r.Handle("/internal/orchestrations/{key}", service(http.HandlerFunc(h.getAnswer))).Methods(http.MethodGet)
	r.Handle("/internal/orchestrations/{key}", service(http.HandlerFunc(h.putAnswer))).Methods(http.MethodPut)

	return httpkit.WrapRouter(r, d.Logger, d.Metrics)
}
