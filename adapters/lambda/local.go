package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// EventHandler is the shape of Handler.Handle: the function lambda.Start runs.
type EventHandler func(ctx context.Context, event json.RawMessage) (json.RawMessage, error)

// errNoRoute is the local server's answer to any other path.
var errNoRoute = errs.New(errs.KindNotFound, "route_not_found", "no such route")

// Metrics is what the local server reports to, when given: request counts and latencies by
// route and status, served at GET /metrics. adapters/metrics implements it.
type Metrics interface {
	Observe(route, method string, status int, elapsed time.Duration)
	Handler() http.Handler
}

// errTimeout is the local server's answer when the handler has not answered by the
// request's deadline (REQUEST_TIMEOUT) plus httpkit.DeadlineMargin.
var errTimeout = errs.New(httperr.KindTimeout, "gateway_timeout", "the request timed out, try again with the same idempotency_key")

// LocalServer serves fn over plain HTTP the way serverless-offline serves a function: each
// request to Route becomes a REST API (v1) proxy event and the event's answer is written
// back. GET /health and GET /ready (see httpkit.Ready: the orchestrator has no store of its
// own, so checks holds Dependencies only) are answered directly, and GET /metrics when m is
// not nil. Wrapped in httpkit's Stack: X-Request-ID, access log, panic recovery, the 1 MiB
// body limit, and a 504 gateway_timeout in the orchestrator's shape for a request still
// running past its deadline.
func LocalServer(fn EventHandler, service string, checks httpkit.ReadyChecks, logger *slog.Logger, m Metrics) http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern, route string, h http.Handler) { mux.Handle(pattern, httpkit.WithRoute(route, h)) }
	handle("GET /health", "/health", httpkit.Health(service))
	handle("GET /ready", "/ready", httpkit.Ready(service, checks))
	stack := httpkit.Stack{Logger: logger, Timeout: timedOut}
	if m != nil {
		handle("GET /metrics", "/metrics", m.Handler())
		stack.Observe = m.Observe
	}
	handle(Route, Route, bridge(fn)) // every method: the handler answers 405 itself, in its own shape
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { httpkit.WriteError(w, r, errNoRoute) })
	return stack.Wrap(mux)
}

// timedOut answers 504 in the orchestrator's error shape. The body has not been read for
// it, so correlationId is the X-Correlation-ID header's, else a new id.
func timedOut(w http.ResponseWriter, r *http.Request) {
	corrID := httpkit.CorrelationID(r.Context())
	if corrID == "" {
		corrID = httpkit.NewID()
	}
	status, out := failure(r.Context(), corrID, errTimeout)
	httpkit.RecordCause(r.Context(), errTimeout)
	w.Header().Set(httpkit.HeaderCorrelationID, corrID)
	setSafetyHeaders(w.Header())
	httpkit.WriteRaw(w, status, out)
}

func bridge(fn EventHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			var tooLarge *http.MaxBytesError
			if !errors.As(err, &tooLarge) {
				httpkit.Logger(ctx).WarnContext(ctx, "read body", slog.String("error", err.Error()))
				return // the client went away
			}
			corrID := cleanID(r.Header.Get(httpkit.HeaderCorrelationID))
			if corrID == "" {
				corrID = httpkit.NewID()
			}
			status, out := failure(ctx, corrID, httpkit.ErrBodyTooLarge)
			w.Header().Set(httpkit.HeaderCorrelationID, corrID)
			httpkit.WriteRaw(w, status, out)
			return
		}
		event, err := json.Marshal(toEvent(r, body))
		if err != nil {
			httpkit.WriteError(w, r, err)
			return
		}
		raw, err := fn(ctx, event)
		if err != nil {
			httpkit.WriteError(w, r, err)
			return
		}
		var resp events.APIGatewayProxyResponse
		if err := json.Unmarshal(raw, &resp); err != nil {
			httpkit.WriteError(w, r, err)
			return
		}
		out := []byte(resp.Body)
		if resp.IsBase64Encoded {
			if out, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
				httpkit.WriteError(w, r, err)
				return
			}
		}
		for k, vs := range resp.MultiValueHeaders {
			w.Header()[http.CanonicalHeaderKey(k)] = vs
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(out)
	}
}

// toEvent builds the v1 event API Gateway would send for r. The middleware's request id goes
// in as X-Request-ID so that the handler and the access log name the same request.
func toEvent(r *http.Request, body []byte) events.APIGatewayProxyRequest {
	reqID := httpkit.RequestID(r.Context())
	e := events.APIGatewayProxyRequest{
		Resource:                        Route,
		Path:                            r.URL.Path,
		HTTPMethod:                      r.Method,
		Headers:                         map[string]string{},
		MultiValueHeaders:               map[string][]string{},
		QueryStringParameters:           map[string]string{},
		MultiValueQueryStringParameters: map[string][]string{},
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID: reqID, Stage: "local", HTTPMethod: r.Method, Path: r.URL.Path, ResourcePath: Route,
			Protocol: r.Proto,
		},
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		e.RequestContext.Identity.SourceIP = host
	}
	for k, vs := range r.Header {
		e.MultiValueHeaders[k] = vs
		e.Headers[k] = vs[len(vs)-1] // API Gateway keeps the last value in headers
	}
	if reqID != "" {
		e.Headers[httpkit.HeaderRequestID] = reqID
		e.MultiValueHeaders[httpkit.HeaderRequestID] = []string{reqID}
	}
	for k, vs := range r.URL.Query() {
		e.MultiValueQueryStringParameters[k] = vs
		e.QueryStringParameters[k] = vs[len(vs)-1]
	}
	if utf8.Valid(body) {
		e.Body = string(body)
	} else {
		e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return e
}
