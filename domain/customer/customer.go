// Package customer is the customer aggregate of the back office: a business client that
// orders are placed for. It guards the rules every store and transport must keep: a name,
// a valid email that is unique among live customers ignoring case, an optional phone.
package customer

import (
	"net/mail"
	"strings"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/text"
	"github.com/b2b-backoffice/backoffice/domain/timestamp"
)

// Field limits, in characters, from the contract (and the column sizes of the stores).
const (
	MaxNameLength  = 255
	MaxEmailLength = 255
	MaxPhoneLength = 50
)

// Customer is a live customer. A deleted customer is never loaded as a Customer: the stores
// answer ErrNotFound for it.
type Customer struct {
	id        int64
	name      string
	email     string
	phone     string // "" when the customer has none
	createdAt time.Time
	updatedAt time.Time
}

// NewCustomer validates a customer about to be created at now. It has no id until a
// repository stores it. Every field follows the text policy (domain/text) and loses its
// surrounding spaces; an empty phone means no phone. The email keeps its case: uniqueness ignoring case is the repository's rule.
func NewCustomer(name, email, phone string, now time.Time) (*Customer, error) {
	n, err := validName(name)
	if err != nil {
		return nil, err
	}
	e, err := validEmail(email)
	if err != nil {
		return nil, err
	}
	p, err := validPhone(phone)
	if err != nil {
		return nil, err
	}
	t := timestamp.Of(now)
	return &Customer{name: n, email: e, phone: p, createdAt: t, updatedAt: t}, nil
}

// Snapshot is a customer's state field by field, as adapters store it: the one list of the
// customer's fields. Phone "" means none. Changing a Snapshot does not change the customer it
// came from.
type Snapshot struct {
	ID        int64
	Name      string
	Email     string
	Phone     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Rehydrate rebuilds a customer from storage. It is for adapters only and does not
// validate: what a store holds was validated when it was written.
func Rehydrate(s Snapshot) *Customer {
	return &Customer{id: s.ID, name: s.Name, email: s.Email, phone: s.Phone,
		createdAt: s.CreatedAt.UTC(), updatedAt: s.UpdatedAt.UTC()}
}

// Snapshot returns the customer's state field by field.
func (c *Customer) Snapshot() Snapshot {
	return Snapshot{ID: c.id, Name: c.name, Email: c.email, Phone: c.phone, CreatedAt: c.createdAt, UpdatedAt: c.updatedAt}
}

// Changes lists what an update sets. A nil field is left as it is; a Phone pointing at ""
// removes the phone.
type Changes struct {
	Name  *string
	Email *string
	Phone *string
}

// ErrNoChanges: an update must set at least one field.
var ErrNoChanges = errs.Invalid("at least one of name, email or phone must be given")

// Empty reports whether the changes set nothing.
func (c Changes) Empty() bool { return c.Name == nil && c.Email == nil && c.Phone == nil }

// Update applies changes at now. At least one field must be set, and every set field must be
// valid; on error the customer is unchanged.
func (c *Customer) Update(ch Changes, now time.Time) error {
	if ch.Empty() {
		return ErrNoChanges
	}
	name, email, phone := c.name, c.email, c.phone
	var err error
	if ch.Name != nil {
		if name, err = validName(*ch.Name); err != nil {
			return err
		}
	}
	if ch.Email != nil {
		if email, err = validEmail(*ch.Email); err != nil {
			return err
		}
	}
	if ch.Phone != nil {
		if phone, err = validPhone(*ch.Phone); err != nil {
			return err
		}
	}
	c.name, c.email, c.phone = name, email, phone
	c.updatedAt = timestamp.Of(now)
	return nil
}

// ID is the store's id; 0 before the customer is stored.
func (c *Customer) ID() int64 { return c.id }

// Name is the trimmed display name.
func (c *Customer) Name() string { return c.name }

// Email is the address as given (trimmed), case kept.
func (c *Customer) Email() string { return c.email }

// Phone is the phone number, or "" when there is none.
func (c *Customer) Phone() string { return c.phone }

// CreatedAt is when the customer was created, in UTC.
func (c *Customer) CreatedAt() time.Time { return c.createdAt }

// UpdatedAt is when the customer last changed, in UTC.
func (c *Customer) UpdatedAt() time.Time { return c.updatedAt }

// EmailKey is the form of an email that uniqueness compares: emails are ASCII (see
// validEmail), so lower-casing ASCII is exactly the stores' case-insensitive comparison.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func validName(s string) (string, error) { return text.Field("name", s, MaxNameLength, true) }

// validEmail accepts a bare address (no display name, no comment) that net/mail parses back to
// itself, in ASCII, with a dotted domain. Internationalized addresses are refused so that
// "unique ignoring case" means the same thing in every store.
func validEmail(s string) (string, error) {
	s, err := text.Field("email", s, MaxEmailLength, true)
	if err != nil {
		return "", err
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return "", errs.Invalid("email must be a plain ASCII address such as ops@acme.com")
		}
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", errs.Invalid("email must be a valid address such as ops@acme.com")
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") || strings.ContainsAny(domain, "[]") {
		return "", errs.Invalid("email must be a valid address such as ops@acme.com")
	}
	return s, nil
}

func validPhone(s string) (string, error) { return text.Field("phone", s, MaxPhoneLength, false) }
