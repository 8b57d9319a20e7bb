package customersclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/customersclient"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

const token = "test-service-token-123"

// fake is a customers-api stand-in: it answers every request with fn and counts calls.
type fake struct {
	calls atomic.Int32
	srv   *httptest.Server
}

func newFake(t *testing.T, fn http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		fn(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func newClient(t *testing.T, base string, mod ...func(*customersclient.Config)) *customersclient.Client {
	t.Helper()
	cfg := customersclient.Config{BaseURL: base, ServiceToken: token, Timeout: 2 * time.Second, Backoff: time.Millisecond}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := customersclient.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

const acme = `{"data":{"id":7,"name":"ACME","email":"ops@acme.com","phone":"+1 555","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}`

func wantKind(t *testing.T, err error, kind errs.Kind, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want kind %v code %q", kind, code)
	}
	var c errs.Coded
	if !errors.As(err, &c) {
		t.Fatalf("got unclassified error %v, want kind %v", err, kind)
	}
	if c.Kind() != kind || (code != "" && c.Code() != code) {
		t.Fatalf("got kind %v code %q, want kind %v code %q", c.Kind(), c.Code(), kind, code)
	}
	if errors.Is(err, customer.ErrNotFound) {
		t.Fatalf("error %v matches customer.ErrNotFound, want it not to", err)
	}
}

func TestGetCustomerSendsTokenAndIDsAndDecodes(t *testing.T) {
	t.Parallel()
	var got http.Header
	var path string
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		got, path = r.Header.Clone(), r.URL.Path
		answer(200, acme)(w, r)
	})
	c := newClient(t, f.srv.URL+"/")
	ctx := httpkit.WithIDs(context.Background(), slog.New(slog.DiscardHandler), "req-1", "corr-1")
	cust, err := c.GetCustomer(ctx, 7)
	if err != nil {
		t.Fatalf("GetCustomer: %v", err)
	}
	if cust.ID != 7 || cust.Name != "ACME" || cust.Email != "ops@acme.com" || cust.Phone == nil || *cust.Phone != "+1 555" {
		t.Fatalf("got %+v, want customer 7 ACME", cust)
	}
	if path != "/internal/customers/7" {
		t.Errorf("got path %q, want /internal/customers/7", path)
	}
	if a := got.Get("Authorization"); a != "Bearer "+token {
		t.Errorf("got Authorization %q, want the service token", a)
	}
	if got.Get("X-Request-ID") != "req-1" || got.Get("X-Correlation-ID") != "corr-1" {
		t.Errorf("got ids %q/%q, want req-1/corr-1", got.Get("X-Request-ID"), got.Get("X-Correlation-ID"))
	}
	if err := c.CheckCustomer(ctx, 7); err != nil {
		t.Fatalf("CheckCustomer: %v", err)
	}
}

func TestGetCustomerNullPhone(t *testing.T) {
	t.Parallel()
	f := newFake(t, answer(200, `{"data":{"id":3,"name":"N","email":"n@x.io","phone":null}}`))
	cust, err := newClient(t, f.srv.URL).GetCustomer(context.Background(), 3)
	if err != nil || cust.Phone != nil {
		t.Fatalf("got %+v, %v; want a customer without phone", cust, err)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	f := newFake(t, answer(404, `{"error":{"code":"customer_not_found","message":"customer not found"}}`))
	c := newClient(t, f.srv.URL)
	for name, err := range map[string]error{
		"check": c.CheckCustomer(context.Background(), 9),
		"get":   func() error { _, err := c.GetCustomer(context.Background(), 9); return err }(),
	} {
		if !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("%s: got %v, want customer.ErrNotFound", name, err)
		}
		if errs.KindOf(err) != errs.KindNotFound {
			t.Errorf("%s: got kind %v, want not found", name, errs.KindOf(err))
		}
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("got %d calls, want 2 (a 404 is not retried)", n)
	}
}

func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		status    int
		body      string
		kind      errs.Kind
		code      string
		wantCalls int32
	}{
		{"404 of another route", 404, `{"error":{"code":"not_found","message":"no route"}}`, httperr.KindBadGateway, "bad_gateway", 1},
		{"404 plain text", 404, `404 page not found`, httperr.KindBadGateway, "bad_gateway", 1},
		{"401 token refused", 401, `{"error":{"code":"unauthorized","message":"no"}}`, httperr.KindBadGateway, "bad_gateway", 1},
		{"500 contract error", 500, `{"error":{"code":"internal_error","message":"internal error"}}`, httperr.KindBadGateway, "internal_error", 1},
		{"503 contract error retried", 503, `{"error":{"code":"unavailable","message":"db down"}}`, errs.KindUnavailable, "unavailable", 2},
		{"502 html retried", 502, `<html>bad gateway</html>`, httperr.KindBadGateway, "bad_gateway", 2},
		{"504 from a proxy retried", 504, `gateway timeout`, httperr.KindTimeout, "upstream_timeout", 2},
		{"200 not json", 200, `not json`, httperr.KindBadGateway, "bad_gateway", 1},
		{"200 without data", 200, `{"customer":{}}`, httperr.KindBadGateway, "bad_gateway", 1},
		{"200 another id", 200, `{"data":{"id":8,"name":"x","email":"x@y.z"}}`, httperr.KindBadGateway, "bad_gateway", 1},
		{"200 without email", 200, `{"data":{"id":7,"name":"x"}}`, httperr.KindBadGateway, "bad_gateway", 1},
		{"204", 204, ``, httperr.KindBadGateway, "bad_gateway", 1},
		{"302 redirect not followed", 302, ``, httperr.KindBadGateway, "bad_gateway", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				answer(tc.status, tc.body)(w, r)
			})
			err := newClient(t, f.srv.URL).CheckCustomer(context.Background(), 7)
			wantKind(t, err, tc.kind, tc.code)
			if n := f.calls.Load(); n != tc.wantCalls {
				t.Errorf("got %d calls, want %d", n, tc.wantCalls)
			}
		})
	}
}

func TestRetryOnceAfter503ThenSuccess(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.calls.Add(1) == 1 {
			answer(503, `{"error":{"code":"unavailable","message":"busy"}}`)(w, r)
			return
		}
		answer(200, acme)(w, r)
	})
	if _, err := newClient(t, f.srv.URL).GetCustomer(context.Background(), 7); err != nil {
		t.Fatalf("got %v, want success on the retry", err)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("got %d calls, want 2", n)
	}
}

// flaky fails its first round trip as a refused connection would, then delegates.
type flaky struct {
	next  http.RoundTripper
	calls atomic.Int32
	fails int32
}

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.calls.Add(1) <= f.fails {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	}
	return f.next.RoundTrip(r)
}

func TestTransportErrorRetriedOnce(t *testing.T) {
	t.Parallel()
	f := newFake(t, answer(200, acme))
	rt := &flaky{next: http.DefaultTransport, fails: 1}
	c := newClient(t, f.srv.URL, func(cfg *customersclient.Config) { cfg.Transport = rt })
	if _, err := c.GetCustomer(context.Background(), 7); err != nil {
		t.Fatalf("got %v, want success on the retry", err)
	}
	if rt.calls.Load() != 2 || f.calls.Load() != 1 {
		t.Errorf("got %d round trips and %d server calls, want 2 and 1", rt.calls.Load(), f.calls.Load())
	}

	rt2 := &flaky{next: http.DefaultTransport, fails: 5}
	c2 := newClient(t, f.srv.URL, func(cfg *customersclient.Config) { cfg.Transport = rt2 })
	wantKind(t, c2.CheckCustomer(context.Background(), 7), httperr.KindBadGateway, "bad_gateway")
	if n := rt2.calls.Load(); n != 2 {
		t.Errorf("got %d round trips, want 2 (one retry only)", n)
	}
}

func TestConnectionRefusedIsBadGateway(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there any more
	err = newClient(t, "http://"+addr).CheckCustomer(context.Background(), 7)
	wantKind(t, err, httperr.KindBadGateway, "bad_gateway")
	if msg := err.Error(); msg != "customers-api could not be reached" {
		t.Errorf("got message %q, want one that does not leak the address", msg)
	}
}

func TestTimeoutIsNotRetried(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	c := newClient(t, f.srv.URL, func(cfg *customersclient.Config) { cfg.Timeout = 50 * time.Millisecond })
	wantKind(t, c.CheckCustomer(context.Background(), 7), httperr.KindTimeout, "upstream_timeout")
	if n := f.calls.Load(); n != 1 {
		t.Errorf("got %d calls, want 1 (a timeout is not retried)", n)
	}

	// The caller's own deadline counts as a timeout too.
	c2 := newClient(t, f.srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	wantKind(t, c2.CheckCustomer(ctx, 7), httperr.KindTimeout, "upstream_timeout")
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []customersclient.Config{
		{BaseURL: "", ServiceToken: token},
		{BaseURL: "ftp://x", ServiceToken: token},
		{BaseURL: "localhost:3001", ServiceToken: token},
		{BaseURL: "http://localhost:3001", ServiceToken: ""},
	} {
		if _, err := customersclient.New(cfg); err == nil {
			t.Errorf("New(%+v): got nil error, want one", cfg)
		}
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	ok := newFake(t, answer(200, `{"status":"ok","service":"customers-api"}`))
	if err := newClient(t, ok.srv.URL).Health(context.Background()); err != nil {
		t.Errorf("got %v, want healthy", err)
	}
	down := newFake(t, answer(500, `{"error":{"code":"internal_error","message":"x"}}`))
	if err := newClient(t, down.srv.URL).Health(context.Background()); err == nil {
		t.Error("got healthy, want an error")
	}
}

func ExampleClient_CheckCustomer() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"code":"customer_not_found","message":"customer not found"}}`)
	}))
	defer srv.Close()
	c, _ := customersclient.New(customersclient.Config{BaseURL: srv.URL, ServiceToken: "internal-service-token"})
	err := c.CheckCustomer(context.Background(), 42)
	fmt.Println(errors.Is(err, customer.ErrNotFound))
	// Output: true
}

// raceInFlight sets up a lookup of customer 7 in flight and lookups that arrive meanwhile.
// The fake customers-api answers as the customer was when its call began: there (first
// true) or not when the first lookup's call (request id "first") begins, which it holds;
// then the customer comes to be there or not as later says, and n lookups start. Once they
// all wait, the first call goes on. It returns the fake, the first lookup's error and the
// others' errors.
func raceInFlight(t *testing.T, shareFound bool, first, later bool, n int) (*fake, error, <-chan error) {
	t.Helper()
	var exists atomic.Bool
	exists.Store(first)
	inFlight, release := make(chan struct{}), make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		found := exists.Load() // what the call reads, at its start
		if r.Header.Get("X-Request-ID") == "first" {
			inFlight <- struct{}{}
			<-release
		}
		if !found {
			answer(404, `{"error":{"code":"customer_not_found","message":"customer not found"}}`)(w, r)
			return
		}
		answer(200, acme)(w, r)
	})
	c := newClient(t, f.srv.URL, func(cfg *customersclient.Config) { cfg.ShareFound = shareFound })
	lookup := func(id string, out chan<- error) {
		ctx := httpkit.WithIDs(context.Background(), slog.New(slog.DiscardHandler), id, id)
		_, err := c.GetCustomer(ctx, 7)
		out <- err
	}
	firstErr := make(chan error, 1)
	go lookup("first", firstErr)
	<-inFlight
	exists.Store(later) // committed before the next lookups begin
	laterErrs := make(chan error, n)
	for i := range n {
		go lookup(fmt.Sprint("later-", i), laterErrs)
	}
	deadline := time.Now().Add(10 * time.Second)
	for customersclient.WaitingLookups(c, 7) != n {
		if time.Now().After(deadline) {
			t.Fatal("the later lookups never came to wait for the first")
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	return f, <-firstErr, laterErrs
}

// TestLookupsOfOneCustomerShareACallButNeverAnOlderOne: lookups of customer 7 that arrive
// while its lookup is in flight share one later call, and that call is made after they
// arrived: a customer deleted before they began is not found, although the call in flight
// (which began before the deletion) still finds it.
func TestLookupsOfOneCustomerShareACallButNeverAnOlderOne(t *testing.T) {
	t.Parallel()
	const waiting = 6
	f, first, later := raceInFlight(t, false, true, false, waiting)
	if first != nil {
		t.Fatalf("the first lookup, which began before the deletion: %v, want the customer", first)
	}
	for range waiting {
		if err := <-later; !errors.Is(err, customer.ErrNotFound) {
			t.Fatalf("a lookup that began after the deletion got %v, want customer.ErrNotFound", err)
		}
	}
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("got %d calls, want 2: the first lookup's, then one for the %d that waited", n, waiting)
	}
}

// TestShareFoundSharesOnlyAFoundCustomer: with ShareFound, lookups of customer 7 that
// arrive while a lookup that finds it is in flight take that answer (one call for all, and
// a deletion committed meanwhile is not seen: orders-api's MySQL store checks the customer
// again); lookups that arrive while a lookup that does not find it is in flight make a call
// of their own, which finds a customer created meanwhile.
func TestShareFoundSharesOnlyAFoundCustomer(t *testing.T) {
	t.Parallel()
	for _, foundFirst := range []bool{true, false} {
		const sharing = 6
		f, first, later := raceInFlight(t, true, foundFirst, !foundFirst, sharing) // deleted, or created, meanwhile
		if (first == nil) != foundFirst {
			t.Fatalf("found first %v: the first lookup got %v", foundFirst, first)
		}
		for range sharing {
			// Found first: they share the found answer. Not found first: their own call
			// finds the customer created meanwhile.
			if err := <-later; err != nil {
				t.Fatalf("found first %v: a later lookup got %v, want the customer", foundFirst, err)
			}
		}
		// Not found first: one more call at least (one each for those that come back after
		// the others' call ended).
		n := f.calls.Load()
		if foundFirst && n != 1 || !foundFirst && (n < 2 || n > 1+sharing) {
			t.Fatalf("found first %v: %d calls, want 1 when found, else 2 to %d", foundFirst, n, 1+sharing)
		}
	}
}
