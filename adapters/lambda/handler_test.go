package lambda_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	awslambda "github.com/aws/aws-lambda-go/lambda"

	"github.com/b2b-backoffice/backoffice/adapters/http/orchestratorapi"
	"github.com/b2b-backoffice/backoffice/adapters/http/orchestratorapi/orchestratorapitest"
	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/adapters/lambda"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// fixture is the orchestrator's handler over fake services, behind the translator.
type fixture struct {
	*orchestratorapitest.API
	handler *lambda.Handler
	token   string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	api := orchestratorapitest.New(t, orchestratorapitest.Options{})
	return &fixture{API: api, handler: lambda.NewHandler(api.Handler), token: api.Token}
}

const (
	goodBody    = orchestratorapitest.GoodBody
	wantSuccess = orchestratorapitest.WantSuccess
	route       = orchestratorapi.Route
)

// v1 builds a REST API event.
func v1(method, body string, headers map[string]string) string {
	headers = withJSONType(body, headers)
	e := map[string]any{"resource": route, "path": route, "httpMethod": method,
		"headers": headers, "body": body, "isBase64Encoded": false,
		"requestContext": map[string]any{"requestId": "gw-req-1", "stage": "prod"}}
	b, _ := json.Marshal(e)
	return string(b)
}

// v2 builds an HTTP API event (headers lower-case, as HTTP API sends them).
func v2(method, body string, b64 bool, headers map[string]string) string {
	headers = withJSONType(body, headers)
	e := map[string]any{"version": "2.0", "routeKey": "POST " + route, "rawPath": route,
		"headers": headers, "body": body, "isBase64Encoded": b64,
		"requestContext": map[string]any{"requestId": "gw-req-2", "http": map[string]any{"method": method, "path": route}}}
	b, _ := json.Marshal(e)
	return string(b)
}

// withJSONType returns headers with Content-Type: application/json added when there is a
// body and headers name no Content-Type, as a JSON client sends it.
func withJSONType(body string, headers map[string]string) map[string]string {
	if body == "" {
		return headers
	}
	out := map[string]string{"Content-Type": "application/json"}
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Type") {
			delete(out, "Content-Type")
		}
		out[k] = v
	}
	return out
}

// answer is what both response versions share: v1 answers carry multiValueHeaders, v2
// answers headers.
type answer struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
	v2                bool                // the answer has v2's "cookies" key
}

func invoke(t *testing.T, f *fixture, event string) answer {
	t.Helper()
	out, err := awslambda.NewHandler(f.handler.Handle).Invoke(context.Background(), []byte(event))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var a answer
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	if err := json.Unmarshal(out, &keys); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	_, a.v2 = keys["cookies"]
	return a
}

// header returns the named header of either payload version, joined as API Gateway joins
// repeated ones.
func (a answer) header(name string) string {
	for k, v := range a.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, vs := range a.MultiValueHeaders {
		if strings.EqualFold(k, name) {
			return strings.Join(vs, ",")
		}
	}
	return ""
}

func TestV1HappyPath(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := invoke(t, f, v1("POST", goodBody, map[string]string{"Authorization": "Bearer " + f.token, "X-Request-ID": "rid-1"}))
	if a.StatusCode != 201 || a.Body != wantSuccess {
		t.Fatalf("got %d %s, want 201 %s", a.StatusCode, a.Body, wantSuccess)
	}
	if a.v2 {
		t.Error("got a v2 response for a v1 event")
	}
	if a.header("X-Request-ID") != "rid-1" || a.header("X-Correlation-ID") != "req-789" || a.header("Content-Type") != "application/json" {
		t.Errorf("got headers %v, want the caller's request id, the correlation id and JSON", a.Headers)
	}
	if got := f.Orders.Tokens(); strings.Join(got, ",") != f.token+","+f.token {
		t.Errorf("got tokens %v passed to orders-api, want the caller's JWT twice", got)
	}
}

func TestV2HappyPathBase64AndLowercaseHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	body := base64.StdEncoding.EncodeToString([]byte(goodBody))
	a := invoke(t, f, v2("POST", body, true, map[string]string{"authorization": "bearer " + f.token, "content-type": "application/json"}))
	if a.StatusCode != 201 || a.Body != wantSuccess {
		t.Fatalf("got %d %s, want 201 %s", a.StatusCode, a.Body, wantSuccess)
	}
	if !a.v2 {
		t.Error("got a v1 response for a v2 event")
	}
	if a.header("X-Request-ID") != "gw-req-2" {
		t.Errorf("got request id %q, want API Gateway's gw-req-2 when the caller sent none", a.header("X-Request-ID"))
	}
}

func TestCorrelationIDPrecedence(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Each request has a key of its own: a key's retry answers its stored body (see
	// TestRetryAnswersTheStoredBody).
	noCorr := func(key string) string {
		return `{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"` + key + `"}`
	}
	auth := "Bearer " + f.token
	a := invoke(t, f, v1("POST", goodBody, map[string]string{"Authorization": auth, "X-Correlation-ID": "from-header"}))
	if got := corrOf(t, a); got != "req-789" {
		t.Errorf("body and header: got %q, want the body's req-789", got)
	}
	a = invoke(t, f, v1("POST", noCorr("k1"), map[string]string{"Authorization": auth, "x-correlation-id": "from-header"}))
	if got := corrOf(t, a); got != "from-header" || a.header("X-Correlation-ID") != "from-header" {
		t.Errorf("header only: got %q, want from-header", got)
	}
	a = invoke(t, f, v1("POST", noCorr("k2"), map[string]string{"Authorization": auth}))
	if got := corrOf(t, a); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got) {
		t.Errorf("none: got %q, want a new id", got)
	}
	// Errors carry the correlation id too, even a 401 when the body names one.
	a = invoke(t, f, v1("POST", goodBody, nil))
	if got := corrOf(t, a); a.StatusCode != 401 || got != "req-789" {
		t.Errorf("401: got %d %q, want 401 req-789", a.StatusCode, got)
	}
}

// TestRetryAnswersTheStoredBody: the same key again answers the first body byte for byte,
// marked Idempotent-Replayed, even when customers-api is down since; the retry's own ids are
// in its headers, the first run's correlationId stays in the body.
func TestRetryAnswersTheStoredBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	auth := "Bearer " + f.token
	first := invoke(t, f, v1("POST", goodBody, map[string]string{"Authorization": auth}))
	if first.StatusCode != 201 || first.Body != wantSuccess || first.header(orchestratorapi.HeaderReplayed) != "" {
		t.Fatalf("got %d %s %v, want 201 %s, not replayed", first.StatusCode, first.Body, first.Headers, wantSuccess)
	}
	f.Customers.Fail(errs.New(httperr.KindBadGateway, "bad_gateway", "customers-api could not be reached"))
	retry := strings.Replace(goodBody, `"req-789"`, `"req-790"`, 1)
	for _, event := range []string{
		v1("POST", retry, map[string]string{"Authorization": auth}),
		v2("POST", retry, false, map[string]string{"authorization": auth}),
	} {
		a := invoke(t, f, event)
		if a.StatusCode != 201 || a.Body != first.Body || a.header(orchestratorapi.HeaderReplayed) != "true" {
			t.Fatalf("retry: got %d %s %v, want 201 with the first body, replayed", a.StatusCode, a.Body, a.Headers)
		}
		if a.header("X-Correlation-ID") != "req-790" {
			t.Errorf("retry: got X-Correlation-ID %q, want the retry's req-790", a.header("X-Correlation-ID"))
		}
	}
	// Another body with the key: 422.
	other := invoke(t, f, v1("POST", strings.Replace(goodBody, `"qty":3`, `"qty":4`, 1), map[string]string{"Authorization": auth}))
	if other.StatusCode != 422 || !strings.Contains(other.Body, `"code":"idempotency_key_reused"`) {
		t.Fatalf("another body: got %d %s, want 422 idempotency_key_reused", other.StatusCode, other.Body)
	}
}

// TestAnswerNotStored: when orders-api cannot store the answer, the client still gets it.
func TestAnswerNotStored(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.Answers.FailSave(errs.New(httperr.KindTimeout, "upstream_timeout", "orders-api did not answer in time"))
	a := invoke(t, f, v1("POST", goodBody, map[string]string{"Authorization": "Bearer " + f.token}))
	if a.StatusCode != 201 || a.Body != wantSuccess || a.header(orchestratorapi.HeaderReplayed) != "" {
		t.Fatalf("got %d %s, want 201 %s", a.StatusCode, a.Body, wantSuccess)
	}
}

func corrOf(t *testing.T, a answer) string {
	t.Helper()
	var b struct {
		CorrelationID string `json:"correlationId"`
	}
	if err := json.Unmarshal([]byte(a.Body), &b); err != nil {
		t.Fatalf("body %q: %v", a.Body, err)
	}
	return b.CorrelationID
}

type failure struct {
	Success       *bool          `json:"success"`
	CorrelationID string         `json:"correlationId"`
	Error         map[string]any `json:"error"`
}

func TestErrors(t *testing.T) {
	t.Parallel()
	insufficient := errs.New(errs.KindConflict, "insufficient_stock", "not enough stock").
		WithDetails(map[string]any{"items": []any{map[string]any{"product_id": 2, "requested": 3, "available": 1}}})
	cases := []struct {
		name       string
		body       string
		auth       string // "" none, "good", or a header value
		method     string
		createErr  error
		custErr    error
		status     int
		code       string
		callsAllow bool
	}{
		{name: "no JWT", body: goodBody, status: 401, code: "unauthorized"},
		{name: "bad JWT", body: goodBody, auth: "Bearer not.a.jwt", status: 401, code: "unauthorized"},
		{name: "basic auth", body: goodBody, auth: "Basic YWRtaW46YWRtaW4xMjM=", status: 401, code: "unauthorized"},
		{name: "no JWT beats bad body", body: `{"x":1}`, status: 401, code: "unauthorized"},
		{name: "unknown field", body: `{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"k","admin":true}`, auth: "good", status: 400, code: "invalid_request"},
		{name: "unknown item field", body: `{"customer_id":1,"items":[{"product_id":2,"qty":3,"price":1}],"idempotency_key":"k"}`, auth: "good", status: 400, code: "invalid_request"},
		{name: "wrong type", body: `{"customer_id":"1","items":[],"idempotency_key":"k"}`, auth: "good", status: 400, code: "invalid_request"},
		{name: "malformed", body: `{"customer_id":1`, auth: "good", status: 400, code: "invalid_request"},
		{name: "empty body", body: ``, auth: "good", status: 400, code: "invalid_request"},
		{name: "missing customer", body: `{"items":[{"product_id":2,"qty":3}],"idempotency_key":"k"}`, auth: "good", status: 400, code: "invalid_request"},
		{name: "missing items", body: `{"customer_id":1,"idempotency_key":"k"}`, auth: "good", status: 400, code: "invalid_request"},
		{name: "empty items", body: `{"customer_id":1,"items":[],"idempotency_key":"k"}`, auth: "good", status: 400, code: "invalid_request"},
		{name: "item without qty", body: `{"customer_id":1,"items":[{"product_id":2}],"idempotency_key":"k"}`, auth: "good", status: 400, code: "invalid_request"},
		{name: "qty zero", body: `{"customer_id":1,"items":[{"product_id":2,"qty":0}],"idempotency_key":"k"}`, auth: "good", status: 400, code: "invalid_request"},
		{name: "missing key", body: `{"customer_id":1,"items":[{"product_id":2,"qty":3}]}`, auth: "good", status: 400, code: "idempotency_key_required"},
		{name: "empty key", body: `{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":""}`, auth: "good", status: 400, code: "idempotency_key_required"},
		{name: "long key", body: `{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"` + strings.Repeat("k", 256) + `"}`, auth: "good", status: 400, code: "invalid_idempotency_key"},
		{name: "bad correlation id", body: `{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"k","correlation_id":"a\nb"}`, auth: "good", status: 400, code: "invalid_request"},
		{name: "GET", body: ``, auth: "good", method: "GET", status: 405, code: "method_not_allowed"},
		{name: "unknown customer", body: strings.Replace(goodBody, `"customer_id":1`, `"customer_id":5`, 1), auth: "good", status: 404, code: "customer_not_found", callsAllow: true},
		{name: "insufficient stock", body: goodBody, auth: "good", createErr: insufficient, status: 409, code: "insufficient_stock", callsAllow: true},
		{name: "unknown product", body: goodBody, auth: "good", createErr: errs.New(errs.KindUnprocessable, "product_not_found", "unknown"), status: 422, code: "product_not_found", callsAllow: true},
		{name: "key reused", body: goodBody, auth: "good", createErr: errs.New(errs.KindUnprocessable, "idempotency_key_reused", "reused"), status: 422, code: "idempotency_key_reused", callsAllow: true},
		{name: "in progress", body: goodBody, auth: "good", createErr: errs.New(errs.KindConflict, "idempotency_key_in_progress", "busy"), status: 409, code: "idempotency_key_in_progress", callsAllow: true},
		{name: "timeout", body: goodBody, auth: "good", createErr: errs.New(httperr.KindTimeout, "upstream_timeout", "orders-api did not answer in time"), status: 504, code: "upstream_timeout", callsAllow: true},
		{name: "bad gateway", body: goodBody, auth: "good", custErr: errs.New(httperr.KindBadGateway, "bad_gateway", "customers-api could not be reached"), status: 502, code: "bad_gateway", callsAllow: true},
		{name: "unclassified", body: goodBody, auth: "good", createErr: errors.New("dial tcp 10.0.0.1: secret detail"), status: 500, code: "internal_error", callsAllow: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.Orders.FailCreate(tc.createErr)
			f.Customers.Fail(tc.custErr)
			h := map[string]string{"X-Correlation-ID": "c-1"}
			switch tc.auth {
			case "":
			case "good":
				h["Authorization"] = "Bearer " + f.token
			default:
				h["Authorization"] = tc.auth
			}
			method := tc.method
			if method == "" {
				method = "POST"
			}
			for _, event := range []string{v1(method, tc.body, h), v2(method, tc.body, false, h)} {
				a := invoke(t, f, event)
				var got failure
				if err := json.Unmarshal([]byte(a.Body), &got); err != nil {
					t.Fatalf("body %q: %v", a.Body, err)
				}
				if a.StatusCode != tc.status || got.Error["code"] != tc.code {
					t.Fatalf("got %d %s, want %d %s", a.StatusCode, a.Body, tc.status, tc.code)
				}
				if got.Success == nil || *got.Success || got.CorrelationID == "" || got.Error["message"] == "" {
					t.Fatalf("got %s, want success false, a correlationId and a message", a.Body)
				}
				if strings.Contains(a.Body, "secret detail") {
					t.Fatalf("internal error text leaked: %s", a.Body)
				}
				if tc.status == 405 && a.header("Allow") != "POST" {
					t.Errorf("got Allow %q, want POST", a.header("Allow"))
				}
				if tc.code == "insufficient_stock" && got.Error["details"] == nil {
					t.Errorf("got %s, want the upstream's details kept", a.Body)
				}
			}
			if n := f.Calls(); !tc.callsAllow && n != 0 {
				t.Fatalf("services called %d times for a request refused locally", n)
			}
		})
	}
}

// TestBase64Bodies: a body API Gateway sent base64-encoded (a v1 or a v2 event) is decoded
// before the handler reads it.
func TestBase64Bodies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	body := base64.StdEncoding.EncodeToString([]byte(goodBody))
	var e map[string]any
	if err := json.Unmarshal([]byte(v1("POST", body, map[string]string{"Authorization": "Bearer " + f.token})), &e); err != nil {
		t.Fatal(err)
	}
	e["isBase64Encoded"] = true
	event, _ := json.Marshal(e)
	if a := invoke(t, f, string(event)); a.StatusCode != 201 || a.Body != wantSuccess || a.v2 {
		t.Fatalf("v1: got %d %s, want 201 %s", a.StatusCode, a.Body, wantSuccess)
	}
	if a := invoke(t, f, v2("POST", body, true, map[string]string{"authorization": "Bearer " + f.token})); a.StatusCode != 201 || a.Body != wantSuccess || !a.v2 {
		t.Fatalf("v2: got %d %s, want 201 %s", a.StatusCode, a.Body, wantSuccess)
	}
}

// TestBadBase64: a body flagged base64 that is not base64 is no request API Gateway sends
// (it encodes the bodies itself): the event is refused like any malformed event, with an
// error and no call to the services.
func TestBadBase64(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, event := range []string{
		v2("POST", "!!!not base64", true, map[string]string{"authorization": "Bearer " + f.token}),
		strings.Replace(v1("POST", "!!!not base64", map[string]string{"Authorization": "Bearer " + f.token}), `"isBase64Encoded":false`, `"isBase64Encoded":true`, 1),
	} {
		out, err := awslambda.NewHandler(f.handler.Handle).Invoke(context.Background(), []byte(event))
		if err == nil || !strings.Contains(err.Error(), "base64") {
			t.Errorf("got %s, %v; want an error naming base64", out, err)
		}
	}
	if n := f.Calls(); n != 0 {
		t.Fatalf("got %d calls to the services, want none", n)
	}
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	big := `{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"` + strings.Repeat("k", 1<<20) + `"}`
	a := invoke(t, f, v1("POST", big, map[string]string{"Authorization": "Bearer " + f.token}))
	if a.StatusCode != 413 {
		t.Fatalf("got %d, want 413", a.StatusCode)
	}
}

func TestNotAnAPIGatewayEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, event := range []string{`{"Records":[]}`, `[1,2]`, `"x"`, `{"version":"2.0","requestContext":{"http":{"method":""}}}`} {
		if _, err := awslambda.NewHandler(f.handler.Handle).Invoke(context.Background(), []byte(event)); err == nil {
			t.Errorf("event %s: got no error, want one", event)
		}
	}
}

func TestRepeatedHeadersV1(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := map[string]any{"httpMethod": "POST", "path": route, "body": goodBody,
		"multiValueHeaders": map[string][]string{"authorization": {"Bearer " + f.token}, "content-type": {"application/json"}}}
	b, _ := json.Marshal(e)
	if a := invoke(t, f, string(b)); a.StatusCode != 201 {
		t.Fatalf("got %d %s, want 201 with the token in multiValueHeaders only", a.StatusCode, a.Body)
	}
}
