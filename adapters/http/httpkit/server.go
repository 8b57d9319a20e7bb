package httpkit

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/netconn"
)

// ServerConfig holds the timeouts of an HTTP server.
type ServerConfig struct {
	Addr            string
	ReadTimeout     time.Duration
	IdleTimeout     time.Duration
	ShutdownTimeout time.Duration
	// DrainDelay is how long a stopping server keeps serving, with /ready answering 503,
	// before it stops accepting connections: the time a load balancer needs to see the
	// instance leave and stop sending it requests. 0 stops at once.
	DrainDelay time.Duration
	// RequestTimeout bounds the work of one request: its context is canceled after it, so a
	// database or upstream that stops answering turns into a 503, never a hang, and
	// Middleware answers by itself DeadlineMargin later if the handler is still blocked.
	// The server's write timeout is derived from it (WriteTimeout).
	RequestTimeout time.Duration
}

// WriteTimeout is the server's write timeout: long enough for the answer Middleware gives
// DeadlineMargin after RequestTimeout to reach the client (writeSlack more), so that a
// request that outlives its deadline still gets its JSON answer instead of a closed
// connection. 0 (none) when RequestTimeout is 0.
func (c ServerConfig) WriteTimeout() time.Duration {
	if c.RequestTimeout <= 0 {
		return 0
	}
	return c.RequestTimeout + DeadlineMargin + writeSlack
}

// writeSlack is the time left to write the answer after the deadline guard has answered.
const writeSlack = 5 * time.Second

// DefaultServerConfig returns conservative timeouts for addr.
func DefaultServerConfig(addr string) ServerConfig {
	return ServerConfig{Addr: addr, ReadTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ShutdownTimeout: 20 * time.Second, DrainDelay: 5 * time.Second, RequestTimeout: 15 * time.Second}
}

// Serve runs h on cfg.Addr until ctx is canceled, then drains and shuts down (see
// ServeListener).
func Serve(ctx context.Context, logger *slog.Logger, cfg ServerConfig, h http.Handler) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	return ServeListener(ctx, logger, cfg, ln, h)
}

// ServeListener is Serve on an open listener (tests use port 0). When ctx is canceled
// (SIGTERM, SIGINT) the server drains: Ready answers 503 at once while requests are still
// served for cfg.DrainDelay, keep-alive is turned off so clients reconnect elsewhere; then
// it stops accepting connections and waits up to cfg.ShutdownTimeout for requests in
// flight to finish.
func ServeListener(ctx context.Context, logger *slog.Logger, cfg ServerConfig, ln net.Listener, h http.Handler) error {
	draining := &atomic.Bool{}
	srv := &http.Server{
		Handler:           WithDeadline(cfg.RequestTimeout, h),
		ReadTimeout:       cfg.ReadTimeout,
		ReadHeaderTimeout: cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout(),
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context {
			return context.WithValue(context.Background(), keyDraining, draining)
		},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(netconn.Listener{Listener: ln}) }()
	logger.Info("listening", slog.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	draining.Store(true)
	srv.SetKeepAlivesEnabled(false)
	if cfg.DrainDelay > 0 {
		logger.Info("draining: /ready answers 503, still serving", slog.String("drain_delay", cfg.DrainDelay.String()))
		select {
		case err := <-errc:
			return err
		case <-time.After(cfg.DrainDelay):
		}
	}
	logger.Info("shutting down, finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// Draining reports whether the server serving ctx's request is draining before a shutdown.
func Draining(ctx context.Context) bool {
	d, _ := ctx.Value(keyDraining).(*atomic.Bool)
	return d != nil && d.Load()
}

// WithDeadline cancels each request's context after d (no deadline when d <= 0). The
// database driver and the HTTP clients honour the context, so the request ends with a
// classified "unavailable" or "timeout" error instead of waiting for a dead peer; for the
// calls that do not, Middleware answers DeadlineMargin after the deadline.
func WithDeadline(d time.Duration, h http.Handler) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
