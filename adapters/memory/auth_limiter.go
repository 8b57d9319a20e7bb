package memory

import (
	"sync"
	"time"

	"github.com/b2b-backoffice/backoffice/application/auth"
)

// AttemptPolicy sets when failed logins block a (username, address) pair.
type AttemptPolicy struct {
	// MaxFailures within Window block the pair until the oldest of them leaves the window.
	MaxFailures int
	Window      time.Duration
	// MaxKeys bounds memory: when that many pairs are tracked, expired ones are pruned (at
	// most once a second) and, if the map is still full, an arbitrary pair is forgotten. An
	// attacker flooding distinct pairs (each costing a password hash) can therefore only make
	// the limiter forget, never run the process out of memory or CPU.
	MaxKeys int
}

// DefaultAttemptPolicy is the contract's rule: 5 failures within one minute.
func DefaultAttemptPolicy() AttemptPolicy {
	return AttemptPolicy{MaxFailures: 5, Window: time.Minute, MaxKeys: 100_000}
}

// AttemptLimiter is a sliding-window failure counter per (username, address), safe for
// concurrent use. For each pair it keeps at most MaxFailures timestamps.
type AttemptLimiter struct {
	policy    AttemptPolicy
	mu        sync.Mutex
	failures  map[auth.AttemptKey][]time.Time // oldest first, at most MaxFailures
	lastPrune time.Time
}

var _ auth.AttemptLimiter = (*AttemptLimiter)(nil)

// NewAttemptLimiter returns a limiter with policy; zero fields take DefaultAttemptPolicy's.
func NewAttemptLimiter(policy AttemptPolicy) *AttemptLimiter {
	def := DefaultAttemptPolicy()
	if policy.MaxFailures <= 0 {
		policy.MaxFailures = def.MaxFailures
	}
	if policy.Window <= 0 {
		policy.Window = def.Window
	}
	if policy.MaxKeys <= 0 {
		policy.MaxKeys = def.MaxKeys
	}
	return &AttemptLimiter{policy: policy, failures: map[auth.AttemptKey][]time.Time{}}
}

// Blocked implements auth.AttemptLimiter.
func (l *AttemptLimiter) Blocked(key auth.AttemptKey, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.recent(key, now)
	if len(recent) < l.policy.MaxFailures {
		return 0
	}
	return recent[len(recent)-l.policy.MaxFailures].Add(l.policy.Window).Sub(now)
}

// Failed implements auth.AttemptLimiter.
func (l *AttemptLimiter) Failed(key auth.AttemptKey, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.recent(key, now)
	if recent == nil && len(l.failures) >= l.policy.MaxKeys {
		l.makeRoom(now)
	}
	recent = append(recent, now)
	if len(recent) > l.policy.MaxFailures {
		recent = append(recent[:0:0], recent[len(recent)-l.policy.MaxFailures:]...)
	}
	l.failures[key] = recent
	if now.Sub(l.lastPrune) > l.policy.Window {
		l.prune(now)
	}
}

// Reset implements auth.AttemptLimiter.
func (l *AttemptLimiter) Reset(key auth.AttemptKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

// Tracked returns how many pairs the limiter remembers; tests use it to check the bound.
func (l *AttemptLimiter) Tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.failures)
}

// recent returns key's failures still inside the window at now, dropping older ones.
func (l *AttemptLimiter) recent(key auth.AttemptKey, now time.Time) []time.Time {
	ts, ok := l.failures[key]
	if !ok {
		return nil
	}
	cut := now.Add(-l.policy.Window)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	if i == len(ts) {
		delete(l.failures, key)
		return nil
	}
	if i > 0 {
		ts = ts[i:]
		l.failures[key] = ts
	}
	return ts
}

// prune drops every pair whose failures all left the window.
func (l *AttemptLimiter) prune(now time.Time) {
	l.lastPrune = now
	cut := now.Add(-l.policy.Window)
	for k, ts := range l.failures {
		if !ts[len(ts)-1].After(cut) {
			delete(l.failures, k)
		}
	}
}

// makeRoom frees one slot in a full map: it prunes expired pairs unless it did so in the
// last second (a full scan per new pair would be a CPU sink), then forgets arbitrary pairs.
func (l *AttemptLimiter) makeRoom(now time.Time) {
	if now.Sub(l.lastPrune) >= time.Second || now.Before(l.lastPrune) {
		l.prune(now)
	}
	for k := range l.failures {
		if len(l.failures) < l.policy.MaxKeys {
			break
		}
		delete(l.failures, k)
	}
}
