// Package orchestration is the create-and-confirm use case of the orchestrator: it checks the
// customer in customers-api, creates the order in orders-api and confirms it, all idempotent on
// one client key, and returns both as one result. The orchestrator keeps no state of its own:
// orders-api's idempotency records are what make a retry land on the same order.
package orchestration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
)

// MaxLines is the most lines a request may hold, as in orders-api.
const MaxLines = 100

// Customer is a customer as the orchestrator reports it.
type Customer struct {
	ID    int64
	Name  string
	Email string
	Phone *string // nil when the customer has none
}

// OrderLine is one requested line: a product and a quantity.
type OrderLine struct {
	ProductID int64
	Qty       int64
}

// CreateOrderRequest is what the orchestrator asks orders-api to create.
type CreateOrderRequest struct {
	CustomerID int64
	Items      []OrderLine
}

// OrderItem is a line of an order as orders-api priced it.
type OrderItem struct {
	ProductID      int64
	Qty            int64
	UnitPriceCents int64
	SubtotalCents  int64
}

// Order is an order as orders-api returned it.
type Order struct {
	ID         int64
	CustomerID int64
	Status     string
	TotalCents int64
	Items      []OrderItem
}

// Command is one create-and-confirm request. Token is the caller's bearer token, already
// verified by the adapter and passed on to orders-api.
type Command struct {
	Token          string
	CustomerID     int64
	Items          []OrderLine
	IdempotencyKey string
}

// Result is the consolidated answer: the customer and the confirmed order.
type Result struct {
	Customer Customer
	Order    Order
}

// Service runs the create-and-confirm flow.
type Service struct {
	customers CustomerDirectory
	orders    OrderService
}

// NewService returns the use case over its two remote ports.
func NewService(customers CustomerDirectory, orders OrderService) *Service {
	return &Service{customers: customers, orders: orders}
}

// CreateAndConfirm validates cmd, checks the customer, creates the order under a key derived
// from cmd.IdempotencyKey and confirms it under another derived key.
//
// Idempotency lives in orders-api: the create key makes orders-api replay the first order for
// the same body (and answer 422 idempotency_key_reused for another body), and the confirm key
// makes the confirmation replay. So the same command again returns the same order without a
// second order or a second stock decrement, and a retry after a failure between create and
// confirm finishes the order the first attempt created. Errors are the ports' classified
// errors, passed through unchanged.
func (s *Service) CreateAndConfirm(ctx context.Context, cmd Command) (Result, error) {
	if err := cmd.validate(); err != nil {
		return Result{}, err
	}
	cust, err := s.customers.GetCustomer(ctx, cmd.CustomerID)
	if err != nil {
		return Result{}, fmt.Errorf("check customer %d: %w", cmd.CustomerID, err)
	}
	created, err := s.orders.CreateOrder(ctx, cmd.Token,
		CreateOrderRequest{CustomerID: cmd.CustomerID, Items: cmd.Items}, CreateKey(cmd.IdempotencyKey))
	if err != nil {
		return Result{}, fmt.Errorf("create order: %w", err)
	}
	confirmed, err := s.orders.ConfirmOrder(ctx, cmd.Token, created.ID, ConfirmKey(cmd.IdempotencyKey))
	if err != nil {
		return Result{}, fmt.Errorf("confirm order %d: %w", created.ID, err)
	}
	return Result{Customer: cust, Order: confirmed}, nil
}

// CreateKey is the Idempotency-Key the orchestrator sends to orders-api's POST /orders for a
// client key. The client key (up to 255 characters, orders-api's own rule) is hashed so that
// the derived key, prefix included, still fits orders-api's 255, and so that the create and
// confirm operations never share a key.
func CreateKey(clientKey string) string { return "orch-create:" + digest(clientKey) }

// ConfirmKey is the X-Idempotency-Key sent to POST /orders/{id}/confirm for a client key.
func ConfirmKey(clientKey string) string { return "orch-confirm:" + digest(clientKey) }

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func (c Command) validate() error {
	switch {
	case c.CustomerID <= 0:
		return errs.Invalid("customer_id must be a positive integer")
	case len(c.Items) == 0 || len(c.Items) > MaxLines:
		return errs.Invalid("items must hold between 1 and %d lines", MaxLines)
	}
	for i, it := range c.Items {
		if it.ProductID <= 0 {
			return errs.Invalid("items[%d].product_id must be a positive integer", i)
		}
		if it.Qty < 1 {
			return errs.Invalid("items[%d].qty must be at least 1", i)
		}
	}
	return validateKey(c.IdempotencyKey)
}

func validateKey(k string) error {
	if k == "" {
		return idempotency.ErrKeyRequired.WithMessage("idempotency_key is required")
	}
	if _, err := idempotency.ParseKey(k); err != nil {
		return idempotency.ErrInvalidKey.WithMessage("idempotency_key must be 1 to %d printable ASCII characters", idempotency.MaxKeyLength)
	}
	return nil
}
