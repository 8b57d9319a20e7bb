package httpkit_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// jsonRequest is a POST of body with Content-Type: application/json.
func jsonRequest(body io.Reader) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", body)
	r.Header.Set("Content-Type", "application/json")
	return r
}

type body struct {
	Name *string `json:"name"`
	Qty  *int    `json:"qty"`
}

func TestDecode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		kind errs.Kind
		ok   bool
	}{
		{"valid", `{"name":"a","qty":1}`, 0, true},
		{"unknown field", `{"name":"a","role":"admin"}`, errs.KindInvalid, false},
		{"wrong type", `{"qty":"1"}`, errs.KindInvalid, false},
		{"malformed", `{"name":`, errs.KindInvalid, false},
		{"empty", ``, errs.KindInvalid, false},
		{"two values", `{"name":"a"}{"name":"b"}`, errs.KindInvalid, false},
		{"trailing garbage", `{"name":"a"} x`, errs.KindInvalid, false},
		{"array", `[1]`, errs.KindInvalid, false},
		{"too large", `{"name":"` + strings.Repeat("a", httpkit.MaxBodyBytes) + `"}`, httperr.KindTooLarge, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := jsonRequest(strings.NewReader(c.in))
			var b body
			err := httpkit.Decode(r, &b)
			if c.ok {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if got := errs.KindOf(err); got != c.kind || err == nil {
				t.Fatalf("got kind %v (%v), want %v", got, err, c.kind)
			}
		})
	}
}

func TestWriteErrorHidesInternalErrors(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	httpkit.WriteError(rec, r, errors.New("Error 1045: Access denied for user 'root'@'10.0.0.1'"))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("got status %d, want 500", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "Access denied") {
		t.Fatalf("driver text leaked to the client: %s", rec.Body)
	}
	want := `{"error":{"code":"internal_error","message":"internal error"}}`
	if rec.Body.String() != want {
		t.Fatalf("got %s, want %s", rec.Body, want)
	}
}

func TestWriteErrorMapsWrappedKinds(t *testing.T) {
	t.Parallel()
	sentinel := errs.New(errs.KindConflict, "sku_taken", "sku taken")
	err := errors.Join(errors.New("ctx"), sentinel.WithDetails(map[string]any{"sku": "A"}))
	rec := httptest.NewRecorder()
	httpkit.WriteError(rec, httptest.NewRequest(http.MethodGet, "/", nil), err)
	if rec.Code != http.StatusConflict {
		t.Fatalf("got %d, want 409", rec.Code)
	}
	var got struct {
		Error struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Error.Code != "sku_taken" || got.Error.Details["sku"] != "A" {
		t.Fatalf("got %+v, want code sku_taken with details", got.Error)
	}
}

func TestCursorRoundTripAndRejects(t *testing.T) {
	t.Parallel()
	id, err := httpkit.DecodeCursor(httpkit.EncodeCursor(42))
	if err != nil || id != 42 {
		t.Fatalf("got (%d, %v), want (42, nil)", id, err)
	}
	for _, bad := range []string{"x", "42", "djE6LTE", "djE6YWJj", "%%%"} {
		if _, err := httpkit.DecodeCursor(bad); errs.KindOf(err) != errs.KindInvalid {
			t.Errorf("cursor %q: got %v, want invalid", bad, err)
		}
	}
}

func TestPageRequestLimits(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]int{"": 20, "limit=1": 1, "limit=100": 100} {
		req, err := httpkit.PageRequest(httptest.NewRequest(http.MethodGet, "/x?"+q, nil))
		if err != nil || req.Limit != want {
			t.Errorf("%q: got (%d, %v), want %d", q, req.Limit, err, want)
		}
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=abc", "limit=", "limit=-1", "cursor=zzz"} {
		if _, err := httpkit.PageRequest(httptest.NewRequest(http.MethodGet, "/x?"+q, nil)); errs.KindOf(err) != errs.KindInvalid {
			t.Errorf("%q: got %v, want invalid", q, err)
		}
	}
}

func TestMiddlewareRequestIDAndRecovery(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := httpkit.Middleware(logger, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		httpkit.WriteJSON(w, http.StatusOK, map[string]string{"rid": httpkit.RequestID(r.Context())})
	}))

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Request-ID", "abc-123")
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-ID"); got != "abc-123" {
		t.Fatalf("got X-Request-ID %q, want the caller's abc-123", got)
	}

	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Request-ID", "bad\nid")
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-ID"); got == "" || strings.Contains(got, "\n") {
		t.Fatalf("got X-Request-ID %q, want a fresh id", got)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/panic", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("got %d %s, want 500 without the panic text", rec.Code, rec.Body)
	}
}

func TestBodyLimitThroughMiddleware(t *testing.T) {
	t.Parallel()
	h := httpkit.Middleware(slog.New(slog.NewJSONHandler(io.Discard, nil)), nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b body
		if err := httpkit.Decode(r, &b); err != nil {
			httpkit.WriteError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := httptest.NewRecorder()
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(big)))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("got %d, want 413", rec.Code)
	}
}

func TestRequireServiceToken(t *testing.T) {
	t.Parallel()
	h := httpkit.RequireServiceToken("internal-service-token")(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	for header, want := range map[string]int{
		"":                              http.StatusUnauthorized,
		"Bearer wrong":                  http.StatusUnauthorized,
		"Bearer internal-service-toke":  http.StatusUnauthorized,
		"Basic internal-service-token":  http.StatusUnauthorized,
		"Bearer internal-service-token": http.StatusNoContent,
		"bearer internal-service-token": http.StatusNoContent,
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("%q: got %d, want %d", header, rec.Code, want)
		}
	}
}

func TestWithDeadlineCancelsSlowWork(t *testing.T) {
	t.Parallel()
	h := httpkit.WithDeadline(20*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			w.WriteHeader(http.StatusServiceUnavailable)
		case <-time.After(10 * time.Second):
			w.WriteHeader(http.StatusOK)
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("got %d, want the handler to see its context canceled (503)", rec.Code)
	}
}
