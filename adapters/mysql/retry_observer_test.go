package mysql_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// counter is a RetryObserver that counts its calls.
type counter struct{ n atomic.Int64 }

func (c *counter) observe() { c.n.Add(1) }

func TestTransactObservedCountsEachRetry(t *testing.T) {
	t.Parallel()
	db := env.DB(t)
	for _, tc := range []struct {
		name        string
		errs        []error // what the attempts return, in order; then nil
		wantRetries int64
		wantErr     bool
	}{
		{"success", nil, 0, false},
		{"deadlock twice", []error{&gomysql.MySQLError{Number: 1213}, &gomysql.MySQLError{Number: 1213}}, 2, false},
		{"lock wait then 1020", []error{&gomysql.MySQLError{Number: 1205}, &gomysql.MySQLError{Number: 1020}}, 2, false},
		{"not retryable", []error{errors.New("boom")}, 0, true},
		{"duplicate", []error{&gomysql.MySQLError{Number: 1062}}, 0, true},
		{"always deadlocked", []error{&gomysql.MySQLError{Number: 1213}, &gomysql.MySQLError{Number: 1213}, &gomysql.MySQLError{Number: 1213},
			&gomysql.MySQLError{Number: 1213}, &gomysql.MySQLError{Number: 1213}}, 4, true}, // 5 attempts: 4 retries
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c counter
			attempt := 0
			err := mysql.TransactObserved(t.Context(), db, c.observe, func(context.Context, *mysql.Tx) error {
				attempt++
				if attempt <= len(tc.errs) {
					return tc.errs[attempt-1]
				}
				return nil
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("got error %v, want error %v", err, tc.wantErr)
			}
			if got := c.n.Load(); got != tc.wantRetries {
				t.Fatalf("got %d retries observed, want %d", got, tc.wantRetries)
			}
		})
	}
	// A nil observer is fine: Transact is TransactObserved without one.
	attempt := 0
	if err := mysql.TransactObserved(t.Context(), db, nil, func(context.Context, *mysql.Tx) error {
		if attempt++; attempt == 1 {
			return &gomysql.MySQLError{Number: 1213}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestStoresReportRetriesToTheirObserver: the orders store (its units of work and its
// standalone locking updates) and the customer repository call their observer when a unit
// runs again.
func TestStoresReportRetriesToTheirObserver(t *testing.T) {
	t.Parallel()
	db := env.DB(t)
	deadlockOnce := func() func() error {
		first := true
		return func() error {
			if first {
				first = false
				return &gomysql.MySQLError{Number: 1213, Message: "Deadlock found"}
			}
			return nil
		}
	}

	var oc counter
	store := mysql.NewOrdersStore(db).ObserveRetries(oc.observe)
	fail := deadlockOnce()
	if err := store.Transact(t.Context(), func(context.Context, orders.Repos) error { return fail() }); err != nil {
		t.Fatal(err)
	}
	if got := oc.n.Load(); got != 1 {
		t.Fatalf("orders store unit: got %d retries observed, want 1", got)
	}
	p, err := product.New("retry-"+mysqltest.Unique(), "Retry", 1, 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p, err = store.Repos().Products.Create(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	fail = deadlockOnce()
	if _, err := store.Repos().Products.Update(t.Context(), p.ID(), func(*product.Product) error { return fail() }); err != nil {
		t.Fatal(err)
	}
	if got := oc.n.Load(); got != 2 {
		t.Fatalf("orders store standalone update: got %d retries observed, want 2", got)
	}

	var cc counter
	repo := mysql.NewCustomerRepository(db).ObserveRetries(cc.observe)
	c, err := customer.NewCustomer("Retry", "retry-"+mysqltest.Unique()+"@example.com", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err = repo.Create(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	fail = deadlockOnce()
	if _, err := repo.Update(t.Context(), c.ID(), func(*customer.Customer) error { return fail() }); err != nil {
		t.Fatal(err)
	}
	if got := cc.n.Load(); got != 1 {
		t.Fatalf("customer repository: got %d retries observed, want 1", got)
	}
}

// TestRealDeadlockIsRetriedAndObserved: two units lock two products in opposite orders, with
// real goroutines meeting once both hold their first row, so MySQL deadlocks them; the victim
// is retried, both commit, and the observer saw the retry.
func TestRealDeadlockIsRetriedAndObserved(t *testing.T) {
	t.Parallel()
	db := env.DB(t)
	var c counter
	store := mysql.NewOrdersStore(db).ObserveRetries(c.observe)
	var ids [2]int64
	for i := range ids {
		p, err := product.New("deadlock-"+mysqltest.Unique(), "Deadlock", 1, 10, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if p, err = store.Repos().Products.Create(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		ids[i] = p.ID()
	}
	var both sync.WaitGroup
	both.Add(2)
	met := make(chan struct{})
	go func() { both.Wait(); close(met) }()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first, second := ids[g], ids[1-g]
			attempt := 0
			errs <- store.Transact(context.Background(), func(ctx context.Context, r orders.Repos) error {
				attempt++
				if _, err := r.Products.Update(ctx, first, func(p *product.Product) error {
					if attempt == 1 { // hold the first row until the other unit holds its own
						both.Done()
						select {
						case <-met:
						case <-time.After(10 * time.Second):
						}
					}
					return nil
				}); err != nil {
					return err
				}
				_, err := r.Products.Update(ctx, second, func(*product.Product) error { return nil })
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("got %v, want both units to commit (the deadlock victim after a retry)", err)
		}
	}
	if got := c.n.Load(); got < 1 {
		t.Fatalf("got %d retries observed, want at least 1 for the deadlock", got)
	}
}
