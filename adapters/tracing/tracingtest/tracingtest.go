// Package tracingtest reads the spans an in-memory exporter
// (go.opentelemetry.io/otel/sdk/trace/tracetest) received, or that the services exported
// over OTLP/HTTP to a Collector, for the tests of the tracing adapter and of the services
// that use it.
package tracingtest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
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

// Collector is an OTLP/HTTP receiver for tests: the services export to its URL with their
// real exporter, and Spans returns what arrived, as the in-memory exporter would hold it.
type Collector struct {
	URL string // the traces endpoint, such as http://127.0.0.1:PORT/v1/traces

	mu    sync.Mutex
	spans tracetest.SpanStubs
	errs  []error
}

// NewCollector starts a collector that stops when tb ends.
func NewCollector(tb testing.TB) *Collector {
	tb.Helper()
	c := &Collector{}
	srv := httptest.NewServer(http.HandlerFunc(c.receive))
	tb.Cleanup(srv.Close)
	tb.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, err := range c.errs {
			tb.Errorf("collector: %v", err)
		}
	})
	c.URL = srv.URL + "/v1/traces"
	return c
}

// Spans returns the spans received so far, in order of arrival.
func (c *Collector) Spans() tracetest.SpanStubs {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.spans)
}

// Reset forgets the spans received so far.
func (c *Collector) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spans = nil
}

func (c *Collector) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &req)
	}
	if err == nil && (r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf") {
		err = fmt.Errorf("got %s %s (%s), want POST /v1/traces of application/x-protobuf", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.errs = append(c.errs, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, rs := range req.GetResourceSpans() {
		res := resource.NewSchemaless(attributes(rs.GetResource().GetAttributes())...)
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.spans = append(c.spans, stub(res, ss.GetScope().GetName(), s))
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

// stub converts an OTLP span into the in-memory exporter's form.
func stub(res *resource.Resource, scope string, s *tracepb.Span) tracetest.SpanStub {
	traceID := trace.TraceID(s.GetTraceId())
	st := tracetest.SpanStub{
		Name:        s.GetName(),
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: trace.SpanID(s.GetSpanId())}),
		SpanKind:    trace.SpanKind(s.GetKind()), // the same numbering
		Attributes:  attributes(s.GetAttributes()),
		Resource:    res,
		StartTime:   time.Unix(0, int64(s.GetStartTimeUnixNano())),
		EndTime:     time.Unix(0, int64(s.GetEndTimeUnixNano())),
	}
	st.InstrumentationScope.Name = scope
	if p := s.GetParentSpanId(); len(p) == 8 {
		st.Parent = trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: trace.SpanID(p)})
	}
	for _, e := range s.GetEvents() {
		st.Events = append(st.Events, sdktrace.Event{Name: e.GetName(), Attributes: attributes(e.GetAttributes())})
	}
	switch s.GetStatus().GetCode() {
	case tracepb.Status_STATUS_CODE_ERROR:
		st.Status.Code = codes.Error
	case tracepb.Status_STATUS_CODE_OK:
		st.Status.Code = codes.Ok
	}
	st.Status.Description = s.GetStatus().GetMessage()
	return st
}

// attributes converts OTLP key-values; arrays and maps become their text.
func attributes(kvs []*commonpb.KeyValue) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch x := v.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			out = append(out, attribute.String(kv.GetKey(), x.StringValue))
		case *commonpb.AnyValue_BoolValue:
			out = append(out, attribute.Bool(kv.GetKey(), x.BoolValue))
		case *commonpb.AnyValue_IntValue:
			out = append(out, attribute.Int64(kv.GetKey(), x.IntValue))
		case *commonpb.AnyValue_DoubleValue:
			out = append(out, attribute.Float64(kv.GetKey(), x.DoubleValue))
		default:
			out = append(out, attribute.String(kv.GetKey(), v.String()))
		}
	}
	return out
}
