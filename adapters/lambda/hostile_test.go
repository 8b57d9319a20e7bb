package lambda_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/orchestratorapi/orchestratorapitest"
)

// TestHostileTokensAreRefusedBeforeAnyCall: every token that differs from a valid one in a
// way the contract names (alg none, HS512, RS256, another key, expired, no exp, another
// issuer) is 401 unauthorized in the orchestrator's shape, through v1 and v2 events alike
// (orchestratorapi's test does the same over HTTP), and neither service is called.
func TestHostileTokensAreRefusedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tokens, valid := orchestratorapitest.HostileTokens(t)
	for name, tok := range tokens {
		h := map[string]string{"Authorization": "Bearer " + tok}
		for _, event := range []string{v1("POST", goodBody, h), v2("POST", goodBody, false, h)} {
			a := invoke(t, f, event)
			var got failure
			if err := json.Unmarshal([]byte(a.Body), &got); err != nil {
				t.Fatalf("%s: body %q: %v", name, a.Body, err)
			}
			if a.StatusCode != http.StatusUnauthorized || got.Error["code"] != "unauthorized" || got.Success == nil || *got.Success ||
				got.CorrelationID != "req-789" {
				t.Errorf("%s: got %d %s, want 401 unauthorized with success false and the body's correlationId", name, a.StatusCode, a.Body)
			}
		}
	}
	if n := f.Calls(); n != 0 {
		t.Fatalf("got %d calls to the services for refused tokens, want none", n)
	}
	// The same claims signed right pass: the refusals above are about the tokens.
	if a := invoke(t, f, v1("POST", goodBody, map[string]string{"Authorization": "Bearer " + valid})); a.StatusCode != http.StatusCreated {
		t.Fatalf("valid token: got %d %s, want 201", a.StatusCode, a.Body)
	}
}
