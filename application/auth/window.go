package auth

import (
	"slices"
	"time"
)

// AttemptPolicy sets when failed logins block a (username, address) pair, and when they block
// an address whatever the usernames it tries. Every AttemptLimiter applies it the same way:
// a sliding window per key (see Failures).
type AttemptPolicy struct {
	// MaxFailures within Window block the pair until the oldest of them leaves the window.
	MaxFailures int
	// MaxAddressFailures within Window, for any usernames, block the address the same way: a
	// fresh username per attempt does not give an address more guesses.
	MaxAddressFailures int
	Window             time.Duration
}

// DefaultAttemptPolicy is the contract's rule: 5 failures of one pair within one minute, and
// 20 failures of one address within one minute.
func DefaultAttemptPolicy() AttemptPolicy {
	return AttemptPolicy{MaxFailures: 5, MaxAddressFailures: 20, Window: time.Minute}
}

// WithDefaults returns p with its zero or negative fields taken from DefaultAttemptPolicy.
func (p AttemptPolicy) WithDefaults() AttemptPolicy {
	def := DefaultAttemptPolicy()
	if p.MaxFailures <= 0 {
		p.MaxFailures = def.MaxFailures
	}
	if p.MaxAddressFailures <= 0 {
		p.MaxAddressFailures = def.MaxAddressFailures
	}
	if p.Window <= 0 {
		p.Window = def.Window
	}
	return p
}

// Failures are the recent failed attempts of one key (a pair or an address), oldest first:
// the sliding window both limiters keep, in memory or in a database row. It never holds
// more than the key's limit.
type Failures []time.Time

// Recent returns the failures still inside window at now (later than now - window).
func (f Failures) Recent(now time.Time, window time.Duration) Failures {
	cut := now.Add(-window)
	i := 0
	for i < len(f) && !f[i].After(cut) {
		i++
	}
	return f[i:]
}

// Wait returns how long a key with these recent failures must still wait at now: until the
// oldest of its last limit failures leaves the window; 0 with fewer than limit.
func (f Failures) Wait(limit int, window time.Duration, now time.Time) time.Duration {
	recent := f.Recent(now, window)
	if len(recent) < limit {
		return 0
	}
	return recent[len(recent)-limit].Add(window).Sub(now)
}

// Add returns the failures with one more at at, keeping the newest limit of them, in order.
func (f Failures) Add(at time.Time, limit int) Failures {
	out := append(slices.Clip(f), at)
	slices.SortStableFunc(out, time.Time.Compare)
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// Without returns the failures less one that happened at at (the charge of an attempt that
// turned out not to be a failure); unchanged when there is none.
func (f Failures) Without(at time.Time) Failures {
	i := slices.IndexFunc(f, at.Equal)
	if i < 0 {
		return f
	}
	return slices.Delete(slices.Clone(f), i, i+1)
}
