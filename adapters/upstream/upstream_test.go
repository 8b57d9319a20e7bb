package upstream_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/adapters/upstream"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

func newClient(t *testing.T, base string) *upstream.Client {
	t.Helper()
	c, err := upstream.New(upstream.Config{Name: "svc", BaseURL: base, Timeout: time.Second, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBaseURLPrefixAndHeaders(t *testing.T) {
	t.Parallel()
	var path, accept, ctype string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, accept, ctype = r.URL.Path, r.Header.Get("Accept"), r.Header.Get("Content-Type")
	}))
	defer srv.Close()
	resp, err := newClient(t, srv.URL+"/prefix/").Do(context.Background(), upstream.Request{Method: "POST", Path: "/orders", Body: []byte(`{}`)})
	if err != nil || resp.Status != 200 {
		t.Fatalf("got %v %v, want 200", resp, err)
	}
	if path != "/prefix/orders" || accept != "application/json" || ctype != "application/json" {
		t.Fatalf("got path %q accept %q content-type %q", path, accept, ctype)
	}
}

func TestErrorFrom(t *testing.T) {
	t.Parallel()
	c := newClient(t, "http://127.0.0.1:1")
	cases := []struct {
		status int
		body   string
		kind   errs.Kind
		code   string
	}{
		{409, `{"error":{"code":"insufficient_stock","message":"m","details":{"items":[]}}}`, errs.KindConflict, "insufficient_stock"},
		{422, `{"error":{"code":"product_not_found","message":"m"}}`, errs.KindUnprocessable, "product_not_found"},
		{500, `{"error":{"code":"internal_error","message":"internal error"}}`, httperr.KindBadGateway, "internal_error"},
		{418, `{"error":{"code":"teapot","message":"m"}}`, httperr.KindBadGateway, "teapot"},
		{400, `{"error":{}}`, httperr.KindBadGateway, "bad_gateway"},
		{503, `Service Unavailable`, errs.KindUnavailable, "upstream_unavailable"},
		{504, ``, httperr.KindTimeout, "upstream_timeout"},
		{404, `nope`, httperr.KindBadGateway, "bad_gateway"},
	}
	for _, tc := range cases {
		err := c.ErrorFrom(context.Background(), &upstream.Response{Status: tc.status, Body: []byte(tc.body)})
		var coded errs.Coded
		if !errors.As(err, &coded) || coded.Kind() != tc.kind || coded.Code() != tc.code {
			t.Errorf("%d %s: got %v, want kind %v code %s", tc.status, tc.body, err, tc.kind, tc.code)
		}
		var ue *upstream.Error
		if !errors.As(err, &ue) || ue.Service != "svc" {
			t.Errorf("%d: got %v, want an *upstream.Error naming the service", tc.status, err)
		}
	}
}

func TestCallerCancelIsNotRetriedNorClassified(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		cancel()
		<-r.Context().Done()
	}))
	defer srv.Close()
	_, err := newClient(t, srv.URL).Do(ctx, upstream.Request{Method: "GET", Path: "/x"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if errs.KindOf(err) != errs.KindInternal {
		t.Errorf("got kind %v, want an unclassified error", errs.KindOf(err))
	}
	if calls.Load() != 1 {
		t.Errorf("got %d calls, want 1", calls.Load())
	}
}

func TestOversizedAnswerIsBadGateway(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", upstream.MaxResponseBytes+1)))
	}))
	defer srv.Close()
	// 4 MiB through -race on a loaded machine can outlast newClient's 1 s: this test is about
	// the size limit, not the timeout.
	c, err := upstream.New(upstream.Config{Name: "svc", BaseURL: srv.URL, Timeout: 30 * time.Second, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), upstream.Request{Method: "GET", Path: "/big"})
	if errs.KindOf(err) != httperr.KindBadGateway {
		t.Fatalf("got %v, want bad gateway", err)
	}
}
