// Package ordersclient is orders-api over HTTP for the orchestrator: it creates and confirms
// orders on behalf of the caller, whose bearer token it passes on unchanged, with
// orders-api's idempotency keys so that retries are safe.
package ordersclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/upstream"
	"github.com/b2b-backoffice/backoffice/application/orchestration"
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
	BaseURL string        // e.g. http://127.0.0.1:3002 (ORDERS_API_BASE)
	Timeout time.Duration // per attempt; 0 means upstream.DefaultTimeout
	Backoff time.Duration // before the one retry; 0 means upstream.DefaultBackoff
	// Transport overrides the keep-alive transport (tests).
	Transport http.RoundTripper
}

// Client calls orders-api. Make one per process: it keeps connections alive.
type Client struct {
	up *upstream.Client
}

var _ orchestration.OrderService = (*Client)(nil)

// New returns a client; the base URL must be an absolute http(s) URL.
func New(cfg Config) (*Client, error) {
	up, err := upstream.New(upstream.Config{Name: Service, BaseURL: cfg.BaseURL, Timeout: cfg.Timeout,
		Backoff: cfg.Backoff, Transport: cfg.Transport})
	if err != nil {
		return nil, err
	}
	return &Client{up: up}, nil
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
