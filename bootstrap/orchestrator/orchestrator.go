package main

import (
	"log/slog"
	"net/http"

	"github.com/google/wire"

	"github.com/b2b-backoffice/backoffice/adapters/customersclient"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/lambda"
	"github.com/b2b-backoffice/backoffice/adapters/metrics"
	"github.com/b2b-backoffice/backoffice/adapters/ordersclient"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

// CustomersClientSet provides the customers-api client, bound to the orchestrator's customer
// directory port. orders-api binds the same *customersclient.Client to its own checker port.
var CustomersClientSet = wire.NewSet(
	bootstrap.ProvideCustomersClient,
	wire.Bind(new(orchestration.CustomerDirectory), new(*customersclient.Client)),
)

// OrchestratorSet builds the orchestrator: the two service clients, the create-and-confirm use
// case, the API Gateway handler and the local HTTP server around it. The orchestrator keeps no
// state of its own (orders-api stores its answers), so there is no memory or MySQL variant.
var OrchestratorSet = wire.NewSet(
	CustomersClientSet,
	ProvideOrdersClient,
	wire.Bind(new(orchestration.OrderService), new(*ordersclient.Client)),
	wire.Bind(new(orchestration.AnswerStore), new(*ordersclient.Client)),
	orchestration.NewService,
	wire.Bind(new(lambda.CreateAndConfirmer), new(*orchestration.Service)),
	lambda.NewHandler,
	ProvideOrchestratorMetrics,
	ProvideOrchestratorHTTP,
	wire.Struct(new(OrchestratorApp), "*"),
)

// OrchestratorApp is what the orchestrator binary runs: Handler under AWS Lambda, HTTP on
// Server.Addr otherwise.
type OrchestratorApp struct {
	Handler *lambda.Handler
	HTTP    OrchestratorHTTP
	Server  httpkit.ServerConfig
}

// OrchestratorHTTP is the local server's handler (a distinct type so Wire cannot confuse it
// with another http.Handler).
type OrchestratorHTTP http.Handler

// ProvideOrdersClient builds the orders-api client from ORDERS_API_BASE, SERVICE_TOKEN (for
// the stored answers) and UPSTREAM_TIMEOUT.
func ProvideOrdersClient(cfg bootstrap.Config) (*ordersclient.Client, error) {
	return ordersclient.New(ordersclient.Config{BaseURL: cfg.OrdersAPIBase, ServiceToken: cfg.ServiceToken,
		Timeout: cfg.UpstreamTimeout})
}

// ProvideOrchestratorMetrics returns the orchestrator's registry, served at GET /metrics by
// the local server. Under AWS Lambda there is no HTTP server to scrape: CloudWatch reports
// the function's invocations, errors and durations there.
func ProvideOrchestratorMetrics() *metrics.Metrics {
	return metrics.New(string(bootstrap.Orchestrator))
}

// ProvideOrchestratorHTTP serves the handler locally and /metrics from m. The orchestrator
// keeps no state, so /ready is 200 whenever it runs (503 while draining); both services are
// dependencies, reported by /ready?verbose and the backoffice_dependency_up gauge.
func ProvideOrchestratorHTTP(h *lambda.Handler, cc *customersclient.Client, oc *ordersclient.Client, logger *slog.Logger, m *metrics.Metrics) OrchestratorHTTP {
	deps := map[string]httpkit.Check{customersclient.Service: cc.Health, ordersclient.Service: oc.Health}
	for name, check := range deps {
		m.WatchDependency(name, check)
	}
	checks := httpkit.ReadyChecks{Dependencies: deps}
	return lambda.LocalServer(h.Handle, string(bootstrap.Orchestrator), checks, logger, m)
}
