package bootstrap

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestPprofListenerServesTheHandlersUntilStopped: the index, cmdline, symbol, a short CPU
// profile and a trace answer on the listener's own address; nothing else does; once stopped,
// nothing listens.
func TestPprofListenerServesTheHandlersUntilStopped(t *testing.T) {
	t.Parallel()
	addr, stop, err := startPprof("127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr.String()
	for _, c := range []struct {
		path, want string
		status     int
	}{
		{"/debug/pprof/", "goroutine", 200},
		{"/debug/pprof/cmdline", "", 200},
		{"/debug/pprof/symbol", "num_symbols", 200},
		{"/debug/pprof/profile?seconds=1", "", 200},
		{"/debug/pprof/trace?seconds=0.1", "", 200},
		{"/health", "", 404},
		{"/metrics", "", 404},
	} {
		status, body := get(t, base+c.path)
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("GET %s: got %d (%d bytes), want %d with %q", c.path, status, len(body), c.status, c.want)
		}
	}
	stop()
	if c, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after stop", addr)
	}
}

// TestWithPprofOnlyWhenConfigured: with PPROF_ADDR the listener is up while the service
// runs and closed once it returns; without, nothing is started.
func TestWithPprofOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logger := slog.New(slog.DiscardHandler)
	ran := false
	err = withPprof(context.Background(), Config{PprofAddr: addr}, logger, func(context.Context, Config, *slog.Logger) error {
		ran = true
		if status, _ := get(t, "http://"+addr+"/debug/pprof/cmdline"); status != 200 {
			t.Errorf("pprof on %s: got %d, want 200 while the service runs", addr, status)
		}
		return nil
	})
	if err != nil || !ran {
		t.Fatalf("withPprof: %v, ran %v", err, ran)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after the service returned", addr)
	}
	err = withPprof(context.Background(), Config{}, logger, func(context.Context, Config, *slog.Logger) error {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("something listens on %s with no PPROF_ADDR", addr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
