package httpkit_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
)

// TestShutdownDrainsBeforeClosing: once the server's context is canceled (SIGTERM), /ready
// answers 503 draining at once while every other request is still served, for the drain
// delay; then the listener closes.
func TestShutdownDrainsBeforeClosing(t *testing.T) {
	t.Parallel()
	r := mux.NewRouter()
	r.Handle("/health", httpkit.Health("svc")).Methods(http.MethodGet)
	r.Handle("/ready", httpkit.Ready("svc", httpkit.ReadyChecks{})).Methods(http.MethodGet)
	cfg := testConfig(5 * time.Second)
	cfg.DrainDelay = 3 * time.Second // the window in which the requests below are made
	base, stop := serve(t, cfg, slog.New(slog.DiscardHandler), httpkit.WrapRouter(r, nil, nil))
	get := func(path string) (int, string) {
		t.Helper()
		res, body := get(t, base+path)
		return res.StatusCode, body
	}
	if status, body := get("/ready"); status != http.StatusOK {
		t.Fatalf("ready before the signal: got %d %s, want 200", status, body)
	}

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// The drain starts as soon as the context is canceled; wait for /ready to say so.
	var status int
	var body string
	for range 100 {
		if status, body = get("/ready"); status == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if status != http.StatusServiceUnavailable || body != `{"status":"draining","service":"svc"}` {
		t.Fatalf("ready while draining: got %d %s, want 503 draining", status, body)
	}
	if status, body := get("/health"); status != http.StatusOK {
		t.Fatalf("health while draining: got %d %s, want 200 (still serving)", status, body)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("ServeListener: got %v, want nil", err)
	}
	if _, err := http.Get(base + "/health"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("after the drain: got %v, want the connection refused", err)
	}
}
