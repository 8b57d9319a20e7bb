package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/mysql"
)

// Backoff between connection attempts: the first retry after about retryFirst, growing to
// retryMax.
const (
	retryFirst = 250 * time.Millisecond
	retryMax   = 5 * time.Second
)

// lastAttempt is the time the wait keeps for its last attempt.
const lastAttempt = 100 * time.Millisecond

// untilDeadline shortens each interval of its backoff so that the last attempt is made just
// before deadline.
type untilDeadline struct {
	backoff.BackOff
	deadline time.Time
}

func (b untilDeadline) NextBackOff() time.Duration {
	next := b.BackOff.NextBackOff()
	left := time.Until(b.deadline) - lastAttempt
	if next == backoff.Stop || left <= 0 {
		return backoff.Stop
	}
	return min(next, left)
}

// WaitForServer returns once the MySQL server u names answers, trying again with backoff
// while it cannot be reached (containers start in any order) for up to timeout in all
// (DB_CONNECT_TIMEOUT; 0 tries once). Each failed attempt is logged with the database's
// address, never its password. A server that answers with an error (wrong password) ends
// the wait at once: waiting would not change the answer. The error names the database, the
// attempts made and the last cause.
func WaitForServer(ctx context.Context, u mysql.DatabaseURL, timeout time.Duration, logger *slog.Logger) error {
	started := time.Now()
	wctx, cancel := context.WithTimeout(ctx, max(timeout, time.Nanosecond))
	defer cancel()
	var (
		attempts int
		last     error
	)
	ping := func() (struct{}, error) {
		attempts++
		attemptCtx := wctx
		if timeout <= 0 {
			attemptCtx = ctx // one attempt, bounded by the driver's own timeouts
		}
		err := mysql.PingServer(attemptCtx, u, logger)
		if err != nil && (last == nil || wctx.Err() == nil) {
			last = err // an attempt cut short by the end of the wait keeps the cause before it
		}
		if err != nil && !mysql.Unreachable(err) {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}
	policy := backoff.NewExponentialBackOff()
	policy.InitialInterval, policy.MaxInterval = retryFirst, retryMax
	// The wait ends with wctx, not when the next interval would overshoot it (the library's
	// MaxElapsedTime gives up that early: after 1 s of a 2 s wait, say).
	opts := []backoff.RetryOption{backoff.WithBackOff(untilDeadline{policy, started.Add(timeout)}), backoff.WithMaxElapsedTime(0),
		backoff.WithNotify(func(err error, next time.Duration) {
			logger.Warn("database not reachable yet, retrying", slog.String("database", u.Redacted()),
				slog.Int("attempt", attempts), slog.Duration("retry_in", next.Round(time.Millisecond)),
				slog.Duration("gives_up_in", (timeout-time.Since(started)).Round(time.Second)),
				slog.String("error", httpkit.Redact(err.Error())))
		})}
	if timeout <= 0 {
		opts = append(opts, backoff.WithMaxTries(1))
	}
	_, err := backoff.Retry(wctx, ping, opts...)
	switch {
	case err == nil:
		if attempts > 1 {
			logger.Info("database reachable", slog.String("database", u.Redacted()), slog.Int("attempts", attempts))
		}
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("stopped while waiting for the database %s: %w", u.Redacted(), errors.Join(ctx.Err(), last))
	case last != nil && !mysql.Unreachable(last):
		return last // reached: the server's answer is the cause
	}
	return fmt.Errorf("database not reachable after %d attempts in %s (DB_CONNECT_TIMEOUT=%s): %w",
		attempts, time.Since(started).Round(100*time.Millisecond), timeout, last) // last names it
}
