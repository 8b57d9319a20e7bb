// Package customersclient is customers-api over HTTP: the service-to-service route
// GET /internal/customers/{id}, authenticated with SERVICE_TOKEN. orders-api uses it to check
// that a customer exists before writing an order; the orchestrator uses it to read the
// customer it reports.
package customersclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/coalesce"
	"github.com/b2b-backoffice/backoffice/adapters/upstream"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// Service is the upstream's name in errors and logs.
const Service = "customers-api"

// Config configures the client.
type Config struct {
	BaseURL      string        // e.g. http://127.0.0.1:3001 (CUSTOMERS_API_BASE)
	ServiceToken string        // SERVICE_TOKEN, sent as "Authorization: Bearer <token>"
	Timeout      time.Duration // per attempt; 0 means upstream.DefaultTimeout
	Backoff      time.Duration // before the one retry; 0 means upstream.DefaultBackoff
	// Transport overrides the keep-alive transport (tests).
	Transport http.RoundTripper
	// ShareFound lets a lookup that arrives while a lookup of the same customer is in flight
	// take that call's answer when it found the customer, instead of waiting for a call of
	// its own (see GetCustomer). Only for a caller that checks the customer again with
	// authority before it relies on it: orders-api on MySQL, whose order INSERT reads the
	// customer under a lock in the order's transaction.
	ShareFound bool
}

// Client calls customers-api. Make one per process: it keeps connections alive, and
// concurrent lookups of one customer share a call (see GetCustomer).
type Client struct {
	up    *upstream.Client
	token string
	byID  *coalesce.Batcher[int64, struct{}, orchestration.Customer]
	// shareFound: see Config.ShareFound.
	shareFound bool
}

var _ orchestration.CustomerDirectory = (*Client)(nil)

// New returns a client; the base URL must be an absolute http(s) URL and the token not empty.
func New(cfg Config) (*Client, error) {
	if cfg.ServiceToken == "" {
		return nil, errors.New("customersclient: empty service token")
	}
	up, err := upstream.New(upstream.Config{Name: Service, BaseURL: cfg.BaseURL, Timeout: cfg.Timeout,
		Backoff: cfg.Backoff, Transport: cfg.Transport})
	if err != nil {
		return nil, err
	}
	c := &Client{up: up, token: cfg.ServiceToken, shareFound: cfg.ShareFound}
	c.byID = coalesce.New(1, c.lookup)
	if cfg.ShareFound {
		c.byID.ShareInFlight(func(_ orchestration.Customer, found bool, err error) bool { return found && err == nil })
	}
	return c, nil
}

// SharesFound reports whether the client was made with Config.ShareFound.
func (c *Client) SharesFound() bool { return c.shareFound }

// CheckCustomer returns nil when customer id exists and is not deleted. It returns an error
// wrapping customer.ErrNotFound when customers-api answers 404 customer_not_found, and any
// other failure (timeout, unreachable, bad answer, 5xx) as an error that does NOT match
// customer.ErrNotFound, so that orders-api can tell "no such customer" (422) from "cannot
// tell" (503).
func (c *Client) CheckCustomer(ctx context.Context, id int64) error {
	_, err := c.GetCustomer(ctx, id)
	return err
}

// GetCustomer returns customer id. Errors: (wrapped) customer.ErrNotFound for 404
// customer_not_found; KindTimeout (upstream_timeout) when customers-api does not answer within
// the timeout; KindBadGateway (bad_gateway) when it cannot be reached (connection refused
// included: the orchestrator's contract names 502 for a service that fails to answer), when
// it answers outside its contract, or refuses the service token (a configuration error that
// the end user must not see as their own 401); other contract error answers keep their code,
// with the kind read back from the status (503 stays 503).
//
// Lookups of one customer that arrive while one is in flight wait for it and then share one
// call (coalesce.Batcher): every lookup still sees customers-api's answer from after it
// began, so a customer deleted before an order arrived is never taken for a live one. The
// shared call carries the first waiting lookup's request ids. With Config.ShareFound, such
// lookups take the answer of the call in flight when it found the customer (a deletion
// committed while it was in flight is then not seen: the caller's own check must see it);
// a "not found" or a failure in flight is never shared, so a customer created meanwhile is
// found and customers-api's recovery is seen.
func (c *Client) GetCustomer(ctx context.Context, id int64) (orchestration.Customer, error) {
	if id <= 0 {
		return orchestration.Customer{}, fmt.Errorf("customer %d: %w", id, customer.ErrNotFound)
	}
	cust, _, err := c.byID.Get(ctx, id, struct{}{})
	return cust, err
}

// lookup is one call of GET /internal/customers/{id}, for the lookups of id that share it.
func (c *Client) lookup(ctx context.Context, id int64, _ []struct{}) (map[struct{}]orchestration.Customer, error) {
	cust, err := c.get(ctx, id)
	if err != nil {
		return nil, err
	}
	return map[struct{}]orchestration.Customer{{}: cust}, nil
}

func (c *Client) get(ctx context.Context, id int64) (orchestration.Customer, error) {
	resp, err := c.up.Do(ctx, upstream.Request{
		Method: http.MethodGet,
		Path:   "/internal/customers/" + strconv.FormatInt(id, 10),
		Header: upstream.Bearer(c.token),
	})
	if err != nil {
		return orchestration.Customer{}, err
	}
	switch {
	case resp.Status == http.StatusOK:
		return c.decode(ctx, id, resp.Body)
	case resp.Status == http.StatusNotFound:
		err := c.up.ErrorFrom(ctx, resp)
		var coded errs.Coded
		if errors.As(err, &coded) && coded.Code() == customer.ErrNotFound.Code() {
			return orchestration.Customer{}, fmt.Errorf("customer %d: %w", id, customer.ErrNotFound)
		}
		// A 404 without customer_not_found means a wrong base URL or route, not a missing
		// customer: never let a misconfiguration pass for "no such customer".
		return orchestration.Customer{}, c.up.BadAnswer(ctx, "404 without customer_not_found (wrong CUSTOMERS_API_BASE?)")
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		return orchestration.Customer{}, c.up.BadAnswer(ctx, fmt.Sprintf("status %d: SERVICE_TOKEN refused", resp.Status))
	default:
		return orchestration.Customer{}, c.up.Unexpected(ctx, resp)
	}
}

// Health returns nil when customers-api answers 200 on GET /health; the orchestrator's
// readiness probe uses it. See upstream.Client.Health.
func (c *Client) Health(ctx context.Context) error { return c.up.Health(ctx) }

// customerDTO is customers-api's customer object; fields are pointers so that a missing one is
// told apart from a zero value. Unknown fields are ignored: customers-api may add some.
type customerDTO struct {
	ID    *int64  `json:"id"`
	Name  *string `json:"name"`
	Email *string `json:"email"`
	Phone *string `json:"phone"`
}

func (c *Client) decode(ctx context.Context, id int64, body []byte) (orchestration.Customer, error) {
	var env struct {
		Data *customerDTO `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return orchestration.Customer{}, c.up.BadAnswer(ctx, "customer answer is not JSON: "+err.Error())
	}
	d := env.Data
	switch {
	case d == nil:
		return orchestration.Customer{}, c.up.BadAnswer(ctx, "customer answer without data")
	case d.ID == nil || *d.ID != id:
		return orchestration.Customer{}, c.up.BadAnswer(ctx, "customer answer for another id")
	case d.Name == nil || d.Email == nil:
		return orchestration.Customer{}, c.up.BadAnswer(ctx, "customer answer without name or email")
	}
	return orchestration.Customer{ID: *d.ID, Name: *d.Name, Email: *d.Email, Phone: d.Phone}, nil
}
