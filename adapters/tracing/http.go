package tracing

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
)

// Handler wraps a service's handler (httpkit's stack) with a server span per request,
// continuing the caller's trace when the request carries a W3C traceparent. The span is
// named after the method and the route template the router matched ("POST
// /orders/{id}/confirm"), never the raw path, so the names stay few; a request no route
// matched keeps the method alone. Probes (/health, /ready, /metrics) are not traced: a load
// balancer and a scraper would otherwise fill the traces with them.
func (t *Tracing) Handler(h http.Handler) http.Handler {
	if t == nil {
		return h
	}
	return otelhttp.NewHandler(nameAfterRoute(h), "",
		otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(t.propagator),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()), // the services' metrics are Prometheus'
		otelhttp.WithFilter(notProbe),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return spanMethod(r.Method) }),
	)
}

// nameAfterRoute renames the request's server span once httpkit knows the route template.
func nameAfterRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := trace.SpanFromContext(r.Context())
		method := spanMethod(r.Method)
		ctx := httpkit.WithRouteHook(r.Context(), func(route string) {
			if route == httpkit.RouteUnmatched {
				return
			}
			span.SetName(method + " " + route)
			span.SetAttributes(semconv.HTTPRoute(route))
		})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Transport wraps a service client's round tripper with a client span per attempt and puts
// the span's traceparent on the request, so that the service called continues the trace.
// The span is named after the method; the URL is an attribute (without user info). Calls
// to probes (a dependency check of /health) are not traced.
func (t *Tracing) Transport(rt http.RoundTripper) http.RoundTripper {
	if t == nil {
		return rt
	}
	return otelhttp.NewTransport(rt,
		otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(t.propagator),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithFilter(notProbe),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return spanMethod(r.Method) }),
	)
}

// notProbe reports whether r is anything but a health, readiness or metrics probe.
func notProbe(r *http.Request) bool {
	p := r.URL.Path
	return !strings.HasSuffix(p, "/health") && !strings.HasSuffix(p, "/ready") && !strings.HasSuffix(p, "/metrics")
}

// spanMethod is the method in a span name: one of the known methods, else "HTTP" (any other
// is the caller's text, of any length).
func spanMethod(m string) string {
	if httpkit.KnownMethod(m) {
		return m
	}
	return "HTTP"
}
