package tracing_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/tracing"
	"github.com/b2b-backoffice/backoffice/adapters/tracing/tracingtest"
)

const secret = "Bearer secret-token-value"

// flushed returns the spans exp holds once tr has exported everything.
func flushed(t *testing.T, tr *tracing.Tracing, exp *tracetest.InMemoryExporter) tracetest.SpanStubs {
	t.Helper()
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return exp.GetSpans()
}

// router is a service's handler as the services build it: a gorilla router finished by
// httpkit.WrapRouter.
func router(routes map[string]http.HandlerFunc) http.Handler {
	r := mux.NewRouter()
	for path, h := range routes {
		r.HandleFunc(path, h)
	}
	return httpkit.WrapRouter(r, nil, nil)
}

// A call from one service's handler to another's through the traced transport is one
// trace: server span, client span, the other service's server span, in that order, named
// after the route templates, with no header value recorded.
func TestOneTraceAcrossTwoServices(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	front := tracing.New("front", exp, nil)
	back := tracing.New("back", exp, nil)
	var gotParent string
	backSrv := httptest.NewServer(back.Handler(router(map[string]http.HandlerFunc{
		"/items/{id}": func(w http.ResponseWriter, r *http.Request) {
			gotParent = r.Header.Get("traceparent")
			_, _ = io.WriteString(w, "{}")
		},
	})))
	defer backSrv.Close()
	client := &http.Client{Transport: front.Transport(http.DefaultTransport)}
	frontSrv := httptest.NewServer(front.Handler(router(map[string]http.HandlerFunc{
		"/orders/{id}/confirm": func(w http.ResponseWriter, r *http.Request) {
			req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, backSrv.URL+"/items/42", nil)
			req.Header.Set("Authorization", secret)
			res, err := client.Do(req)
			if err != nil {
				t.Errorf("call back: %v", err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			w.WriteHeader(http.StatusNoContent)
		},
	})))
	defer frontSrv.Close()

	req, _ := http.NewRequest(http.MethodPost, frontSrv.URL+"/orders/7/confirm?token=query-secret", nil)
	req.Header.Set("Authorization", secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("got %d, want 204", res.StatusCode)
	}
	_ = back.Flush(context.Background())
	spans := flushed(t, front, exp)
	if len(spans) != 3 {
		t.Fatalf("got %d spans, want 3: %v", len(spans), spans)
	}
	server := tracingtest.Find(t, spans, "POST /orders/{id}/confirm")
	clientSpan := tracingtest.Find(t, spans, "GET")
	backServer := tracingtest.Find(t, spans, "GET /items/{id}")
	for _, s := range spans {
		if s.SpanContext.TraceID() != server.SpanContext.TraceID() {
			t.Errorf("span %q is in trace %s, want %s", s.Name, s.SpanContext.TraceID(), server.SpanContext.TraceID())
		}
	}
	if server.Parent.IsValid() {
		t.Errorf("front's server span has a parent: %v", server.Parent)
	}
	if clientSpan.Parent.SpanID() != server.SpanContext.SpanID() || clientSpan.SpanKind != trace.SpanKindClient {
		t.Errorf("client span: parent %s kind %v, want %s client", clientSpan.Parent.SpanID(), clientSpan.SpanKind, server.SpanContext.SpanID())
	}
	if backServer.Parent.SpanID() != clientSpan.SpanContext.SpanID() || !backServer.Parent.IsRemote() {
		t.Errorf("back's server span: parent %v, want the remote client span %s", backServer.Parent, clientSpan.SpanContext.SpanID())
	}
	if !strings.Contains(gotParent, clientSpan.SpanContext.SpanID().String()) {
		t.Errorf("traceparent %q does not name the client span %s", gotParent, clientSpan.SpanContext.SpanID())
	}
	if got := tracingtest.Attr(server, "http.route"); got != "/orders/{id}/confirm" {
		t.Errorf("http.route = %q, want the template", got)
	}
	if got := tracingtest.Attr(server, "service.name"); got != "" {
		t.Errorf("service.name is a span attribute %q, want it on the resource only", got)
	}
	if got := tracingtest.Service(backServer); got != "back" {
		t.Errorf("back's service.name = %q, want back", got)
	}
	tracingtest.NoText(t, spans, "secret-token-value")
	tracingtest.NoText(t, spans, "query-secret")
}

// Probes make no span, on either side; a request no route matched is named after its
// method only, and an invented method does not name a span.
func TestProbesAndUnmatchedRoutes(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.New("svc", exp, nil)
	h := tr.Handler(router(map[string]http.HandlerFunc{
		"/health":  func(w http.ResponseWriter, _ *http.Request) {},
		"/ready":   func(w http.ResponseWriter, _ *http.Request) {},
		"/metrics": func(w http.ResponseWriter, _ *http.Request) {},
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: tr.Transport(http.DefaultTransport)}
	for _, p := range []string{"/health", "/ready", "/metrics"} {
		res, err := client.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
	}
	if spans := flushed(t, tr, exp); len(spans) != 0 {
		t.Fatalf("probes made %d spans, want none: %v", len(spans), spans)
	}
	for _, m := range []string{http.MethodGet, "INVENTED-METHOD-1234"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(m, "/no/such/route/123", nil))
		if rec.Code != http.StatusNotFound {
			t.Fatalf("%s: got %d, want 404", m, rec.Code)
		}
	}
	spans := flushed(t, tr, exp)
	if len(spans) != 2 || spans[0].Name != "GET" || spans[1].Name != "HTTP" {
		t.Fatalf("got %v, want spans GET and HTTP", spans)
	}
}

// Off is a nil *Tracing: nothing is wrapped.
func TestNilTracingInstallsNothing(t *testing.T) {
	var tr *tracing.Tracing
	h := &marker{}
	if got := tr.Handler(h); got != http.Handler(h) {
		t.Fatalf("Handler wrapped the handler: %T", got)
	}
	rt := &http.Transport{}
	if got := tr.Transport(rt); got != http.RoundTripper(rt) {
		t.Fatalf("Transport wrapped the transport: %T", got)
	}
	db := tr.OpenDB(&fakeConnector{})
	defer db.Close()
	if _, ok := db.Driver().(*fakeDriver); !ok {
		t.Fatalf("OpenDB wrapped the driver: %T", db.Driver())
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type marker struct{}

func (*marker) ServeHTTP(http.ResponseWriter, *http.Request) {}

// An exporter that fails never fails the service: the error is logged and dropped.
func TestExportFailureIsLogged(t *testing.T) {
	var logs strings.Builder
	tr := tracing.New("svc", failing{}, slog.New(slog.NewTextHandler(&logs, nil)))
	h := tr.Handler(router(map[string]http.HandlerFunc{"/x": func(http.ResponseWriter, *http.Request) {}}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v, want the failure logged only", err)
	}
	if !strings.Contains(logs.String(), "collector down") {
		t.Fatalf("log %q lacks the export error", logs.String())
	}
}

type failing struct{}

func (failing) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	return errors.New("collector down")
}
func (failing) Shutdown(context.Context) error { return nil }

// A statement run inside a request is a span of it, with the statement's placeholders but
// neither the bound values nor the database's error message; outside a request it makes no
// span.
func TestSQLSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.New("svc", exp, nil)
	db := tr.OpenDB(&fakeConnector{})
	defer db.Close()
	const query = "INSERT INTO customers (email) VALUES (?)"
	if _, err := db.ExecContext(context.Background(), query, "alone@example.com"); err == nil {
		t.Fatal("the fake driver's duplicate went unreported")
	}
	if spans := flushed(t, tr, exp); len(spans) != 0 {
		t.Fatalf("a statement outside a request made %d spans, want none: %v", len(spans), spans)
	}
	h := tr.Handler(router(map[string]http.HandlerFunc{"/customers": func(w http.ResponseWriter, r *http.Request) {
		if _, err := db.ExecContext(r.Context(), query, "ops@example.com"); err != nil {
			w.WriteHeader(http.StatusConflict)
		}
	}}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/customers", nil))
	if rec.Code != http.StatusConflict {
		t.Fatalf("got %d, want 409", rec.Code)
	}
	spans := flushed(t, tr, exp)
	server := tracingtest.Find(t, spans, "POST /customers")
	exec := tracingtest.Find(t, spans, "sql.conn.exec")
	if exec.Parent.SpanID() != server.SpanContext.SpanID() {
		t.Errorf("the statement's span is not a child of the request's")
	}
	if got := tracingtest.Attr(exec, "db.query.text"); got != query {
		t.Errorf("db.query.text = %q, want %q", got, query)
	}
	if got := tracingtest.Attr(exec, "db.system.name"); got != "mysql" {
		t.Errorf("db.system.name = %q, want mysql", got)
	}
	if exec.Status.Code != codes.Error {
		t.Errorf("status %v, want an error", exec.Status)
	}
	var exception bool
	for _, e := range exec.Events {
		if e.Name == "exception" {
			exception = true
			for _, kv := range e.Attributes {
				if kv.Key == "exception.message" {
					t.Errorf("the exception keeps its message %q", kv.Value.Emit())
				}
			}
		}
	}
	if !exception {
		t.Errorf("the failed statement has no exception event: %v", exec.Events)
	}
	tracingtest.NoText(t, spans, "ops@example.com")
}

// fakeDriver answers every statement with a duplicate-key error that quotes the value, as
// MySQL does.
type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) { return fakeConn{}, nil }

type fakeConnector struct{}

func (*fakeConnector) Connect(context.Context) (driver.Conn, error) { return fakeConn{}, nil }
func (*fakeConnector) Driver() driver.Driver                        { return &fakeDriver{} }

type fakeConn struct{}

func (fakeConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("no prepare") }
func (fakeConn) Close() error                        { return nil }
func (fakeConn) Begin() (driver.Tx, error)           { return nil, errors.New("no transactions") }
func (fakeConn) ExecContext(_ context.Context, _ string, args []driver.NamedValue) (driver.Result, error) {
	return nil, fmt.Errorf("Error 1062 (23000): Duplicate entry '%v' for key 'email'", args[0].Value)
}
