package httpkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
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
	keyIDs ctxKey = iota
	keyState
	keyDraining
	keyRouteHook
)

// NewID returns a random 128-bit hex id for requests and correlations.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Logger returns the request-scoped logger (with request and correlation ids), or the default.
func Logger(ctx context.Context) *slog.Logger {
	if ids := idsOf(ctx); ids != nil {
		return ids.logger()
	}
	return slog.Default()
}

// RequestID returns the request id stored by the middleware, or "".
func RequestID(ctx context.Context) string {
	if ids := idsOf(ctx); ids != nil {
		return ids.requestID
	}
	return ""
}

// CorrelationID returns the correlation id stored by the middleware, or "".
func CorrelationID(ctx context.Context) string {
	if ids := idsOf(ctx); ids != nil {
		return ids.correlationID
	}
	return ""
}

// WithIDs stores request and correlation ids and a logger carrying them in ctx. Clients use
// the ids to pass them on to downstream services.
func WithIDs(ctx context.Context, logger *slog.Logger, requestID, correlationID string) context.Context {
	return context.WithValue(ctx, keyIDs, &requestIDs{base: logger, requestID: requestID, correlationID: correlationID})
}

// requestIDs is what WithIDs stores. The logger carrying the ids is built on first use:
// most requests log only their access line, which adds the ids itself (attrs).
type requestIDs struct {
	base                     *slog.Logger
	requestID, correlationID string
	once                     sync.Once
	withIDs                  *slog.Logger
}

func idsOf(ctx context.Context) *requestIDs {
	ids, _ := ctx.Value(keyIDs).(*requestIDs)
	return ids
}

// attrs are the ids as log attributes, as the request's logger carries them.
func (r *requestIDs) attrs() []slog.Attr {
	attrs := make([]slog.Attr, 1, 9)
	attrs[0] = slog.String("request_id", r.requestID)
	if r.correlationID != "" {
		attrs = append(attrs, slog.String("correlation_id", r.correlationID))
	}
	return attrs
}

func (r *requestIDs) logger() *slog.Logger {
	r.once.Do(func() {
		attrs := r.attrs()
		args := make([]any, len(attrs))
		for i, a := range attrs {
			args[i] = a
		}
		r.withIDs = r.base.With(args...)
	})
	return r.withIDs
}

// WithCorrelationID replaces the correlation id that Middleware read from X-Correlation-ID
// with one the handler found elsewhere (the orchestrator's body names it): the returned
// context's logger and clients carry it, and so does the request's access log line.
func WithCorrelationID(ctx context.Context, correlationID string) context.Context {
	if s := stateOf(ctx); s != nil {
		s.mu.Lock()
		s.correlationID = correlationID
		s.mu.Unlock()
	}
	base := slog.Default()
	if ids := idsOf(ctx); ids != nil {
		base = ids.base
	}
	return WithIDs(ctx, base, RequestID(ctx), correlationID)
}

// MaxIDLength is the longest request or correlation id accepted from a caller.
const MaxIDLength = 128

// CleanID returns s when it can serve as a request or correlation id (1 to MaxIDLength
// printable ASCII characters without spaces), else "": an id from a caller cannot forge log
// lines or headers.
func CleanID(s string) string {
	if len(s) == 0 || len(s) > MaxIDLength {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return ""
		}
	}
	return s
}

// requestState is what the layers inside Middleware tell it about one request: the route
// template that matched (set once by the router, so the metrics never match a request
// twice) and the cause of a 5xx answer, for the access log. The handler may still run in
// its own goroutine when Middleware has already answered for it (see guard), hence the
// mutex.
type requestState struct {
	mu            sync.Mutex
	route         string
	cause         string
	correlationID string // set by WithCorrelationID
}

func stateOf(ctx context.Context) *requestState {
	s, _ := ctx.Value(keyState).(*requestState)
	return s
}

// SetRoute records the route template ("/orders/{id}") that matched r, for the metrics and
// the access log. Routers call it once per request (WrapRouter and WithRoute do); outside
// Middleware it does nothing.
func SetRoute(ctx context.Context, template string) {
	if s := stateOf(ctx); s != nil {
		s.mu.Lock()
		s.route = template
		s.mu.Unlock()
	}
}

// WithRoute serves h after recording route as the request's route template: for routers
// that cannot report the match themselves (a net/http ServeMux).
func WithRoute(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetRoute(r.Context(), route)
		h.ServeHTTP(w, r)
	})
}

// RouteHook is told, once per request when its answer is done, the route template that
// matched it (RouteUnmatched when none did).
type RouteHook func(route string)

// WithRouteHook returns ctx carrying hook, which Stack calls for the request served with
// ctx: tracing names its server span after the route this way.
func WithRouteHook(ctx context.Context, hook RouteHook) context.Context {
	return context.WithValue(ctx, keyRouteHook, hook)
}

// RecordCause records why the request failed (a 5xx), printed as "error" on its access log
// line. The text is redacted of credentials first. Outside Middleware it logs the cause
// at once instead, so it is never lost.
func RecordCause(ctx context.Context, err error) {
	if err == nil {
		return
	}
	text := Redact(err.Error())
	s := stateOf(ctx)
	if s == nil {
		Logger(ctx).ErrorContext(ctx, "request failed", slog.String("error", text))
		return
	}
	s.mu.Lock()
	if s.cause == "" {
		s.cause = text
	}
	s.mu.Unlock()
}

func (s *requestState) read() (route, cause, correlationID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.route, s.cause, s.correlationID
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

// Observe is called once per request with the route template ("unmatched" when no route
// matched), the method, the final status and the time taken; the metrics adapter plugs in
// here. It may be nil.
type Observe func(route, method string, status int, elapsed time.Duration)

// RouteUnmatched is the route of a request no route matched.
const RouteUnmatched = "unmatched"

// ErrorWriter writes err as a service's error answer. WriteError writes the APIs' shape;
// the orchestrator has an envelope of its own. Both map err through the one table of
// adapters/httperr.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Stack is the middleware every service's handler goes through.
type Stack struct {
	Logger  *slog.Logger // nil: discard the access log
	Observe Observe      // nil: no metrics
	// Errors writes the answers the stack and the router give themselves: 404, 405, the
	// 500 of a panic, the deadline answer. nil: WriteError.
	Errors ErrorWriter
	// Timeout is the error answered for a request whose handler has not answered
	// DeadlineMargin after the request's deadline (see WithDeadline). nil: 503
	// database_unavailable.
	Timeout error
}

// Middleware is Stack{Logger: logger, Observe: observe}.Wrap(next).
func Middleware(logger *slog.Logger, observe Observe, next http.Handler) http.Handler {
	return Stack{Logger: logger, Observe: observe}.Wrap(next)
}

// Wrap wraps next with, from outside in: request and correlation ids (echoed in
// X-Request-ID), X-Content-Type-Options: nosniff, a structured access log (with the
// cause of a 5xx) and the metrics, panic recovery (500 without a stack trace to the
// client), the 1 MiB body limit, and the deadline guard: when the request's context has a
// deadline and the handler has not answered DeadlineMargin after it (blocked in a call that
// ignores its context), s.Timeout is answered in its place and whatever the handler writes
// later is discarded.
func (s Stack) Wrap(next http.Handler) http.Handler {
	logger := s.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	write := s.errors()
	timeout := s.Timeout
	if timeout == nil {
		timeout = errRequestTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		reqID := CleanID(r.Header.Get(HeaderRequestID))
		if reqID == "" {
			reqID = NewID()
		}
		corrID := CleanID(r.Header.Get(HeaderCorrelationID))
		w.Header().Set(HeaderRequestID, reqID)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		state := &requestState{}
		ctx := context.WithValue(WithIDs(r.Context(), logger, reqID, corrID), keyState, state)
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		r.Body = http.MaxBytesReader(rec, r.Body, MaxBodyBytes)
		defer func() {
			if p := recover(); p != nil {
				recovered(rec, r, p, debug.Stack(), write)
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			route, cause, corrFromHandler := state.read()
			if route == "" {
				route = RouteUnmatched
			}
			ids := &requestIDs{requestID: reqID, correlationID: corrID}
			if corrFromHandler != "" {
				ids.correlationID = corrFromHandler
			}
			// The access line carries the ids as the request's logger would, without
			// building that logger.
			attrs := append(ids.attrs(), slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("route", route), slog.Int("status", status), slog.Int("bytes", rec.bytes),
				slog.Duration("duration", elapsed))
			if cause != "" {
				attrs = append(attrs, slog.String("error", cause))
			}
			logger.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
			if s.Observe != nil {
				s.Observe(route, r.Method, status, elapsed)
			}
			if hook, _ := ctx.Value(keyRouteHook).(RouteHook); hook != nil {
				hook(route)
			}
		}()
		guard(rec, r, next, write, timeout)
	})
}

func (s Stack) errors() ErrorWriter {
	if s.Errors == nil {
		return WriteError
	}
	return s.Errors
}

// recovered answers 500 for a handler that panicked, unless it had already answered.
func recovered(w *statusRecorder, r *http.Request, p any, stack []byte, write ErrorWriter) {
	ctx := r.Context()
	Logger(ctx).ErrorContext(ctx, "panic", slog.Any("panic", p), slog.String("stack", string(stack)))
	if w.status == 0 {
		write(w, r, errs.New(errs.KindInternal, "internal_error", "internal error"))
	}
}

// errRequestTimeout is the APIs' answer to a request that outlived its deadline: whatever
// blocked it ignored its context, which in these services means the database driver.
var errRequestTimeout = errs.New(errs.KindUnavailable, "database_unavailable",
	"the request timed out: the database did not answer in time, try again")
