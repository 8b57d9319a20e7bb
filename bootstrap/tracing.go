package bootstrap

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/google/wire"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/b2b-backoffice/backoffice/adapters/tracing"
)

// TracingSet provides the service's tracing: nil (off) unless an OTLP endpoint is configured.
var TracingSet = wire.NewSet(ProvideTracing)

// TracingConfig is what the services read of OpenTelemetry's standard variables: whether to
// trace at all. The exporter and the SDK read the rest themselves (endpoint, headers,
// timeout, compression, sampler, resource attributes), as every OpenTelemetry SDK does.
type TracingConfig struct {
	// Enabled is true when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
	// is set, unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
	Enabled bool
	Service Service // the service.name of the spans
	// Exporter receives the spans when Enabled; nil means OTLP/HTTP as the OTEL_* variables
	// configure it. Tests put an in-memory exporter here.
	Exporter sdktrace.SpanExporter
}

// tracing reads TracingConfig. Only OTLP over HTTP (protobuf) is built in: a protocol set to
// anything else is an error rather than spans sent nowhere.
func (r *reader) tracing(service Service) TracingConfig {
	endpoint := r.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") + r.getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	off := strings.EqualFold(r.getenv("OTEL_SDK_DISABLED"), "true") ||
		strings.EqualFold(r.getenv("OTEL_TRACES_EXPORTER"), "none")
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := r.getenv(name); p != "" && p != "http/protobuf" {
			r.fail(name + " must be http/protobuf (the only OTLP protocol built in), or unset")
		}
	}
	if e := r.getenv("OTEL_TRACES_EXPORTER"); e != "" && !strings.EqualFold(e, "otlp") && !strings.EqualFold(e, "none") {
		r.fail("OTEL_TRACES_EXPORTER must be otlp or none, or unset")
	}
	return TracingConfig{Enabled: endpoint != "" && !off, Service: service}
}

// ProvideTracing returns the service's tracing: nil, which installs no instrumentation at
// all, unless cfg enables it; then spans go to the OTLP endpoint in batches. The service
// calls Close on it when it stops (and Flush after each Lambda invocation).
func ProvideTracing(cfg Config, logger *slog.Logger) (*tracing.Tracing, error) {
	if !cfg.Tracing.Enabled {
		return nil, nil
	}
	if cfg.Tracing.Exporter != nil {
		return tracing.New(string(cfg.Tracing.Service), cfg.Tracing.Exporter, logger), nil
	}
	tr, err := tracing.NewOTLP(context.Background(), string(cfg.Tracing.Service), logger)
	if err != nil {
		return nil, err
	}
	logger.Info("tracing: exporting spans over OTLP/HTTP")
	return tr, nil
}

// lambdaFlushTimeout bounds the export that ends a Lambda invocation: a collector that does
// not answer costs each invocation at most this.
const lambdaFlushTimeout = 2 * time.Second

// FlushAfter returns fn exporting tr's spans after every invocation, before the Lambda
// environment is frozen (spans left in the batch would wait for the next invocation, or be
// lost with the environment). With tracing off it returns fn itself.
func FlushAfter[E, R any](fn func(context.Context, E) (R, error), tr *tracing.Tracing, logger *slog.Logger) func(context.Context, E) (R, error) {
	if tr == nil {
		return fn
	}
	return func(ctx context.Context, event E) (R, error) {
		out, err := fn(ctx, event)
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lambdaFlushTimeout)
		defer cancel()
		if ferr := tr.Flush(fctx); ferr != nil {
			logger.Warn("tracing: flush after the invocation", slog.String("error", ferr.Error()))
		}
		return out, err
	}
}
