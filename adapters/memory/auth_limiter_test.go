package memory_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/application/auth"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestAttemptLimiterSlidingWindow(t *testing.T) {
	t.Parallel()
	l := memory.NewAttemptLimiter(memory.DefaultAttemptPolicy())
	key := auth.AttemptKey{Username: "admin", Address: "10.0.0.1"}
	for i := range 4 {
		l.Failed(key, t0.Add(time.Duration(i)*10*time.Second)) // 0s, 10s, 20s, 30s
	}
	if got := l.Blocked(key, t0.Add(30*time.Second)); got != 0 {
		t.Fatalf("after 4 failures: got blocked %v, want 0", got)
	}
	l.Failed(key, t0.Add(40*time.Second))
	// Blocked until the first failure (at 0s) leaves the one-minute window.
	if got, want := l.Blocked(key, t0.Add(40*time.Second)), 20*time.Second; got != want {
		t.Fatalf("after 5 failures: got blocked %v, want %v", got, want)
	}
	if got := l.Blocked(key, t0.Add(60*time.Second)); got != 0 {
		t.Fatalf("once the oldest failure left the window: got blocked %v, want 0", got)
	}
	// One more failure makes five within the window again: blocked until the one at 10s expires.
	l.Failed(key, t0.Add(61*time.Second))
	if got, want := l.Blocked(key, t0.Add(61*time.Second)), 9*time.Second; got != want {
		t.Fatalf("sliding: got blocked %v, want %v", got, want)
	}
	if got := l.Blocked(key, t0.Add(5*time.Minute)); got != 0 {
		t.Fatalf("long after: got blocked %v, want 0", got)
	}
}

func TestAttemptLimiterIsPerUsernameAndAddress(t *testing.T) {
	t.Parallel()
	l := memory.NewAttemptLimiter(memory.DefaultAttemptPolicy())
	key := auth.AttemptKey{Username: "admin", Address: "10.0.0.1"}
	for range 5 {
		l.Failed(key, t0)
	}
	if l.Blocked(key, t0) <= 0 {
		t.Fatal("got not blocked after 5 failures, want blocked")
	}
	for _, other := range []auth.AttemptKey{{Username: "admin", Address: "10.0.0.2"}, {Username: "other", Address: "10.0.0.1"}} {
		if got := l.Blocked(other, t0); got != 0 {
			t.Fatalf("%+v: got blocked %v, want 0 (another pair)", other, got)
		}
	}
	l.Reset(key)
	if got := l.Blocked(key, t0); got != 0 {
		t.Fatalf("after reset: got blocked %v, want 0", got)
	}
}

func TestAttemptLimiterBoundedMemory(t *testing.T) {
	t.Parallel()
	l := memory.NewAttemptLimiter(memory.AttemptPolicy{MaxFailures: 5, Window: time.Minute, MaxKeys: 100})
	for i := range 1000 {
		l.Failed(auth.AttemptKey{Username: fmt.Sprint(i), Address: "a"}, t0.Add(time.Duration(i)*time.Millisecond))
		if n := l.Tracked(); n > 100 {
			t.Fatalf("got %d tracked pairs, want at most 100", n)
		}
	}
	// Expired pairs are pruned as time passes, without waiting for the map to fill.
	l.Failed(auth.AttemptKey{Username: "late", Address: "a"}, t0.Add(time.Hour))
	if n := l.Tracked(); n != 1 {
		t.Fatalf("an hour later: got %d tracked pairs, want 1", n)
	}
}

func TestAttemptLimiterConcurrentFailures(t *testing.T) {
	t.Parallel()
	l := memory.NewAttemptLimiter(memory.DefaultAttemptPolicy())
	key := auth.AttemptKey{Username: "admin", Address: "10.0.0.1"}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			other := auth.AttemptKey{Username: fmt.Sprint(i), Address: "b"}
			l.Failed(key, t0)
			l.Failed(other, t0)
			_ = l.Blocked(other, t0)
			l.Reset(other)
		}()
	}
	wg.Wait()
	if got := l.Blocked(key, t0); got != time.Minute {
		t.Fatalf("after 100 concurrent failures: got blocked %v, want %v", got, time.Minute)
	}
	if n := l.Tracked(); n != 1 {
		t.Fatalf("got %d tracked pairs, want 1", n)
	}
}

func TestAttemptLimiterBlocksAnAddressWhateverTheUsernames(t *testing.T) {
	t.Parallel()
	l := memory.NewAttemptLimiter(memory.DefaultAttemptPolicy())
	for i := range 19 {
		key := auth.AttemptKey{Username: fmt.Sprint("user", i), Address: "10.0.0.9"}
		l.Failed(key, t0.Add(time.Duration(i)*time.Second))
		l.Reset(key) // a success of one pair does not clear its address's count
	}
	fresh := auth.AttemptKey{Username: "never-tried", Address: "10.0.0.9"}
	if got := l.Blocked(fresh, t0.Add(19*time.Second)); got != 0 {
		t.Fatalf("after 19 failures of the address: got blocked %v, want 0", got)
	}
	l.Failed(auth.AttemptKey{Username: "user19", Address: "10.0.0.9"}, t0.Add(19*time.Second))
	// Blocked until the first of the 20 failures (at 0s) leaves the one-minute window.
	if got, want := l.Blocked(fresh, t0.Add(20*time.Second)), 40*time.Second; got != want {
		t.Fatalf("a new username after 20 failures of the address: got blocked %v, want %v", got, want)
	}
	if got := l.Blocked(auth.AttemptKey{Username: "never-tried", Address: "10.0.0.10"}, t0.Add(20*time.Second)); got != 0 {
		t.Fatalf("another address: got blocked %v, want 0", got)
	}
	if got := l.Blocked(fresh, t0.Add(60*time.Second)); got != 0 {
		t.Fatalf("once the oldest failure left the window: got blocked %v, want 0", got)
	}
}

func TestAttemptLimiterBoundedMemoryUnderAFloodOfAddresses(t *testing.T) {
	t.Parallel()
	l := memory.NewAttemptLimiter(memory.AttemptPolicy{MaxKeys: 100})
	for i := range 1000 {
		l.Failed(auth.AttemptKey{Username: fmt.Sprint("u", i), Address: fmt.Sprint("a", i)}, t0.Add(time.Duration(i)*time.Millisecond))
		if n, a := l.Tracked(), l.TrackedAddresses(); n > 100 || a > 100 {
			t.Fatalf("got %d pairs and %d addresses tracked, want at most 100 each", n, a)
		}
	}
	l.Failed(auth.AttemptKey{Username: "late", Address: "late"}, t0.Add(time.Hour))
	if n, a := l.Tracked(), l.TrackedAddresses(); n != 1 || a != 1 {
		t.Fatalf("an hour later: got %d pairs and %d addresses tracked, want 1 each", n, a)
	}
}
