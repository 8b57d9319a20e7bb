// Package orchestration is the create-and-confirm use case of the orchestrator: it checks the
// customer in customers-api, creates the order in orders-api and confirms it, all idempotent on
// one client key, and returns both as one answer. The orchestrator keeps no state of its own:
// orders-api's idempotency records are what make a retry land on the same order, and
// orders-api also keeps the answer itself, so that a retry answers it byte for byte.
package orchestration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

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

// CreateAndConfirm is one create-and-confirm request. Token is the caller's bearer token, already
// verified by the adapter and passed on to orders-api. Encode is required.
type CreateAndConfirm struct {
	Token          string
	CustomerID     int64
	Items          []OrderLine
	IdempotencyKey string
	Encode         Encoder
}

// Result is the consolidated answer: the customer and the confirmed order.
type Result struct {
	Customer Customer
	Order    Order
}

// Encoder turns the result of a run into the exact answer body the client gets. The adapter
// supplies it (the body's shape and correlation id are its business); the use case stores
// those bytes under the key, and every retry with the key answers them.
type Encoder func(Result) ([]byte, error)

// StoredAnswer is a completed create-and-confirm as AnswerStore keeps it: the fingerprint of
// the request and the exact body its client got.
type StoredAnswer struct {
	Fingerprint string
	Body        []byte
}

// Outcome is what CreateAndConfirm answers.
type Outcome struct {
	// Body is the answer: the one stored for the key by an earlier request, or this run's.
	Body []byte
	// Replayed is true when Body is an earlier request's stored answer.
	Replayed bool
	// Result is this run's result; nil when the stored answer was found before running.
	Result *Result
	// NotSaved is why this run's answer could not be stored (nil when it was). The answer
	// still stands: a retry rebuilds the same one through orders-api's keys. The adapter
	// logs it.
	NotSaved error
}

// Service runs the create-and-confirm flow.
type Service struct {
	customers CustomerDirectory
	orders    OrderService
	answers   AnswerStore
}

// NewService returns the use case over its three remote ports.
func NewService(customers CustomerDirectory, orders OrderService, answers AnswerStore) *Service {
	return &Service{customers: customers, orders: orders, answers: answers}
}

// CreateAndConfirm validates cmd, then looks its key up in the answer store: an answer
// stored for the same request is answered as it is (an answer of another request under the
// key is idempotency.ErrKeyReused), whatever has happened to the customer or to
// customers-api since. Otherwise it checks the customer, creates the order under a key
// derived from cmd.IdempotencyKey, confirms it under another derived key, encodes the result
// and stores that answer before answering it.
//
// Idempotency of the writes lives in orders-api: the create key makes orders-api replay the
// first order for the same body (and answer idempotency_key_reused for another body), and
// the confirm key makes the confirmation replay. So a retry after a failure anywhere in the
// flow lands on the order the first attempt created, with no second order and no second
// stock decrement; and when the answer could not be stored (Outcome.NotSaved), a retry
// rebuilds it the same way. When concurrent runs of one key both finish, the answer stored
// first is the one both answer. Errors are the ports' classified errors, passed through
// unchanged.
func (s *Service) CreateAndConfirm(ctx context.Context, cmd CreateAndConfirm) (Outcome, error) {
	if err := cmd.validate(); err != nil {
		return Outcome{}, err
	}
	if cmd.Encode == nil {
		return Outcome{}, errors.New("create and confirm: no encoder")
	}
	key, fp := AnswerKey(cmd.IdempotencyKey), cmd.fingerprint()
	stored, found, err := s.answers.Answer(ctx, key)
	if err != nil {
		return Outcome{}, fmt.Errorf("look up key: %w", err)
	}
	if found {
		if stored.Fingerprint != fp {
			return Outcome{}, idempotency.ErrKeyReused
		}
		return Outcome{Body: stored.Body, Replayed: true}, nil
	}
	res, err := s.run(ctx, cmd)
	if err != nil {
		return Outcome{}, err
	}
	body, err := cmd.Encode(res)
	if err != nil {
		return Outcome{}, fmt.Errorf("encode answer: %w", err)
	}
	out := Outcome{Body: body, Result: &res}
	saved, err := s.answers.SaveAnswer(ctx, key, StoredAnswer{Fingerprint: fp, Body: body})
	var coded errs.Coded
	switch {
	case errors.As(err, &coded) && coded.Code() == idempotency.ErrKeyReused.Code():
		return Outcome{}, fmt.Errorf("store answer: %w", err)
	case err != nil:
		out.NotSaved = fmt.Errorf("store answer: %w", err)
	case !bytes.Equal(saved.Body, body):
		out.Body, out.Replayed = saved.Body, true
	}
	return out, nil
}

// run is the flow itself: customer, create, confirm.
func (s *Service) run(ctx context.Context, cmd CreateAndConfirm) (Result, error) {
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

// fingerprint identifies the request a key was first used for: the customer and the lines
// merged by product and sorted, as orders-api fingerprints a creation, so that the same
// order with its lines in another order or split differently is the same request here and
// there. A merged quantity past int64 (a request orders-api refuses) is written as -1,
// which no valid request has.
func (c CreateAndConfirm) fingerprint() string {
	qty := make(map[int64]int64, len(c.Items))
	for _, l := range c.Items {
		q := qty[l.ProductID]
		if q < 0 || l.Qty > math.MaxInt64-q {
			qty[l.ProductID] = -1
			continue
		}
		qty[l.ProductID] = q + l.Qty
	}
	parts := []string{string(idempotency.OpCreateAndConfirm), strconv.FormatInt(c.CustomerID, 10)}
	for _, id := range slices.Sorted(maps.Keys(qty)) {
		parts = append(parts, strconv.FormatInt(id, 10)+"x"+strconv.FormatInt(qty[id], 10))
	}
	return idempotency.Fingerprint(parts...)
}

// AnswerKey is the key under which the answer for a client key is stored in orders-api: a
// SHA-256 in hex, so that it fits orders-api's 255 characters and a URL path segment.
func AnswerKey(clientKey string) string { return digest(clientKey) }

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

func (c CreateAndConfirm) validate() error {
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
