// Package lambda is the orchestrator's API Gateway adapter: one handler that accepts REST API
// (payload v1, events.APIGatewayProxyRequest) and HTTP API (payload v2,
// events.APIGatewayV2HTTPRequest) events, checks the caller's JWT, runs the create-and-confirm
// use case and answers in the contract's orchestrator shapes. LocalServer serves the same
// handler over plain HTTP, the way serverless-offline serves a function locally.
package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/application/auth"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
)

// Route is the orchestrator's one business route.
const Route = "/orchestrator/create-and-confirm-order"

// Errors of the adapter itself.
var (
	// errMethodNotAllowed is KindInvalid because the kind table has no 405; serve sets 405.
	errMethodNotAllowed = errs.New(errs.KindInvalid, "method_not_allowed", "only POST is allowed on this route")
	errBadBase64        = errs.Invalid("request body is not valid base64")
)

// CreateAndConfirmer is the use case the handler runs (*orchestration.Service).
type CreateAndConfirmer interface {
	CreateAndConfirm(ctx context.Context, cmd orchestration.Command) (orchestration.Outcome, error)
}

// HeaderReplayed marks an answer that a key had stored, as orders-api marks its replays.
const HeaderReplayed = "Idempotent-Replayed"

var _ CreateAndConfirmer = (*orchestration.Service)(nil)

// Handler turns API Gateway events into create-and-confirm commands.
type Handler struct {
	svc      CreateAndConfirmer
	verifier auth.TokenVerifier
	logger   *slog.Logger
}

// NewHandler returns the handler. Pass its Handle method to lambda.Start.
func NewHandler(svc CreateAndConfirmer, verifier auth.TokenVerifier, logger *slog.Logger) *Handler {
	return &Handler{svc: svc, verifier: verifier, logger: logger}
}

// request is an event with what the two payload versions have in common.
type request struct {
	v2        bool
	method    string
	header    http.Header
	body      []byte
	gatewayID string // API Gateway's request id, used when the caller sent no X-Request-ID
}

// response is what Handle answers before it is shaped as a v1 or v2 response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// Handle is the Lambda entry point. It tells the payload version by "version": "2.0" and
// answers with the matching response type. It returns an error only when the event is not an
// API Gateway proxy event at all (there is then no HTTP request to answer); every HTTP-level
// problem is an HTTP answer.
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (json.RawMessage, error) {
	var probe struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(event, &probe); err != nil {
		return nil, fmt.Errorf("lambda: event is not a JSON object: %w", err)
	}
	var (
		req      request
		bodyText string
		base64ed bool
	)
	if probe.Version == "2.0" {
		var e events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(event, &e); err != nil {
			return nil, fmt.Errorf("lambda: bad HTTP API event: %w", err)
		}
		req = request{v2: true, method: e.RequestContext.HTTP.Method, header: http.Header{}, gatewayID: e.RequestContext.RequestID}
		for k, v := range e.Headers { // HTTP API joins repeated headers with commas
			req.header.Set(k, v)
		}
		bodyText, base64ed = e.Body, e.IsBase64Encoded
	} else {
		var e events.APIGatewayProxyRequest
		if err := json.Unmarshal(event, &e); err != nil {
			return nil, fmt.Errorf("lambda: bad REST API event: %w", err)
		}
		req = request{method: e.HTTPMethod, header: http.Header{}, gatewayID: e.RequestContext.RequestID}
		for k, vs := range e.MultiValueHeaders {
			for _, v := range vs {
				req.header.Add(k, v)
			}
		}
		for k, v := range e.Headers {
			if req.header.Get(k) == "" {
				req.header.Set(k, v)
			}
		}
		bodyText, base64ed = e.Body, e.IsBase64Encoded
	}
	if req.method == "" {
		return nil, errors.New("lambda: event is not an API Gateway proxy event (no HTTP method)")
	}
	var resp response
	if base64ed {
		b, err := base64.StdEncoding.DecodeString(bodyText)
		if err != nil {
			resp = h.serveError(ctx, req, errBadBase64)
		} else {
			req.body = b
		}
	} else {
		req.body = []byte(bodyText)
	}
	if resp.status == 0 {
		resp = h.serve(ctx, req)
	}
	return encode(req.v2, resp)
}

func encode(v2 bool, resp response) (json.RawMessage, error) {
	headers := make(map[string]string, len(resp.header))
	for k, vs := range resp.header {
		headers[k] = strings.Join(vs, ",")
	}
	var out any
	if v2 {
		out = events.APIGatewayV2HTTPResponse{StatusCode: resp.status, Headers: headers, Body: string(resp.body)}
	} else {
		out = events.APIGatewayProxyResponse{StatusCode: resp.status, Headers: headers, Body: string(resp.body)}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("lambda: encode response: %w", err)
	}
	return b, nil
}

// bodyDTO is the request body. Pointers tell a missing field from a zero value; decoding is
// strict, so an unknown field is a 400.
type bodyDTO struct {
	CustomerID     *int64     `json:"customer_id"`
	Items          *[]itemDTO `json:"items"`
	IdempotencyKey *string    `json:"idempotency_key"`
	CorrelationID  *string    `json:"correlation_id"`
}

type itemDTO struct {
	ProductID *int64 `json:"product_id"`
	Qty       *int64 `json:"qty"`
}

// serve answers one request: ids, then the JWT (401 before anything is called or reported
// about the body), then the body, then the use case.
func (h *Handler) serve(ctx context.Context, req request) response {
	start := time.Now()
	var body bodyDTO
	decodeErr := httpkit.DecodeBytes(req.body, &body)
	reqID, corrID, idErr := ids(req, body)
	ctx = h.withIDs(ctx, reqID, corrID)

	var (
		status   int
		out      []byte
		replayed bool
	)
	switch {
	case req.method != http.MethodPost:
		status, out = failure(ctx, corrID, errMethodNotAllowed)
		status = http.StatusMethodNotAllowed
	case !h.authorized(req):
		status, out = failure(ctx, corrID, auth.ErrUnauthorized)
	case len(req.body) > 0 && httpkit.CheckJSONContentType(req.header) != nil:
		status, out = failure(ctx, corrID, httpkit.ErrUnsupportedMediaType)
	case decodeErr != nil:
		status, out = failure(ctx, corrID, decodeErr)
	case idErr != nil:
		status, out = failure(ctx, corrID, idErr)
	default:
		cmd, err := command(req, body)
		if err != nil {
			status, out = failure(ctx, corrID, err)
			break
		}
		cmd.Encode = func(r orchestration.Result) ([]byte, error) { return success(corrID, r) }
		res, err := h.svc.CreateAndConfirm(ctx, cmd)
		if err != nil {
			status, out = failure(ctx, corrID, err)
			break
		}
		if res.NotSaved != nil {
			// The answer stands; a retry rebuilds it through orders-api's keys.
			httpkit.Logger(ctx).WarnContext(ctx, "answer not stored", slog.String("error", res.NotSaved.Error()))
		}
		status, out, replayed = http.StatusCreated, res.Body, res.Replayed
	}
	resp := response{status: status, body: out, header: http.Header{
		"Content-Type":              {"application/json"},
		httpkit.HeaderRequestID:     {reqID},
		httpkit.HeaderCorrelationID: {corrID},
	}}
	setSafetyHeaders(resp.header)
	if status == http.StatusMethodNotAllowed {
		resp.header.Set("Allow", http.MethodPost)
	}
	if replayed {
		resp.header.Set(HeaderReplayed, "true")
	}
	httpkit.Logger(ctx).LogAttrs(ctx, slog.LevelInfo, "invocation",
		slog.String("method", req.method), slog.Bool("payload_v2", req.v2),
		slog.Int("status", status), slog.Duration("duration", time.Since(start)))
	return resp
}

// serveError answers a request that could not be read at all.
func (h *Handler) serveError(ctx context.Context, req request, err error) response {
	reqID, corrID, _ := ids(req, bodyDTO{})
	ctx = h.withIDs(ctx, reqID, corrID)
	status, out := failure(ctx, corrID, err)
	resp := response{status: status, body: out, header: http.Header{
		"Content-Type":              {"application/json"},
		httpkit.HeaderRequestID:     {reqID},
		httpkit.HeaderCorrelationID: {corrID},
	}}
	setSafetyHeaders(resp.header)
	return resp
}

// setSafetyHeaders adds the headers every orchestrator answer carries: nosniff, and
// no-store since a success holds the customer.
func setSafetyHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

func (h *Handler) withIDs(ctx context.Context, reqID, corrID string) context.Context {
	logger := h.logger
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		logger = logger.With(slog.String("aws_request_id", lc.AwsRequestID))
	}
	return httpkit.WithIDs(ctx, logger, reqID, corrID)
}

func (h *Handler) authorized(req request) bool {
	tok := bearer(req.header.Get("Authorization"))
	if tok == "" {
		return false
	}
	_, err := h.verifier.Verify(tok)
	return err == nil
}

func bearer(v string) string {
	const prefix = "bearer "
	if len(v) <= len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(v[len(prefix):])
}

// ids picks the request id (the caller's X-Request-ID, else API Gateway's, else a new one) and
// the correlation id (the body's correlation_id, else X-Correlation-ID, else a new one). A
// correlation_id that could forge log lines or headers is a 400; a bad header is ignored,
// as the HTTP services do.
func ids(req request, body bodyDTO) (reqID, corrID string, err error) {
	reqID = cleanID(req.header.Get(httpkit.HeaderRequestID))
	if reqID == "" {
		reqID = cleanID(req.gatewayID)
	}
	if reqID == "" {
		reqID = httpkit.NewID()
	}
	if body.CorrelationID != nil {
		if corrID = cleanID(*body.CorrelationID); corrID == "" {
			err = errs.Invalid("correlation_id must be 1 to %d printable ASCII characters without spaces", maxIDLength)
		}
	}
	if corrID == "" {
		corrID = cleanID(req.header.Get(httpkit.HeaderCorrelationID))
	}
	if corrID == "" {
		corrID = httpkit.NewID()
	}
	return reqID, corrID, err
}

const maxIDLength = 128

func cleanID(s string) string {
	if len(s) == 0 || len(s) > maxIDLength {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return ""
		}
	}
	return s
}

func command(req request, b bodyDTO) (orchestration.Command, error) {
	switch {
	case b.CustomerID == nil:
		return orchestration.Command{}, errs.Invalid("customer_id is required")
	case b.Items == nil:
		return orchestration.Command{}, errs.Invalid("items is required")
	case b.IdempotencyKey == nil:
		return orchestration.Command{}, idempotency.ErrKeyRequired.WithMessage("idempotency_key is required")
	}
	cmd := orchestration.Command{
		Token:          bearer(req.header.Get("Authorization")),
		CustomerID:     *b.CustomerID,
		IdempotencyKey: *b.IdempotencyKey,
		Items:          make([]orchestration.OrderLine, len(*b.Items)),
	}
	for i, it := range *b.Items {
		if it.ProductID == nil || it.Qty == nil {
			return orchestration.Command{}, errs.Invalid("items[%d] needs product_id and qty", i)
		}
		cmd.Items[i] = orchestration.OrderLine{ProductID: *it.ProductID, Qty: *it.Qty}
	}
	return cmd, nil
}

// The contract's orchestrator answers.
type successBody struct {
	Success       bool       `json:"success"`
	CorrelationID string     `json:"correlationId"`
	Data          resultData `json:"data"`
}

type resultData struct {
	Customer customerJSON `json:"customer"`
	Order    orderJSON    `json:"order"`
}

type customerJSON struct {
	ID    int64   `json:"id"`
	Name  string  `json:"name"`
	Email string  `json:"email"`
	Phone *string `json:"phone"`
}

type orderJSON struct {
	ID         int64      `json:"id"`
	Status     string     `json:"status"`
	TotalCents int64      `json:"total_cents"`
	Items      []itemJSON `json:"items"`
}

type itemJSON struct {
	ProductID      int64 `json:"product_id"`
	Qty            int64 `json:"qty"`
	UnitPriceCents int64 `json:"unit_price_cents"`
	SubtotalCents  int64 `json:"subtotal_cents"`
}

type failureBody struct {
	Success       bool           `json:"success"`
	CorrelationID string         `json:"correlationId"`
	Error         httperr.Detail `json:"error"`
}

// success is the 201 body of a run: the answer the use case stores under the key and every
// retry with the key answers byte for byte (correlationId included: it is the first run's).
func success(corrID string, r orchestration.Result) ([]byte, error) {
	o := orderJSON{ID: r.Order.ID, Status: r.Order.Status, TotalCents: r.Order.TotalCents, Items: make([]itemJSON, len(r.Order.Items))}
	for i, it := range r.Order.Items {
		o.Items[i] = itemJSON{ProductID: it.ProductID, Qty: it.Qty, UnitPriceCents: it.UnitPriceCents, SubtotalCents: it.SubtotalCents}
	}
	c := r.Customer
	b, err := json.Marshal(successBody{Success: true, CorrelationID: corrID, Data: resultData{
		Customer: customerJSON{ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone}, Order: o}})
	if err != nil {
		return nil, fmt.Errorf("encode answer: %w", err)
	}
	return b, nil
}

// failure maps err through the one kind table. Unclassified errors are logged with the ids and
// shown only as "internal error".
func failure(ctx context.Context, corrID string, err error) (int, []byte) {
	status, detail, internal := httperr.Describe(err)
	if internal {
		httpkit.Logger(ctx).ErrorContext(ctx, "internal error", slog.String("error", err.Error()))
	} else if status >= 500 {
		httpkit.Logger(ctx).WarnContext(ctx, "upstream failure", slog.String("code", detail.Code), slog.String("error", err.Error()))
	}
	b, mErr := json.Marshal(failureBody{CorrelationID: corrID, Error: detail})
	if mErr != nil { // details came from an upstream and hold something JSON cannot encode
		b, _ = json.Marshal(failureBody{CorrelationID: corrID, Error: httperr.Detail{Code: detail.Code, Message: detail.Message}})
	}
	return status, b
}
