package ordersapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/metrics"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
)

// scrape returns the value line of series in the answer of GET /metrics, "" when absent.
func scrape(t *testing.T, h http.Handler, series string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("got /metrics %d", rec.Code)
	}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

const (
	replays   = `backoffice_events_total{event="idempotent_replay",service="orders-api"}`
	conflicts = `backoffice_events_total{event="idempotency_conflict",service="orders-api"}`
)

// TestIdempotencyCounters: each replayed answer (confirm and create) adds one to the replay
// counter; each 422 idempotency_key_reused and each 409 idempotency_key_in_progress adds one
// to the conflict counter; nothing else moves them.
func TestIdempotencyCounters(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{Metrics: metrics.New("orders-api")})
	h := c.api.Handler
	want := func(series, value, after string) {
		t.Helper()
		if got := scrape(t, h, series); got != value {
			t.Fatalf("after %s: got %s = %q, want %q", after, series, got, value)
		}
	}
	want(replays, "0", "start")
	want(conflicts, "0", "start")

	p := c.createProduct("M-1", 100, 10)
	body := `{"customer_id":1,"items":[{"product_id":` + itoa(p.ID) + `,"qty":1}]}`
	o := c.mustCreateOrder(body)
	other := c.mustCreateOrder(body)
	wantStatus(t, c.do(http.MethodPost, orderPath(o.ID, "/confirm"), "", "X-Idempotency-Key", "m-1"), http.StatusOK)
	want(replays, "0", "a first confirmation")

	wantStatus(t, c.do(http.MethodPost, orderPath(o.ID, "/confirm"), "", "X-Idempotency-Key", "m-1"), http.StatusOK)
	want(replays, "1", "a replayed confirmation")
	wantStatus(t, c.createOrder(body, "Idempotency-Key", "create-1"), http.StatusCreated)
	wantStatus(t, c.createOrder(body, "Idempotency-Key", "create-1"), http.StatusCreated)
	want(replays, "2", "a replayed creation")
	want(conflicts, "0", "replays")

	wantError(t, c.do(http.MethodPost, orderPath(other.ID, "/confirm"), "", "X-Idempotency-Key", "m-1"), http.StatusUnprocessableEntity, "idempotency_key_reused")
	want(conflicts, "1", "a key reused on another order")
	wantError(t, c.createOrder(strings.Replace(body, `"qty":1`, `"qty":2`, 1), "Idempotency-Key", "create-1"), http.StatusUnprocessableEntity, "idempotency_key_reused")
	want(conflicts, "2", "a key reused with another body")

	// A key whose first request has not finished: reserved, not completed.
	key, err := idempotency.ParseKey("held")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.api.Store.Transact(context.Background(), func(ctx context.Context, r orders.Repos) error {
		_, err := r.Idempotency.Reserve(ctx, idempotency.NewRecord(idempotency.OpConfirmOrder, key, itoa(other.ID), "", time.Now(), time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	wantError(t, c.do(http.MethodPost, orderPath(other.ID, "/confirm"), "", "X-Idempotency-Key", "held"), http.StatusConflict, "idempotency_key_in_progress")
	want(conflicts, "3", "a key in progress")

	// Other refusals are not idempotency conflicts.
	wantError(t, c.do(http.MethodPost, orderPath(other.ID, "/confirm"), ""), http.StatusBadRequest, "idempotency_key_required")
	wantError(t, c.do(http.MethodPost, "/orders/999/confirm", "", "X-Idempotency-Key", "m-9"), http.StatusNotFound, "order_not_found")
	want(conflicts, "3", "other refusals")
	want(replays, "2", "other refusals")
	want(`http_requests_total{method="POST",route="/orders/{id}/confirm",service="orders-api",status="409"}`, "1", "the in-progress answer")
	want(`http_requests_total{method="POST",route="/orders/{id}/confirm",service="orders-api",status="422"}`, "1", "the reused key")
}
