package tracing

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"slices"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// OpenDB opens a pool on c (sql.OpenDB) whose statements, transactions and new connections
// are spans of the request that runs them. A span holds the statement with its placeholders,
// never the values bound to them; a failed statement's span is marked as an error without
// the database's message. Work outside a traced request (the background jobs, the pool's
// own connections) makes no span, so it cannot start traces of its own.
func (t *Tracing) OpenDB(c driver.Connector) *sql.DB {
	if t == nil {
		return sql.OpenDB(c)
	}
	return otelsql.OpenDB(c,
		otelsql.WithTracerProvider(t.provider),
		otelsql.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelsql.WithAttributes(semconv.DBSystemNameMySQL),
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			DisableErrSkip:       true,
			OmitConnResetSession: true,
			OmitConnPrepare:      true,
			OmitRows:             true,
			SpanFilter: func(ctx context.Context, _ otelsql.Method, _ string, _ []driver.NamedValue) bool {
				return trace.SpanContextFromContext(ctx).IsValid()
			},
		}),
	)
}

// sqlScope is the instrumentation scope of otelsql's spans.
const sqlScope = "github.com/XSAM/otelsql"

// scrubbedExporter removes the message of the errors recorded on SQL spans before they
// leave the process: MySQL's messages quote values of the statement (a duplicate key names
// the duplicate). The error's type and the span's error status stay.
type scrubbedExporter struct{ sdktrace.SpanExporter }

func (e scrubbedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	out, copied := spans, false
	for i, s := range spans {
		if s.InstrumentationScope().Name != sqlScope || len(s.Events()) == 0 {
			continue
		}
		if !copied {
			out, copied = slices.Clone(spans), true // the batch is the SDK's: change a copy
		}
		out[i] = scrubbedSpan{s}
	}
	return e.SpanExporter.ExportSpans(ctx, out)
}

// scrubbedSpan is a span whose exception events lack exception.message.
type scrubbedSpan struct{ sdktrace.ReadOnlySpan }

func (s scrubbedSpan) Events() []sdktrace.Event {
	events := slices.Clone(s.ReadOnlySpan.Events())
	for i, ev := range events {
		if ev.Name != semconv.ExceptionEventName {
			continue
		}
		ev.Attributes = slices.DeleteFunc(slices.Clone(ev.Attributes), func(kv attribute.KeyValue) bool {
			return kv.Key == semconv.ExceptionMessageKey
		})
		events[i] = ev
	}
	return events
}
