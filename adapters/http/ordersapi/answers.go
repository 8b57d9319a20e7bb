package ordersapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
)

// The internal routes below keep the orchestrator's consolidated answers (customer and
// confirmed order) by the orchestrator's key, so that a retry answers its stored 201 without
// asking customers-api again. They take the service token, never a user JWT.

// answerJSON is a stored answer on the wire: body is the exact answer text, as a JSON string
// so that it comes back byte for byte.
type answerJSON struct {
	Fingerprint string `json:"fingerprint"`
	Status      int    `json:"status"`
	Body        string `json:"body"`
}

// putAnswerRequest is the body of PUT /internal/orchestrations/{key}; every field is required.
type putAnswerRequest struct {
	Fingerprint *string `json:"fingerprint"`
	Status      *int    `json:"status"`
	Body        *string `json:"body"`
}

func toAnswerJSON(a orders.Answer) answerJSON {
	return answerJSON{Fingerprint: a.Fingerprint, Status: a.Response.Status, Body: string(a.Response.Body)}
}

// answerKey reads the {key} path segment: 1..255 printable ASCII characters.
func answerKey(r *http.Request) (idempotency.Key, error) {
	return idempotency.ParseKey(mux.Vars(r)["key"])
}

// writeAnswer answers a stored answer; it names a customer, so no cache may keep it.
func writeAnswer(w http.ResponseWriter, status int, a orders.Answer) {
	w.Header().Set("Cache-Control", "no-store")
	httpkit.WriteData(w, status, toAnswerJSON(a))
}

// getAnswer serves GET /internal/orchestrations/{key}: 200 with the stored answer, 404
// idempotency_key_not_found when none is stored (or it expired).
func (h *handlers) getAnswer(w http.ResponseWriter, r *http.Request) {
	key, err := answerKey(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.orders.GetAnswer(r.Context(), key)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeAnswer(w, http.StatusOK, a)
}

// putAnswer serves PUT /internal/orchestrations/{key}: 201 when this call stored the answer,
// 200 with the answer stored before when the same request's answer was there already (the
// first one stays), 422 idempotency_key_reused when the key holds another request's answer.
func (h *handlers) putAnswer(w http.ResponseWriter, r *http.Request) {
	key, err := answerKey(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var body putAnswerRequest
	if err := httpkit.Decode(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	if body.Fingerprint == nil || body.Status == nil || body.Body == nil {
		h.fail(w, r, errs.Invalid("fingerprint, status and body are required"))
		return
	}
	stored, created, err := h.orders.StoreAnswer(r.Context(), key, orders.Answer{Fingerprint: *body.Fingerprint,
		Response: idempotency.Response{Status: *body.Status, Body: []byte(*body.Body)}})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeAnswer(w, status, stored)
}
