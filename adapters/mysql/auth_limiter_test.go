package mysql_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/repotest"
	"github.com/b2b-backoffice/backoffice/application/auth"
)

// TestAttemptLimiterContract runs the suite on two limiters, each on its own pool (two
// customers-api replicas), sharing one database.
func TestAttemptLimiterContract(t *testing.T) {
	u := env.URL(t)
	repotest.RunAttemptLimiter(t, func(t *testing.T, policy auth.AttemptPolicy) (a, b auth.AttemptLimiter) {
		return newAttemptLimiter(t, u, policy), newAttemptLimiter(t, u, policy)
	})
}

func newAttemptLimiter(t *testing.T, u mysql.DatabaseURL, policy auth.AttemptPolicy) *mysql.AttemptLimiter {
	t.Helper()
	db, err := mysql.Open(t.Context(), u, mysql.PoolConfig{MaxOpenConns: 8, MaxIdleConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	l, err := mysql.NewAttemptLimiter(db, policy)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAttemptLimiterRefusesLimitsItCannotStore(t *testing.T) {
	t.Parallel()
	if _, err := mysql.NewAttemptLimiter(nil, auth.AttemptPolicy{MaxAddressFailures: 61}); err == nil {
		t.Fatal("a limit of 61 failures: got no error, want one")
	}
}

// TestAttemptLimiterPurge: the rows whose failures all left the window are deleted and the
// others stay; two purges at once (two replicas, crossing batches) delete them all between
// them, without an error or a deadlock.
func TestAttemptLimiterPurge(t *testing.T) {
	u := env.NewDatabase(t, true)
	a, b := newAttemptLimiter(t, u, auth.DefaultAttemptPolicy()), newAttemptLimiter(t, u, auth.DefaultAttemptPolicy())
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	const old, fresh = 300, 3 // attempts; each makes two rows (its pair's and its address's)
	for i := range old + fresh {
		when := at
		if i >= old {
			when = at.Add(time.Hour)
		}
		if _, err := a.Attempt(t.Context(), auth.AttemptKey{Username: "u", Address: fmt.Sprint("purge-", i)}, when); err != nil {
			t.Fatal(err)
		}
	}
	var (
		wg      sync.WaitGroup
		deleted [2]int64
		errs    [2]error
	)
	for i, l := range []*mysql.AttemptLimiter{a, b} {
		wg.Go(func() { deleted[i], errs[i] = l.Purge(t.Context(), at.Add(30*time.Minute)) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatal(err)
	}
	if got := deleted[0] + deleted[1]; got != 2*old {
		t.Fatalf("two purges deleted %d + %d rows, want %d in all", deleted[0], deleted[1], 2*old)
	}
	db, err := mysql.Open(t.Context(), u, mysql.PoolConfig{MaxOpenConns: 1, MaxIdleConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var left int
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM login_failures").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 2*fresh {
		t.Fatalf("got %d rows left, want %d (the recent failures)", left, 2*fresh)
	}
}
