package orchestratorapi_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/http/orchestratorapi/orchestratorapitest"
)

// FuzzCreateAndConfirm: any body and method on the route, with any correlation header and a
// valid JWT, gets a contract answer in the orchestrator's shapes (the Lambda adapter's fuzz
// targets send the same handler whole events). Its seeds run in every plain `go test`.
func FuzzCreateAndConfirm(f *testing.F) {
	for _, s := range []string{goodBody, `{"customer_id":7,"items":[{"product_id":2,"qty":3}],"idempotency_key":"k"}`, `{`, ``, "\xff", `{"x":1}`} {
		f.Add([]byte(s), "POST", "corr-1")
	}
	f.Add([]byte(goodBody), "DELETE", "")
	f.Add([]byte(""), "GET", "a\nb")
	api := orchestratorapitest.New(f, orchestratorapitest.Options{})
	f.Fuzz(func(t *testing.T, body []byte, method, corrHeader string) {
		if !validMethod(method) {
			return // not an HTTP request line net/http would accept
		}
		req := httptest.NewRequest(http.MethodPost, route, bytes.NewReader(body))
		req.Method = method
		req.Header.Set("Authorization", "Bearer "+api.Token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(httpkit.HeaderCorrelationID, corrHeader)
		rec := httptest.NewRecorder()
		api.Handler.ServeHTTP(rec, req)
		if method == http.MethodHead {
			return // no body to check
		}
		orchestratorapitest.CheckAnswer(t, rec.Code, rec.Header().Get, rec.Body.Bytes())
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
