package ordersapi_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
)

// withCustomers returns a client of orders-api checking customers through the real
// customers client against a real customers-api (memory adapters) on an httptest server,
// and the id of a customer that exists there.
func withCustomers(t *testing.T, opts ordersapitest.Options) (*client, int64, *customersapitest.API) {
	t.Helper()
	capi, srv := customersapitest.Start(t, customersapitest.Options{})
	acme := capi.Seed(t, "ACME", "ops@acme.com", "")
	opts.CustomersBase = srv.URL
	return newClient(t, opts), acme.ID(), capi
}

func TestCreateOrder(t *testing.T) {
	t.Parallel()
	c, customerID, _ := withCustomers(t, ordersapitest.Options{})
	a := c.createProduct("A-1", 129900, 10)
	b := c.createProduct("B-1", 250, 5)

	// Lines of the same product are merged; prices are copied; the total sums the lines.
	rec := c.createOrder(`{"customer_id":` + itoa(customerID) + `,"items":[{"product_id":` + itoa(b.ID) + `,"qty":2},` +
		`{"product_id":` + itoa(a.ID) + `,"qty":1},{"product_id":` + itoa(a.ID) + `,"qty":2}]}`)
	wantStatus(t, rec, http.StatusCreated)
	o := decode[envelope[orderBody]](t, rec).Data
	if got := rec.Header().Get("Location"); got != orderPath(o.ID, "") {
		t.Fatalf("got Location %q", got)
	}
	if rec.Header().Get("Idempotent-Replayed") != "" {
		t.Fatal("a first creation says it was replayed")
	}
	if o.ID <= 0 || o.CustomerID != customerID || o.Status != "CREATED" || o.TotalCents != 3*129900+2*250 ||
		o.ConfirmedAt != nil || o.CanceledAt != nil || o.CreatedAt == "" || o.CreatedAt != o.UpdatedAt || len(o.Items) != 2 {
		t.Fatalf("got %+v", o)
	}
	first, second := o.Items[0], o.Items[1]
	if first.ProductID != a.ID || first.SKU != "A-1" || first.Name != "Product A-1" || first.Qty != 3 ||
		first.UnitPriceCents != 129900 || first.SubtotalCents != 3*129900 {
		t.Fatalf("got item %+v", first)
	}
	if second.ProductID != b.ID || second.Qty != 2 || second.UnitPriceCents != 250 || second.SubtotalCents != 500 {
		t.Fatalf("got item %+v", second)
	}
	if got := c.stock(a.ID); got != 7 {
		t.Fatalf("got stock %d, want 7", got)
	}
	if got := c.stock(b.ID); got != 3 {
		t.Fatalf("got stock %d, want 3", got)
	}
	// A later price change does not touch the order.
	wantStatus(t, c.do(http.MethodPatch, "/products/"+itoa(a.ID), `{"price_cents":1}`), http.StatusOK)
	rec = c.do(http.MethodGet, orderPath(o.ID, ""), "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[envelope[orderBody]](t, rec).Data; got.TotalCents != o.TotalCents || got.Items[0].UnitPriceCents != 129900 {
		t.Fatalf("got %+v after a price change", got)
	}
}

// TestCreateOrderErrorsWriteNothing covers each refusal of POST /orders and checks that
// none of them took stock or stored an order.
func TestCreateOrderErrorsWriteNothing(t *testing.T) {
	t.Parallel()
	c, customerID, capi := withCustomers(t, ordersapitest.Options{})
	p := c.createProduct("E-1", 100, 3)
	gone := capi.Seed(t, "Gone", "gone@acme.com", "")
	if err := capi.Customers.DeleteCustomer(t.Context(), gone.ID()); err != nil {
		t.Fatal(err)
	}
	cust, pid := itoa(customerID), itoa(p.ID)
	many := make([]string, 101)
	for i := range many {
		many[i] = `{"product_id":` + itoa(int64(i+1)) + `,"qty":1}`
	}
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"unknown customer", `{"customer_id":999999,"items":[{"product_id":` + pid + `,"qty":1}]}`, http.StatusUnprocessableEntity, "customer_not_found"},
		{"deleted customer", `{"customer_id":` + itoa(gone.ID()) + `,"items":[{"product_id":` + pid + `,"qty":1}]}`, http.StatusUnprocessableEntity, "customer_not_found"},
		{"unknown products", `{"customer_id":` + cust + `,"items":[{"product_id":` + pid + `,"qty":1},{"product_id":777,"qty":1},{"product_id":555,"qty":1}]}`, http.StatusUnprocessableEntity, "product_not_found"},
		{"insufficient stock", `{"customer_id":` + cust + `,"items":[{"product_id":` + pid + `,"qty":2},{"product_id":` + pid + `,"qty":2}]}`, http.StatusConflict, "insufficient_stock"},
		{"missing customer", `{"items":[{"product_id":` + pid + `,"qty":1}]}`, http.StatusBadRequest, "invalid_request"},
		{"missing items", `{"customer_id":` + cust + `}`, http.StatusBadRequest, "invalid_request"},
		{"no items", `{"customer_id":` + cust + `,"items":[]}`, http.StatusBadRequest, "invalid_request"},
		{"101 lines", `{"customer_id":` + cust + `,"items":[` + strings.Join(many, ",") + `]}`, http.StatusBadRequest, "invalid_request"},
		{"qty 0", `{"customer_id":` + cust + `,"items":[{"product_id":` + pid + `,"qty":0}]}`, http.StatusBadRequest, "invalid_request"},
		{"missing qty", `{"customer_id":` + cust + `,"items":[{"product_id":` + pid + `}]}`, http.StatusBadRequest, "invalid_request"},
		{"missing product", `{"customer_id":` + cust + `,"items":[{"qty":1}]}`, http.StatusBadRequest, "invalid_request"},
		{"product id 0", `{"customer_id":` + cust + `,"items":[{"product_id":0,"qty":1}]}`, http.StatusBadRequest, "invalid_request"},
		{"customer id 0", `{"customer_id":0,"items":[{"product_id":` + pid + `,"qty":1}]}`, http.StatusBadRequest, "invalid_request"},
		{"unknown field", `{"customer_id":` + cust + `,"status":"CONFIRMED","items":[{"product_id":` + pid + `,"qty":1}]}`, http.StatusBadRequest, "invalid_request"},
		{"unknown line field", `{"customer_id":` + cust + `,"items":[{"product_id":` + pid + `,"qty":1,"unit_price_cents":1}]}`, http.StatusBadRequest, "invalid_request"},
		{"over 1 MiB", `{"customer_id":` + cust + `,"items":[` + strings.Repeat(`{"product_id":1,"qty":1},`, 1<<16) + `{"product_id":1,"qty":1}]}`, http.StatusRequestEntityTooLarge, "payload_too_large"},
		{"string qty", `{"customer_id":` + cust + `,"items":[{"product_id":` + pid + `,"qty":"1"}]}`, http.StatusBadRequest, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := wantError(t, c.createOrder(tc.body), tc.status, tc.code)
			switch tc.code {
			case "product_not_found":
				ids, _ := e.Error.Details["product_ids"].([]any)
				if len(ids) != 2 || ids[0] != float64(555) || ids[1] != float64(777) {
					t.Fatalf("got details %v, want product_ids [555 777]", e.Error.Details)
				}
			case "insufficient_stock":
				items, _ := e.Error.Details["items"].([]any)
				if len(items) != 1 {
					t.Fatalf("got details %v", e.Error.Details)
				}
				it, _ := items[0].(map[string]any)
				if it["product_id"] != float64(p.ID) || it["requested"] != float64(4) || it["available"] != float64(3) {
					t.Fatalf("got details item %v, want product %d requested 4 available 3", it, p.ID)
				}
			}
		})
	}
	if got := c.stock(p.ID); got != 3 {
		t.Fatalf("got stock %d after refused orders, want 3", got)
	}
	rec := c.do(http.MethodGet, "/orders", "")
	if n := len(decode[envelope[[]orderBody]](t, rec).Data); n != 0 {
		t.Fatalf("got %d orders after refused requests, want none", n)
	}
}

// TestCreateOrderCustomersDown: customers-api unreachable, failing or too slow is 503
// customers_unavailable, and nothing is written.
func TestCreateOrderCustomersDown(t *testing.T) {
	t.Parallel()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":{"code":"internal_error","message":"internal error"}}`))
	}))
	t.Cleanup(failing.Close) // not defer: the parallel subtests run after this function returns
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) }) // runs first: lets the slow handlers return
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	for name, base := range map[string]string{"unreachable": closedURL, "failing": failing.URL, "slow": slow.URL} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, ordersapitest.Options{CustomersBase: base, CustomersTimeout: 200 * time.Millisecond})
			p := c.createProduct("DOWN-1", 100, 3)
			e := wantError(t, c.createOrder(`{"customer_id":1,"items":[{"product_id":`+itoa(p.ID)+`,"qty":1}]}`),
				http.StatusServiceUnavailable, "customers_unavailable")
			if strings.Contains(e.Error.Message, "127.0.0.1") || strings.Contains(e.Error.Message, "dial") {
				t.Fatalf("got an infrastructure detail in the message: %q", e.Error.Message)
			}
			if got := c.stock(p.ID); got != 3 {
				t.Fatalf("got stock %d, want 3", got)
			}
			rec := c.do(http.MethodGet, "/orders", "")
			if n := len(decode[envelope[[]orderBody]](t, rec).Data); n != 0 {
				t.Fatalf("got %d orders, want none", n)
			}
		})
	}
}

// TestCreateOrderIdempotent: with Idempotency-Key the same body replays the first answer
// byte for byte (one order, one stock decrement); a different body is 422.
func TestCreateOrderIdempotent(t *testing.T) {
	t.Parallel()
	c, customerID, _ := withCustomers(t, ordersapitest.Options{})
	a := c.createProduct("IC-A", 100, 10)
	b := c.createProduct("IC-B", 10, 10)
	body := `{"customer_id":` + itoa(customerID) + `,"items":[{"product_id":` + itoa(a.ID) + `,"qty":2},{"product_id":` + itoa(b.ID) + `,"qty":1}]}`
	first := c.createOrder(body, "Idempotency-Key", "create-1")
	wantStatus(t, first, http.StatusCreated)
	o := decode[envelope[orderBody]](t, first).Data

	// The same order written differently (lines reordered and split) is the same request.
	same := `{"items":[{"product_id":` + itoa(b.ID) + `,"qty":1},{"product_id":` + itoa(a.ID) + `,"qty":1},{"product_id":` + itoa(a.ID) + `,"qty":1}],"customer_id":` + itoa(customerID) + `}`
	for _, replayBody := range []string{body, same} {
		again := c.createOrder(replayBody, "Idempotency-Key", "create-1")
		wantStatus(t, again, http.StatusCreated)
		if !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) {
			t.Fatalf("replay: got body %s, want %s", again.Body.String(), first.Body.String())
		}
		if again.Header().Get("Idempotent-Replayed") != "true" {
			t.Fatal("replay without Idempotent-Replayed: true")
		}
		if got := again.Header().Get("Location"); got != orderPath(o.ID, "") {
			t.Fatalf("replay: got Location %q", got)
		}
	}
	if got := c.stock(a.ID); got != 8 {
		t.Fatalf("got stock %d after replays, want 8 (one decrement)", got)
	}
	other := `{"customer_id":` + itoa(customerID) + `,"items":[{"product_id":` + itoa(a.ID) + `,"qty":3}]}`
	wantError(t, c.createOrder(other, "Idempotency-Key", "create-1"), http.StatusUnprocessableEntity, "idempotency_key_reused")
	// The X- spelling is the same key.
	wantError(t, c.createOrder(other, "X-Idempotency-Key", "create-1"), http.StatusUnprocessableEntity, "idempotency_key_reused")
	for _, bad := range [][]string{
		{"Idempotency-Key", ""},
		{"Idempotency-Key", strings.Repeat("k", 256)},
		{"Idempotency-Key", "caf\u00e9"},
		{"Idempotency-Key", "a", "X-Idempotency-Key", "b"},
	} {
		wantError(t, c.createOrder(other, bad...), http.StatusBadRequest, "invalid_idempotency_key")
	}
	// A failed creation (not enough stock) stores nothing under its key: after a restock the
	// same key runs anew.
	big := `{"customer_id":` + itoa(customerID) + `,"items":[{"product_id":` + itoa(b.ID) + `,"qty":50}]}`
	wantError(t, c.createOrder(big, "Idempotency-Key", "create-2"), http.StatusConflict, "insufficient_stock")
	wantStatus(t, c.do(http.MethodPatch, "/products/"+itoa(b.ID), `{"stock":100}`), http.StatusOK)
	rec := c.createOrder(big, "Idempotency-Key", "create-2")
	wantStatus(t, rec, http.StatusCreated)
	if rec.Header().Get("Idempotent-Replayed") != "" {
		t.Fatal("a retry after a failure was replayed")
	}
	rec = c.do(http.MethodGet, "/orders", "")
	if n := len(decode[envelope[[]orderBody]](t, rec).Data); n != 2 {
		t.Fatalf("got %d orders, want 2", n)
	}
}

func TestGetOrder(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	p := c.createProduct("G-1", 100, 3)
	o := c.mustCreateOrder(`{"customer_id":3,"items":[{"product_id":` + itoa(p.ID) + `,"qty":1}]}`)
	rec := c.do(http.MethodGet, orderPath(o.ID, ""), "")
	wantStatus(t, rec, http.StatusOK)
	got := decode[envelope[orderBody]](t, rec).Data
	if got.ID != o.ID || got.Status != "CREATED" || len(got.Items) != 1 || got.CreatedAt != o.CreatedAt {
		t.Fatalf("got %+v, want %+v", got, o)
	}
	wantError(t, c.do(http.MethodGet, "/orders/424242", ""), http.StatusNotFound, "order_not_found")
	wantError(t, c.do(http.MethodGet, "/orders/abc", ""), http.StatusBadRequest, "invalid_request")
}

func TestListOrders(t *testing.T) {
	t.Parallel()
	clock := &manualClock{now: time.Date(2026, 3, 9, 23, 59, 59, 999999000, time.UTC)}
	c := newClient(t, ordersapitest.Options{Now: clock.Now})
	p := c.createProduct("L-1", 100, 100)
	line := `"items":[{"product_id":` + itoa(p.ID) + `,"qty":1}]}`
	o1 := c.mustCreateOrder(`{"customer_id":1,` + line) // 2026-03-09 23:59:59.999999
	clock.Advance(time.Microsecond)
	o2 := c.mustCreateOrder(`{"customer_id":2,` + line) // 2026-03-10 00:00:00
	clock.Advance(12 * time.Hour)
	o3 := c.mustCreateOrder(`{"customer_id":1,` + line) // 2026-03-10 12:00:00
	clock.Advance(12 * time.Hour)
	o4 := c.mustCreateOrder(`{"customer_id":1,` + line) // 2026-03-11 00:00:00
	wantStatus(t, c.do(http.MethodPost, orderPath(o2.ID, "/confirm"), "", "Idempotency-Key", "l2"), http.StatusOK)
	wantStatus(t, c.do(http.MethodPost, orderPath(o3.ID, "/cancel"), ""), http.StatusOK)

	list := func(query string) []int64 {
		t.Helper()
		rec := c.do(http.MethodGet, "/orders"+query, "")
		wantStatus(t, rec, http.StatusOK)
		var ids []int64
		for _, o := range decode[envelope[[]orderBody]](t, rec).Data {
			if len(o.Items) != 1 {
				t.Fatalf("got order %d without its items", o.ID)
			}
			ids = append(ids, o.ID)
		}
		return ids
	}
	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"", []int64{o4.ID, o3.ID, o2.ID, o1.ID}},
		{"?status=CREATED", []int64{o4.ID, o1.ID}},
		{"?status=CONFIRMED", []int64{o2.ID}},
		{"?status=CANCELED", []int64{o3.ID}},
		{"?customer_id=1", []int64{o4.ID, o3.ID, o1.ID}},
		{"?customer_id=2&status=CONFIRMED", []int64{o2.ID}},
		{"?customer_id=9", nil},
		{"?from=2026-03-10&to=2026-03-10", []int64{o3.ID, o2.ID}}, // the whole UTC day, both ends
		{"?to=2026-03-09", []int64{o1.ID}},
		{"?from=2026-03-11", []int64{o4.ID}},
		{"?from=" + o2.CreatedAt + "&to=" + o3.CreatedAt, []int64{o3.ID, o2.ID}}, // RFC 3339, inclusive
		{"?from=2026-03-10T01:00:00%2B01:00&to=2026-03-10T00:00:00Z", []int64{o2.ID}},
		{"?from=2026-03-12", nil},
		{"?from=2026-03-11&to=2026-03-09", nil},
	} {
		if got := list(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("GET /orders%s: got %v, want %v", tc.query, got, tc.want)
		}
	}
	// Pages of one, newest first, with the cursor.
	var all []int64
	query := "?limit=1"
	for range 6 {
		rec := c.do(http.MethodGet, "/orders"+query, "")
		env := decode[envelope[[]orderBody]](t, rec)
		for _, o := range env.Data {
			all = append(all, o.ID)
		}
		if !env.Pagination.HasMore {
			break
		}
		query = "?limit=1&cursor=" + *env.Pagination.NextCursor
	}
	if !slices.Equal(all, []int64{o4.ID, o3.ID, o2.ID, o1.ID}) {
		t.Fatalf("pages: got %v", all)
	}
	for _, q := range []string{"?status=created", "?status=SHIPPED", "?customer_id=x", "?customer_id=0", "?customer_id=-1",
		"?from=yesterday", "?to=2026-13-01", "?from=2026-03-10T25:00:00Z", "?to=10/03/2026", "?limit=0", "?cursor=!"} {
		wantError(t, c.do(http.MethodGet, "/orders"+q, ""), http.StatusBadRequest, "invalid_request")
	}
}

// TestConfirmOrder walks the contract's confirmation rules over HTTP.
func TestConfirmOrder(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	p := c.createProduct("C-1", 100, 10)
	line := `{"customer_id":1,"items":[{"product_id":` + itoa(p.ID) + `,"qty":1}]}`
	o := c.mustCreateOrder(line)
	other := c.mustCreateOrder(line)
	confirm := orderPath(o.ID, "/confirm")

	wantError(t, c.do(http.MethodPost, confirm, ""), http.StatusBadRequest, "idempotency_key_required")
	for name, hdr := range map[string][]string{
		"empty":          {"X-Idempotency-Key", ""},
		"too long":       {"X-Idempotency-Key", strings.Repeat("k", 256)},
		"non-ASCII":      {"X-Idempotency-Key", "cl\u00e9"},
		"control":        {"Idempotency-Key", "a\tb"},
		"both different": {"X-Idempotency-Key", "k1", "Idempotency-Key", "k2"},
	} {
		e := wantError(t, c.do(http.MethodPost, confirm, "", hdr...), http.StatusBadRequest, "invalid_idempotency_key")
		if e.Error.Code == "" {
			t.Fatal(name)
		}
	}
	// Refused requests did not confirm.
	if rec := c.do(http.MethodGet, orderPath(o.ID, ""), ""); decode[envelope[orderBody]](t, rec).Data.Status != "CREATED" {
		t.Fatal("a refused confirmation changed the order")
	}

	first := c.do(http.MethodPost, confirm, "", "X-Idempotency-Key", "confirm-1", "Idempotency-Key", "confirm-1")
	wantStatus(t, first, http.StatusOK)
	got := decode[envelope[orderBody]](t, first).Data
	if got.Status != "CONFIRMED" || got.ConfirmedAt == nil || got.CanceledAt != nil || got.UpdatedAt != *got.ConfirmedAt {
		t.Fatalf("got %+v", got)
	}
	if first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatal("a first confirmation says it was replayed")
	}
	for _, hdr := range []string{"X-Idempotency-Key", "Idempotency-Key"} {
		again := c.do(http.MethodPost, confirm, "", hdr, "confirm-1")
		wantStatus(t, again, http.StatusOK)
		if !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) || again.Header().Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay with %s: got %s (replayed %q), want %s", hdr, again.Body.String(),
				again.Header().Get("Idempotent-Replayed"), first.Body.String())
		}
	}
	wantError(t, c.do(http.MethodPost, orderPath(other.ID, "/confirm"), "", "X-Idempotency-Key", "confirm-1"),
		http.StatusUnprocessableEntity, "idempotency_key_reused")
	// A new key on a CONFIRMED order: 200 with the order as it is (confirmed_at unchanged).
	rec := c.do(http.MethodPost, confirm, "", "X-Idempotency-Key", "confirm-2")
	wantStatus(t, rec, http.StatusOK)
	if again := decode[envelope[orderBody]](t, rec).Data; again.Status != "CONFIRMED" || *again.ConfirmedAt != *got.ConfirmedAt {
		t.Fatalf("got %+v", again)
	}
	// A CANCELED order cannot be confirmed.
	wantStatus(t, c.do(http.MethodPost, orderPath(other.ID, "/cancel"), ""), http.StatusOK)
	wantError(t, c.do(http.MethodPost, orderPath(other.ID, "/confirm"), "", "X-Idempotency-Key", "confirm-3"),
		http.StatusConflict, "invalid_order_state")
	wantError(t, c.do(http.MethodPost, "/orders/999999/confirm", "", "X-Idempotency-Key", "confirm-4"),
		http.StatusNotFound, "order_not_found")
	wantError(t, c.do(http.MethodPost, "/orders/x/confirm", "", "X-Idempotency-Key", "confirm-4"),
		http.StatusBadRequest, "invalid_request")
	// The failed confirmations left their keys free.
	wantStatus(t, c.do(http.MethodPost, confirm, "", "X-Idempotency-Key", "confirm-3"), http.StatusOK)
}

// TestConcurrentConfirmsOneKey: many clients confirm one order with one key at once; every
// answer is the first response (200, identical bytes) or 409 in progress, never anything else.
func TestConcurrentConfirmsOneKey(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	p := c.createProduct("CC-1", 100, 10)
	o := c.mustCreateOrder(`{"customer_id":1,"items":[{"product_id":` + itoa(p.ID) + `,"qty":1}]}`)
	const n = 50
	recs := make([]*httptest.ResponseRecorder, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := httptest.NewRequest(http.MethodPost, orderPath(o.ID, "/confirm"), nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			req.Header.Set("X-Idempotency-Key", "same")
			rec := httptest.NewRecorder()
			c.api.Handler.ServeHTTP(rec, req)
			recs[i] = rec
		})
	}
	wg.Wait()
	var body []byte
	fresh := 0
	for _, rec := range recs {
		switch rec.Code {
		case http.StatusOK:
			if rec.Header().Get("Idempotent-Replayed") == "" {
				fresh++
			}
			if body == nil {
				body = rec.Body.Bytes()
			} else if !bytes.Equal(body, rec.Body.Bytes()) {
				t.Fatalf("got two different 200 bodies:\n%s\n%s", body, rec.Body.Bytes())
			}
		case http.StatusConflict:
			wantError(t, rec, http.StatusConflict, "idempotency_key_in_progress")
		default:
			t.Fatalf("got status %d: %s", rec.Code, rec.Body.String())
		}
	}
	if fresh != 1 {
		t.Fatalf("got %d first-time answers, want exactly 1", fresh)
	}
}

func TestCancelOrder(t *testing.T) {
	t.Parallel()
	clock := &manualClock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	c := newClient(t, ordersapitest.Options{Now: clock.Now, CancelWindow: 10 * time.Minute})
	p := c.createProduct("X-1", 100, 10)
	line := `{"customer_id":1,"items":[{"product_id":` + itoa(p.ID) + `,"qty":3}]}`

	// CREATED: canceled, stock back; canceling again changes nothing.
	o := c.mustCreateOrder(line)
	rec := c.do(http.MethodPost, orderPath(o.ID, "/cancel"), "")
	wantStatus(t, rec, http.StatusOK)
	got := decode[envelope[orderBody]](t, rec).Data
	if got.Status != "CANCELED" || got.CanceledAt == nil || got.ConfirmedAt != nil {
		t.Fatalf("got %+v", got)
	}
	if s := c.stock(p.ID); s != 10 {
		t.Fatalf("got stock %d, want 10", s)
	}
	clock.Advance(time.Hour)
	rec = c.do(http.MethodPost, orderPath(o.ID, "/cancel"), "")
	wantStatus(t, rec, http.StatusOK)
	if again := decode[envelope[orderBody]](t, rec).Data; *again.CanceledAt != *got.CanceledAt {
		t.Fatalf("a second cancel changed canceled_at: %+v", again)
	}
	if s := c.stock(p.ID); s != 10 {
		t.Fatalf("got stock %d after a second cancel, want 10", s)
	}

	// CONFIRMED within the window: canceled, stock back.
	o = c.mustCreateOrder(line)
	wantStatus(t, c.do(http.MethodPost, orderPath(o.ID, "/confirm"), "", "Idempotency-Key", "x1"), http.StatusOK)
	clock.Advance(10 * time.Minute)
	rec = c.do(http.MethodPost, orderPath(o.ID, "/cancel"), "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[envelope[orderBody]](t, rec).Data; got.Status != "CANCELED" || got.ConfirmedAt == nil {
		t.Fatalf("got %+v", got)
	}
	if s := c.stock(p.ID); s != 10 {
		t.Fatalf("got stock %d, want 10", s)
	}

	// CONFIRMED after the window: 409, nothing changes.
	o = c.mustCreateOrder(line)
	wantStatus(t, c.do(http.MethodPost, orderPath(o.ID, "/confirm"), "", "Idempotency-Key", "x2"), http.StatusOK)
	clock.Advance(10*time.Minute + time.Second)
	wantError(t, c.do(http.MethodPost, orderPath(o.ID, "/cancel"), ""), http.StatusConflict, "cancel_window_expired")
	rec = c.do(http.MethodGet, orderPath(o.ID, ""), "")
	if got := decode[envelope[orderBody]](t, rec).Data; got.Status != "CONFIRMED" {
		t.Fatalf("got %+v", got)
	}
	if s := c.stock(p.ID); s != 7 {
		t.Fatalf("got stock %d, want 7", s)
	}
	wantError(t, c.do(http.MethodPost, "/orders/999999/cancel", ""), http.StatusNotFound, "order_not_found")
	wantError(t, c.do(http.MethodPost, "/orders/0/cancel", ""), http.StatusBadRequest, "invalid_request")
}
