// Package lambda serves an http.Handler to AWS Lambda: it translates API Gateway REST API
// (payload v1, events.APIGatewayProxyRequest) and HTTP API (payload v2,
// events.APIGatewayV2HTTPRequest) events into http.Requests and the handler's answers back,
// with github.com/awslabs/aws-lambda-go-api-proxy. The orchestrator passes it the handler of
// adapters/http/orchestratorapi, the one its HTTP server serves on port 3003.
package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
)

// Handler answers API Gateway proxy events with an http.Handler.
type Handler struct {
	v1 *httpadapter.HandlerAdapter
	v2 *httpadapter.HandlerAdapterV2
}

// NewHandler returns the translator for h. Pass its Handle method to lambda.Start.
func NewHandler(h http.Handler) *Handler {
	h = gatewayRequestID(h)
	return &Handler{v1: httpadapter.New(h), v2: httpadapter.NewV2(h)}
}

// Handle is the Lambda entry point. It tells the payload version by "version": "2.0" and
// answers with the matching response type. It returns an error, and no HTTP answer, only
// for an event API Gateway does not send: not a proxy event at all (no HTTP method), or one
// that does not make an HTTP request (a body flagged base64 that is not, an invalid method
// or path). Every HTTP-level problem is the handler's answer.
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (any, error) {
	var probe struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(event, &probe); err != nil {
		return nil, fmt.Errorf("lambda: event is not a JSON object: %w", err)
	}
	if probe.Version == "2.0" {
		var e events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(event, &e); err != nil {
			return nil, fmt.Errorf("lambda: bad HTTP API event: %w", err)
		}
		if e.RequestContext.HTTP.Method == "" {
			return nil, errNotProxyEvent
		}
		return answer(h.v2.ProxyWithContext(ctx, e))
	}
	var e events.APIGatewayProxyRequest
	if err := json.Unmarshal(event, &e); err != nil {
		return nil, fmt.Errorf("lambda: bad REST API event: %w", err)
	}
	if e.HTTPMethod == "" {
		return nil, errNotProxyEvent
	}
	return answer(h.v1.ProxyWithContext(ctx, e))
}

var errNotProxyEvent = errors.New("lambda: event is not an API Gateway proxy event (no HTTP method)")

// answer returns the adapter's response, or its error alone: on an error it answers an
// empty 504 that nobody should see.
func answer[R any](resp R, err error) (any, error) {
	if err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	return resp, nil
}

// gatewayRequestID gives a request without X-Request-ID the id API Gateway gave it, so that
// the answer, the access log and the calls to the other services name the request as API
// Gateway's logs do (httpkit's middleware otherwise makes a new one).
func gatewayRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if httpkit.CleanID(r.Header.Get(httpkit.HeaderRequestID)) == "" {
			id := ""
			if c, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok {
				id = c.RequestID
			} else if c, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok {
				id = c.RequestID
			}
			if id != "" {
				r.Header.Set(httpkit.HeaderRequestID, id)
			}
		}
		next.ServeHTTP(w, r)
	})
}
