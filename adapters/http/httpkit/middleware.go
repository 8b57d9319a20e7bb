package httpkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// Header names the services read and pass on.
const (
	HeaderRequestID     = "X-Request-ID"
	HeaderCorrelationID = "X-Correlation-ID"
)

type ctxKey int

const (
	keyLogger ctxKey = iota
	keyRequestID
	keyCorrelationID
)

// NewID returns a random 128-bit hex id for requests and correlations.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Logger returns the request-scoped logger (with request and correlation ids), or the default.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// RequestID returns the request id stored by the middleware, or "".
func RequestID(ctx context.Context) string { s, _ := ctx.Value(keyRequestID).(string); return s }

// CorrelationID returns the correlation id stored by the middleware, or "".
func CorrelationID(ctx context.Context) string {
	s, _ := ctx.Value(keyCorrelationID).(string)
	return s
}

// WithIDs stores request and correlation ids and a logger carrying them in ctx. Clients use
// the ids to pass them on to downstream services.
func WithIDs(ctx context.Context, logger *slog.Logger, requestID, correlationID string) context.Context {
	ctx = context.WithValue(ctx, keyRequestID, requestID)
	ctx = context.WithValue(ctx, keyCorrelationID, correlationID)
	attrs := []any{slog.String("request_id", requestID)}
	if correlationID != "" {
		attrs = append(attrs, slog.String("correlation_id", correlationID))
	}
	return context.WithValue(ctx, keyLogger, logger.With(attrs...))
}

// cleanID accepts a caller's id only when it is short printable ASCII, so that a header
// cannot forge log lines.
func cleanID(s string) string {
	if len(s) == 0 || len(s) > 128 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return ""
		}
	}
	return s
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Observe is called once per request with the route template and final status; the metrics
// adapter plugs in here. It may be nil.
type Observe func(r *http.Request, status int, elapsed time.Duration)

// Middleware wraps next with, from outside in: request and correlation ids (echoed in
// X-Request-ID), a structured access log, panic recovery (500 without a stack trace to the
// client) and the 1 MiB body limit.
func Middleware(logger *slog.Logger, observe Observe, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		reqID := cleanID(r.Header.Get(HeaderRequestID))
		if reqID == "" {
			reqID = NewID()
		}
		corrID := cleanID(r.Header.Get(HeaderCorrelationID))
		w.Header().Set(HeaderRequestID, reqID)
		ctx := WithIDs(r.Context(), logger, reqID, corrID)
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		r.Body = http.MaxBytesReader(rec, r.Body, MaxBodyBytes)
		defer func() {
			if p := recover(); p != nil {
				Logger(ctx).ErrorContext(ctx, "panic", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
				if rec.status == 0 {
					WriteError(rec, r, errs.New(errs.KindInternal, "internal_error", "internal error"))
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			Logger(ctx).LogAttrs(ctx, slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Int("bytes", rec.bytes),
				slog.Duration("duration", elapsed))
			if observe != nil {
				observe(r, status, elapsed)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}
