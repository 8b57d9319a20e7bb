package bootstrap_test

import (
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func TestTracingIsOffUnlessAnEndpointIsSet(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		env      map[string]string
		endpoint string // "": off
	}{
		{"nothing set", nil, ""},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}, "http://collector:4318/v1/traces"},
		{"traces endpoint wins", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://c.example/otlp/traces",
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "https://c.example/otlp/traces"},
		{"explicit http/protobuf and otlp", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_TRACES_EXPORTER": "otlp"}, "http://c:4318/v1/traces"},
		{"SDK disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, ""},
		{"exporter none", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, ""},
		{"only a sampler", map[string]string{"OTEL_TRACES_SAMPLER": "always_on"}, ""},
	} {
		cfg, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, env(c.env))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := bootstrap.TracingConfig{Enabled: c.endpoint != "", Endpoint: c.endpoint, Service: bootstrap.OrdersAPI}
		if cfg.Tracing != want {
			t.Errorf("%s: got %+v, want %+v", c.name, cfg.Tracing, want)
		}
	}
}

// A protocol or exporter the binaries do not have is refused, not silently ignored.
func TestTracingRefusesWhatIsNotBuiltIn(t *testing.T) {
	t.Parallel()
	for name, e := range map[string]map[string]string{
		"OTEL_EXPORTER_OTLP_PROTOCOL":        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"},
		"OTEL_TRACES_EXPORTER":               {"OTEL_TRACES_EXPORTER": "zipkin"},
		"OTEL_EXPORTER_OTLP_ENDPOINT":        {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
	} {
		_, err := bootstrap.LoadConfig(bootstrap.Orchestrator, env(e))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: got %v, want an error naming %s", e, err, name)
		}
	}
}
