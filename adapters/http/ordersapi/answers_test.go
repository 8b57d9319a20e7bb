package ordersapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
)

type answerBody struct {
	Fingerprint string `json:"fingerprint"`
	Status      int    `json:"status"`
	Body        string `json:"body"`
}

// serviceClient calls orders-api with the service token, as the orchestrator does.
func serviceClient(t *testing.T, opts ordersapitest.Options) *client {
	t.Helper()
	c := newClient(t, opts)
	c.token = c.api.Options.ServiceToken
	return c
}

func putAnswer(fingerprint string, status int, body string) string {
	b, _ := json.Marshal(answerBody{Fingerprint: fingerprint, Status: status, Body: body})
	return string(b)
}

func wantAnswer(t *testing.T, c *client, method, path, req string, status int, want answerBody) {
	t.Helper()
	rec := c.do(method, path, req)
	wantStatus(t, rec, status)
	if got := decode[envelope[answerBody]](t, rec).Data; got != want {
		t.Fatalf("%s %s: got %+v, want %+v", method, path, got, want)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%s %s: got Cache-Control %q, want no-store", method, path, rec.Header().Get("Cache-Control"))
	}
}

// TestStoredAnswers: the orchestrator's answer is stored once per key behind the service
// token and read back as the exact text it sent.
func TestStoredAnswers(t *testing.T) {
	t.Parallel()
	c := serviceClient(t, ordersapitest.Options{})
	fp, other := idempotency.Fingerprint("request", "1"), idempotency.Fingerprint("request", "2")
	path := "/internal/orchestrations/" + fp // the orchestrator's keys are hex digests too
	text := "{\"success\":true,\"correlationId\":\"c-1\",\"data\":{\"customer\":{\"name\":\"Caf\u00e9 <&> \\\"Q\\\"\"}}}\n"
	first := answerBody{Fingerprint: fp, Status: 201, Body: text}

	wantError(t, c.do(http.MethodGet, path, ""), http.StatusNotFound, "idempotency_key_not_found")
	wantAnswer(t, c, http.MethodPut, path, putAnswer(fp, 201, text), http.StatusCreated, first)
	wantAnswer(t, c, http.MethodGet, path, "", http.StatusOK, first)
	// The same request again, with another text: the first one stays and comes back.
	wantAnswer(t, c, http.MethodPut, path, putAnswer(fp, 201, `{"success":true,"correlationId":"c-2"}`), http.StatusOK, first)
	wantAnswer(t, c, http.MethodGet, path, "", http.StatusOK, first)
	// Another request under the key: 422, nothing changes.
	wantError(t, c.do(http.MethodPut, path, putAnswer(other, 201, `{}`)), http.StatusUnprocessableEntity, "idempotency_key_reused")
	wantAnswer(t, c, http.MethodGet, path, "", http.StatusOK, first)

	for name, req := range map[string]string{
		"fingerprint":     putAnswer("abc", 201, "{}"),
		"status":          putAnswer(fp, 500, "{}"),
		"empty body":      putAnswer(fp, 201, ""),
		"missing body":    `{"fingerprint":"` + fp + `","status":201}`,
		"unknown field":   `{"fingerprint":"` + fp + `","status":201,"body":"{}","extra":1}`,
		"not JSON at all": `nope`,
	} {
		wantError(t, c.do(http.MethodPut, "/internal/orchestrations/bad-"+strings.ReplaceAll(name, " ", "-"), req),
			http.StatusBadRequest, "invalid_request")
	}
	long := "/internal/orchestrations/" + strings.Repeat("k", 256)
	wantError(t, c.do(http.MethodGet, long, ""), http.StatusBadRequest, "invalid_idempotency_key")
	wantError(t, c.do(http.MethodPut, long, putAnswer(fp, 201, "{}")), http.StatusBadRequest, "invalid_idempotency_key")
	wantError(t, c.do(http.MethodPut, "/internal/orchestrations/huge", putAnswer(fp, 201, strings.Repeat("x", 1<<20))),
		http.StatusRequestEntityTooLarge, "payload_too_large")
	wantError(t, c.do(http.MethodGet, "/internal/orchestrations/huge", ""), http.StatusNotFound, "idempotency_key_not_found")
}

// TestStoredAnswersNeedTheServiceToken: no token, a wrong one or a user JWT gets 401.
func TestStoredAnswersNeedTheServiceToken(t *testing.T) {
	t.Parallel()
	c := serviceClient(t, ordersapitest.Options{})
	user := c.api.UserToken(t)
	fp := idempotency.Fingerprint("x")
	for _, token := range []string{"", "wrong-token", user} {
		c.token = token
		wantError(t, c.do(http.MethodGet, "/internal/orchestrations/k", ""), http.StatusUnauthorized, "unauthorized")
		wantError(t, c.do(http.MethodPut, "/internal/orchestrations/k", putAnswer(fp, 201, "{}")), http.StatusUnauthorized, "unauthorized")
	}
	c.token = c.api.Options.ServiceToken
	wantError(t, c.do(http.MethodGet, "/internal/orchestrations/k", ""), http.StatusNotFound, "idempotency_key_not_found")
}

// busyStore is a store whose every unit of work finds its key held by another request.
type busyStore struct{ *memory.OrdersStore }

func (busyStore) Transact(context.Context, func(context.Context, orders.Repos) error) error {
	return idempotency.ErrInProgress
}

func TestStoredAnswerInProgress(t *testing.T) {
	t.Parallel()
	c := serviceClient(t, ordersapitest.Options{Store: busyStore{memory.NewOrdersStore()}})
	wantError(t, c.do(http.MethodPut, "/internal/orchestrations/k", putAnswer(idempotency.Fingerprint("x"), 201, "{}")),
		http.StatusConflict, "idempotency_key_in_progress")
}

// TestCreateOrderReplayOutlivesTheCustomer: a keyed creation that completed replays its
// stored answer after the customer is deleted; a new key for that customer is 422.
func TestCreateOrderReplayOutlivesTheCustomer(t *testing.T) {
	t.Parallel()
	c, customerID, capi := withCustomers(t, ordersapitest.Options{})
	p := c.createProduct("GONE-1", 100, 5)
	body := `{"customer_id":` + itoa(customerID) + `,"items":[{"product_id":` + itoa(p.ID) + `,"qty":2}]}`
	first := c.createOrder(body, "Idempotency-Key", "outlive-1")
	wantStatus(t, first, http.StatusCreated)
	if err := capi.Customers.DeleteCustomer(context.Background(), customerID); err != nil {
		t.Fatal(err)
	}
	again := c.createOrder(body, "Idempotency-Key", "outlive-1")
	wantStatus(t, again, http.StatusCreated)
	if !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay after the customer was deleted: got %s, want the first body replayed", again.Body.String())
	}
	wantError(t, c.createOrder(body, "Idempotency-Key", "outlive-2"), http.StatusUnprocessableEntity, "customer_not_found")
	if got := c.stock(p.ID); got != 3 {
		t.Fatalf("got stock %d, want 3", got)
	}
}
