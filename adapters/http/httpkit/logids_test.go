package httpkit_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
)

// The request's logger and its access log line carry the request and correlation ids, in
// the same places: the handler's lines and the access line are read by the same queries.
func TestLogLinesCarryTheRequestsIDs(t *testing.T) {
	for _, tc := range []struct {
		name, header, fromHandler, want string
	}{
		{"no correlation id", "", "", `"request_id":"req-1","method"`},
		{"from the header", "corr-h", "", `"request_id":"req-1","correlation_id":"corr-h","method"`},
		{"from the handler", "corr-h", "corr-body", `"request_id":"req-1","correlation_id":"corr-body","method"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&buf, nil)).With(slog.String("service", "svc"))
			h := httpkit.Middleware(logger, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx := r.Context()
				if tc.fromHandler != "" {
					ctx = httpkit.WithCorrelationID(ctx, tc.fromHandler)
				}
				httpkit.Logger(ctx).InfoContext(ctx, "handler", slog.String("method", "mine"))
				w.WriteHeader(http.StatusNoContent)
			}))
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			req.Header.Set("X-Request-ID", "req-1")
			if tc.header != "" {
				req.Header.Set("X-Correlation-ID", tc.header)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 2 {
				t.Fatalf("got %d log lines, want the handler's and the access line:\n%s", len(lines), buf.String())
			}
			for i, msg := range []string{`"msg":"handler","service":"svc",`, `"msg":"request","service":"svc",`} {
				if !strings.Contains(lines[i], msg+tc.want) {
					t.Errorf("line %d is %s, want %s%s", i, lines[i], msg, tc.want)
				}
			}
		})
	}
}
