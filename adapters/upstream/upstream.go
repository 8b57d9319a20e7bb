// Package upstream is the HTTP plumbing the project's service clients (customersclient,
// ordersclient) share: one keep-alive transport, a timeout per attempt, one retry with backoff,
// the request and correlation ids passed on, and the answers of another service mapped back to
// error kinds through the one table in adapters/httperr.
package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/adapters/netconn"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// Codes of the errors this package makes itself; answers that carry the contract's error
// object keep the upstream's code.
const (
	CodeTimeout     = "upstream_timeout"
	CodeBadGateway  = "bad_gateway"
	CodeUnavailable = "upstream_unavailable"
)

// MaxResponseBytes bounds what is read of an answer; a bigger one is a bad answer.
const MaxResponseBytes = 4 << 20

// Defaults for Config's zero values.
const (
	DefaultTimeout = 5 * time.Second
	DefaultBackoff = 100 * time.Millisecond
)

// Config describes one upstream service.
type Config struct {
	Name    string        // the service's name in messages and logs, e.g. "customers-api"
	BaseURL string        // scheme://host[:port][/prefix], no trailing slash needed
	Timeout time.Duration // per attempt, 0 means DefaultTimeout
	Backoff time.Duration // wait before the one retry, 0 means DefaultBackoff
	// Transport is the round tripper; nil means a keep-alive transport made by NewTransport.
	// Tests pass one to simulate failures.
	Transport http.RoundTripper
}

// Client sends requests to one upstream. It is safe for concurrent use and meant to be made
// once per process so that its connections are reused.
type Client struct {
	name    string
	base    *url.URL
	http    *http.Client
	timeout time.Duration
	backoff time.Duration
}

// New returns a client for cfg. The base URL must be an absolute http(s) URL.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: base URL %q must be an absolute http(s) URL", cfg.Name, cfg.BaseURL)
	}
	c := &Client{name: cfg.Name, base: u, timeout: cfg.Timeout, backoff: cfg.Backoff}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.backoff <= 0 {
		c.backoff = DefaultBackoff
	}
	rt := cfg.Transport
	if rt == nil {
		rt = NewTransport()
	}
	// No client-wide Timeout: every attempt gets its own deadline through its context.
	c.http = &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // an upstream that redirects answers outside its contract
	}}
	return c, nil
}

// NewTransport returns the keep-alive transport of a service client: connections are kept and
// reused across requests (a Lambda environment reuses them across invocations too).
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           netconn.DialFunc((&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   3 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Name returns the upstream's name.
func (c *Client) Name() string { return c.name }

// Request is one call. Header holds the call's own headers (Authorization, Idempotency-Key);
// the request and correlation ids are added from the context.
type Request struct {
	Method string
	Path   string // absolute path below the base URL, e.g. "/orders/7/confirm"
	Header http.Header
	Body   []byte // JSON, or nil
}

// Response is an answer read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req and reads the answer. Every answer, whatever its status, is returned as a
// Response; only a failure to get one is an error: KindTimeout when the attempt's deadline
// (or the caller's) passed, KindBadGateway when the service could not be reached or its
// answer could not be read.
//
// Do retries once, after the backoff, when the connection failed (refused, reset, closed
// early) or the answer was 502, 503 or 504. It must therefore only carry idempotent requests:
// the project's clients send GETs and POSTs with an Idempotency-Key. A timeout is not retried:
// a second wait as long as the first would spend the caller's budget (an API Gateway call
// has 29 s) on a service that is already slow.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	resp, err := c.attempt(ctx, req)
	if !retryable(resp, err) {
		return resp, err
	}
	httpkit.Logger(ctx).WarnContext(ctx, "upstream call failed, retrying once",
		slog.String("upstream", c.name), slog.String("path", req.Path), slog.String("reason", reason(resp, err)))
	t := time.NewTimer(c.backoff)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return resp, err
	case <-t.C:
	}
	return c.attempt(ctx, req)
}

func retryable(resp *Response, err error) bool {
	if err != nil {
		var ue *Error
		return errors.As(err, &ue) && ue.retry
	}
	switch resp.Status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func reason(resp *Response, err error) string {
	if err != nil {
		var ue *Error
		if errors.As(err, &ue) && ue.cause != nil {
			return ue.cause.Error()
		}
		return err.Error()
	}
	return fmt.Sprintf("status %d", resp.Status)
}

func (c *Client) attempt(ctx context.Context, req Request) (*Response, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	u := *c.base
	u.Path = c.base.Path + req.Path
	hr, err := http.NewRequestWithContext(actx, req.Method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s: build request: %w", c.name, err)
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	hr.Header.Set("Accept", "application/json")
	if req.Body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if id := httpkit.RequestID(ctx); id != "" {
		hr.Header.Set(httpkit.HeaderRequestID, id)
	}
	if id := httpkit.CorrelationID(ctx); id != "" {
		hr.Header.Set(httpkit.HeaderCorrelationID, id)
	}
	res, err := c.http.Do(hr)
	if err != nil {
		return nil, c.transportError(ctx, actx, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, c.transportError(ctx, actx, err)
	}
	if len(b) > MaxResponseBytes {
		return nil, c.BadAnswer(ctx, fmt.Sprintf("answer over %d bytes", MaxResponseBytes))
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// transportError classifies a failure to get an answer and logs its cause, which never
// reaches a client (it may name internal addresses).
func (c *Client) transportError(ctx, actx context.Context, err error) error {
	var ne net.Error
	switch {
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		// The caller went away; nobody reads this answer.
		return fmt.Errorf("%s: %w", c.name, ctx.Err())
	case actx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		httpkit.Logger(ctx).WarnContext(ctx, "upstream timeout", slog.String("upstream", c.name), slog.String("error", err.Error()))
		return &Error{Service: c.name, kind: httperr.KindTimeout, code: CodeTimeout,
			message: c.name + " did not answer in time", cause: err}
	default:
		httpkit.Logger(ctx).WarnContext(ctx, "upstream unreachable", slog.String("upstream", c.name), slog.String("error", err.Error()))
		return &Error{Service: c.name, kind: httperr.KindBadGateway, code: CodeBadGateway,
			message: c.name + " could not be reached", cause: err, retry: true}
	}
}

// Bearer returns the Authorization header that sends token as a bearer token.
func Bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// Health returns nil when the upstream answers 200 on GET /health; any other status is a
// BadAnswer, and a failure to get an answer is Do's error (Do's one retry applies).
func (c *Client) Health(ctx context.Context) error {
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/health"})
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		return c.BadAnswer(ctx, fmt.Sprintf("health answered %d", resp.Status))
	}
	return nil
}

// Unexpected is the error for an answer with a status the caller does not expect: ErrorFrom
// for an error answer (status >= 400), BadAnswer for any other.
func (c *Client) Unexpected(ctx context.Context, resp *Response) error {
	if resp.Status >= 400 {
		return c.ErrorFrom(ctx, resp)
	}
	return c.BadAnswer(ctx, fmt.Sprintf("unexpected status %d", resp.Status))
}

// BadAnswer is the error for an answer outside the upstream's contract (wrong shape, missing
// fields, unexpected status): KindBadGateway. The reason is logged, not shown.
func (c *Client) BadAnswer(ctx context.Context, why string) error {
	httpkit.Logger(ctx).WarnContext(ctx, "bad upstream answer", slog.String("upstream", c.name), slog.String("reason", why))
	return &Error{Service: c.name, kind: httperr.KindBadGateway, code: CodeBadGateway,
		message: c.name + " answered unexpectedly", cause: errors.New(why)}
}

// ErrorFrom maps an error answer (status >= 400) to a classified error. An answer carrying
// the contract's error object keeps its code, message and details, with the kind read back
// from the status through httperr.KindForStatus (a 500 becomes KindBadGateway: the fault is
// upstream). Any other error answer is KindBadGateway, except 503 and 504 from a proxy in
// front of the service, which keep their meaning.
func (c *Client) ErrorFrom(ctx context.Context, resp *Response) error {
	var body httperr.Body
	if json.Unmarshal(resp.Body, &body) == nil && body.Error.Code != "" {
		return &Error{Service: c.name, Status: resp.Status, kind: httperr.KindForStatus(resp.Status),
			code: body.Error.Code, message: body.Error.Message, details: body.Error.Details}
	}
	switch resp.Status {
	case http.StatusServiceUnavailable:
		return &Error{Service: c.name, Status: resp.Status, kind: errs.KindUnavailable, code: CodeUnavailable,
			message: c.name + " is unavailable"}
	case http.StatusGatewayTimeout:
		return &Error{Service: c.name, Status: resp.Status, kind: httperr.KindTimeout, code: CodeTimeout,
			message: c.name + " did not answer in time"}
	}
	return c.BadAnswer(ctx, fmt.Sprintf("status %d without the contract's error object", resp.Status))
}

// Error is a classified failure of an upstream call. Error returns the message a client may
// see; the underlying cause, if any, is reachable with errors.Unwrap and was logged.
type Error struct {
	Service string // the upstream's name
	Status  int    // the upstream's status, 0 when it gave no answer
	kind    errs.Kind
	code    string
	message string
	details map[string]any
	cause   error
	retry   bool
}

func (e *Error) Error() string           { return e.message }
func (e *Error) Kind() errs.Kind         { return e.kind }
func (e *Error) Code() string            { return e.code }
func (e *Error) Details() map[string]any { return e.details }
func (e *Error) Unwrap() error           { return e.cause }

var (
	_ errs.Coded    = (*Error)(nil)
	_ errs.Detailed = (*Error)(nil)
)
