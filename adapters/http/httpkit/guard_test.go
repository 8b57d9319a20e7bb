package httpkit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
)

// serve runs h behind ServeListener with cfg on a free port until the test ends and
// returns its base URL and a function that stops it and returns ServeListener's result.
func serve(t *testing.T, cfg httpkit.ServerConfig, logger *slog.Logger, h http.Handler) (string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- httpkit.ServeListener(ctx, logger, cfg, ln, h) }()
	var once sync.Once
	var result error
	stop := func() error {
		once.Do(func() { cancel(); result = <-errc })
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return "http://" + ln.Addr().String(), stop
}

// get GETs url and returns the response and its body.
func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// testConfig is a server configuration with requestTimeout and no drain delay.
func testConfig(requestTimeout time.Duration) httpkit.ServerConfig {
	cfg := httpkit.DefaultServerConfig("")
	cfg.RequestTimeout, cfg.DrainDelay = requestTimeout, 0
	return cfg
}

// TestDeadlineAnswersForABlockedHandler: a handler blocked in a call that ignores its
// context (as the MySQL driver's COMMIT on a stalled server) does not keep the client
// waiting: Middleware answers 503 database_unavailable in the contract's shape, with the
// request id, and what the handler writes once released is dropped without a race.
func TestDeadlineAnswersForABlockedHandler(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	late := make(chan error, 1)
	h := httpkit.Middleware(nil, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // ignores r.Context()
		w.Header().Set("X-Late", "1")
		_, err := w.Write([]byte(`{"data":"too late"}`))
		late <- err
	}))
	base, _ := serve(t, testConfig(200*time.Millisecond), slog.New(slog.DiscardHandler), h)
	t.Cleanup(func() { close(release) })

	req, _ := http.NewRequest(http.MethodGet, base+"/slow", nil)
	req.Header.Set("X-Request-ID", "stuck-1")
	client := &http.Client{Timeout: 10 * time.Second} // before the guard, no answer came at all
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("got %v, want an answer", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var got struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(body, &got); err != nil || res.StatusCode != http.StatusServiceUnavailable ||
		got.Error.Code != "database_unavailable" || !strings.Contains(got.Error.Message, "timed out") {
		t.Fatalf("got %d %s, want 503 database_unavailable saying the request timed out", res.StatusCode, body)
	}
	if res.Header.Get("X-Request-ID") != "stuck-1" || res.Header.Get("Content-Type") != "application/json" || res.Header.Get("X-Late") != "" {
		t.Errorf("got headers %v, want the caller's X-Request-ID, JSON and nothing from the handler", res.Header)
	}
	if !res.Close {
		t.Error("the deadline answer keeps the connection open, whose goroutine is still in the handler: want Connection: close")
	}
	release <- struct{}{}
	if err := <-late; !errors.Is(err, http.ErrHandlerTimeout) {
		t.Errorf("late write: got %v, want http.ErrHandlerTimeout", err)
	}
}

// TestDeadlineGuardKeepsAnswersOnTime: a handler that answers before its deadline is
// served as it wrote it, headers, status, streamed body and all, through the guard.
func TestDeadlineGuardKeepsAnswersOnTime(t *testing.T) {
	t.Parallel()
	h := httpkit.Middleware(nil, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Handler", "yes")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("part1,"))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
		_, _ = w.Write([]byte("part2"))
	}))
	base, _ := serve(t, testConfig(5*time.Second), slog.New(slog.DiscardHandler), h)
	res, body := get(t, base+"/")
	if res.StatusCode != http.StatusAccepted || body != "part1,part2" || res.Header.Get("X-Handler") != "yes" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("got %d %q %v, want 202 part1,part2 with the handler's header and nosniff", res.StatusCode, body, res.Header)
	}
}

// TestDeadlineGuardRecoversPanics: a panic in a guarded handler is a 500,
// not a crashed process.
func TestDeadlineGuardRecoversPanics(t *testing.T) {
	t.Parallel()
	h := httpkit.Middleware(nil, nil, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	base, _ := serve(t, testConfig(5*time.Second), slog.New(slog.DiscardHandler), h)
	res, body := get(t, base+"/")
	if res.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "internal_error") {
		t.Fatalf("got %d %s, want 500 internal_error", res.StatusCode, body)
	}
}

// TestWriteTimeoutOutlastsTheDeadlineAnswer: the server's write timeout leaves room for the
// answer Middleware gives DeadlineMargin after REQUEST_TIMEOUT.
func TestWriteTimeoutOutlastsTheDeadlineAnswer(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{200 * time.Millisecond, 15 * time.Second, time.Minute} {
		cfg := httpkit.DefaultServerConfig("")
		cfg.RequestTimeout = d
		if got := cfg.WriteTimeout(); got <= d+httpkit.DeadlineMargin {
			t.Errorf("REQUEST_TIMEOUT %v: got write timeout %v, want more than %v", d, got, d+httpkit.DeadlineMargin)
		}
	}
}

// TestAccessLogCarriesTheCauseOf5xx: the access log line of a request that failed with an
// unclassified error says why, credentials redacted; the client sees only internal_error.
func TestAccessLogCarriesTheCauseOf5xx(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))
	h := httpkit.Middleware(logger, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := errors.New("dial mysql://app:hunter2@db:3306/backoffice: connection refused")
		httpkit.WriteError(w, r, fmt.Errorf("create order: %w", err))
	}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/orders", nil)
	req.Header.Set("X-Request-ID", "cause-1")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "refused") {
		t.Fatalf("got %d %s, want 500 without the cause", rec.Code, rec.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	var line struct {
		Msg, Error, RequestID string
		Status                int
	}
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		_ = json.Unmarshal([]byte(l), &m)
		if m["msg"] == "request" {
			line.Msg, _ = m["msg"].(string)
			line.Error, _ = m["error"].(string)
			line.RequestID, _ = m["request_id"].(string)
			if s, ok := m["status"].(float64); ok {
				line.Status = int(s)
			}
		}
	}
	want := "create order: dial mysql://app:***@db:3306/backoffice: connection refused"
	if line.Msg != "request" || line.Error != want || line.RequestID != "cause-1" || line.Status != 500 {
		t.Fatalf("got access log %+v from %s, want status 500, request_id cause-1, error %q", line, buf.String(), want)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
