package ordersclient_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/adapters/ordersclient"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

const answerText = "{\"success\":true,\"correlationId\":\"c\",\"data\":{\"customer\":{\"name\":\"Caf\u00e9 \\\"Q\\\"\"}}}"

var fp = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func answerEnvelope(t *testing.T, status int, body string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"data": map[string]any{"fingerprint": fp, "status": status, "body": body}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func serviceClient(t *testing.T, base string) *ordersclient.Client {
	t.Helper()
	c, err := ordersclient.New(ordersclient.Config{BaseURL: base, ServiceToken: "service-token", Timeout: time.Second, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSaveAnswerSendsTheAnswerWithTheServiceToken(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusCreated, http.StatusOK} {
		srv, got := server(t, status, answerEnvelope(t, 201, answerText))
		a, err := serviceClient(t, srv.URL).SaveAnswer(ctxWithIDs(), "key-1", orchestration.StoredAnswer{Fingerprint: fp, Body: []byte("mine")})
		if err != nil || a.Fingerprint != fp || string(a.Body) != answerText {
			t.Fatalf("status %d: got %+v, %v, want the answer orders-api keeps", status, a, err)
		}
		r := (*got)[0]
		if r.method != http.MethodPut || r.path != "/internal/orchestrations/key-1" || r.header.Get("Authorization") != "Bearer service-token" ||
			r.header.Get("X-Correlation-ID") != "corr-9" {
			t.Fatalf("got %s %s %v, want PUT /internal/orchestrations/key-1 with the service token and ids", r.method, r.path, r.header)
		}
		var sent struct {
			Fingerprint string `json:"fingerprint"`
			Status      int    `json:"status"`
			Body        string `json:"body"`
		}
		if err := json.Unmarshal(r.body, &sent); err != nil || sent.Fingerprint != fp || sent.Status != 201 || sent.Body != "mine" {
			t.Fatalf("sent %s, want the fingerprint, 201 and the body", r.body)
		}
	}
}

func TestAnswer(t *testing.T) {
	t.Parallel()
	srv, got := server(t, http.StatusOK, answerEnvelope(t, 201, answerText))
	a, found, err := serviceClient(t, srv.URL).Answer(ctxWithIDs(), "key-1")
	if err != nil || !found || a.Fingerprint != fp || string(a.Body) != answerText {
		t.Fatalf("got %+v, %v, %v, want the stored answer", a, found, err)
	}
	if r := (*got)[0]; r.method != http.MethodGet || r.path != "/internal/orchestrations/key-1" || r.header.Get("Authorization") != "Bearer service-token" {
		t.Fatalf("got %s %s %v", r.method, r.path, r.header)
	}
	srv, _ = server(t, http.StatusNotFound, `{"error":{"code":"idempotency_key_not_found","message":"none"}}`)
	if _, found, err := serviceClient(t, srv.URL).Answer(ctxWithIDs(), "key-1"); found || err != nil {
		t.Fatalf("404 idempotency_key_not_found: got found %v, %v, want none stored", found, err)
	}
}

func TestAnswerErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		status int
		body   string
		kind   errs.Kind
		code   string
	}{
		"route not found":   {404, `{"error":{"code":"route_not_found","message":"no such route"}}`, httperr.KindBadGateway, "bad_gateway"},
		"token refused":     {401, `{"error":{"code":"unauthorized","message":"no"}}`, httperr.KindBadGateway, "bad_gateway"},
		"database down":     {503, `{"error":{"code":"database_unavailable","message":"down"}}`, errs.KindUnavailable, "database_unavailable"},
		"not JSON":          {200, `<html>`, httperr.KindBadGateway, "bad_gateway"},
		"another status":    {200, answerEnvelope(t, 200, answerText), httperr.KindBadGateway, "bad_gateway"},
		"empty body":        {200, answerEnvelope(t, 201, ""), httperr.KindBadGateway, "bad_gateway"},
		"unexpected status": {204, ``, httperr.KindBadGateway, "bad_gateway"},
	} {
		srv, _ := server(t, tc.status, tc.body)
		_, found, err := serviceClient(t, srv.URL).Answer(ctxWithIDs(), "k")
		var coded errs.Coded
		if found || errs.KindOf(err) != tc.kind || !errors.As(err, &coded) || coded.Code() != tc.code {
			t.Errorf("%s: got found %v, %v (kind %v), want kind %v code %s", name, found, err, errs.KindOf(err), tc.kind, tc.code)
		}
	}
	srv, _ := server(t, http.StatusUnprocessableEntity, `{"error":{"code":"idempotency_key_reused","message":"reused"}}`)
	_, err := serviceClient(t, srv.URL).SaveAnswer(ctxWithIDs(), "k", orchestration.StoredAnswer{Fingerprint: fp, Body: []byte("x")})
	var coded errs.Coded
	if errs.KindOf(err) != errs.KindUnprocessable || !errors.As(err, &coded) || coded.Code() != "idempotency_key_reused" {
		t.Fatalf("422: got %v, want idempotency_key_reused", err)
	}
}
