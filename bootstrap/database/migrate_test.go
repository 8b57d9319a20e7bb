package database_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/bootstrap/database"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestMigrateMainWithoutDatabase(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := database.MigrateMain(context.Background(), env(nil), &stdout, &stderr); code != 2 {
		t.Fatalf("got exit code %d, want 2 (configuration problem)", code)
	}
	if !strings.Contains(stderr.String(), "DATABASE_URL") {
		t.Errorf("got stderr %q, want it to name DATABASE_URL", stderr.String())
	}
}

func TestMigrateMainDoesNotPrintThePassword(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	// Port 1 on loopback refuses at once: the command fails, and must not leak the password.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code := database.MigrateMain(ctx, env(map[string]string{"DATABASE_URL": "mysql://app:hunter2-secret@127.0.0.1:1/backoffice"}), &stdout, &stderr)
	if code != 1 {
		t.Errorf("got exit code %d, want 1", code)
	}
	out := stdout.String() + stderr.String()
	if strings.Contains(out, "hunter2-secret") {
		t.Errorf("output leaks the password: %q", out)
	}
	if !strings.Contains(out, "127.0.0.1:1/backoffice") {
		t.Errorf("got output %q, want it to name the target host and database", out)
	}
}
