package main

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/adapters/tracing"
	"github.com/b2b-backoffice/backoffice/adapters/tracing/tracingtest"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

// One orchestrator call is one trace: the orchestrator's server span is its only root, and
// every other span (the orchestrator's calls, orders-api's and customers-api's server spans,
// orders-api's call to customers-api and, on MySQL, orders-api's statements) descends from
// it through the traceparent each call carried. The three services run in this process as
// the end-to-end tests run them, each with its own tracer provider and service.name, all
// exporting over OTLP/HTTP to one test collector (the orchestrator as its binary does, from
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).
func TestOneOrchestratorCallIsOneTrace(t *testing.T) {
	for _, c := range []struct{ store, via string }{{"memory", "http"}, {"memory", "lambda"}, {"mysql", "http"}} {
		store := c.store
		t.Run(c.store+" "+c.via, func(t *testing.T) {
			collector := tracingtest.NewCollector(t)
			ordersTracing := otlp(t, "orders-api", collector)
			var db *sql.DB
			if store == "mysql" {
				db = tracedDB(t, ordersTracing)
			}
			oneTrace(t, collector, ordersTracing, db, c.via == "lambda")
		})
	}
}

// env is the package's MySQL database (see mysqltest): only the tracing test uses it.
var env mysqltest.Env

func TestMain(m *testing.M) { os.Exit(mysqltest.Run(m, &env)) }

// tracedDB opens a pool on a fresh database of the package's server (or skips t, saying
// why), its statements traced by tr as the binary's pool is.
func tracedDB(t *testing.T, tr *tracing.Tracing) *sql.DB {
	t.Helper()
	db, err := mysql.Open(context.Background(), env.NewDatabase(t, true), mysql.PoolConfig{OpenDB: tr.OpenDB})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// oneTrace runs the call and checks its trace; orders-api runs on db when it is not nil
// (else in memory), and the orchestrator is called over HTTP or, with lambda, with an API
// Gateway event.
func oneTrace(t *testing.T, collector *tracingtest.Collector, ordersTracing *tracing.Tracing, db *sql.DB, lambda bool) {
	var store orders.Store
	if db != nil {
		store = mysql.NewOrdersStore(db)
	}
	customersTracing := otlp(t, "customers-api", collector)
	customers := customersapitest.New(t, customersapitest.Options{Tracing: customersTracing})
	csrv := httptest.NewServer(customers.Handler)
	t.Cleanup(csrv.Close)
	ordersAPI := ordersapitest.New(t, ordersapitest.Options{CustomersBase: csrv.URL, Tracing: ordersTracing, Store: store})
	osrv := httptest.NewServer(ordersAPI.Handler)
	t.Cleanup(osrv.Close)
	vars := map[string]string{
		"CUSTOMERS_API_BASE": csrv.URL, "ORDERS_API_BASE": osrv.URL,
		"JWT_SECRET": customersapitest.DefaultJWTSecret, "SERVICE_TOKEN": customersapitest.DefaultServiceToken,
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": collector.URL,
	}
	cfg, err := bootstrap.LoadConfig(bootstrap.Orchestrator, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if !cfg.Tracing.Enabled {
		t.Fatal("an OTLP endpoint did not turn tracing on")
	}
	app, err := initializeOrchestrator(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("initializeOrchestrator: %v", err)
	}
	t.Cleanup(func() { app.Tracing.Close(nil) })
	orch := httptest.NewServer(app.HTTP)
	t.Cleanup(orch.Close)

	w := &world{orders: ordersAPI, app: app}
	w.token = w.login(t, csrv.URL)
	customerID := customers.Seed(t, "ACME", "ops@acme.com", "+1 555 0100").ID()
	if db != nil {
		// orders-api's MySQL store checks the customer in its own database: the same one
		// customers-api would write in production.
		if _, err := db.ExecContext(context.Background(), "INSERT INTO customers (id, name, email, created_at, updated_at) "+
			"VALUES (?, 'ACME', 'ops@acme.com', NOW(6), NOW(6))", customerID); err != nil {
			t.Fatal(err)
		}
	}
	p := ordersAPI.SeedProduct(t, "TRACE-1", "Traced", 2599, 5)
	flushAll(t, customersTracing, ordersTracing, app.Tracing)
	collector.Reset() // the login and the seeding are not the call under test

	call := body(customerID, p.ID(), 2, "trace-key-1", "")
	var r reply
	if lambda {
		r = w.invokeV1(t, call, w.auth())
	} else {
		r = w.post(t, orch, call, w.auth())
	}
	if r.status != http.StatusCreated {
		t.Fatalf("got %d %s, want 201", r.status, r.body)
	}
	flushAll(t, customersTracing, ordersTracing, app.Tracing)
	spans := collector.Spans()

	root := tracingtest.Find(t, spans, "POST "+route)
	if root.Parent.IsValid() || tracingtest.Service(root) != "orchestrator" {
		t.Fatalf("the orchestrator's server span has parent %v and service %q, want a root of orchestrator",
			root.Parent, tracingtest.Service(root))
	}
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	count := map[string]int{} // service and kind -> spans
	for _, s := range spans {
		if s.SpanContext.TraceID() != root.SpanContext.TraceID() {
			t.Errorf("span %q of %s is in trace %s, want %s", s.Name, tracingtest.Service(s), s.SpanContext.TraceID(), root.SpanContext.TraceID())
		}
		if s.SpanContext.SpanID() != root.SpanContext.SpanID() {
			parent, ok := byID[s.Parent.SpanID()]
			if !ok {
				t.Errorf("span %q of %s has a parent %s that is not in the trace", s.Name, tracingtest.Service(s), s.Parent.SpanID())
			}
			// A server span's parent is the client span of the caller that sent its traceparent.
			if s.SpanKind == trace.SpanKindServer && (parent.SpanKind != trace.SpanKindClient || tracingtest.Service(parent) == tracingtest.Service(s)) {
				t.Errorf("server span %q of %s has parent %q (%v) of %s, want another service's client span",
					s.Name, tracingtest.Service(s), parent.Name, parent.SpanKind, tracingtest.Service(parent))
			}
		}
		if s.InstrumentationScope.Name != sqlScope {
			count[tracingtest.Service(s)+" "+s.SpanKind.String()]++
		}
	}
	// The orchestrator's calls: the stored answer (none yet), the customer, the order, its
	// confirmation, the answer stored; orders-api checks the customer when it creates the order.
	for key, want := range map[string]int{
		"orchestrator server": 1, "orchestrator client": 5,
		"orders-api server": 4, "orders-api client": 1,
		"customers-api server": 2,
	} {
		if count[key] != want {
			t.Errorf("got %d %s spans, want %d (all: %v)", count[key], key, want, count)
		}
	}
	for _, name := range []string{"POST /orders", "POST /orders/{id}/confirm", "GET /internal/orchestrations/{key}",
		"PUT /internal/orchestrations/{key}", "GET /internal/customers/{id}"} {
		tracingtest.Find(t, spans, name)
	}
	if store != nil {
		sqlUnderOrders(t, spans, byID)
	}
	tracingtest.NoText(t, spans, w.token)
	tracingtest.NoText(t, spans, customersapitest.DefaultServiceToken)
	tracingtest.NoText(t, spans, "ops@acme.com") // a response body's
	tracingtest.NoText(t, spans, `"qty"`)        // a request body's
}

// sqlScope is the instrumentation scope of the SQL spans (otelsql's).
const sqlScope = "github.com/XSAM/otelsql"

// sqlUnderOrders checks that orders-api's statements are spans of orders-api whose parent
// is one of its server spans (directly, or through the transaction's span).
func sqlUnderOrders(t *testing.T, spans tracetest.SpanStubs, byID map[trace.SpanID]tracetest.SpanStub) {
	t.Helper()
	statements := 0
	for _, s := range spans {
		if s.InstrumentationScope.Name != sqlScope {
			continue
		}
		if tracingtest.Service(s) != "orders-api" {
			t.Errorf("SQL span %q of %s, want orders-api", s.Name, tracingtest.Service(s))
		}
		parent := byID[s.Parent.SpanID()]
		if parent.SpanKind != trace.SpanKindServer || tracingtest.Service(parent) != "orders-api" {
			t.Errorf("SQL span %q has parent %q (%v) of %s, want an orders-api server span",
				s.Name, parent.Name, parent.SpanKind, tracingtest.Service(parent))
		}
		if q := tracingtest.Attr(s, "db.query.text"); q != "" {
			statements++
			if strings.Contains(q, "trace-key-1") || strings.Contains(q, "TRACE-1") {
				t.Errorf("statement %q holds a value", q)
			}
		}
	}
	if statements == 0 {
		t.Errorf("no SQL statement span among %q", tracingtest.Names(spans))
	}
}

// otlp returns tracing for service exporting to collector, shut down when t ends.
func otlp(t *testing.T, service string, collector *tracingtest.Collector) *tracing.Tracing {
	t.Helper()
	tr, err := tracing.NewOTLP(context.Background(), service, collector.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close(nil) })
	return tr
}

func flushAll(t *testing.T, trs ...*tracing.Tracing) {
	t.Helper()
	for _, tr := range trs {
		if err := tr.Flush(context.Background()); err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
}
