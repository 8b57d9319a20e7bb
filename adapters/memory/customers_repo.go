// Package memory implements the application ports in process memory, for unit tests and
// the zero-setup local run. Every store keeps the same rules as its MySQL twin; the shared
// contract suites in adapters/repotest prove it.
package memory

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/b2b-backoffice/backoffice/application/customers"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/customer"
)

// CustomerRepository keeps customers in a map guarded by one mutex. Soft-deleted customers
// stay in the map with their deletion time; the email index holds only live ones.
type CustomerRepository struct {
	mu      sync.Mutex
	nextID  int64
	rows    map[int64]*customerRow
	byEmail map[string]int64 // customer.EmailKey -> id of the live customer
}

type customerRow struct {
	c         customer.Customer // a private copy: callers never hold a pointer into the store
	deletedAt *time.Time
}

var _ customers.CustomerRepository = (*CustomerRepository)(nil)

// NewCustomerRepository returns an empty store.
func NewCustomerRepository() *CustomerRepository {
	return &CustomerRepository{rows: map[int64]*customerRow{}, byEmail: map[string]int64{}}
}

// Create implements customers.CustomerRepository.
func (r *CustomerRepository) Create(ctx context.Context, c *customer.Customer) (*customer.Customer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	key := customer.EmailKey(c.Email())
	if _, taken := r.byEmail[key]; taken {
		return nil, customer.ErrEmailTaken
	}
	r.nextID++
	snap := c.Snapshot()
	snap.ID = r.nextID
	stored := customer.Rehydrate(snap)
	r.rows[stored.ID()] = &customerRow{c: *stored}
	r.byEmail[key] = stored.ID()
	return copyCustomer(stored), nil
}

// Get implements customers.CustomerRepository.
func (r *CustomerRepository) Get(ctx context.Context, id int64) (*customer.Customer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	row, ok := r.live(id)
	if !ok {
		return nil, customer.ErrNotFound
	}
	return copyCustomer(&row.c), nil
}

// List implements customers.CustomerRepository. Matching lower-cases both sides,
// which agrees with MySQL's case-insensitive collation for everything but accents (MySQL's
// utf8mb4_unicode_ci also matches "e" with "é").
func (r *CustomerRepository) List(ctx context.Context, f customers.Filter, page paging.Request) ([]*customer.Customer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	needle := strings.ToLower(f.Search)
	r.mu.Lock()
	defer r.mu.Unlock()
	// Ids are dense and increasing, so walking them in order is the keyset scan. The first
	// comparison keeps After+1 from overflowing on a cursor near the largest int64.
	var items []*customer.Customer
	for id := page.After + 1; page.After < r.nextID && id <= r.nextID && len(items) <= page.Limit; id++ {
		row, ok := r.live(id)
		if !ok {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(row.c.Name()), needle) &&
			!strings.Contains(strings.ToLower(row.c.Email()), needle) {
			continue
		}
		items = append(items, copyCustomer(&row.c))
	}
	return items, nil
}

// Update implements customers.CustomerRepository. fn works on a copy, which
// replaces the stored customer only when fn succeeds and the email is free.
func (r *CustomerRepository) Update(ctx context.Context, id int64, fn func(*customer.Customer) error) (*customer.Customer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	row, ok := r.live(id)
	if !ok {
		return nil, customer.ErrNotFound
	}
	work := copyCustomer(&row.c)
	if err := fn(work); err != nil {
		return nil, err
	}
	oldKey, newKey := customer.EmailKey(row.c.Email()), customer.EmailKey(work.Email())
	if owner, taken := r.byEmail[newKey]; taken && owner != id {
		return nil, customer.ErrEmailTaken
	}
	delete(r.byEmail, oldKey)
	r.byEmail[newKey] = id
	row.c = *work
	return copyCustomer(work), nil
}

// Delete implements customers.CustomerRepository.
func (r *CustomerRepository) Delete(ctx context.Context, id int64, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	row, ok := r.live(id)
	if !ok {
		return customer.ErrNotFound
	}
	at := now.UTC()
	row.deletedAt = &at
	delete(r.byEmail, customer.EmailKey(row.c.Email()))
	return nil
}

// live returns the row of customer id unless there is none or it is deleted. r.mu must be held.
func (r *CustomerRepository) live(id int64) (*customerRow, bool) {
	row, ok := r.rows[id]
	if !ok || row.deletedAt != nil {
		return nil, false
	}
	return row, true
}

func copyCustomer(c *customer.Customer) *customer.Customer {
	cp := *c
	return &cp
}
