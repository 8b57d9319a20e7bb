// Package tracingtest reads the spans an in-memory exporter
// (go.opentelemetry.io/otel/sdk/trace/tracetest) received, for the tests of the tracing
// adapter and of the services that use it.
package tracingtest

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Find returns the first span named name, and fails tb, listing the names it has, when
// there is none.
func Find(tb testing.TB, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	tb.Helper()
	for _, s := range spans {
		if s.Name == name {
			return s
		}
	}
	tb.Fatalf("no span %q among %q", name, Names(spans))
	return tracetest.SpanStub{}
}

// Names returns the spans' names, in order.
func Names(spans tracetest.SpanStubs) []string {
	names := make([]string, len(spans))
	for i, s := range spans {
		names[i] = s.Name
	}
	return names
}

// Attr returns the value of s's attribute key as text, "" when s has none.
func Attr(s tracetest.SpanStub, key attribute.Key) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// Service returns the service.name of the resource s was recorded under.
func Service(s tracetest.SpanStub) string {
	if s.Resource == nil {
		return ""
	}
	v, _ := s.Resource.Set().Value("service.name")
	return v.AsString()
}

// NoText fails tb for every span whose name, status, attributes or events' attributes
// contain text: a secret that must never be recorded.
func NoText(tb testing.TB, spans tracetest.SpanStubs, text string) {
	tb.Helper()
	for _, s := range spans {
		kvs := append([]attribute.KeyValue(nil), s.Attributes...)
		for _, e := range s.Events {
			kvs = append(kvs, e.Attributes...)
		}
		for _, kv := range kvs {
			if strings.Contains(kv.Value.Emit(), text) {
				tb.Errorf("span %q: %s holds %q", s.Name, kv.Key, text)
			}
		}
		if strings.Contains(s.Status.Description, text) || strings.Contains(s.Name, text) {
			tb.Errorf("span %q: its status or name holds %q", s.Name, text)
		}
	}
}
