// Package tracing is the services' OpenTelemetry tracing: a tracer provider exporting over
// OTLP/HTTP, the HTTP server middleware, the HTTP client transport and the SQL pool opener
// that record spans into it, with W3C traceparent propagated between the services.
//
// Tracing is off unless the operator configures an exporter. Off is a nil *Tracing: every
// method then returns what it was given (or, for OpenDB, what sql.OpenDB returns), so no
// instrumentation sits in the request path at all. Nothing here touches OpenTelemetry's
// global state: the provider and the propagator are passed to each instrumentation.
//
// What a span never holds: request or response bodies and headers (so no Authorization
// header, JWT or service token), query strings of incoming requests, SQL argument values
// (statements are recorded with their placeholders) and the text of database errors (a
// MySQL message can quote a value: a duplicate key names it).
package tracing

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Tracing records a service's spans and sends them to an exporter in batches. A nil
// *Tracing is tracing turned off. It is safe for concurrent use.
type Tracing struct {
	provider   *sdktrace.TracerProvider
	propagator propagation.TextMapPropagator
}

// New returns tracing for service (its service.name, unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES say otherwise) that exports its spans to exp in batches. Export
// failures are logged on logger (nil: discarded) and otherwise ignored: a collector that is
// down never fails a request. The sampler is the SDK's, from OTEL_TRACES_SAMPLER (default:
// follow the caller's sampling decision, sample every new trace).
func New(service string, exp sdktrace.SpanExporter, logger *slog.Logger) *Tracing {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	res, err := resource.New(context.Background(), resource.WithAttributes(semconv.ServiceName(service)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		// A malformed OTEL_RESOURCE_ATTRIBUTES: what could be parsed is kept.
		logger.Warn("tracing: resource attributes", slog.String("error", err.Error()))
	}
	if res == nil {
		res = resource.NewSchemaless(semconv.ServiceName(service))
	}
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithBatcher(loggedExporter{scrubbedExporter{exp}, logger}),
	)
	return &Tracing{provider: provider, propagator: propagation.TraceContext{}}
}

// NewOTLP returns New with an OTLP/HTTP (protobuf) exporter posting to endpoint (the full
// URL, such as http://127.0.0.1:4318/v1/traces). The exporter reads the other standard
// variables itself: OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, _CERTIFICATE (and
// their _TRACES_ forms).
func NewOTLP(ctx context.Context, service, endpoint string, logger *slog.Logger) (*Tracing, error) {
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, err
	}
	return New(service, exp, logger), nil
}

// Flush exports the spans ended so far and waits for the export (or ctx). Under AWS Lambda
// it runs after every invocation: the environment is frozen between invocations, so spans
// left in the batch would wait for the next one, or be lost.
func (t *Tracing) Flush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.ForceFlush(ctx)
}

// Shutdown exports the spans left and stops the provider; spans ended afterwards are
// dropped. It waits for the export until ctx ends.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// ShutdownTimeout bounds the export of the last spans when a service stops.
const ShutdownTimeout = 5 * time.Second

// Close is Shutdown with ShutdownTimeout, logging a failure on logger: the cleanup of a
// service's provider.
func (t *Tracing) Close(logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil && logger != nil {
		logger.Warn("tracing: last export", slog.String("error", err.Error()))
	}
}

// loggedExporter logs a failed export instead of handing it to OpenTelemetry's global error
// handler, which prints plain text on stderr.
type loggedExporter struct {
	sdktrace.SpanExporter
	logger *slog.Logger
}

func (e loggedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := e.SpanExporter.ExportSpans(ctx, spans); err != nil && !errors.Is(err, context.Canceled) {
		e.logger.Warn("tracing: export failed, spans dropped", slog.Int("spans", len(spans)),
			slog.String("error", err.Error()))
	}
	return nil
}
