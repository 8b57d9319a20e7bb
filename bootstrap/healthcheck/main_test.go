package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

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
			if got := run(context.Background(), env(tt.env), tt.args, &stderr); got != tt.want {
				t.Errorf("got exit code %d, want %d (stderr %q)", got, tt.want, stderr.String())
			}
		})
	}
}
