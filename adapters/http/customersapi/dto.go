package customersapi

import (
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
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
		CreatedAt: httpkit.Time(c.CreatedAt()), UpdatedAt: httpkit.Time(c.UpdatedAt())}
	if p := c.Phone(); p != "" {
		out.Phone = &p
	}
	return out
}

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
	Name  httpkit.Optional[string] `json:"name"`
	Email httpkit.Optional[string] `json:"email"`
	Phone httpkit.Optional[string] `json:"phone"`
}

func (b updateRequest) changes() (customer.Changes, error) {
	var ch customer.Changes
	var err error
	if ch.Name, err = b.Name.Ptr("name"); err != nil {
		return ch, err
	}
	if ch.Email, err = b.Email.Ptr("email"); err != nil {
		return ch, err
	}
	if b.Phone.Set {
		v := b.Phone.Value // "" after null: removes the phone
		ch.Phone = &v
	}
	// Empty changes are refused by the use case (at least one field is required).
	return ch, nil
}
