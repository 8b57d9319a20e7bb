package customersapi

import (
	"encoding/json"
	"time"

	"github.com/b2b-backoffice/backoffice/application/customers"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// customerJSON is the contract's customer object.
type customerJSON struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	Email     string  `json:"email"`
	Phone     *string `json:"phone"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

func toJSON(c *customer.Customer) customerJSON {
	out := customerJSON{ID: c.ID(), Name: c.Name(), Email: c.Email(),
		CreatedAt: formatTime(c.CreatedAt()), UpdatedAt: formatTime(c.UpdatedAt())}
	if p := c.Phone(); p != "" {
		out.Phone = &p
	}
	return out
}

// formatTime writes RFC 3339 in UTC with the stored precision (microseconds at most), so
// that a created_at copied into another service's filter selects the same instant.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

type createRequest struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
	Phone *string `json:"phone"` // null or absent: no phone
}

func (b createRequest) command() (customers.CreateCustomer, error) {
	if b.Name == nil {
		return customers.CreateCustomer{}, errs.Invalid("name is required")
	}
	if b.Email == nil {
		return customers.CreateCustomer{}, errs.Invalid("email is required")
	}
	cmd := customers.CreateCustomer{Name: *b.Name, Email: *b.Email}
	if b.Phone != nil {
		cmd.Phone = *b.Phone
	}
	return cmd, nil
}

// updateRequest tells an absent field (left as it is) from an explicit null: null removes
// the phone and is refused for name and email.
type updateRequest struct {
	Name  optionalString `json:"name"`
	Email optionalString `json:"email"`
	Phone optionalString `json:"phone"`
}

func (b updateRequest) changes() (customer.Changes, error) {
	var ch customer.Changes
	for _, f := range []struct {
		name string
		in   optionalString
		out  **string
	}{{"name", b.Name, &ch.Name}, {"email", b.Email, &ch.Email}} {
		if f.in.null {
			return ch, errs.Invalid("%s must not be null", f.name)
		}
		if f.in.set {
			v := f.in.value
			*f.out = &v
		}
	}
	if b.Phone.set {
		v := b.Phone.value // "" after null: removes the phone
		ch.Phone = &v
	}
	if ch.Empty() {
		return ch, errs.Invalid("at least one of name, email or phone must be given")
	}
	return ch, nil
}

// optionalString records whether a JSON field was present and whether it was null.
type optionalString struct {
	set   bool
	null  bool
	value string
}

func (o *optionalString) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		o.null = true
		return nil
	}
	return json.Unmarshal(b, &o.value)
}
