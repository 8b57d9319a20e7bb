package lambda_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	awslambda "github.com/aws/aws-lambda-go/lambda"

	"github.com/b2b-backoffice/backoffice/adapters/http/orchestratorapi/orchestratorapitest"
)

// The fuzz targets below drive hostile bodies, headers and whole events through the
// orchestrator's handler (over fake services that answer like the real ones: customer 1
// exists, orders succeed) and hold it to the contract: never a panic, never a 5xx, and every
// answer in the orchestrator's shapes. Their seeds run in every plain `go test`. The same
// handler over plain HTTP has its fuzz target in orchestratorapi.

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
	if a.StatusCode == http.StatusMovedPermanently && a.header("Location") != "" {
		return // the router redirects an unclean path ("/.") before any route runs, as in the APIs
	}
	orchestratorapitest.CheckAnswer(t, a.StatusCode, a.header, []byte(a.Body))
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

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
