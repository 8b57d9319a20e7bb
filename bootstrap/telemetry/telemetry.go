// Package telemetry builds a service's tracing from bootstrap.TracingConfig and hands it to
// the pieces it traces: the HTTP handler, the service clients' transport and the MySQL pool.
// It is apart from the shared bootstrap package so that a binary that does not trace (the
// migrate command) links none of OpenTelemetry.
package telemetry

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"log/slog"
	"time"

	"github.com/google/wire"

	"github.com/b2b-backoffice/backoffice/adapters/tracing"
	"github.com/b2b-backoffice/backoffice/adapters/upstream"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

// Set provides the tracing (nil when off) and the service clients' transport.
var Set = wire.NewSet(ProvideTracing, ProvideUpstreamTransport)

// ProvideTracing returns the service's tracing: nil, which installs no instrumentation at
// all, unless cfg enables it; then spans go to cfg's OTLP endpoint in batches. The service
// calls Close on it when it stops (and Flush after each Lambda invocation: FlushAfter).
func ProvideTracing(cfg bootstrap.Config, logger *slog.Logger) (*tracing.Tracing, error) {
	if !cfg.Tracing.Enabled {
		return nil, nil
	}
	tr, err := tracing.NewOTLP(context.Background(), string(cfg.Tracing.Service), cfg.Tracing.Endpoint, logger)
	if err != nil {
		return nil, err
	}
	logger.Info("tracing: exporting spans over OTLP/HTTP")
	return tr, nil
}

// ProvideUpstreamTransport is the service clients' keep-alive transport, traced by tr.
func ProvideUpstreamTransport(tr *tracing.Tracing) bootstrap.UpstreamTransport {
	return tr.Transport(upstream.NewTransport())
}

// ProvideOpenDB opens the MySQL pool with its statements traced by tr.
func ProvideOpenDB(tr *tracing.Tracing) func(driver.Connector) *sql.DB { return tr.OpenDB }

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
