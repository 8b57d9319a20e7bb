package customer

import "github.com/b2b-backoffice/backoffice/domain/errs"

// Errors of the customer domain.
var (
	// ErrNotFound: no customer with that id, or it was deleted.
	ErrNotFound = errs.New(errs.KindNotFound, "customer_not_found", "customer not found")
	// ErrEmailTaken: another customer not deleted has that email, ignoring case.
	ErrEmailTaken = errs.New(errs.KindConflict, "email_taken", "a customer with that email already exists")
)
