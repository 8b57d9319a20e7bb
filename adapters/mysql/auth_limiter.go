package mysql

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b2b-backoffice/backoffice/application/auth"
)

// maxStoredFailures is the most failures one login_failures row can list (its column holds
// 1024 characters, 17 per failure).
const maxStoredFailures = 60

// AttemptLimiter is auth.AttemptLimiter in the login_failures table, so that every
// customers-api replica on the database counts the same failures. Each call is one
// transaction that locks the rows of the pair and of its address (inserted when missing, in
// key order, so two logins never wait for each other in a cycle), reads their failures,
// applies the policy's sliding window (auth.Failures, the rule the memory limiter applies)
// and writes them back: two replicas checking one pair at once run one after the other.
type AttemptLimiter struct {
	db      *sql.DB
	policy  auth.AttemptPolicy
	onRetry RetryObserver
}

var _ auth.AttemptLimiter = (*AttemptLimiter)(nil)

// NewAttemptLimiter returns the limiter on db with policy (zero fields take
// auth.DefaultAttemptPolicy's). A limit above 60 failures is refused: a row lists at most 60.
func NewAttemptLimiter(db *sql.DB, policy auth.AttemptPolicy) (*AttemptLimiter, error) {
	policy = policy.WithDefaults()
	if policy.MaxFailures > maxStoredFailures || policy.MaxAddressFailures > maxStoredFailures {
		return nil, fmt.Errorf("login limits: at most %d failures per window, got %d per pair and %d per address",
			maxStoredFailures, policy.MaxFailures, policy.MaxAddressFailures)
	}
	return &AttemptLimiter{db: db, policy: policy}, nil
}

// ObserveRetries makes every transaction of the limiter call onRetry before it runs again
// after a deadlock or a lock-wait timeout; it returns l.
func (l *AttemptLimiter) ObserveRetries(onRetry RetryObserver) *AttemptLimiter {
	l.onRetry = onRetry
	return l
}

// limitRow is one limited key of an attempt: its row's key, its limit and its failures.
type limitRow struct {
	key      []byte
	limit    int
	failures auth.Failures
}

// rows returns the pair's and the address's rows, in key order (the lock order).
func (l *AttemptLimiter) rows(key auth.AttemptKey) (pair, address *limitRow, ordered []*limitRow) {
	pair = &limitRow{key: limitKey("pair", key.Username, key.Address), limit: l.policy.MaxFailures}
	address = &limitRow{key: limitKey("address", key.Address), limit: l.policy.MaxAddressFailures}
	ordered = []*limitRow{pair, address}
	if bytes.Compare(address.key, pair.key) < 0 {
		ordered = []*limitRow{address, pair}
	}
	return pair, address, ordered
}

// limitKey is the SHA-256 of kind and parts, each part prefixed with its length so that no
// two keys share an encoding.
func limitKey(kind string, parts ...string) []byte {
	h := sha256.New()
	h.Write([]byte(kind))
	for _, p := range parts {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(p))))
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

// Attempt implements auth.AttemptLimiter.
func (l *AttemptLimiter) Attempt(ctx context.Context, key auth.AttemptKey, now time.Time) (time.Duration, error) {
	var wait time.Duration
	now = now.Truncate(time.Microsecond)
	err := l.locked(ctx, key, now, func(pair, address *limitRow) bool {
		wait = max(pair.failures.Wait(pair.limit, l.policy.Window, now), address.failures.Wait(address.limit, l.policy.Window, now))
		if wait > 0 {
			return false
		}
		pair.failures = pair.failures.Recent(now, l.policy.Window).Add(now, pair.limit)
		address.failures = address.failures.Recent(now, l.policy.Window).Add(now, address.limit)
		return true
	})
	if err != nil {
		return 0, fmt.Errorf("count login attempt: %w", err)
	}
	return wait, nil
}

// Succeeded implements auth.AttemptLimiter.
func (l *AttemptLimiter) Succeeded(ctx context.Context, key auth.AttemptKey, at time.Time) error {
	at = at.Truncate(time.Microsecond)
	err := l.locked(ctx, key, at, func(pair, address *limitRow) bool {
		pair.failures = nil
		address.failures = address.failures.Without(at)
		return true
	})
	if err != nil {
		return fmt.Errorf("clear login failures: %w", err)
	}
	return nil
}

// Abandoned implements auth.AttemptLimiter.
func (l *AttemptLimiter) Abandoned(ctx context.Context, key auth.AttemptKey, at time.Time) error {
	at = at.Truncate(time.Microsecond)
	err := l.locked(ctx, key, at, func(pair, address *limitRow) bool {
		pair.failures = pair.failures.Without(at)
		address.failures = address.failures.Without(at)
		return true
	})
	if err != nil {
		return fmt.Errorf("take back login attempt: %w", err)
	}
	return nil
}

// locked runs change on the pair's and the address's rows, locked for the transaction
// (created empty when missing), and writes both back when change returns true. A row whose
// failures are all gone expires at now, for the purge.
func (l *AttemptLimiter) locked(ctx context.Context, key auth.AttemptKey, now time.Time, change func(pair, address *limitRow) bool) error {
	now = now.Truncate(time.Microsecond) // what the row keeps: takeBack must find it again
	return TransactObserved(ctx, l.db, l.onRetry, func(ctx context.Context, tx *Tx) error {
		pair, address, ordered := l.rows(key)
		// ON DUPLICATE KEY UPDATE takes the exclusive lock on a row that exists (INSERT IGNORE
		// would take a shared one, and two logins upgrading shared locks deadlock).
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO login_failures (limit_key, failures, expires_at) VALUES (?, '', ?), (?, '', ?) ON DUPLICATE KEY UPDATE limit_key = limit_key",
			ordered[0].key, now.UTC(), ordered[1].key, now.UTC()); err != nil {
			return fmt.Errorf("lock login failures: %w", err)
		}
		for _, r := range ordered {
			var list string
			if err := tx.QueryRowContext(ctx, "SELECT failures FROM login_failures WHERE limit_key = ? FOR UPDATE", r.key).Scan(&list); err != nil {
				return fmt.Errorf("read login failures: %w", err)
			}
			failures, err := parseFailures(list)
			if err != nil {
				return err
			}
			r.failures = failures
		}
		if !change(pair, address) {
			return nil
		}
		for _, r := range ordered {
			expires := now
			if n := len(r.failures); n > 0 {
				expires = r.failures[n-1].Add(l.policy.Window)
			}
			if _, err := tx.ExecContext(ctx, "UPDATE login_failures SET failures = ?, expires_at = ? WHERE limit_key = ?",
				formatFailures(r.failures), expires.UTC(), r.key); err != nil {
				return fmt.Errorf("write login failures: %w", err)
			}
		}
		return nil
	})
}

// formatFailures writes failures as Unix microseconds separated by commas.
func formatFailures(f auth.Failures) string {
	var b strings.Builder
	for i, t := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(t.UnixMicro(), 10))
	}
	return b.String()
}

// parseFailures reads what formatFailures wrote.
func parseFailures(s string) (auth.Failures, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	f := make(auth.Failures, len(parts))
	for i, p := range parts {
		us, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("read login failures: %w", errors.Join(errors.New("malformed failure list"), err))
		}
		f[i] = time.UnixMicro(us).UTC()
	}
	return f, nil
}

// purgeClaimBatch bounds the rows one purge transaction claims.
const purgeClaimBatch = 500

// Purge deletes the rows whose failures have all left the window at now and returns how
// many. Each batch claims its rows with FOR UPDATE SKIP LOCKED, so replicas purging at the
// same time delete disjoint rows and never wait for each other, nor for a login holding a row.
func (l *AttemptLimiter) Purge(ctx context.Context, now time.Time) (int64, error) {
	n, err := purgeClaimed(ctx, l.db, l.onRetry, purgeClaim{
		claim:  "SELECT limit_key FROM login_failures WHERE expires_at <= ? ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED",
		delete: "DELETE FROM login_failures WHERE limit_key IN ",
		row:    "?",
		scan: func(s rowScanner) ([]any, error) {
			var key []byte
			err := s.Scan(&key)
			return []any{key}, err
		},
	}, now, purgeClaimBatch)
	if err != nil {
		return n, fmt.Errorf("purge login failures: %w", err)
	}
	return n, nil
}
