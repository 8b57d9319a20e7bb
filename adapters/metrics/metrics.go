// Package metrics exposes the services' Prometheus metrics: request counts and latency
// histograms by route and status, database pool gauges, and counters for the events that
// matter for money and stock (idempotent replays, idempotency conflicts, transaction
// retries). Each service owns one Registry; nothing is registered globally.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one service's registry and its collectors.
type Metrics struct {
	service  string
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	events   *prometheus.CounterVec
	// observers holds each (route, method label, status label)'s counter and histogram, so
	// that a request does not hash its labels twice. Its keys are bounded: routes are
	// templates, methods and statuses go through their label functions first.
	observers sync.Map
}

type observeKey struct {
	route, method string
	status        int // 0: out of range ("other")
}

type observers struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// Event names counted by Count.
const (
	EventIdempotentReplay    = "idempotent_replay"
	EventIdempotencyConflict = "idempotency_conflict"
	EventTransactionRetry    = "transaction_retry"
)

// New returns the metrics of service with Go runtime and process collectors registered.
func New(service string) *Metrics {
	reg := prometheus.NewRegistry()
	constLabels := prometheus.Labels{"service": service}
	m := &Metrics{
		service:  service,
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by route template, method and status.", ConstLabels: constLabels,
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request latency by route template and method.", ConstLabels: constLabels,
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backoffice_events_total", Help: "Idempotent replays, idempotency conflicts and transaction retries.", ConstLabels: constLabels,
		}, []string{"event"}),
	}
	reg.MustRegister(m.requests, m.latency, m.events,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, e := range []string{EventIdempotentReplay, EventIdempotencyConflict, EventTransactionRetry} {
		m.events.WithLabelValues(e) // export zeros so dashboards see the series from the start
	}
	return m
}

// WatchDB adds the pool gauges (open, in use, idle, waits) of db.
func (m *Metrics) WatchDB(db *sql.DB, name string) {
	m.registry.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// WatchDependency adds the gauge backoffice_dependency_up{dependency=name}: 1 when check
// passes, 0 when it fails, run at each scrape with at most dependencyCheckTimeout. Readiness
// no longer follows the other services (a service whose reads work stays in its load
// balancer), so this is where their health shows.
func (m *Metrics) WatchDependency(name string, check func(ctx context.Context) error) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "backoffice_dependency_up", Help: "1 when the dependency answers its health check, else 0.",
		ConstLabels: prometheus.Labels{"service": m.service, "dependency": name},
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), dependencyCheckTimeout)
		defer cancel()
		if check(ctx) != nil {
			return 0
		}
		return 1
	}))
}

// dependencyCheckTimeout bounds one dependency check during a scrape.
const dependencyCheckTimeout = 2 * time.Second

// Count adds one to an event counter.
func (m *Metrics) Count(event string) { m.events.WithLabelValues(event).Inc() }

// Handler serves /metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Observe counts one request. Every label comes from a closed set, so no request can
// grow the number of series: route is the router's template ("/orders/{id}", never the raw
// path) or "unmatched", as httpkit.Middleware reports it; method is one of the known
// methods or "OTHER"; status is the code when it is a real one (100..599), else "other".
// httpkit.Middleware calls it once per request.
func (m *Metrics) Observe(route, method string, status int, elapsed time.Duration) {
	if status < 100 || status > 599 {
		status = 0
	}
	k := observeKey{route, methodLabel(method), status}
	o, ok := m.observers.Load(k)
	if !ok {
		o, _ = m.observers.LoadOrStore(k, &observers{
			requests: m.requests.WithLabelValues(k.route, k.method, statusLabel(k.status)),
			latency:  m.latency.WithLabelValues(k.route, k.method),
		})
	}
	obs := o.(*observers)
	obs.requests.Inc()
	obs.latency.Observe(elapsed.Seconds())
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

func statusLabel(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}

// Expiries count what orders-api's reservation sweeps did, across its life:
// backoffice_orders_expired_total (orders whose hold ended and that were expired) and
// backoffice_order_units_released_total (the units of stock those orders gave back).
type Expiries struct {
	orders, units prometheus.Counter
}

// Expiries registers the sweep counters in m (at zero, so dashboards see them from the start)
// and returns them. Call it once per registry.
func (m *Metrics) Expiries() *Expiries {
	constLabels := prometheus.Labels{"service": m.service}
	e := &Expiries{
		orders: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backoffice_orders_expired_total", Help: "Orders expired by the reservation sweep (hold ended before confirmation).", ConstLabels: constLabels,
		}),
		units: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backoffice_order_units_released_total", Help: "Units of stock given back by the reservation sweep.", ConstLabels: constLabels,
		}),
	}
	m.registry.MustRegister(e.orders, e.units)
	return e
}

// Add counts one sweep: orders expired, units released.
func (e *Expiries) Add(orders, units int) {
	e.orders.Add(float64(orders))
	e.units.Add(float64(units))
}
