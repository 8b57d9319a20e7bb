package bootstrap_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func TestLoadMigrateConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "nothing configured", env: nil, wantErr: "DATABASE_URL"},
		{name: "url", env: map[string]string{"DATABASE_URL": "mysql://app:pw@db:3306/backoffice"}, want: "mysql://app:pw@db:3306/backoffice"},
		{name: "bad url", env: map[string]string{"DATABASE_URL": "postgres://db/x"}, wantErr: "DATABASE_URL must look like"},
		{name: "db set", env: map[string]string{"DB_HOST": "db", "DB_USER": "app", "DB_PASSWORD": "pw", "DB_NAME": "backoffice"}, want: "mysql://app:pw@db:3306/backoffice"},
		{name: "host without name", env: map[string]string{"DB_HOST": "db"}, wantErr: "DB_NAME is required"},
		// The migrate command needs no secrets, unlike a service on MySQL.
		{name: "no secrets needed", env: map[string]string{"DB_NAME": "backoffice"}, want: "mysql://root@127.0.0.1:3306/backoffice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := bootstrap.LoadMigrateConfig(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q, nil", got, err, tt.want)
			}
		})
	}
}

func TestMigrateMainWithoutDatabase(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := bootstrap.MigrateMain(context.Background(), env(nil), &stdout, &stderr); code != 2 {
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
	code := bootstrap.MigrateMain(ctx, env(map[string]string{"DATABASE_URL": "mysql://app:hunter2-secret@127.0.0.1:1/backoffice"}), &stdout, &stderr)
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

func TestHealthcheckMain(t *testing.T) {
	t.Parallel()
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	t.Cleanup(healthy.Close)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)
	healthyURL, _ := url.Parse(healthy.URL)

	tests := []struct {
		name string
		env  map[string]string
		args []string
		want int
	}{
		{name: "healthy by PORT", env: map[string]string{"PORT": healthyURL.Port()}, want: 0},
		{name: "healthy by URL", args: []string{healthy.URL + "/health"}, want: 0},
		{name: "not 200", args: []string{failing.URL + "/health"}, want: 1},
		{name: "wrong path", args: []string{healthy.URL + "/nope"}, want: 1},
		{name: "nothing listening", args: []string{"http://127.0.0.1:1/health"}, want: 1},
		{name: "no PORT", want: 2},
		{name: "bad PORT", env: map[string]string{"PORT": "http"}, want: 2},
		{name: "too many args", args: []string{"a", "b"}, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			if got := bootstrap.HealthcheckMain(context.Background(), env(tt.env), tt.args, &stderr); got != tt.want {
				t.Errorf("got exit code %d, want %d (stderr %q)", got, tt.want, stderr.String())
			}
		})
	}
}
