package customers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/application/customers"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

var start = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func newService(t *testing.T) (*customers.Service, *time.Time) {
	t.Helper()
	now := start
	return customers.NewService(memory.NewCustomerRepository(), func() time.Time { return now }), &now
}

func ptr(s string) *string { return &s }

func TestCreateGetUpdateDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, now := newService(t)
	c, err := s.CreateCustomer(ctx, customers.CreateCustomer{Name: "ACME", Email: "ops@acme.com", Phone: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID() <= 0 || !c.CreatedAt().Equal(start) {
		t.Fatalf("got id %d created %v", c.ID(), c.CreatedAt())
	}
	*now = start.Add(time.Hour)
	up, err := s.UpdateCustomer(ctx, c.ID(), customer.Changes{Name: ptr("ACME Inc")})
	if err != nil {
		t.Fatal(err)
	}
	if up.Name() != "ACME Inc" || up.Email() != "ops@acme.com" || !up.UpdatedAt().Equal(*now) || !up.CreatedAt().Equal(start) {
		t.Fatalf("got %q %q updated %v created %v", up.Name(), up.Email(), up.UpdatedAt(), up.CreatedAt())
	}
	got, err := s.GetCustomer(ctx, c.ID())
	if err != nil || got.Name() != "ACME Inc" {
		t.Fatalf("got %v, %v", got, err)
	}
	if err := s.DeleteCustomer(ctx, c.ID()); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		func() error { _, err := s.GetCustomer(ctx, c.ID()); return err }(),
		func() error { _, err := s.UpdateCustomer(ctx, c.ID(), customer.Changes{Name: ptr("x")}); return err }(),
		s.DeleteCustomer(ctx, c.ID()),
	} {
		if !errors.Is(err, customer.ErrNotFound) {
			t.Fatalf("after delete: got %v, want customer.ErrNotFound", err)
		}
	}
}

func TestErrorsKeepTheirKindThroughWrapping(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t)
	if _, err := s.CreateCustomer(ctx, customers.CreateCustomer{Name: "A", Email: "a@acme.com"}); err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateCustomer(ctx, customers.CreateCustomer{Name: "B", Email: "b@acme.com"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		err  error
		kind errs.Kind
		is   error
	}{
		{"duplicate create", func() error {
			_, err := s.CreateCustomer(ctx, customers.CreateCustomer{Name: "A2", Email: "A@ACME.COM"})
			return err
		}(), errs.KindConflict, customer.ErrEmailTaken},
		{"update to taken", func() error {
			_, err := s.UpdateCustomer(ctx, b.ID(), customer.Changes{Email: ptr("a@Acme.com")})
			return err
		}(), errs.KindConflict, customer.ErrEmailTaken},
		{"invalid create", func() error {
			_, err := s.CreateCustomer(ctx, customers.CreateCustomer{Name: "", Email: "x@acme.com"})
			return err
		}(), errs.KindInvalid, nil},
		{"empty update", func() error { _, err := s.UpdateCustomer(ctx, b.ID(), customer.Changes{}); return err }(), errs.KindInvalid, nil},
		{"invalid update", func() error {
			_, err := s.UpdateCustomer(ctx, b.ID(), customer.Changes{Email: ptr("bad")})
			return err
		}(), errs.KindInvalid, nil},
		{"unknown id", func() error { _, err := s.GetCustomer(ctx, 12345); return err }(), errs.KindNotFound, customer.ErrNotFound},
		{"zero id", func() error { _, err := s.GetCustomer(ctx, 0); return err }(), errs.KindNotFound, customer.ErrNotFound},
		{"long search", func() error {
			_, err := s.ListCustomers(ctx, customers.ListCustomers{Search: strings.Repeat("x", 256)})
			return err
		}(), errs.KindInvalid, nil},
		{"bad limit", func() error {
			_, err := s.ListCustomers(ctx, customers.ListCustomers{Page: paging.Request{Limit: 101}})
			return err
		}(), errs.KindInvalid, nil},
	} {
		if errs.KindOf(tt.err) != tt.kind || (tt.is != nil && !errors.Is(tt.err, tt.is)) {
			t.Errorf("%s: got %v (kind %v), want kind %v and %v", tt.name, tt.err, errs.KindOf(tt.err), tt.kind, tt.is)
		}
	}
}

func TestListDefaultsAndSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t)
	for _, e := range []string{"a@acme.com", "b@acme.com", "c@other.io"} {
		if _, err := s.CreateCustomer(ctx, customers.CreateCustomer{Name: "N", Email: e}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.ListCustomers(ctx, customers.ListCustomers{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 3 || p.HasMore {
		t.Fatalf("got %d items has_more %v, want 3 and false", len(p.Items), p.HasMore)
	}
	p, err = s.ListCustomers(ctx, customers.ListCustomers{Search: "ACME", Page: paging.Request{Limit: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || !p.HasMore || p.Items[0].Email() != "a@acme.com" {
		t.Fatalf("got %d items has_more %v", len(p.Items), p.HasMore)
	}
	p, err = s.ListCustomers(ctx, customers.ListCustomers{Search: "ACME", Page: paging.Request{Limit: 1, After: p.Next}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.HasMore || p.Items[0].Email() != "b@acme.com" {
		t.Fatalf("second page: got %d items has_more %v", len(p.Items), p.HasMore)
	}
}
