package ordersapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/openapitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
)

// spec is validated once; every exchange of every test is checked against it.
var (
	specOnce      sync.Once
	specValidator *openapitest.Validator
	specErr       error
)

func validator(t *testing.T) *openapitest.Validator {
	t.Helper()
	specOnce.Do(func() { specValidator, specErr = openapitest.Load(ordersapi.Spec()) })
	if specErr != nil {
		t.Fatalf("load openapi.yaml: %v", specErr)
	}
	return specValidator
}

// client sends requests to one API, with the user's JWT unless token is emptied, and
// checks every exchange against the OpenAPI document.
type client struct {
	t     *testing.T
	api   *ordersapitest.API
	v     *openapitest.Validator
	token string
}

func newClient(t *testing.T, opts ordersapitest.Options) *client {
	t.Helper()
	api := ordersapitest.New(t, opts)
	return &client{t: t, api: api, v: validator(t), token: api.UserToken(t)}
}

// do sends method target with body ("" for none) and header name/value pairs.
func (c *client) do(method, target, body string, header ...string) *httptest.ResponseRecorder {
	c.t.Helper()
	req := openapitest.NewRequest(method, target, body)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	return c.v.Serve(c.t, c.api.Handler, req)
}

// envelope is the success shape, decoded loosely for assertions.
type envelope[T any] struct {
	Data       T `json:"data"`
	Pagination *struct {
		Limit      int     `json:"limit"`
		NextCursor *string `json:"next_cursor"`
		HasMore    bool    `json:"has_more"`
	} `json:"pagination"`
}

type productBody struct {
	ID         int64  `json:"id"`
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
	Stock      int    `json:"stock"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
}

type orderBody struct {
	ID           int64   `json:"id"`
	CustomerID   int64   `json:"customer_id"`
	Status       string  `json:"status"`
	TotalCents   int64   `json:"total_cents"`
	CreatedAt    string  `json:"created_at"`
	UpdatedAt    string  `json:"updated_at"`
	ConfirmedAt  *string `json:"confirmed_at"`
	CanceledAt   *string `json:"canceled_at"`
	ExpiresAt    *string `json:"expires_at"`
	CancelReason *string `json:"cancel_reason"`
	Items        []struct {
		ProductID      int64  `json:"product_id"`
		SKU            string `json:"sku"`
		Name           string `json:"name"`
		Qty            int    `json:"qty"`
		UnitPriceCents int64  `json:"unit_price_cents"`
		SubtotalCents  int64  `json:"subtotal_cents"`
	} `json:"items"`
}

type errorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, rec.Body.String(), err)
	}
	return v
}

func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("got status %d, want %d; body %s", rec.Code, status, rec.Body.String())
	}
}

// wantError checks the status and the contract's error object with code.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) errorBody {
	t.Helper()
	wantStatus(t, rec, status)
	e := decode[errorBody](t, rec)
	if e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("got error %+v, want code %q with a message", e.Error, code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("got Content-Type %q, want application/json", ct)
	}
	return e
}

func (c *client) createProduct(sku string, price int64, stock int) productBody {
	c.t.Helper()
	rec := c.do(http.MethodPost, "/products", `{"sku":"`+sku+`","name":"Product `+sku+`","price_cents":`+
		strconv.FormatInt(price, 10)+`,"stock":`+strconv.Itoa(stock)+`}`)
	wantStatus(c.t, rec, http.StatusCreated)
	return decode[envelope[productBody]](c.t, rec).Data
}

func (c *client) stock(id int64) int {
	c.t.Helper()
	rec := c.do(http.MethodGet, "/products/"+strconv.FormatInt(id, 10), "")
	wantStatus(c.t, rec, http.StatusOK)
	return decode[envelope[productBody]](c.t, rec).Data.Stock
}

func (c *client) createOrder(body string, header ...string) *httptest.ResponseRecorder {
	c.t.Helper()
	return c.do(http.MethodPost, "/orders", body, header...)
}

func (c *client) mustCreateOrder(body string) orderBody {
	c.t.Helper()
	rec := c.createOrder(body)
	wantStatus(c.t, rec, http.StatusCreated)
	return decode[envelope[orderBody]](c.t, rec).Data
}

func orderPath(id int64, suffix string) string {
	return "/orders/" + strconv.FormatInt(id, 10) + suffix
}

// manualClock is a clock tests move by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func nowUTC() time.Time { return time.Now().UTC() }
