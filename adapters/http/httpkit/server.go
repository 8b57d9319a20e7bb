package httpkit

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ServerConfig holds the timeouts of an HTTP server.
type ServerConfig struct {
	Addr            string
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	ShutdownTimeout time.Duration
	// RequestTimeout bounds the work of one request: its context is canceled after it, so a
	// database or upstream that stops answering turns into a 503, never a hang.
	RequestTimeout time.Duration
}

// DefaultServerConfig returns conservative timeouts for addr.
func DefaultServerConfig(addr string) ServerConfig {
	return ServerConfig{Addr: addr, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 120 * time.Second, ShutdownTimeout: 20 * time.Second, RequestTimeout: 15 * time.Second}
}

// Serve runs h on cfg.Addr until ctx is canceled, then stops accepting connections and waits
// up to cfg.ShutdownTimeout for requests in flight to finish.
func Serve(ctx context.Context, logger *slog.Logger, cfg ServerConfig, h http.Handler) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	return ServeListener(ctx, logger, cfg, ln, h)
}

// ServeListener is Serve on an open listener (tests use port 0).
func ServeListener(ctx context.Context, logger *slog.Logger, cfg ServerConfig, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           WithDeadline(cfg.RequestTimeout, h),
		ReadTimeout:       cfg.ReadTimeout,
		ReadHeaderTimeout: cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", slog.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
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

// WithDeadline cancels each request's context after d (no deadline when d <= 0). The
// database driver and the HTTP clients honour the context, so the request ends with a
// classified "unavailable" or "timeout" error instead of waiting for a dead peer.
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
