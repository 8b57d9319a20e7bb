package bootstrap

import (
	"context"
	"log/slog"
	"time"
)

// Every runs fn now and then every interval until ctx ends: the loop of a service's
// background jobs (purges, the reservation sweep).
func Every(ctx context.Context, interval time.Duration, fn func()) {
	fn()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// LogRun logs one run of a background job: a warning when it failed (unless it was
// stopped), the count when it did something.
func LogRun(ctx context.Context, logger *slog.Logger, failed, done string, n int64, err error) {
	if err != nil && ctx.Err() == nil {
		logger.Warn(failed, slog.String("error", err.Error()))
	}
	if n > 0 {
		logger.Info(done, slog.Int64("count", n))
	}
}
