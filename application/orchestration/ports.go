package orchestration

import "context"

// CustomerDirectory reads customers from customers-api.
type CustomerDirectory interface {
	// GetCustomer returns the customer with id. It returns (a wrapped) customer.ErrNotFound when
	// there is no such customer or it was deleted, and another error, classified by the adapter,
	// when customers-api does not answer in time, cannot be reached or answers something outside
	// its contract; any other classified error keeps customers-api's own code. The use case
	// passes every such error on unchanged.
	GetCustomer(ctx context.Context, id int64) (Customer, error)
}

// OrderService creates and confirms orders in orders-api on behalf of the caller, whose bearer
// token is passed on unchanged.
type OrderService interface {
	// CreateOrder creates an order in status CREATED. With the same idempotencyKey and the same
	// request it returns the order created the first time (orders-api replays its answer), so a
	// retry never makes a second order nor decrements stock twice; with the same key and another
	// request it returns orders-api's idempotency_key_reused. orders-api's error answers
	// (product_not_found, insufficient_stock with details, customer_not_found, ...) come back as
	// classified errors with their codes; timeouts and bad answers are errors the adapter
	// classifies, passed on unchanged.
	CreateOrder(ctx context.Context, token string, req CreateOrderRequest, idempotencyKey string) (Order, error)
	// ConfirmOrder confirms order orderID under idempotencyKey (orders-api's X-Idempotency-Key).
	// The same key again for the same order returns the first answer; an order already
	// CONFIRMED is returned as it is. Errors are mapped as for CreateOrder (order_not_found,
	// invalid_order_state, idempotency_key_in_progress, ...).
	ConfirmOrder(ctx context.Context, token string, orderID int64, idempotencyKey string) (Order, error)
}

// AnswerStore keeps the answer of every completed create-and-confirm, by a key derived from
// the client's (AnswerKey), in orders-api: the orchestrator has no store of its own, and its
// answer names the customer, which a retry must not depend on customers-api for.
type AnswerStore interface {
	// Answer returns the answer stored under key; found is false when there is none (never
	// stored, or expired). A failure to ask (orders-api down, slow, answering badly) is an
	// error classified as for OrderService.
	Answer(ctx context.Context, key string) (a StoredAnswer, found bool, err error)
	// SaveAnswer stores a under key unless an answer of the same request (same Fingerprint) is
	// stored already, and returns the answer stored now: a, or the earlier one. Another
	// request's answer under key is orders-api's idempotency_key_reused. Saving again is
	// harmless, so a failure may be retried.
	SaveAnswer(ctx context.Context, key string, a StoredAnswer) (StoredAnswer, error)
}
