package repotest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/application/customers"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// The tests of reads under concurrency. An adapter may serve concurrent reads with fewer
// statements (the MySQL adapter coalesces them); these tests hold it to what a read of its
// own would give: every write that ended before the read began is seen, and what one caller
// is given is its own to change.

// ReadsWhileWriting runs readers goroutines, each calling read in a loop, while write runs
// versions 1..writes one after the other; read gets the last version whose write had
// returned before it began, and returns an error to fail the test. The HTTP tests of
// coalesced reads use it too.
func ReadsWhileWriting(t *testing.T, readers, writes int, write func(version int) error, read func(ctx context.Context, committed int) error) {
	t.Helper()
	var committed atomic.Int64
	stop := make(chan struct{})
	errc := make(chan error, readers)
	var reads atomic.Int64
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := read(t.Context(), int(committed.Load())); err != nil {
					errc <- err
					return
				}
				reads.Add(1)
			}
		})
	}
	for v := 1; v <= writes; v++ {
		// Let reads run between writes: some before the write, some during, some after.
		for seen := reads.Load(); reads.Load() < seen+int64(readers/2) && len(errc) == 0; {
			time.Sleep(50 * time.Microsecond)
		}
		if err := write(v); err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("write %d: %v", v, err)
		}
		committed.Store(int64(v))
	}
	close(stop)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

// testGetSeesEarlierWrites: a customer renamed v1, v2, ... while readers get it. Each reader
// then renames its own copy, which must change nothing that another reader is given.
func testGetSeesEarlierWrites(t *testing.T, r customers.CustomerRepository) {
	tok := token(t)
	c := create(t, r, "v0", "fresh@"+tok+".com", "")
	ReadsWhileWriting(t, 8, 60, func(v int) error {
		_, err := r.Update(t.Context(), c.ID(), func(c *customer.Customer) error {
			name := "v" + strconv.Itoa(v)
			return c.Update(customer.Changes{Name: &name}, repoNow.Add(time.Duration(v)*time.Second))
		})
		return err
	}, func(ctx context.Context, committed int) error {
		got, err := r.Get(ctx, c.ID())
		if err != nil {
			return fmt.Errorf("Get: %w", err)
		}
		v, err := strconv.Atoi(strings.TrimPrefix(got.Name(), "v"))
		if err != nil || v < committed {
			return fmt.Errorf("a Get that began after version %d was written read name %q", committed, got.Name())
		}
		mine := "changed by one reader"
		return got.Update(customer.Changes{Name: &mine}, repoNow)
	})
}

// testConcurrentGetsOfManyCustomers: many readers get customers at random among live,
// deleted and unknown ones; each is answered for its own id.
func testConcurrentGetsOfManyCustomers(t *testing.T, r customers.CustomerRepository) {
	tok := token(t)
	var live []*customer.Customer
	deleted := map[int64]bool{}
	for i := range 24 {
		c := create(t, r, fmt.Sprintf("Many %d", i), fmt.Sprintf("many%d@%s.com", i, tok), "")
		if i%3 == 0 {
			if err := r.Delete(t.Context(), c.ID(), repoNow); err != nil {
				t.Fatal(err)
			}
			deleted[c.ID()] = true
			continue
		}
		live = append(live, c)
	}
	ids := []int64{1 << 61} // unknown
	for id := range deleted {
		ids = append(ids, id)
	}
	for _, c := range live {
		ids = append(ids, c.ID())
	}
	want := map[int64]*customer.Customer{}
	for _, c := range live {
		want[c.ID()] = c
	}
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for i := range 60 {
				id := ids[(g*7+i*13)%len(ids)]
				got, err := r.Get(t.Context(), id)
				w, ok := want[id]
				switch {
				case !ok && !errors.Is(err, customer.ErrNotFound):
					errc <- fmt.Errorf("Get(%d) of a deleted or unknown customer: got %v, want ErrNotFound", id, err)
					return
				case ok && err != nil:
					errc <- fmt.Errorf("Get(%d): %w", id, err)
					return
				case ok && (got.ID() != id || got.Email() != w.Email() || got.Name() != w.Name()):
					errc <- fmt.Errorf("Get(%d) got %s, want %s", id, describe(got), describe(w))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

// testProductPageSeesEarlierWrites: a product's stock set to 1, 2, ... while readers list
// its page. Each reader then takes from its own copy, which must change nothing that
// another reader is given.
func testProductPageSeesEarlierWrites(t *testing.T, h *ordersHarness) {
	p := h.product(100, 0)
	ReadsWhileWriting(t, 8, 60, func(v int) error {
		_, err := h.svc.UpdateProduct(t.Context(), p.ID(), product.Changes{Stock: refOf(v * 10)})
		return err
	}, func(ctx context.Context, committed int) error {
		page, err := h.svc.ListProducts(ctx, orders.ListProducts{Filter: orders.ProductFilter{Search: h.tok}, Page: paging.Request{Limit: 20}})
		if err != nil {
			return fmt.Errorf("ListProducts: %w", err)
		}
		if len(page.Items) != 1 || page.Items[0].ID() != p.ID() {
			return fmt.Errorf("got %d products, want the test's one", len(page.Items))
		}
		got := page.Items[0]
		if got.Stock() < committed*10 || got.Stock()%10 != 0 {
			return fmt.Errorf("a page read that began after stock %d was written read stock %d (only multiples of 10 are written)", committed*10, got.Stock())
		}
		if got.Stock() > 0 {
			return got.Take(1)
		}
		return nil
	})
}
