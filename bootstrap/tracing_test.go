package bootstrap_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func TestTracingIsOffUnlessAnEndpointIsSet(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing set", nil, false},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{"traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{"explicit http/protobuf and otlp", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_TRACES_EXPORTER": "otlp"}, true},
		{"SDK disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, false},
		{"exporter none", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
		{"only a sampler", map[string]string{"OTEL_TRACES_SAMPLER": "always_on"}, false},
	} {
		cfg, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, env(c.env))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cfg.Tracing.Enabled != c.want || cfg.Tracing.Service != bootstrap.OrdersAPI {
			t.Errorf("%s: got %+v, want enabled %v for orders-api", c.name, cfg.Tracing, c.want)
		}
		tr, err := bootstrap.ProvideTracing(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("%s: ProvideTracing: %v", c.name, err)
		}
		if (tr != nil) != c.want {
			t.Errorf("%s: got tracing %v, want on=%v", c.name, tr, c.want)
		}
		_ = tr.Shutdown(t.Context())
	}
}

// A protocol or exporter the binaries do not have is refused, not silently ignored.
func TestTracingRefusesWhatIsNotBuiltIn(t *testing.T) {
	t.Parallel()
	for name, e := range map[string]map[string]string{
		"OTEL_EXPORTER_OTLP_PROTOCOL":        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"},
		"OTEL_TRACES_EXPORTER":               {"OTEL_TRACES_EXPORTER": "zipkin"},
	} {
		_, err := bootstrap.LoadConfig(bootstrap.Orchestrator, env(e))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: got %v, want an error naming %s", e, err, name)
		}
	}
}
