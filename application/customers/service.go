package customers

import (
	"context"
	"fmt"
	"time"

	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/text"
)

// Service runs the customer use cases. Errors are domain errors (customer.ErrNotFound,
// customer.ErrEmailTaken, errs KindInvalid) or, from the store, KindUnavailable or
// unclassified internal errors.
type Service struct {
	repo CustomerRepository
	now  func() time.Time
}

// NewService returns the use cases over repo; now is the clock.
func NewService(repo CustomerRepository, now func() time.Time) *Service {
	return &Service{repo: repo, now: now}
}

// CreateCustomer is the input of CreateCustomer. An empty Phone means no phone.
type CreateCustomer struct {
	Name  string
	Email string
	Phone string
}

// CreateCustomer validates and stores a new customer.
func (s *Service) CreateCustomer(ctx context.Context, cmd CreateCustomer) (*customer.Customer, error) {
	c, err := customer.NewCustomer(cmd.Name, cmd.Email, cmd.Phone, s.now())
	if err != nil {
		return nil, err
	}
	stored, err := s.repo.Create(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("create customer: %w", err)
	}
	return stored, nil
}

// GetCustomer returns a live customer. customers-api's internal route uses it too: other services
// must see a deleted customer as absent.
func (s *Service) GetCustomer(ctx context.Context, id int64) (*customer.Customer, error) {
	if id <= 0 {
		return nil, customer.ErrNotFound
	}
	c, err := s.repo.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get customer %d: %w", id, err)
	}
	return c, nil
}

// ListCustomers is the input of ListCustomers.
type ListCustomers struct {
	Search string
	Page   paging.Request
}

// ListCustomers returns one page of live customers matching the search, which follows the text
// policy (domain/text): a term no stored field could hold is refused, not searched.
func (s *Service) ListCustomers(ctx context.Context, q ListCustomers) (paging.Page[*customer.Customer], error) {
	if err := text.Search(q.Search); err != nil {
		return paging.Page[*customer.Customer]{}, err
	}
	page, err := paging.NewRequest(q.Page.Limit, q.Page.After)
	if err != nil {
		return paging.Page[*customer.Customer]{}, err
	}
	items, err := s.repo.List(ctx, Filter{Search: q.Search}, page)
	if err != nil {
		return paging.Page[*customer.Customer]{}, fmt.Errorf("list customers: %w", err)
	}
	return paging.Cut(items, page, (*customer.Customer).ID), nil
}

// UpdateCustomer applies a partial change: at least one field, each valid.
func (s *Service) UpdateCustomer(ctx context.Context, id int64, ch customer.Changes) (*customer.Customer, error) {
	if ch.Empty() {
		// Before the id: empty changes are a bad request whatever they would apply to.
		return nil, customer.ErrNoChanges
	}
	if id <= 0 {
		return nil, customer.ErrNotFound
	}
	c, err := s.repo.Update(ctx, id, func(c *customer.Customer) error {
		return c.Update(ch, s.now())
	})
	if err != nil {
		return nil, fmt.Errorf("update customer %d: %w", id, err)
	}
	return c, nil
}

// DeleteCustomer soft-deletes a customer: it disappears from every read and its email is free again.
func (s *Service) DeleteCustomer(ctx context.Context, id int64) error {
	if id <= 0 {
		return customer.ErrNotFound
	}
	if err := s.repo.Delete(ctx, id, s.now()); err != nil {
		return fmt.Errorf("delete customer %d: %w", id, err)
	}
	return nil
}
