package telemetry_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/tracing/tracingtest"
	"github.com/b2b-backoffice/backoffice/bootstrap"
	"github.com/b2b-backoffice/backoffice/bootstrap/telemetry"
)

func config(t *testing.T, env map[string]string) bootstrap.Config {
	t.Helper()
	cfg, err := bootstrap.LoadConfig(bootstrap.Orchestrator, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Off, nothing is built: no provider, and the service clients get the plain transport.
func TestOffBuildsNothing(t *testing.T) {
	tr, err := telemetry.ProvideTracing(config(t, nil), slog.New(slog.DiscardHandler))
	if err != nil || tr != nil {
		t.Fatalf("got %v, %v; want no tracing", tr, err)
	}
	if rt := telemetry.ProvideUpstreamTransport(tr); rt == nil {
		t.Fatal("no transport")
	} else if _, plain := rt.(*http.Transport); !plain {
		t.Fatalf("got a %T, want the plain *http.Transport", rt)
	}
	fn := func(context.Context, string) (string, error) { return "out", nil }
	if got, _ := telemetry.FlushAfter(fn, tr, nil)(context.Background(), "in"); got != "out" {
		t.Fatalf("got %q, want the function's answer", got)
	}
}

// On, the spans reach the configured OTLP/HTTP endpoint; under Lambda each invocation ends
// with them exported, without waiting for the batch.
func TestOnExportsOverOTLPAfterEachInvocation(t *testing.T) {
	collector := tracingtest.NewCollector(t)
	cfg := config(t, map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": collector.URL})
	tr, err := telemetry.ProvideTracing(cfg, slog.New(slog.DiscardHandler))
	if err != nil || tr == nil {
		t.Fatalf("got %v, %v; want tracing", tr, err)
	}
	defer tr.Close(nil)
	h := tr.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	invoke := telemetry.FlushAfter(func(_ context.Context, path string) (int, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
		return rec.Code, nil
	}, tr, slog.New(slog.DiscardHandler))
	if code, err := invoke(context.Background(), "/orchestrator/create-and-confirm-order"); err != nil || code != 200 {
		t.Fatalf("got %d, %v", code, err)
	}
	spans := collector.Spans()
	if len(spans) != 1 || spans[0].Name != "POST" || tracingtest.Service(spans[0]) != "orchestrator" {
		t.Fatalf("the collector got %v, want the invocation's server span of orchestrator", spans)
	}
}
