package ordersapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
)

// str is the value behind a JSON string that may be null ("null" for nil).
func str(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// rawFields decodes an order envelope into its raw fields, to see nulls as nulls.
func rawFields(t *testing.T, body []byte) map[string]json.RawMessage {
	t.Helper()
	var env struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return env.Data
}

// TestOrderHoldJSON: orders show expires_at while CREATED and cancel_reason once CANCELED;
// past the hold a read shows the order CANCELED/expired at its expires_at, a confirm is 409
// order_expired, a key that succeeded still replays, and the stock comes back once.
func TestOrderHoldJSON(t *testing.T) {
	t.Parallel()
	clock := &manualClock{now: time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.UTC)}
	c := newClient(t, ordersapitest.Options{HoldTTL: 30 * time.Minute, Now: clock.Now})
	p := c.createProduct("HOLD-1", 100, 10)
	line := `{"customer_id":1,"items":[{"product_id":` + itoa(p.ID) + `,"qty":2}]}`

	rec := c.createOrder(line)
	wantStatus(t, rec, http.StatusCreated)
	raw := rawFields(t, rec.Body.Bytes())
	if string(raw["expires_at"]) != `"2026-11-27T10:30:00.123456Z"` || string(raw["cancel_reason"]) != "null" {
		t.Fatalf("created: got expires_at %s cancel_reason %s, want \"2026-11-27T10:30:00.123456Z\" and null",
			raw["expires_at"], raw["cancel_reason"])
	}
	held := decode[envelope[orderBody]](t, rec).Data
	confirmed := c.mustCreateOrder(line)
	canceled := c.mustCreateOrder(line)
	if c.stock(p.ID) != 4 {
		t.Fatalf("got stock %d, want 4", c.stock(p.ID))
	}

	clock.Advance(30*time.Minute - time.Microsecond)
	first := c.do(http.MethodPost, orderPath(confirmed.ID, "/confirm"), "", "Idempotency-Key", "hold-k1")
	wantStatus(t, first, http.StatusOK)
	if got := decode[envelope[orderBody]](t, first).Data; got.Status != "CONFIRMED" || got.ExpiresAt != nil || got.CancelReason != nil {
		t.Fatalf("confirmed: got status %s expires_at %s cancel_reason %s, want CONFIRMED null null",
			got.Status, str(got.ExpiresAt), str(got.CancelReason))
	}
	rec = c.do(http.MethodPost, orderPath(canceled.ID, "/cancel"), "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[envelope[orderBody]](t, rec).Data; got.Status != "CANCELED" || str(got.CancelReason) != "requested" || got.ExpiresAt != nil {
		t.Fatalf("canceled: got status %s expires_at %s cancel_reason %s, want CANCELED null requested",
			got.Status, str(got.ExpiresAt), str(got.CancelReason))
	}

	// The hold ends: reads show the order expired before anything stored it.
	clock.Advance(time.Microsecond)
	rec = c.do(http.MethodGet, orderPath(held.ID, ""), "")
	wantStatus(t, rec, http.StatusOK)
	got := decode[envelope[orderBody]](t, rec).Data
	if got.Status != "CANCELED" || str(got.CancelReason) != "expired" || str(got.CanceledAt) != *held.ExpiresAt ||
		got.UpdatedAt != *held.ExpiresAt || got.ExpiresAt != nil {
		t.Fatalf("expired: got %+v, want CANCELED/expired canceled at %s", got, *held.ExpiresAt)
	}
	for status, want := range map[string][]int64{"CREATED": {}, "CANCELED": {canceled.ID, held.ID}, "CONFIRMED": {confirmed.ID}} {
		list := decode[envelope[[]orderBody]](t, c.do(http.MethodGet, "/orders?status="+status, "")).Data
		ids := []int64{}
		for _, o := range list {
			ids = append(ids, o.ID)
		}
		if !slices.Equal(ids, want) {
			t.Fatalf("status=%s: got orders %v, want %v", status, ids, want)
		}
	}
	wantError(t, c.do(http.MethodPost, orderPath(held.ID, "/confirm"), "", "Idempotency-Key", "hold-k2"),
		http.StatusConflict, "order_expired")
	// The key that succeeded replays its answer byte for byte.
	again := c.do(http.MethodPost, orderPath(confirmed.ID, "/confirm"), "", "Idempotency-Key", "hold-k1")
	wantStatus(t, again, http.StatusOK)
	if !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("got %s, want the replay of %s", again.Body.String(), first.Body.String())
	}

	// Canceling it stores the expiry and gives the stock back, once.
	if c.stock(p.ID) != 6 {
		t.Fatalf("got stock %d, want 6 (the expired order's units come back when it is expired in storage)", c.stock(p.ID))
	}
	view := c.do(http.MethodGet, orderPath(held.ID, ""), "").Body.Bytes()
	for range 2 {
		rec := c.do(http.MethodPost, orderPath(held.ID, "/cancel"), "")
		wantStatus(t, rec, http.StatusOK)
		if !bytes.Equal(rec.Body.Bytes(), view) {
			t.Fatalf("cancel after the end: got %s, want what the read showed %s", rec.Body.String(), view)
		}
		if c.stock(p.ID) != 8 {
			t.Fatalf("got stock %d, want 8", c.stock(p.ID))
		}
	}
}

// TestOrderHoldOff: with ORDER_HOLD_TTL=0 orders have no expires_at and never expire.
func TestOrderHoldOff(t *testing.T) {
	t.Parallel()
	clock := &manualClock{now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	c := newClient(t, ordersapitest.Options{Now: clock.Now})
	p := c.createProduct("HOLD-OFF", 100, 10)
	o := c.mustCreateOrder(`{"customer_id":1,"items":[{"product_id":` + itoa(p.ID) + `,"qty":1}]}`)
	if o.ExpiresAt != nil {
		t.Fatalf("got expires_at %s, want null", *o.ExpiresAt)
	}
	clock.Advance(365 * 24 * time.Hour)
	wantStatus(t, c.do(http.MethodPost, orderPath(o.ID, "/confirm"), "", "Idempotency-Key", "off-1"), http.StatusOK)
}
