package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// startPprof serves net/http/pprof's handlers under /debug/pprof/ on addr (PPROF_ADDR), on a
// mux and an http.Server of their own: never on the service's port, so profiles are only
// reachable where the operator chose to listen (127.0.0.1 in `make profile`). It returns the
// address it listens on and a stop function that closes the listener (a CPU profile in
// progress is cut short). (Importing net/http/pprof also registers the handlers on
// http.DefaultServeMux, which no server of ours serves.)
func startPprof(addr string, logger *slog.Logger) (net.Addr, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("pprof listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("pprof listener", slog.String("error", err.Error()))
		}
	}()
	logger.Info("pprof listening", slog.String("addr", ln.Addr().String()))
	return ln.Addr(), func() {
		_ = srv.Close()
		<-done
	}, nil
}

// withPprof runs start with the pprof listener of cfg.PprofAddr open, when one is set.
func withPprof(ctx context.Context, cfg Config, logger *slog.Logger, start func(context.Context, Config, *slog.Logger) error) error {
	if cfg.PprofAddr == "" {
		return start(ctx, cfg, logger)
	}
	_, stop, err := startPprof(cfg.PprofAddr, logger)
	if err != nil {
		return err
	}
	defer stop()
	return start(ctx, cfg, logger)
}
