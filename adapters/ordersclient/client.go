// Package ordersclient is orders-api over HTTP for the orchestrator: it creates and confirms
// orders on behalf of the caller, whose bearer token it passes on unchanged, with
// orders-api's idempotency keys so that retries are safe, and it reads and stores the
// orchestrator's answers on orders-api's /internal routes with SERVICE_TOKEN.
package ordersclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/upstream"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
)

// Service is the upstream's name in errors and logs.
const Service = "orders-api"

// Header names of orders-api's idempotency keys.
const (
	HeaderIdempotencyKey        = "Idempotency-Key"
	HeaderConfirmIdempotencyKey = "X-Idempotency-Key"
)

// Config configures the client.
type Config struct {
	BaseURL string // e.g. http://127.0.0.1:3002 (ORDERS_API_BASE)
	// ServiceToken is SERVICE_TOKEN, sent on the /internal routes of the stored answers.
	ServiceToken string
	Timeout      time.Duration // per attempt; 0 means upstream.DefaultTimeout
	Backoff      time.Duration // before the one retry; 0 means upstream.DefaultBackoff
	// Transport overrides the keep-alive transport (tests).
	Transport http.RoundTripper
}

// Client calls orders-api. Make one per process: it keeps connections alive.
type Client struct {
	up    *upstream.Client
	token string
}

var (
	_ orchestration.OrderService = (*Client)(nil)
	_ orchestration.AnswerStore  = (*Client)(nil)
)

// New returns a client; the base URL must be an absolute http(s) URL.
func New(cfg Config) (*Client, error) {
	up, err := upstream.New(upstream.Config{Name: Service, BaseURL: cfg.BaseURL, Timeout: cfg.Timeout,
		Backoff: cfg.Backoff, Transport: cfg.Transport})
	if err != nil {
		return nil, err
	}
	return &Client{up: up, token: cfg.ServiceToken}, nil
}

// CreateOrder sends POST /orders with the Idempotency-Key header. Both requests the client
// sends carry a key, which is what makes upstream.Client's one retry safe. orders-api's
// error answers come back with their code, message and details (insufficient_stock keeps
// details.items, product_not_found details.product_ids) and the kind of their status;
// timeouts are KindTimeout, bad answers and unreachable KindBadGateway.
func (c *Client) CreateOrder(ctx context.Context, token string, req orchestration.CreateOrderRequest, idempotencyKey string) (orchestration.Order, error) {
	body := createOrderDTO{CustomerID: req.CustomerID, Items: make([]lineDTO, len(req.Items))}
	for i, it := range req.Items {
		body.Items[i] = lineDTO{ProductID: it.ProductID, Qty: it.Qty}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return orchestration.Order{}, fmt.Errorf("encode order: %w", err)
	}
	h := upstream.Bearer(token)
	h.Set(HeaderIdempotencyKey, idempotencyKey)
	resp, err := c.up.Do(ctx, upstream.Request{Method: http.MethodPost, Path: "/orders", Header: h, Body: b})
	if err != nil {
		return orchestration.Order{}, err
	}
	// orders-api answers 201, and replays that 201 for the same key; 200 is accepted too.
	if resp.Status != http.StatusCreated && resp.Status != http.StatusOK {
		return orchestration.Order{}, c.up.Unexpected(ctx, resp)
	}
	o, err := c.decode(ctx, resp.Body)
	if err != nil {
		return orchestration.Order{}, err
	}
	if o.CustomerID != 0 && o.CustomerID != req.CustomerID {
		return orchestration.Order{}, c.up.BadAnswer(ctx, "created order belongs to another customer")
	}
	return o, nil
}

// ConfirmOrder sends POST /orders/{id}/confirm with the X-Idempotency-Key header and returns
// the order, which must then be CONFIRMED. Errors are mapped as for CreateOrder.
func (c *Client) ConfirmOrder(ctx context.Context, token string, orderID int64, idempotencyKey string) (orchestration.Order, error) {
	h := upstream.Bearer(token)
	h.Set(HeaderConfirmIdempotencyKey, idempotencyKey)
	resp, err := c.up.Do(ctx, upstream.Request{Method: http.MethodPost,
		Path: "/orders/" + strconv.FormatInt(orderID, 10) + "/confirm", Header: h})
	if err != nil {
		return orchestration.Order{}, err
	}
	if resp.Status != http.StatusOK {
		return orchestration.Order{}, c.up.Unexpected(ctx, resp)
	}
	o, err := c.decode(ctx, resp.Body)
	if err != nil {
		return orchestration.Order{}, err
	}
	if o.ID != orderID || o.Status != "CONFIRMED" {
		return orchestration.Order{}, c.up.BadAnswer(ctx, fmt.Sprintf("confirm answered order %d in status %q", o.ID, o.Status))
	}
	return o, nil
}

// Answer sends GET /internal/orchestrations/{key} with the service token. A 404
// idempotency_key_not_found is "none stored" (found false). Errors: a 404 without that code
// (a wrong ORDERS_API_BASE), a refused service token (a configuration error the end user must
// not see as their own 401) and answers outside the contract are KindBadGateway; other error
// answers keep their code; timeouts are KindTimeout.
func (c *Client) Answer(ctx context.Context, key string) (orchestration.StoredAnswer, bool, error) {
	resp, err := c.up.Do(ctx, upstream.Request{Method: http.MethodGet, Path: answerPath(key), Header: upstream.Bearer(c.token)})
	if err != nil {
		return orchestration.StoredAnswer{}, false, err
	}
	if resp.Status == http.StatusNotFound {
		err := c.up.ErrorFrom(ctx, resp)
		var coded errs.Coded
		if errors.As(err, &coded) && coded.Code() == idempotency.ErrNotFound.Code() {
			return orchestration.StoredAnswer{}, false, nil
		}
		return orchestration.StoredAnswer{}, false, c.up.BadAnswer(ctx, "404 without idempotency_key_not_found (wrong ORDERS_API_BASE?)")
	}
	a, err := c.answer(ctx, resp, http.StatusOK)
	return a, err == nil, err
}

// SaveAnswer sends PUT /internal/orchestrations/{key} with the service token and returns the
// answer orders-api keeps: a (201) or the one stored before for the same request (200).
// orders-api's 422 idempotency_key_reused comes back with its code; other errors as for
// Answer. The PUT is idempotent, which is what makes upstream.Client's one retry safe.
func (c *Client) SaveAnswer(ctx context.Context, key string, a orchestration.StoredAnswer) (orchestration.StoredAnswer, error) {
	b, err := json.Marshal(answerDTO{Fingerprint: a.Fingerprint, Status: http.StatusCreated, Body: string(a.Body)})
	if err != nil {
		return orchestration.StoredAnswer{}, fmt.Errorf("encode answer: %w", err)
	}
	resp, err := c.up.Do(ctx, upstream.Request{Method: http.MethodPut, Path: answerPath(key), Header: upstream.Bearer(c.token), Body: b})
	if err != nil {
		return orchestration.StoredAnswer{}, err
	}
	return c.answer(ctx, resp, http.StatusCreated, http.StatusOK)
}

// answerPath is the route of a stored answer. Keys are orchestration.AnswerKey's hex digests:
// nothing in them needs escaping in a path.
func answerPath(key string) string { return "/internal/orchestrations/" + key }

// answerDTO is orders-api's stored answer: body is the exact answer text, and always the
// orchestrator's 201.
type answerDTO struct {
	Fingerprint string `json:"fingerprint"`
	Status      int    `json:"status"`
	Body        string `json:"body"`
}

// answer reads a stored answer from an answer with one of the statuses ok.
func (c *Client) answer(ctx context.Context, resp *upstream.Response, ok ...int) (orchestration.StoredAnswer, error) {
	switch {
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		return orchestration.StoredAnswer{}, c.up.BadAnswer(ctx, fmt.Sprintf("status %d: SERVICE_TOKEN refused", resp.Status))
	case !slices.Contains(ok, resp.Status):
		return orchestration.StoredAnswer{}, c.up.Unexpected(ctx, resp)
	}
	var env struct {
		Data *answerDTO `json:"data"`
	}
	if err := json.Unmarshal(resp.Body, &env); err != nil {
		return orchestration.StoredAnswer{}, c.up.BadAnswer(ctx, "stored answer is not JSON: "+err.Error())
	}
	d := env.Data
	if d == nil || d.Fingerprint == "" || d.Status != http.StatusCreated || d.Body == "" {
		return orchestration.StoredAnswer{}, c.up.BadAnswer(ctx, "stored answer without fingerprint, status 201 or body")
	}
	return orchestration.StoredAnswer{Fingerprint: d.Fingerprint, Body: []byte(d.Body)}, nil
}

// Health returns nil when orders-api answers 200 on GET /health. See upstream.Client.Health.
func (c *Client) Health(ctx context.Context) error { return c.up.Health(ctx) }

type createOrderDTO struct {
	CustomerID int64     `json:"customer_id"`
	Items      []lineDTO `json:"items"`
}

type lineDTO struct {
	ProductID int64 `json:"product_id"`
	Qty       int64 `json:"qty"`
}

// orderDTO is the part of orders-api's order object the orchestrator reads. Unknown fields
// (sku, name, timestamps, ...) are ignored: orders-api may add some.
type orderDTO struct {
	ID         *int64     `json:"id"`
	CustomerID *int64     `json:"customer_id"`
	Status     *string    `json:"status"`
	TotalCents *int64     `json:"total_cents"`
	Items      []*itemDTO `json:"items"`
}

type itemDTO struct {
	ProductID      *int64 `json:"product_id"`
	Qty            *int64 `json:"qty"`
	UnitPriceCents *int64 `json:"unit_price_cents"`
	SubtotalCents  *int64 `json:"subtotal_cents"`
}

func (c *Client) decode(ctx context.Context, body []byte) (orchestration.Order, error) {
	var env struct {
		Data *orderDTO `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return orchestration.Order{}, c.up.BadAnswer(ctx, "order answer is not JSON: "+err.Error())
	}
	d := env.Data
	if d == nil || d.ID == nil || *d.ID <= 0 || d.Status == nil || d.TotalCents == nil || len(d.Items) == 0 {
		return orchestration.Order{}, c.up.BadAnswer(ctx, "order answer without id, status, total_cents or items")
	}
	o := orchestration.Order{ID: *d.ID, Status: *d.Status, TotalCents: *d.TotalCents,
		Items: make([]orchestration.OrderItem, 0, len(d.Items))}
	if d.CustomerID != nil {
		o.CustomerID = *d.CustomerID
	}
	for _, it := range d.Items {
		if it == nil || it.ProductID == nil || it.Qty == nil || it.UnitPriceCents == nil || it.SubtotalCents == nil {
			return orchestration.Order{}, c.up.BadAnswer(ctx, "order item without product_id, qty or prices")
		}
		o.Items = append(o.Items, orchestration.OrderItem{ProductID: *it.ProductID, Qty: *it.Qty,
			UnitPriceCents: *it.UnitPriceCents, SubtotalCents: *it.SubtotalCents})
	}
	return o, nil
}
