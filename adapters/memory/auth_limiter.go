package memory

import (
	"context"
	"sync"
	"time"

	"github.com/b2b-backoffice/backoffice/application/auth"
)

// DefaultMaxAttemptKeys bounds the pairs, and the addresses, an AttemptLimiter remembers.
const DefaultMaxAttemptKeys = 100_000

// AttemptLimiter is auth.AttemptLimiter in process memory: a sliding window of failures per
// (username, address) and per address, safe for concurrent use, for one process only (each
// replica would count on its own; the MySQL limiter is the shared one). For each key it keeps
// at most its limit of timestamps, for at most maxKeys keys of each kind: when that many are
// tracked, expired ones are pruned (at most once a second) and, if the map is still full, an
// arbitrary one is forgotten. An attacker flooding distinct pairs or addresses can therefore
// only make the limiter forget, never run the process out of memory.
type AttemptLimiter struct {
	policy    auth.AttemptPolicy
	mu        sync.Mutex
	pairs     failureLog[auth.AttemptKey]
	addresses failureLog[string]
}

var _ auth.AttemptLimiter = (*AttemptLimiter)(nil)

// NewAttemptLimiter returns a limiter with policy (zero fields take
// auth.DefaultAttemptPolicy's) remembering at most maxKeys pairs and maxKeys addresses
// (DefaultMaxAttemptKeys when <= 0).
func NewAttemptLimiter(policy auth.AttemptPolicy, maxKeys int) *AttemptLimiter {
	policy = policy.WithDefaults()
	if maxKeys <= 0 {
		maxKeys = DefaultMaxAttemptKeys
	}
	return &AttemptLimiter{policy: policy,
		pairs:     newFailureLog[auth.AttemptKey](policy.MaxFailures, policy.Window, maxKeys),
		addresses: newFailureLog[string](policy.MaxAddressFailures, policy.Window, maxKeys)}
}

// Attempt implements auth.AttemptLimiter; one lock makes the check and the count one step.
func (l *AttemptLimiter) Attempt(_ context.Context, key auth.AttemptKey, now time.Time) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if wait := max(l.pairs.wait(key, now), l.addresses.wait(key.Address, now)); wait > 0 {
		return wait, nil
	}
	l.pairs.failed(key, now)
	l.addresses.failed(key.Address, now)
	return 0, nil
}

// Succeeded implements auth.AttemptLimiter.
func (l *AttemptLimiter) Succeeded(_ context.Context, key auth.AttemptKey, at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pairs.failures, key)
	l.addresses.takeBack(key.Address, at)
	return nil
}

// Abandoned implements auth.AttemptLimiter.
func (l *AttemptLimiter) Abandoned(_ context.Context, key auth.AttemptKey, at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pairs.takeBack(key, at)
	l.addresses.takeBack(key.Address, at)
	return nil
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

// failureLog is the sliding window of one limit: the recent failures of each key, at most
// limit of them, for at most maxKeys keys. Its owner holds the lock.
type failureLog[K comparable] struct {
	limit     int
	window    time.Duration
	maxKeys   int
	failures  map[K]auth.Failures
	lastPrune time.Time
}

func newFailureLog[K comparable](limit int, window time.Duration, maxKeys int) failureLog[K] {
	return failureLog[K]{limit: limit, window: window, maxKeys: maxKeys, failures: map[K]auth.Failures{}}
}

// wait returns how long key must still wait at now, or 0.
func (f *failureLog[K]) wait(key K, now time.Time) time.Duration {
	return f.recent(key, now).Wait(f.limit, f.window, now)
}

// failed records a failure of key at now.
func (f *failureLog[K]) failed(key K, now time.Time) {
	recent := f.recent(key, now)
	if recent == nil && len(f.failures) >= f.maxKeys {
		f.makeRoom(now)
	}
	f.failures[key] = recent.Add(now, f.limit)
	if now.Sub(f.lastPrune) > f.window {
		f.prune(now)
	}
}

// takeBack removes the failure of key counted at at, if it is still there.
func (f *failureLog[K]) takeBack(key K, at time.Time) {
	ts, ok := f.failures[key]
	if !ok {
		return
	}
	if ts = ts.Without(at); len(ts) == 0 {
		delete(f.failures, key)
		return
	}
	f.failures[key] = ts
}

// recent returns key's failures still inside the window at now, dropping older ones.
func (f *failureLog[K]) recent(key K, now time.Time) auth.Failures {
	ts, ok := f.failures[key]
	if !ok {
		return nil
	}
	recent := ts.Recent(now, f.window)
	switch {
	case len(recent) == 0:
		delete(f.failures, key)
		return nil
	case len(recent) < len(ts):
		f.failures[key] = recent
	}
	return recent
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
