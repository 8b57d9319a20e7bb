package lambda_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestOrchestratorHeadersAndMediaType: every orchestrator answer to an event (success or
// not) carries nosniff and no-store (a success holds the customer); a body that is not JSON
// is 415 in the orchestrator's shape.
func TestOrchestratorHeadersAndMediaType(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	auth := map[string]string{"Authorization": "Bearer " + f.token}
	for name, event := range map[string]string{
		"v1 201": v1("POST", goodBody, auth), "v2 201": v2("POST", goodBody, false, auth),
		"v1 401": v1("POST", goodBody, nil), "v1 405": v1("GET", "", auth), "v2 405": v2("GET", "", false, auth),
	} {
		a := invoke(t, f, event)
		if a.header("X-Content-Type-Options") != "nosniff" || a.header("Cache-Control") != "no-store" {
			t.Errorf("%s (%d): got headers %v %v, want nosniff and no-store", name, a.StatusCode, a.Headers, a.MultiValueHeaders)
		}
	}
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded"} {
		h := map[string]string{"Authorization": "Bearer " + f.token, "Content-Type": ct}
		a := invoke(t, f, v1("POST", goodBody, h))
		if a.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(a.Body, `"success":false`) ||
			!strings.Contains(a.Body, `"code":"unsupported_media_type"`) {
			t.Errorf("body as %s: got %d %s, want 415 unsupported_media_type in the orchestrator's shape", ct, a.StatusCode, a.Body)
		}
	}
}
