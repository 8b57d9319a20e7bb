package orchestratorapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/application/auth"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
)

type handler struct {
	svc      CreateAndConfirmer
	verifier auth.TokenVerifier
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

// createAndConfirm answers the contract's route. The body is read first, for its
// correlation_id (every answer, a 401 included, carries it); then the JWT is checked (401
// before anything is called or reported about the body); then the body; then the use case.
func (h *handler) createAndConfirm(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	var (
		body      bodyDTO
		decodeErr error
		tooLarge  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooLarge):
		decodeErr = httpkit.ErrBodyTooLarge
	case err != nil:
		httpkit.Logger(r.Context()).WarnContext(r.Context(), "read body", slog.String("error", err.Error()))
		return // the client went away
	default:
		decodeErr = httpkit.DecodeBytes(raw, &body)
	}
	corrID, idErr := correlationID(r, body)
	ctx := httpkit.WithCorrelationID(r.Context(), corrID)
	r = r.WithContext(ctx)
	fail := func(err error) { writeFailure(w, r, corrID, err) }

	token := httpkit.BearerToken(r)
	if token == "" {
		fail(auth.ErrUnauthorized)
		return
	}
	if _, err := h.verifier.Verify(token); err != nil {
		fail(auth.ErrUnauthorized)
		return
	}
	switch {
	case len(raw) > 0 && httpkit.CheckJSONContentType(r.Header) != nil:
		fail(httpkit.ErrUnsupportedMediaType)
		return
	case decodeErr != nil:
		fail(decodeErr)
		return
	case idErr != nil:
		fail(idErr)
		return
	}
	cmd, err := command(token, body)
	if err != nil {
		fail(err)
		return
	}
	cmd.Encode = func(res orchestration.Result) ([]byte, error) { return success(corrID, res) }
	out, err := h.svc.CreateAndConfirm(ctx, cmd)
	if err != nil {
		fail(err)
		return
	}
	if out.NotSaved != nil {
		// The answer stands; a retry rebuilds it through orders-api's keys.
		httpkit.Logger(ctx).WarnContext(ctx, "answer not stored", slog.String("error", out.NotSaved.Error()))
	}
	setHeaders(w, corrID)
	if out.Replayed {
		w.Header().Set(HeaderReplayed, "true")
	}
	httpkit.WriteRaw(w, http.StatusCreated, out.Body)
}

// correlationID picks the correlation id: the body's correlation_id, else X-Correlation-ID
// (as Middleware read it), else a new one. A correlation_id that could forge log lines or
// headers is a 400 (answered with another id); a bad header is ignored, as everywhere.
func correlationID(r *http.Request, body bodyDTO) (string, error) {
	var err error
	if body.CorrelationID != nil {
		if id := httpkit.CleanID(*body.CorrelationID); id != "" {
			return id, nil
		}
		err = errs.Invalid("correlation_id must be 1 to %d printable ASCII characters without spaces", httpkit.MaxIDLength)
	}
	if id := httpkit.CorrelationID(r.Context()); id != "" {
		return id, err
	}
	return httpkit.NewID(), err
}

func command(token string, b bodyDTO) (orchestration.CreateAndConfirm, error) {
	switch {
	case b.CustomerID == nil:
		return orchestration.CreateAndConfirm{}, errs.Invalid("customer_id is required")
	case b.Items == nil:
		return orchestration.CreateAndConfirm{}, errs.Invalid("items is required")
	case b.IdempotencyKey == nil:
		return orchestration.CreateAndConfirm{}, idempotency.ErrKeyRequired.WithMessage("idempotency_key is required")
	}
	cmd := orchestration.CreateAndConfirm{
		Token:          token,
		CustomerID:     *b.CustomerID,
		IdempotencyKey: *b.IdempotencyKey,
		Items:          make([]orchestration.OrderLine, len(*b.Items)),
	}
	for i, it := range *b.Items {
		if it.ProductID == nil || it.Qty == nil {
			return orchestration.CreateAndConfirm{}, errs.Invalid("items[%d] needs product_id and qty", i)
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

// setHeaders adds what every orchestrator answer carries besides Middleware's: the
// correlation id, and no-store since a success holds the customer.
func setHeaders(w http.ResponseWriter, corrID string) {
	w.Header().Set(httpkit.HeaderCorrelationID, corrID)
	w.Header().Set("Cache-Control", "no-store")
}

// writeError is the router's and the middleware's error writer (404, 405, panics, the
// deadline answer): the body has not been read for them, so correlationId is the
// X-Correlation-ID header's, else a new id.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	corrID := httpkit.CorrelationID(r.Context())
	if corrID == "" {
		corrID = httpkit.NewID()
	}
	writeFailure(w, r, corrID, err)
}

// writeFailure writes err in the orchestrator's envelope, mapped through the one kind table
// as httpkit.WriteError maps it: unclassified errors show only "internal error", and the
// cause of every 5xx goes to the request's access log line.
func writeFailure(w http.ResponseWriter, r *http.Request, corrID string, err error) {
	status, detail, _ := httperr.Describe(err)
	if status >= http.StatusInternalServerError {
		httpkit.RecordCause(r.Context(), err)
	}
	b, mErr := json.Marshal(failureBody{CorrelationID: corrID, Error: detail})
	if mErr != nil { // details came from an upstream and hold something JSON cannot encode
		b, _ = json.Marshal(failureBody{CorrelationID: corrID, Error: httperr.Detail{Code: detail.Code, Message: detail.Message}})
	}
	setHeaders(w, corrID)
	httpkit.WriteRaw(w, status, b)
}
