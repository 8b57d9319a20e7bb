package ordersclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/adapters/ordersclient"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

const order101 = `{"data":{"id":101,"customer_id":1,"status":"STATUS","total_cents":389700,"created_at":"2026-01-01T00:00:00Z",
"items":[{"product_id":2,"sku":"SKU-2","name":"Laptop","qty":3,"unit_price_cents":129900,"subtotal_cents":389700}]}}`

func orderJSON(status string) string { return strings.ReplaceAll(order101, "STATUS", status) }

type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

func server(t *testing.T, status int, body string) (*httptest.Server, *[]recorded) {
	t.Helper()
	var got []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, recorded{r.Method, r.URL.Path, r.Header.Clone(), b})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func client(t *testing.T, base string, timeout time.Duration) *ordersclient.Client {
	t.Helper()
	c, err := ordersclient.New(ordersclient.Config{BaseURL: base, Timeout: timeout, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctxWithIDs() context.Context {
	return httpkit.WithIDs(context.Background(), slog.New(slog.DiscardHandler), "req-9", "corr-9")
}

var wantOrder = orchestration.Order{ID: 101, CustomerID: 1, Status: "CONFIRMED", TotalCents: 389700,
	Items: []orchestration.OrderItem{{ProductID: 2, Qty: 3, UnitPriceCents: 129900, SubtotalCents: 389700}}}

func TestCreateOrderSendsBodyTokenKeyAndIDs(t *testing.T) {
	t.Parallel()
	srv, got := server(t, http.StatusCreated, orderJSON("CREATED"))
	req := orchestration.CreateOrderRequest{CustomerID: 1, Items: []orchestration.OrderLine{{ProductID: 2, Qty: 3}}}
	o, err := client(t, srv.URL, time.Second).CreateOrder(ctxWithIDs(), "user.jwt.token", req, "orch-create:abc")
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	want := wantOrder
	want.Status = "CREATED"
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("got %+v, want %+v", o, want)
	}
	r := (*got)[0]
	if r.method != http.MethodPost || r.path != "/orders" {
		t.Errorf("got %s %s, want POST /orders", r.method, r.path)
	}
	for h, v := range map[string]string{"Authorization": "Bearer user.jwt.token", "Idempotency-Key": "orch-create:abc",
		"X-Request-ID": "req-9", "X-Correlation-ID": "corr-9", "Content-Type": "application/json"} {
		if r.header.Get(h) != v {
			t.Errorf("got %s %q, want %q", h, r.header.Get(h), v)
		}
	}
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	wantBody := map[string]any{"customer_id": 1.0, "items": []any{map[string]any{"product_id": 2.0, "qty": 3.0}}}
	if !reflect.DeepEqual(body, wantBody) {
		t.Errorf("got body %v, want %v", body, wantBody)
	}
}

func TestConfirmOrderSendsKeyAndChecksAnswer(t *testing.T) {
	t.Parallel()
	srv, got := server(t, http.StatusOK, orderJSON("CONFIRMED"))
	o, err := client(t, srv.URL, time.Second).ConfirmOrder(ctxWithIDs(), "tok", 101, "orch-confirm:abc")
	if err != nil {
		t.Fatalf("ConfirmOrder: %v", err)
	}
	if !reflect.DeepEqual(o, wantOrder) {
		t.Fatalf("got %+v, want %+v", o, wantOrder)
	}
	r := (*got)[0]
	if r.path != "/orders/101/confirm" || r.header.Get("X-Idempotency-Key") != "orch-confirm:abc" || len(r.body) != 0 {
		t.Errorf("got %s key %q body %q, want /orders/101/confirm with the key and no body", r.path, r.header.Get("X-Idempotency-Key"), r.body)
	}
	if r.header.Get("Idempotency-Key") != "" {
		t.Error("confirm sent both key headers")
	}
}

func TestUpstreamErrorsKeepCodeAndDetails(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		status  int
		body    string
		kind    errs.Kind
		code    string
		details bool
	}{
		{"insufficient stock", 409, `{"error":{"code":"insufficient_stock","message":"not enough stock","details":{"items":[{"product_id":2,"requested":3,"available":1}]}}}`, errs.KindConflict, "insufficient_stock", true},
		{"unknown product", 422, `{"error":{"code":"product_not_found","message":"unknown products","details":{"product_ids":[9]}}}`, errs.KindUnprocessable, "product_not_found", true},
		{"key reused", 422, `{"error":{"code":"idempotency_key_reused","message":"reused"}}`, errs.KindUnprocessable, "idempotency_key_reused", false},
		{"in progress", 409, `{"error":{"code":"idempotency_key_in_progress","message":"busy"}}`, errs.KindConflict, "idempotency_key_in_progress", false},
		{"customer not found", 422, `{"error":{"code":"customer_not_found","message":"no"}}`, errs.KindUnprocessable, "customer_not_found", false},
		{"customers unavailable", 503, `{"error":{"code":"customers_unavailable","message":"down"}}`, errs.KindUnavailable, "customers_unavailable", false},
		{"user token refused", 401, `{"error":{"code":"unauthorized","message":"no"}}`, errs.KindUnauthorized, "unauthorized", false},
		{"order not found", 404, `{"error":{"code":"order_not_found","message":"no"}}`, errs.KindNotFound, "order_not_found", false},
		{"500", 500, `{"error":{"code":"internal_error","message":"internal error"}}`, httperr.KindBadGateway, "internal_error", false},
		{"not json", 200, `<html>`, httperr.KindBadGateway, "bad_gateway", false},
		{"no items", 200, `{"data":{"id":101,"status":"CONFIRMED","total_cents":0,"items":[]}}`, httperr.KindBadGateway, "bad_gateway", false},
		{"item without price", 200, `{"data":{"id":101,"status":"CONFIRMED","total_cents":1,"items":[{"product_id":1,"qty":1}]}}`, httperr.KindBadGateway, "bad_gateway", false},
		{"confirm answers canceled", 200, orderJSON("CANCELED"), httperr.KindBadGateway, "bad_gateway", false},
		{"plain 404", 404, `404 page not found`, httperr.KindBadGateway, "bad_gateway", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := server(t, tc.status, tc.body)
			c := client(t, srv.URL, time.Second)
			var err error
			if tc.status == 200 || tc.code == "order_not_found" || tc.name == "plain 404" {
				_, err = c.ConfirmOrder(context.Background(), "tok", 101, "k")
			} else {
				_, err = c.CreateOrder(context.Background(), "tok",
					orchestration.CreateOrderRequest{CustomerID: 1, Items: []orchestration.OrderLine{{ProductID: 2, Qty: 3}}}, "k")
			}
			var coded errs.Coded
			if !errors.As(err, &coded) {
				t.Fatalf("got %v, want a classified error", err)
			}
			if coded.Kind() != tc.kind || coded.Code() != tc.code {
				t.Fatalf("got kind %v code %q, want %v %q", coded.Kind(), coded.Code(), tc.kind, tc.code)
			}
			var det errs.Detailed
			hasDetails := errors.As(err, &det) && len(det.Details()) > 0
			if hasDetails != tc.details {
				t.Errorf("got details %v, want present=%v", hasDetails, tc.details)
			}
		})
	}
}

func TestCreateOrderForAnotherCustomerIsBadAnswer(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, http.StatusCreated, orderJSON("CREATED"))
	_, err := client(t, srv.URL, time.Second).CreateOrder(context.Background(), "tok",
		orchestration.CreateOrderRequest{CustomerID: 5, Items: []orchestration.OrderLine{{ProductID: 2, Qty: 3}}}, "k")
	if errs.KindOf(err) != httperr.KindBadGateway {
		t.Fatalf("got %v, want bad gateway", err)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	_, err := client(t, srv.URL, 50*time.Millisecond).ConfirmOrder(context.Background(), "tok", 1, "k")
	var coded errs.Coded
	if !errors.As(err, &coded) || coded.Kind() != httperr.KindTimeout || coded.Code() != "upstream_timeout" {
		t.Fatalf("got %v, want upstream_timeout", err)
	}
	if calls.Load() != 1 {
		t.Errorf("got %d calls, want 1", calls.Load())
	}
}
