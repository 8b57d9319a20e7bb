// Package customers holds the customer use cases of customers-api: create, read, list with a
// literal search, partial update and soft delete.
package customers

import (
	"context"
	"time"

	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/customer"
)

// CustomerRepository stores customers. Deleted customers are kept (soft delete) but every
// method treats them as absent, and their email may be used again.
type CustomerRepository interface {
	// Create stores c, which has no id yet, and returns it as stored, with its id.
	// It returns customer.ErrEmailTaken when a customer not deleted has the same email
	// ignoring case; of many concurrent creations with one email, exactly one succeeds.
	Create(ctx context.Context, c *customer.Customer) (*customer.Customer, error)

	// Get returns the customer with id, or customer.ErrNotFound when there is none or
	// it was deleted.
	Get(ctx context.Context, id int64) (*customer.Customer, error)

	// List returns up to page.Limit+1 customers not deleted, in id ascending order, with
	// id > page.After (0: from the start), filtered by f; paging.Cut builds the page. A page
	// never skips or repeats a customer because of concurrent inserts (keyset pagination on
	// id).
	List(ctx context.Context, f Filter, page paging.Request) ([]*customer.Customer, error)

	// Update loads the customer with id, lets fn change it and stores the result when
	// fn returns nil, atomically with respect to other updates and deletes of that customer.
	// It returns fn's error unchanged, customer.ErrNotFound when the customer is absent or
	// deleted, and customer.ErrEmailTaken when the new email belongs to another live customer.
	// fn may run more than once (an adapter may retry the whole change when the store asks
	// for it): it must not keep state across calls.
	Update(ctx context.Context, id int64, fn func(c *customer.Customer) error) (*customer.Customer, error)

	// Delete soft-deletes the customer with id at now. It returns customer.ErrNotFound
	// when there is none or it was already deleted.
	Delete(ctx context.Context, id int64, now time.Time) error
}

// Filter narrows a customer list.
type Filter struct {
	// Search, when not empty, keeps the customers whose name or email contains it, ignoring
	// case and matching every character literally (% and _ are not wildcards).
	Search string
}
