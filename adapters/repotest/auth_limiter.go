package repotest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/application/auth"
)

// NewAttemptLimiters returns two limiters with policy that share one store, as two
// customers-api replicas on one database do; an adapter without a shared store (memory)
// returns one limiter twice.
type NewAttemptLimiters func(t *testing.T, policy auth.AttemptPolicy) (a, b auth.AttemptLimiter)

// limiterOrigin is the suite's clock: whole microseconds, which every store keeps exactly.
var limiterOrigin = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// RunAttemptLimiter runs the contract of auth.AttemptLimiter: a sliding window per
// (username, address) pair and per address, an attempt counted in one step with its check,
// taken back on success or abandon, and, with real goroutines on two limiters sharing a
// store, never one attempt past a limit. Every test uses addresses of its own, so the suite
// runs in parallel on one database.
func RunAttemptLimiter(t *testing.T, newLimiters NewAttemptLimiters) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, newLimiters NewAttemptLimiters)
	}{
		{"PairSlidingWindow", testLimiterPairSlidingWindow},
		{"PerPairAndAddress", testLimiterPerPairAndAddress},
		{"AddressWhateverTheUsernames", testLimiterAddressWhateverTheUsernames},
		{"SuccessAndAbandonTakeBackTheirAttempt", testLimiterTakeBack},
		{"ConcurrentAttemptsOfOnePair", testLimiterConcurrentPair},
		{"ConcurrentAttemptsOfOneAddress", testLimiterConcurrentAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newLimiters)
		})
	}
}

// limiterAddress returns an address no other test of any run uses.
func limiterAddress(t *testing.T, name string) string {
	return fmt.Sprintf("%s/%s/%d", t.Name(), name, time.Now().UnixNano())
}

func attempt(t *testing.T, l auth.AttemptLimiter, key auth.AttemptKey, at time.Time) time.Duration {
	t.Helper()
	wait, err := l.Attempt(t.Context(), key, at)
	if err != nil {
		t.Fatalf("Attempt(%+v): %v", key, err)
	}
	return wait
}

func wantWait(t *testing.T, l auth.AttemptLimiter, key auth.AttemptKey, at time.Time, want time.Duration, what string) {
	t.Helper()
	if got := attempt(t, l, key, at); got != want {
		t.Fatalf("%s: got wait %v, want %v", what, got, want)
	}
}

func testLimiterPairSlidingWindow(t *testing.T, newLimiters NewAttemptLimiters) {
	l, other := newLimiters(t, auth.DefaultAttemptPolicy())
	key := auth.AttemptKey{Username: "admin", Address: limiterAddress(t, "a")}
	for i := range 5 { // 0s, 10s, 20s, 30s, 40s, alternating between the replicas
		lim := l
		if i%2 == 1 {
			lim = other
		}
		wantWait(t, lim, key, limiterOrigin.Add(time.Duration(i)*10*time.Second), 0, fmt.Sprint("failure ", i+1))
	}
	// Blocked until the first failure (at 0s) leaves the one-minute window, on both replicas.
	wantWait(t, l, key, limiterOrigin.Add(40*time.Second), 20*time.Second, "after 5 failures")
	wantWait(t, other, key, limiterOrigin.Add(45*time.Second), 15*time.Second, "after 5 failures, the other replica")
	// Once it left, one more attempt passes and counts: blocked again until the one at 10s leaves.
	wantWait(t, l, key, limiterOrigin.Add(60*time.Second), 0, "once the oldest failure left the window")
	wantWait(t, other, key, limiterOrigin.Add(61*time.Second), 9*time.Second, "sliding")
	wantWait(t, l, key, limiterOrigin.Add(5*time.Minute), 0, "long after")
}

func testLimiterPerPairAndAddress(t *testing.T, newLimiters NewAttemptLimiters) {
	l, _ := newLimiters(t, auth.DefaultAttemptPolicy())
	addr := limiterAddress(t, "a")
	key := auth.AttemptKey{Username: "admin", Address: addr}
	for range 5 {
		wantWait(t, l, key, limiterOrigin, 0, "a failure under the limit")
	}
	if attempt(t, l, key, limiterOrigin) <= 0 {
		t.Fatal("got not blocked after 5 failures, want blocked")
	}
	for _, other := range []auth.AttemptKey{{Username: "admin", Address: limiterAddress(t, "b")}, {Username: "other", Address: addr}} {
		wantWait(t, l, other, limiterOrigin, 0, fmt.Sprintf("another pair %+v", other))
	}
}

func testLimiterAddressWhateverTheUsernames(t *testing.T, newLimiters NewAttemptLimiters) {
	a, b := newLimiters(t, auth.DefaultAttemptPolicy())
	addr := limiterAddress(t, "a")
	for i := range 20 {
		lim := a
		if i%2 == 1 {
			lim = b
		}
		wantWait(t, lim, auth.AttemptKey{Username: fmt.Sprint("user", i), Address: addr}, limiterOrigin.Add(time.Duration(i)*time.Second), 0,
			fmt.Sprint("address failure ", i+1))
	}
	// Blocked until the first of the 20 failures (at 0s) leaves the one-minute window.
	fresh := auth.AttemptKey{Username: "never-tried", Address: addr}
	wantWait(t, a, fresh, limiterOrigin.Add(20*time.Second), 40*time.Second, "a new username after 20 failures of the address")
	wantWait(t, b, auth.AttemptKey{Username: "never-tried", Address: limiterAddress(t, "b")}, limiterOrigin.Add(20*time.Second), 0, "another address")
	wantWait(t, b, fresh, limiterOrigin.Add(60*time.Second), 0, "once the oldest failure left the window")
}

func testLimiterTakeBack(t *testing.T, newLimiters NewAttemptLimiters) {
	l, other := newLimiters(t, auth.AttemptPolicy{MaxFailures: 3, MaxAddressFailures: 4, Window: time.Minute})
	addr := limiterAddress(t, "a")
	key := auth.AttemptKey{Username: "admin", Address: addr}
	at := func(s int) time.Time { return limiterOrigin.Add(time.Duration(s) * time.Second) }
	wantWait(t, l, key, at(0), 0, "failure 1")
	wantWait(t, l, key, at(1), 0, "failure 2")
	// A success forgets the pair's failures, and takes back only its own attempt at the address.
	wantWait(t, other, key, at(2), 0, "the attempt that succeeds")
	if err := other.Succeeded(t.Context(), key, at(2)); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the address has 2 failures: 2 more reach its limit of 4
		wantWait(t, l, auth.AttemptKey{Username: fmt.Sprint("u", i), Address: addr}, at(3), 0, fmt.Sprint("address failure ", 3+i))
	}
	if attempt(t, l, auth.AttemptKey{Username: "fresh", Address: addr}, at(3)) <= 0 {
		t.Fatal("after 4 failures of the address: got not blocked, want blocked")
	}
	// An abandoned attempt is taken back for the pair and for the address.
	addr2 := limiterAddress(t, "b")
	key2 := auth.AttemptKey{Username: "admin", Address: addr2}
	for i := range 2 {
		wantWait(t, l, key2, at(i), 0, fmt.Sprint("failure ", i+1))
	}
	wantWait(t, l, key2, at(5), 0, "the attempt abandoned")
	if err := other.Abandoned(t.Context(), key2, at(5)); err != nil {
		t.Fatal(err)
	}
	wantWait(t, other, key2, at(6), 0, "failure 3 (the abandoned attempt did not count)")
	wantWait(t, l, key2, at(6), 54*time.Second, "after 3 failures (the first at 0s)")
	// Taking back an attempt that is not there changes nothing.
	if err := l.Abandoned(t.Context(), key2, at(30)); err != nil {
		t.Fatal(err)
	}
	wantWait(t, l, key2, at(7), 53*time.Second, "after a take-back of nothing")
}

// testLimiterConcurrentPair: many attempts of one pair at once, spread over two limiters
// sharing a store: exactly the limit pass, the rest are refused.
func testLimiterConcurrentPair(t *testing.T, newLimiters NewAttemptLimiters) {
	a, b := newLimiters(t, auth.DefaultAttemptPolicy())
	key := auth.AttemptKey{Username: "admin", Address: limiterAddress(t, "a")}
	passed := raceAttempts(t, a, b, 40, func(int) auth.AttemptKey { return key })
	if passed != 5 {
		t.Fatalf("got %d of 40 concurrent attempts of one pair past the limiter, want exactly 5", passed)
	}
}

// testLimiterConcurrentAddress: many attempts from one address with distinct usernames:
// exactly the address's limit pass.
func testLimiterConcurrentAddress(t *testing.T, newLimiters NewAttemptLimiters) {
	a, b := newLimiters(t, auth.DefaultAttemptPolicy())
	addr := limiterAddress(t, "a")
	passed := raceAttempts(t, a, b, 40, func(i int) auth.AttemptKey {
		return auth.AttemptKey{Username: fmt.Sprint("guess-", i), Address: addr}
	})
	if passed != 20 {
		t.Fatalf("got %d of 40 concurrent attempts from one address past the limiter, want exactly 20", passed)
	}
}

// raceAttempts runs n attempts at once, alternating between a and b, and returns how many
// were let through.
func raceAttempts(t *testing.T, a, b auth.AttemptLimiter, n int, key func(i int) auth.AttemptKey) int {
	t.Helper()
	var (
		passed atomic.Int32
		wg     sync.WaitGroup
		start  = make(chan struct{})
		errc   = make(chan error, n)
	)
	for i := range n {
		lim := a
		if i%2 == 1 {
			lim = b
		}
		wg.Go(func() {
			<-start
			wait, err := lim.Attempt(context.WithoutCancel(t.Context()), key(i), limiterOrigin)
			switch {
			case err != nil:
				errc <- err
			case wait == 0:
				passed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("Attempt: %v", err)
	}
	return int(passed.Load())
}
