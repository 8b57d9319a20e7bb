// Package orchestratorapi is the HTTP adapter of the orchestrator: a gorilla/mux router over
// the create-and-confirm-order use case, with the contract's orchestrator envelopes. The
// same handler serves HTTP on port 3003 and, through adapters/lambda, API Gateway events.
package orchestratorapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/application/auth"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// ServiceName is the name /health reports.
const ServiceName = "orchestrator"

// Route is the orchestrator's one business route.
const Route = "/orchestrator/create-and-confirm-order"

// HeaderReplayed marks an answer that a key had stored, as orders-api marks its replays.
const HeaderReplayed = "Idempotent-Replayed"

// CreateAndConfirmer is the use case the handler runs (*orchestration.Service).
type CreateAndConfirmer interface {
	CreateAndConfirm(ctx context.Context, cmd orchestration.CreateAndConfirm) (orchestration.Outcome, error)
}

var _ CreateAndConfirmer = (*orchestration.Service)(nil)

// ReadyChecks are the checks of GET /ready. The orchestrator keeps no state, so it has no
// Own check: /ready is 200 whenever it runs (503 while draining); customers-api and
// orders-api are Dependencies, only reported.
type ReadyChecks httpkit.ReadyChecks

// Deps is everything the router needs. Bootstrap fills it with Wire; tests build it by hand
// (see the orchestratorapitest package for one over fake services).
type Deps struct {
	Orchestration CreateAndConfirmer
	Verifier      auth.TokenVerifier
	Logger        *slog.Logger // nil: discard the access log
	Ready         ReadyChecks
	Metrics       httpkit.Metrics // nil: no /metrics (the Lambda build: CloudWatch counts its invocations)
}

// errTimeout is the answer to a request still running DeadlineMargin after its deadline
// (REQUEST_TIMEOUT): an upstream call ignored its context.
var errTimeout = errs.New(httperr.KindTimeout, "gateway_timeout", "the request timed out, try again with the same idempotency_key")

// NewRouter returns the whole orchestrator handler: the route of the contract, /health,
// /ready and /metrics, wrapped in httpkit's Stack (request ids, access log, metrics, panic
// recovery, the 1 MiB body limit, the deadline answer). Every error, the router's 404 and
// 405 included, is in the orchestrator's envelope.
func NewRouter(d Deps) http.Handler {
	h := &handler{svc: d.Orchestration, verifier: d.Verifier}
	r := mux.NewRouter()
	read := []string{http.MethodGet, http.MethodHead} // HEAD is answered wherever GET is
	r.Handle("/health", httpkit.Health(ServiceName)).Methods(read...)
	r.Handle("/ready", httpkit.Ready(ServiceName, httpkit.ReadyChecks(d.Ready))).Methods(read...)
	stack := httpkit.Stack{Logger: d.Logger, Errors: writeError, Timeout: errTimeout}
	if d.Metrics != nil {
		r.Handle("/metrics", d.Metrics.Handler()).Methods(read...)
		stack.Observe = d.Metrics.Observe
	}
	r.HandleFunc(Route, h.createAndConfirm).Methods(http.MethodPost)
	return stack.Router(r)
}
