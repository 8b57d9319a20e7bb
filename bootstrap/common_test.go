package bootstrap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func TestInitializePicksTheInjector(t *testing.T) {
	t.Parallel()
	memory := func(bootstrap.Config, *slog.Logger) (string, error) { return "memory", nil }
	closed := false
	mysql := func(context.Context, bootstrap.Config, *slog.Logger) (string, func(), error) {
		return "mysql", func() { closed = true }, nil
	}
	logger := slog.New(slog.DiscardHandler)

	app, cleanup, err := bootstrap.Initialize(context.Background(), bootstrap.Config{}, logger, memory, mysql)
	if err != nil || app != "memory" || cleanup == nil {
		t.Fatalf("no database: got %q, cleanup %v, %v; want memory", app, cleanup != nil, err)
	}
	cleanup()

	cfg := bootstrap.Config{DatabaseURL: "mysql://root@127.0.0.1:3306/app"}
	app, cleanup, err = bootstrap.Initialize(context.Background(), cfg, logger, memory, mysql)
	if err != nil || app != "mysql" {
		t.Fatalf("with a database: got %q, %v; want mysql", app, err)
	}
	cleanup()
	if !closed {
		t.Error("the MySQL injector's cleanup did not run")
	}
}

// TestRunLogsConfigurationProblemsAsJSON: a configuration that cannot start is reported in
// the same JSON log as everything else, on stdout, one problem per entry, with exit code 2;
// start is not called.
func TestRunLogsConfigurationProblemsAsJSON(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	getenv := func(k string) string {
		return map[string]string{"PORT": "abc", "DATABASE_URL": "mysql://app:pw@db:3306/b2b", "JWT_SECRET": "short"}[k]
	}
	start := func(context.Context, bootstrap.Config, *slog.Logger) error {
		t.Error("start ran with an invalid configuration")
		return nil
	}
	if code := bootstrap.Run(t.Context(), bootstrap.OrdersAPI, getenv, &out, start); code != 2 {
		t.Fatalf("got exit code %d, want 2", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var entry struct {
		Level    string   `json:"level"`
		Msg      string   `json:"msg"`
		Service  string   `json:"service"`
		Problems []string `json:"problems"`
	}
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &entry) != nil {
		t.Fatalf("got output %q, want one JSON log line", out.String())
	}
	if entry.Level != "ERROR" || entry.Msg != "invalid configuration, not starting" || entry.Service != "orders-api" || len(entry.Problems) < 3 {
		t.Fatalf("got %+v, want an ERROR entry of orders-api listing each problem", entry)
	}
	for _, want := range []string{"PORT must be an integer", "JWT_SECRET must be at least 16 bytes", "SERVICE_TOKEN is required"} {
		if !slices.ContainsFunc(entry.Problems, func(p string) bool { return strings.Contains(p, want) }) {
			t.Errorf("problems %q do not include %q", entry.Problems, want)
		}
	}
}

// TestRunLogsAStartFailureAsJSON: an error that ends start (a database that cannot be
// reached, a port in use) is logged as JSON with exit code 1.
func TestRunLogsAStartFailureAsJSON(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	start := func(context.Context, bootstrap.Config, *slog.Logger) error {
		return errors.New("port 3003 is not free")
	}
	if code := bootstrap.Run(t.Context(), bootstrap.Orchestrator, func(string) string { return "" }, &out, start); code != 1 {
		t.Fatalf("got exit code %d, want 1", code)
	}
	var last struct{ Level, Msg, Error string }
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Level != "ERROR" || last.Error != "port 3003 is not free" {
		t.Fatalf("got output %q, want the cause in a JSON ERROR line last", out.String())
	}
}
