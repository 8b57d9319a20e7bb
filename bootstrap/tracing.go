package bootstrap

import (
	"net/http"
	"net/url"
	"strings"
)

// TracingConfig is what the services read of OpenTelemetry's standard variables: whether to
// trace and where to send the spans. The exporter and the SDK read the rest themselves
// (headers, timeout, compression, sampler, resource attributes), as every OpenTelemetry SDK
// does; bootstrap/telemetry builds the tracing from it, so that this package links none of
// OpenTelemetry (the migrate command does not trace).
type TracingConfig struct {
	// Enabled is true when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
	// is set, unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
	Enabled bool
	// Endpoint is the URL the spans are posted to: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it
	// is, else OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended (the specification's rule).
	Endpoint string
	Service  Service // the service.name of the spans
}

// UpstreamTransport is the round tripper of the service clients: traced when tracing is on
// (bootstrap/telemetry provides it).
type UpstreamTransport http.RoundTripper

// tracing reads TracingConfig. Only OTLP over HTTP (protobuf) is built in: a protocol set to
// anything else is an error rather than spans sent nowhere.
func (r *reader) tracing(service Service) TracingConfig {
	endpoint := r.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if base := r.getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); endpoint == "" && base != "" {
		endpoint = strings.TrimRight(base, "/") + "/v1/traces"
	}
	if u, err := url.Parse(endpoint); endpoint != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		r.fail("OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) must be an http(s) URL such as http://127.0.0.1:4318")
	}
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
	if endpoint == "" || off {
		return TracingConfig{Service: service}
	}
	return TracingConfig{Enabled: true, Endpoint: endpoint, Service: service}
}
