// Package openapitest checks recorded HTTP exchanges against an OpenAPI 3 document in tests, so
// that the spec a service serves and the handlers behind it cannot drift apart unnoticed.
//
// Typical use, in a handler test over memory adapters:
//
//	v := openapitest.New(t, spec) // spec is the YAML or JSON the service serves
//	req := openapitest.NewRequest(http.MethodPost, "/customers", `{"name":"ACME","email":"ops@acme.com"}`)
//	req.Header.Set("Authorization", "Bearer "+token)
//	rec := httptest.NewRecorder()
//	router.ServeHTTP(rec, req)
//	v.Check(t, req, rec)
//
// or, shorter, rec := v.Serve(t, router, req), which also works with requests built by
// httptest.NewRequest because it buffers the body before the handler reads it.
//
// The rules Check applies:
//   - The request must name an operation of the spec (method and path; the spec's servers are
//     ignored, paths are matched as written under "paths").
//   - The response status must be documented for that operation (or by a "default" response),
//     and its headers and body must match the documented ones.
//   - When the service accepted the request (a 2xx answer), the request itself must match the
//     spec too: parameters, body and the presence of the credentials the security scheme names.
//     A request the service rejected (4xx, 5xx) is usually malformed on purpose, so it is not
//     validated; only the answer is.
//
// Failures are reported with tb.Errorf (the test goes on) and read "got ..., want ...".
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// maxShownBody bounds how much of a body a failure message quotes.
const maxShownBody = 2048

// Validator holds one parsed OpenAPI document and the operations and statuses the checks have
// exercised so far. It is safe for concurrent use by parallel subtests.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
	opts   []openapi3.SchemaValidationOption

	mu   sync.Mutex
	seen map[string]bool // "METHOD /path STATUS" of every response checked
}

// New parses spec (OpenAPI 3.x, YAML or JSON), validates the document itself and builds a
// router over its paths. It stops the test when the document does not load or is invalid,
// since every later check would be meaningless. External $refs are refused.
func New(tb testing.TB, spec []byte) *Validator {
	tb.Helper()
	v, err := Load(spec)
	if err != nil {
		tb.Fatalf("openapitest: %v", err)
	}
	return v
}

// Load is New without a testing.TB: it returns the problem instead of stopping a test. It
// suits a TestMain or a package-level helper that wants to build one Validator for many tests.
func Load(spec []byte) (*Validator, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("load spec: %w", err)
	}
	ctx := context.Background()
	if err := doc.Validate(ctx, openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("spec is not a valid OpenAPI document: %w", err)
	}
	// Handlers are exercised directly (httptest), so whatever host or base URL the spec lists
	// under "servers" says nothing about the paths the router sees.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("build router from spec: %w", err)
	}
	return &Validator{
		doc:    doc,
		router: router,
		opts: []openapi3.SchemaValidationOption{
			openapi3.MultiErrors(),
			openapi3.WithStringFormatValidator("email", openapi3.NewCallbackValidator(validEmail)),
		},
		seen: make(map[string]bool),
	}, nil
}

// Doc returns the parsed document, for tests that inspect the spec itself. Do not modify it.
func (v *Validator) Doc() *openapi3.T { return v.doc }

// NewRequest is httptest.NewRequest with a body that can be read again: it sets GetBody, so
// Check can validate the request body after the handler has consumed it. An empty body means
// no body. The Content-Type is application/json when there is a body.
func NewRequest(method, target, body string) *http.Request {
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, target, nil)
		return req
	}
	req = httptest.NewRequest(method, target, strings.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	req.Header.Set("Content-Type", "application/json")
	return req
}

// Serve runs req through h, checks the exchange like Check and returns the recorder for the
// test's own assertions. It buffers the request body first, so any request works.
func (v *Validator) Serve(tb testing.TB, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	tb.Helper()
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			tb.Fatalf("openapitest: read request body: %v", err)
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	v.Check(tb, req, rec)
	return rec
}

// Check validates the exchange of req and the response recorded in rec (see the package
// comment for the rules). If the handler consumed a request body that cannot be read again
// (no GetBody), Check stops the test and says how to build the request instead.
func (v *Validator) Check(tb testing.TB, req *http.Request, rec *httptest.ResponseRecorder) {
	tb.Helper()
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("openapitest: read recorded body: %v", err)
	}
	v.CheckResponse(tb, req, res.StatusCode, res.Header, body)
}

// CheckResponse is Check for a response that was not recorded by an httptest.ResponseRecorder,
// for example one a Lambda handler produced: status, header and body are the answer to req.
func (v *Validator) CheckResponse(tb testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	tb.Helper()
	exchange := req.Method + " " + req.URL.RequestURI()

	route, pathParams, err := v.router.FindRoute(req)
	if err != nil {
		tb.Errorf("openapitest: %s: got no operation for it in the spec (%v), want a documented method and path", exchange, err)
		return
	}
	v.mark(route, status)

	reqBody, err := requestBody(req)
	if err != nil {
		tb.Fatalf("openapitest: %s: %v", exchange, err)
	}
	reqInput := &openapi3filter.RequestValidationInput{
		Request:    cloneWithBody(req, reqBody),
		PathParams: pathParams,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:              true,
			SkipSettingDefaults:     true,
			AuthenticationFunc:      credentialsPresent,
			SchemaValidationOptions: v.opts,
		},
	}
	if status >= 200 && status < 300 {
		if err := openapi3filter.ValidateRequest(req.Context(), reqInput); err != nil {
			tb.Errorf("openapitest: %s was accepted with %d, but the request does not match the spec: %v\nrequest body: %s",
				exchange, status, err, shown(reqBody))
		}
	}

	resInput := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqInput,
		Status:                 status,
		Header:                 header,
		Options: &openapi3filter.Options{
			MultiError:              true,
			IncludeResponseStatus:   true,
			SchemaValidationOptions: v.opts,
		},
	}
	resInput.SetBodyBytes(body)
	err = openapi3filter.ValidateResponse(req.Context(), resInput)
	if err == nil && len(body) > 0 {
		if ref := responseFor(route.Operation, status); ref != nil && ref.Value != nil && len(ref.Value.Content) == 0 {
			err = fmt.Errorf("got a %d-byte body, want none (the spec documents no content)", len(body))
		}
	}
	if err != nil {
		if responseFor(route.Operation, status) == nil {
			tb.Errorf("openapitest: %s: got status %d, want one of the documented statuses %v\nresponse body: %s",
				exchange, status, documented(route.Operation), shown(body))
			return
		}
		tb.Errorf("openapitest: %s: got a %d response that does not match the spec: %v\nresponse body: %s",
			exchange, status, err, shown(body))
	}
}

// Uncovered lists, sorted, the documented "METHOD /path STATUS" triples that no check has
// exercised so far ("default" responses are left out). A test that runs after the others (for
// example at the end of a sequential test function) can log it or require it to be empty.
func (v *Validator) Uncovered() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for _, path := range v.doc.Paths.InMatchingOrder() {
		for method, op := range v.doc.Paths.Value(path).Operations() {
			for code := range op.Responses.Map() {
				if code == "default" {
					continue
				}
				key := method + " " + path + " " + code
				if !v.seen[key] {
					out = append(out, key)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func (v *Validator) mark(route *routers.Route, status int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seen[route.Method+" "+route.Path+" "+strconv.Itoa(status)] = true
	// "4XX"-style ranges count as covered by any status in the range.
	v.seen[route.Method+" "+route.Path+" "+strconv.Itoa(status/100)+"XX"] = true
}

// requestBody returns the request's body without losing it: through GetBody when the request
// has one, else by reading what is left of Body. It reports a body the handler already
// consumed, since validating it as empty would pass or fail for the wrong reason.
func requestBody(req *http.Request) ([]byte, error) {
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("re-read request body: %w", err)
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) == 0 && req.ContentLength > 0 {
		return nil, fmt.Errorf("the handler consumed the request body (%d bytes) and it cannot be read again; build the request with openapitest.NewRequest or run it through v.Serve", req.ContentLength)
	}
	return body, nil
}

// cloneWithBody gives the validator its own copy of the request so that validating does not
// disturb the caller's request (openapi3filter reads and replaces the body).
func cloneWithBody(req *http.Request, body []byte) *http.Request {
	c := req.Clone(req.Context())
	if body == nil {
		c.Body = http.NoBody
		c.ContentLength = 0
		return c
	}
	c.Body = io.NopCloser(bytes.NewReader(body))
	c.ContentLength = int64(len(body))
	if len(body) > 0 && c.Header.Get("Content-Type") == "" {
		// Handlers decode JSON whatever the header says, and tests often leave it out.
		c.Header.Set("Content-Type", "application/json")
	}
	return c
}

// credentialsPresent checks that an accepted request carried the credentials its security
// scheme names. Whether they were valid is the service's business, tested by its own tests.
func credentialsPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	req := in.RequestValidationInput.Request
	switch {
	case s == nil:
		return nil
	case s.Type == "http":
		scheme := s.Scheme
		if scheme == "" {
			scheme = "bearer"
		}
		got := req.Header.Get("Authorization")
		prefix := scheme + " "
		if len(got) <= len(prefix) || !strings.EqualFold(got[:len(prefix)], prefix) {
			return in.NewError(fmt.Errorf("got Authorization %q, want %q credentials", redact(got), scheme))
		}
	case s.Type == "apiKey":
		var present bool
		switch s.In {
		case "header":
			present = req.Header.Get(s.Name) != ""
		case "query":
			present = req.URL.Query().Has(s.Name)
		case "cookie":
			_, err := req.Cookie(s.Name)
			present = err == nil
		}
		if !present {
			return in.NewError(fmt.Errorf("got no %s %q, want the API key", s.In, s.Name))
		}
	}
	return nil
}

// redact keeps a failure message from printing a whole token.
func redact(s string) string {
	if len(s) > 12 {
		return s[:12] + "..."
	}
	return s
}

func validEmail(s string) error {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s {
		return fmt.Errorf("not an email address: %q", s)
	}
	return nil
}

func responseFor(op *openapi3.Operation, status int) *openapi3.ResponseRef {
	if ref := op.Responses.Status(status); ref != nil {
		return ref
	}
	return op.Responses.Default()
}

func documented(op *openapi3.Operation) []string {
	var codes []string
	for code := range op.Responses.Map() {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

func shown(b []byte) string {
	if len(b) == 0 {
		return "(empty)"
	}
	if len(b) > maxShownBody {
		return string(b[:maxShownBody]) + "...(truncated)"
	}
	return string(b)
}
