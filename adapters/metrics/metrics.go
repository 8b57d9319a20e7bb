// Package metrics exposes the services' Prometheus metrics: request counts and latency
// histograms by route and status, database pool gauges, and counters for the events that
// matter for money and stock (idempotent replays, idempotency conflicts, transaction
// retries). Each service owns one Registry; nothing is registered globally.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one service's registry and its collectors.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	events   *prometheus.CounterVec
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

// Count adds one to an event counter.
func (m *Metrics) Count(event string) { m.events.WithLabelValues(event).Inc() }

// Handler serves /metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Observer returns the function httpkit.Middleware calls once per request. The route label
// is the matched mux template ("/orders/{id}"), never the raw path, so ids do not explode
// the number of series; unmatched paths count as "unmatched".
func (m *Metrics) Observer(router *mux.Router) func(r *http.Request, status int, elapsed time.Duration) {
	return func(r *http.Request, status int, elapsed time.Duration) {
		route := "unmatched"
		var match mux.RouteMatch
		if router != nil && router.Match(r, &match) && match.Route != nil {
			if tpl, err := match.Route.GetPathTemplate(); err == nil {
				route = tpl
			}
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
		m.latency.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
	}
}

// PatternObserver is Observer for a net/http ServeMux: the route label is the pattern the
// mux matched (r.Pattern, without its method), "unmatched" when none did.
func (m *Metrics) PatternObserver() func(r *http.Request, status int, elapsed time.Duration) {
	return func(r *http.Request, status int, elapsed time.Duration) {
		route := r.Pattern
		if i := strings.IndexByte(route, ' '); i >= 0 {
			route = strings.TrimSpace(route[i+1:])
		}
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
		m.latency.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
	}
}
