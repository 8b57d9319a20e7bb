package memory

import (
	"sync"
	"time"

	"github.com/b2b-backoffice/backoffice/application/auth"
)

// AttemptPolicy sets when failed logins block a (username, address) pair, and when they block
// an address whatever the usernames it tries.
type AttemptPolicy struct {
	// MaxFailures within Window block the pair until the oldest of them leaves the window.
	MaxFailures int
	// MaxAddressFailures within Window, for any usernames, block the address the same way: a
	// fresh username per attempt does not give an address more guesses.
	MaxAddressFailures int
	Window             time.Duration
	// MaxKeys bounds memory, for the pairs and for the addresses each: when that many are
	// tracked, expired ones are pruned (at most once a second) and, if the map is still
	// full, an arbitrary one is forgotten. An attacker flooding distinct pairs or addresses
	// can therefore only make the limiter forget, never run the process out of memory.
	MaxKeys int
}

// DefaultAttemptPolicy is the contract's rule: 5 failures of one pair within one minute, and
// 20 failures of one address within one minute.
func DefaultAttemptPolicy() AttemptPolicy {
	return AttemptPolicy{MaxFailures: 5, MaxAddressFailures: 20, Window: time.Minute, MaxKeys: 100_000}
}

// AttemptLimiter is a sliding-window failure counter per (username, address) and per
// address, safe for concurrent use. For each key it keeps at most its limit of timestamps.
type AttemptLimiter struct {
	policy    AttemptPolicy
	mu        sync.Mutex
	pairs     failureLog[auth.AttemptKey]
	addresses failureLog[string]
}

var _ auth.AttemptLimiter = (*AttemptLimiter)(nil)

// NewAttemptLimiter returns a limiter with policy; zero fields take DefaultAttemptPolicy's.
func NewAttemptLimiter(policy AttemptPolicy) *AttemptLimiter {
	def := DefaultAttemptPolicy()
	if policy.MaxFailures <= 0 {
		policy.MaxFailures = def.MaxFailures
	}
	if policy.MaxAddressFailures <= 0 {
		policy.MaxAddressFailures = def.MaxAddressFailures
	}
	if policy.Window <= 0 {
		policy.Window = def.Window
	}
	if policy.MaxKeys <= 0 {
		policy.MaxKeys = def.MaxKeys
	}
	return &AttemptLimiter{policy: policy,
		pairs:     newFailureLog[auth.AttemptKey](policy.MaxFailures, policy.Window, policy.MaxKeys),
		addresses: newFailureLog[string](policy.MaxAddressFailures, policy.Window, policy.MaxKeys)}
}

// Blocked implements auth.AttemptLimiter.
func (l *AttemptLimiter) Blocked(key auth.AttemptKey, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(l.pairs.blocked(key, now), l.addresses.blocked(key.Address, now))
}

// Failed implements auth.AttemptLimiter.
func (l *AttemptLimiter) Failed(key auth.AttemptKey, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pairs.failed(key, now)
	l.addresses.failed(key.Address, now)
}

// Reset implements auth.AttemptLimiter.
func (l *AttemptLimiter) Reset(key auth.AttemptKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pairs.failures, key)
}

// Tracked returns how many pairs the limiter remembers; tests use it to check the bound.
func (l *AttemptLimiter) Tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pairs.failures)
}

// TrackedAddresses returns how many addresses the limiter remembers.
func (l *AttemptLimiter) TrackedAddresses() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.addresses.failures)
}

// failureLog is the sliding window of one limit: the recent failures of each key, oldest
// first, at most limit of them, for at most maxKeys keys. Its owner holds the lock.
type failureLog[K comparable] struct {
	limit     int
	window    time.Duration
	maxKeys   int
	failures  map[K][]time.Time
	lastPrune time.Time
}

func newFailureLog[K comparable](limit int, window time.Duration, maxKeys int) failureLog[K] {
	return failureLog[K]{limit: limit, window: window, maxKeys: maxKeys, failures: map[K][]time.Time{}}
}

// blocked returns how long key must still wait, or 0.
func (f *failureLog[K]) blocked(key K, now time.Time) time.Duration {
	recent := f.recent(key, now)
	if len(recent) < f.limit {
		return 0
	}
	return recent[len(recent)-f.limit].Add(f.window).Sub(now)
}

// failed records a failure of key at now.
func (f *failureLog[K]) failed(key K, now time.Time) {
	recent := f.recent(key, now)
	if recent == nil && len(f.failures) >= f.maxKeys {
		f.makeRoom(now)
	}
	recent = append(recent, now)
	if len(recent) > f.limit {
		recent = append(recent[:0:0], recent[len(recent)-f.limit:]...)
	}
	f.failures[key] = recent
	if now.Sub(f.lastPrune) > f.window {
		f.prune(now)
	}
}

// recent returns key's failures still inside the window at now, dropping older ones.
func (f *failureLog[K]) recent(key K, now time.Time) []time.Time {
	ts, ok := f.failures[key]
	if !ok {
		return nil
	}
	cut := now.Add(-f.window)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	if i == len(ts) {
		delete(f.failures, key)
		return nil
	}
	if i > 0 {
		ts = ts[i:]
		f.failures[key] = ts
	}
	return ts
}

// prune drops every key whose failures all left the window.
func (f *failureLog[K]) prune(now time.Time) {
	f.lastPrune = now
	cut := now.Add(-f.window)
	for k, ts := range f.failures {
		if !ts[len(ts)-1].After(cut) {
			delete(f.failures, k)
		}
	}
}

// makeRoom frees one slot in a full map: it prunes expired keys unless it did so in the
// last second (a full scan per new key would be a CPU sink), then forgets arbitrary keys.
func (f *failureLog[K]) makeRoom(now time.Time) {
	if now.Sub(f.lastPrune) >= time.Second || now.Before(f.lastPrune) {
		f.prune(now)
	}
	for k := range f.failures {
		if len(f.failures) < f.maxKeys {
			break
		}
		delete(f.failures, k)
	}
}
