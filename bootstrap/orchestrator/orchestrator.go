package main

import (
	"log/slog"
	"net/http"

	"github.com/google/wire"

	"github.com/b2b-backoffice/backoffice/adapters/customersclient"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/http/orchestratorapi"
	"github.com/b2b-backoffice/backoffice/adapters/lambda"
	"github.com/b2b-backoffice/backoffice/adapters/ordersclient"
	"github.com/b2b-backoffice/backoffice/adapters/tracing"
	"github.com/b2b-backoffice/backoffice/application/auth"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
	"github.com/b2b-backoffice/backoffice/bootstrap"
	"github.com/b2b-backoffice/backoffice/bootstrap/telemetry"
)

// CustomersClientSet provides the customers-api client, bound to the orchestrator's customer
// directory port. orders-api binds the same *customersclient.Client to its own checker port.
var CustomersClientSet = wire.NewSet(
	bootstrap.ProvideCustomersClient,
	wire.Bind(new(orchestration.CustomerDirectory), new(*customersclient.Client)),
)

// OrchestratorSet builds the orchestrator: the two service clients, the create-and-confirm use
// case and its HTTP handler, served over HTTP locally and to API Gateway events under AWS
// Lambda. The orchestrator keeps no state of its own (orders-api stores its answers), so there
// is no memory or MySQL variant.
var OrchestratorSet = wire.NewSet(
	telemetry.Set,
	CustomersClientSet,
	ProvideOrdersClient,
	wire.Bind(new(orchestration.OrderService), new(*ordersclient.Client)),
	wire.Bind(new(orchestration.AnswerStore), new(*ordersclient.Client)),
	orchestration.NewService,
	wire.Bind(new(orchestratorapi.CreateAndConfirmer), new(*orchestration.Service)),
	ProvideMetrics,
	ProvideOrchestratorHTTP,
	ProvideLambdaHandler,
	wire.Struct(new(OrchestratorApp), "*"),
)

// OrchestratorApp is what the orchestrator binary runs: HTTP on Server.Addr, or under AWS
// Lambda the same handler behind Handler, the API Gateway event translator.
type OrchestratorApp struct {
	Handler *lambda.Handler
	HTTP    OrchestratorHTTP
	Server  httpkit.ServerConfig
	Tracing *tracing.Tracing // nil: off; Close it when the service stops
}

// OrchestratorHTTP is the orchestrator's handler (a distinct type so Wire cannot confuse it
// with another http.Handler).
type OrchestratorHTTP http.Handler

// ProvideOrdersClient builds the orders-api client from ORDERS_API_BASE, SERVICE_TOKEN (for
// the stored answers) and UPSTREAM_TIMEOUT, over rt.
func ProvideOrdersClient(cfg bootstrap.Config, rt bootstrap.UpstreamTransport) (*ordersclient.Client, error) {
	return ordersclient.New(ordersclient.Config{BaseURL: cfg.OrdersAPIBase, ServiceToken: cfg.ServiceToken,
		Timeout: cfg.UpstreamTimeout, Transport: rt})
}

// ProvideOrchestratorHTTP returns the handler, with /metrics when m is not nil, traced by tr
// (over HTTP and under AWS Lambda alike: ProvideLambdaHandler serves this handler). The
// orchestrator keeps no state, so /ready is 200 whenever it runs (503 while draining); both
// services are dependencies, reported by /ready?verbose.
func ProvideOrchestratorHTTP(svc orchestratorapi.CreateAndConfirmer, verifier auth.TokenVerifier,
	cc *customersclient.Client, oc *ordersclient.Client, logger *slog.Logger, m httpkit.Metrics, tr *tracing.Tracing) OrchestratorHTTP {
	return tr.Handler(orchestratorapi.NewRouter(orchestratorapi.Deps{Orchestration: svc, Verifier: verifier, Logger: logger, Metrics: m,
		Ready: orchestratorapi.ReadyChecks{Dependencies: dependencies(cc, oc)}}))
}

// dependencies are the health checks of the services the orchestrator calls.
func dependencies(cc *customersclient.Client, oc *ordersclient.Client) map[string]httpkit.Check {
	return map[string]httpkit.Check{customersclient.Service: cc.Health, ordersclient.Service: oc.Health}
}

// ProvideLambdaHandler serves h to API Gateway events, each with REQUEST_TIMEOUT as over HTTP
// (httpkit.Serve sets it there): past it the middleware answers 504 gateway_timeout, well
// before the function's own timeout ends the invocation without an answer.
func ProvideLambdaHandler(h OrchestratorHTTP, cfg bootstrap.Config) *lambda.Handler {
	return lambda.NewHandler(httpkit.WithDeadline(cfg.RequestTimeout, h))
}
