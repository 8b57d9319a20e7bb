package lambda_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	awslambda "github.com/aws/aws-lambda-go/lambda"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/lambda"
)

// The fuzz targets below drive hostile bodies, headers and whole events through the
// orchestrator's handler (over fake services that answer like the real ones: customer 1
// exists, orders succeed) and hold it to the contract: never a panic, never a 5xx, and every
// answer in the orchestrator's shapes. Their seeds run in every plain `go test`.

var snakeCode = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// orchestratorStatuses are the statuses a request can get when both services answer well
// (422: inputs share keys, so a key may come again with another body).
var orchestratorStatuses = []int{201, 400, 401, 404, 405, 413, 415, 422}

// checkOrchestratorAnswer holds one answer to the contract's orchestrator shapes.
func checkOrchestratorAnswer(t *testing.T, status int, header func(string) string, body []byte) {
	t.Helper()
	if !slices.Contains(orchestratorStatuses, status) {
		t.Fatalf("got %d %s, want one of %v", status, body, orchestratorStatuses)
	}
	if header("Content-Type") != "application/json" || header("X-Request-ID") == "" || header("X-Correlation-ID") == "" {
		t.Fatalf("got Content-Type %q, X-Request-ID %q, X-Correlation-ID %q; want JSON and both ids",
			header("Content-Type"), header("X-Request-ID"), header("X-Correlation-ID"))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("got a body that is not a JSON object: %q", body)
	}
	var b struct {
		Success       *bool  `json:"success"`
		CorrelationID string `json:"correlationId"`
		Data          *struct {
			Customer *struct {
				ID int64 `json:"id"`
			} `json:"customer"`
			Order *struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			} `json:"order"`
		} `json:"data"`
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Success == nil || b.CorrelationID == "" || len(top) != 3 {
		t.Fatalf("got %s, want success, correlationId and data or error", body)
	}
	// A replay answers the stored body of the key's first request, with that request's
	// correlationId; the headers are the replay's own.
	if b.CorrelationID != header("X-Correlation-ID") && header(lambda.HeaderReplayed) != "true" {
		t.Fatalf("got correlationId %q and header %q, want the same", b.CorrelationID, header("X-Correlation-ID"))
	}
	if status == 201 {
		if !*b.Success || b.Data == nil || b.Data.Customer == nil || b.Data.Order == nil || b.Data.Order.Status != "CONFIRMED" {
			t.Fatalf("got 201 %s, want success with the customer and the CONFIRMED order", body)
		}
		return
	}
	if *b.Success || b.Error == nil || !snakeCode.MatchString(b.Error.Code) || b.Error.Message == "" {
		t.Fatalf("got %d %s, want success false and an error with code and message", status, body)
	}
}

func checkEventAnswer(t *testing.T, out []byte, wantV2 bool) {
	t.Helper()
	var a answer
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	if err := json.Unmarshal(out, &keys); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	if _, v2 := keys["cookies"]; v2 != wantV2 {
		t.Fatalf("got answer %s, want payload v2 %v", out, wantV2)
	}
	checkOrchestratorAnswer(t, a.StatusCode, a.header, []byte(a.Body))
}

// FuzzOrchestratorBody: any body, in a v1 or v2 event, plain or base64, with any correlation
// header and a valid JWT, gets a contract answer.
func FuzzOrchestratorBody(f *testing.F) {
	for _, s := range []string{goodBody,
		`{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"k"}`,
		`{"customer_id":7,"items":[{"product_id":2,"qty":3}],"idempotency_key":"k"}`,
		`{"customer_id":1,"items":[{"product_id":2,"qty":0}],"idempotency_key":"k"}`,
		`{"customer_id":1,"items":[{"product_id":2,"qty":9223372036854775807}],"idempotency_key":"k"}`,
		`{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":""}`,
		`{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"k\u0000"}`,
		`{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"k","correlation_id":""}`,
		`{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"k","correlation_id":"a b"}`,
		`{"customer_id":1,"items":[],"idempotency_key":"k"}`, `{"customer_id":1,"items":null,"idempotency_key":"k"}`,
		`{"customer_id":1,"items":[null],"idempotency_key":"k"}`, `{"Customer_ID":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"k"}`,
		`{"customer_id":1,"customer_id":7,"items":[{"product_id":2,"qty":3}],"idempotency_key":"k"}`,
		`{"customer_id":-1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"k"}`, `[]`, `null`, `{`, ``, "\xff\xfe"} {
		f.Add(s, false, false, "corr-1", true)
		f.Add(s, true, true, "", true)
	}
	f.Add(goodBody, false, false, "", false)
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, body string, useV2, b64 bool, corrHeader string, post bool) {
		method := http.MethodPost
		if !post {
			method = http.MethodGet
		}
		h := map[string]string{"Authorization": "Bearer " + fx.token, "X-Correlation-ID": corrHeader}
		payload := body
		if b64 {
			payload = base64.StdEncoding.EncodeToString([]byte(body))
		}
		event := v1(method, payload, h)
		if useV2 {
			event = v2(method, payload, b64, h)
		} else if b64 {
			var e map[string]any
			_ = json.Unmarshal([]byte(event), &e)
			e["isBase64Encoded"] = true
			b, _ := json.Marshal(e)
			event = string(b)
		}
		out, err := awslambda.NewHandler(fx.handler.Handle).Invoke(context.Background(), []byte(event))
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		checkEventAnswer(t, out, useV2)
	})
}

// FuzzOrchestratorEvent: any event is either refused as not an API Gateway event (an error,
// no answer) or answered in the contract's shapes; never a panic, never a 5xx.
func FuzzOrchestratorEvent(f *testing.F) {
	fx := newFixture(f)
	auth := map[string]string{"Authorization": "Bearer " + fx.token}
	for _, s := range []string{v1("POST", goodBody, auth), v2("POST", goodBody, false, auth), v1("PUT", goodBody, auth),
		v2("POST", base64.StdEncoding.EncodeToString([]byte(goodBody)), true, auth), v2("POST", "%%%", true, auth),
		v1("POST", goodBody, nil), v1("POST", goodBody, map[string]string{"authorization": "bearer " + fx.token, "AUTHORIZATION": "x"}),
		`{"httpMethod":"POST","multiValueHeaders":{"Authorization":["Bearer ` + fx.token + `","Bearer x"],"Content-Type":["application/json"]},"body":` + quote(goodBody) + `}`,
		`{"version":"2.0","requestContext":{"http":{"method":"POST"}},"headers":{"authorization":"Bearer ` + fx.token + `","content-type":"application/json"},"body":` + quote(goodBody) + `}`,
		`{"version":"2.0","requestContext":{"http":{"method":""}}}`, `{"version":"1.0","httpMethod":"POST"}`, `{"version":2}`,
		`{"httpMethod":1}`, `{"Records":[]}`, `{}`, `[]`, `null`, `"x"`, `{`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, event []byte) {
		out, err := awslambda.NewHandler(fx.handler.Handle).Invoke(context.Background(), event)
		if err != nil {
			return // not an API Gateway proxy event: nothing to answer
		}
		var probe struct {
			Version string `json:"version"`
		}
		_ = json.NewDecoder(bytes.NewReader(event)).Decode(&probe) // as the runtime reads the payload: the first value
		checkEventAnswer(t, out, probe.Version == "2.0")
	})
}

// FuzzLocalServer: any body and method on the local HTTP server's route (the
// serverless-offline stand-in) gets a contract answer.
func FuzzLocalServer(f *testing.F) {
	for _, s := range []string{goodBody, `{"customer_id":7,"items":[{"product_id":2,"qty":3}],"idempotency_key":"k"}`, `{`, ``, "\xff", `{"x":1}`} {
		f.Add([]byte(s), "POST", "corr-1")
	}
	f.Add([]byte(goodBody), "DELETE", "")
	f.Add([]byte(""), "GET", "a\nb")
	fx := newFixture(f)
	h := lambda.LocalServer(fx.handler.Handle, "orchestrator", httpkit.ReadyChecks{}, slog.New(slog.DiscardHandler), nil)
	f.Fuzz(func(t *testing.T, body []byte, method, corrHeader string) {
		if !validMethod(method) {
			return // not an HTTP request line net/http would accept
		}
		req := httptest.NewRequest(http.MethodPost, lambda.Route, bytes.NewReader(body))
		req.Method = method
		req.Header.Set("Authorization", "Bearer "+fx.token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(httpkit.HeaderCorrelationID, corrHeader)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if method == http.MethodHead {
			return // no body to check
		}
		checkOrchestratorAnswer(t, rec.Code, rec.Header().Get, rec.Body.Bytes())
	})
}

// validMethod reports an HTTP token, as net/http requires of a method.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c > 0x7e || c <= 0x20 || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
