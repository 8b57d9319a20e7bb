package memory_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/adapters/repotest"
	"github.com/b2b-backoffice/backoffice/application/auth"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestAttemptLimiterContract(t *testing.T) {
	t.Parallel()
	repotest.RunAttemptLimiter(t, func(_ *testing.T, policy auth.AttemptPolicy) (a, b auth.AttemptLimiter) {
		l := memory.NewAttemptLimiter(policy, 0)
		return l, l
	})
}

func TestAttemptLimiterBoundedMemoryUnderAFloodOfAddresses(t *testing.T) {
	t.Parallel()
	l := memory.NewAttemptLimiter(auth.DefaultAttemptPolicy(), 100)
	for i := range 1000 {
		attempt(t, l, auth.AttemptKey{Username: fmt.Sprint("u", i), Address: fmt.Sprint("a", i)}, t0.Add(time.Duration(i)*time.Millisecond))
		if n, a := l.Tracked(), l.TrackedAddresses(); n > 100 || a > 100 {
			t.Fatalf("got %d pairs and %d addresses tracked, want at most 100 each", n, a)
		}
	}
	attempt(t, l, auth.AttemptKey{Username: "late", Address: "late"}, t0.Add(time.Hour))
	if n, a := l.Tracked(), l.TrackedAddresses(); n != 1 || a != 1 {
		t.Fatalf("an hour later: got %d pairs and %d addresses tracked, want 1 each", n, a)
	}
}

func attempt(t *testing.T, l *memory.AttemptLimiter, key auth.AttemptKey, at time.Time) {
	t.Helper()
	if _, err := l.Attempt(t.Context(), key, at); err != nil {
		t.Fatal(err)
	}
}
