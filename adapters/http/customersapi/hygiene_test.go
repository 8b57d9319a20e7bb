package customersapi_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/metrics"
)

// TestHTTPHygiene: the settled answers of the contract's HTTP layer on customers-api.
func TestHTTPHygiene(t *testing.T) {
	t.Parallel()
	api := customersapitest.New(t, customersapitest.Options{Metrics: metrics.New("customers-api")})
	c := api.Seed(t, "ACME", "ops@acme.com", "")
	user := []string{"Authorization", "Bearer " + api.UserToken(t)}
	service := []string{"Authorization", "Bearer " + apitest.DefaultServiceToken}
	id := "/customers/" + strconv.FormatInt(c.ID(), 10)

	t.Run("HEAD wherever GET", func(t *testing.T) {
		for _, p := range []string{"/health", "/ready", "/openapi.yaml", "/docs", "/metrics"} {
			apitest.CheckHeadLikeGet(t, api.Handler, p)
		}
		apitest.CheckHeadLikeGet(t, api.Handler, "/customers", user...)
		apitest.CheckHeadLikeGet(t, api.Handler, id, user...)
		apitest.CheckHeadLikeGet(t, api.Handler, "/internal"+id, service...)
	})
	t.Run("JSON bodies only", func(t *testing.T) {
		validated := func(r *http.Request) *httptest.ResponseRecorder { return spec.Serve(t, api.Handler, r) }
		apitest.CheckJSONBodiesOnly(t, validated, http.MethodPost, "/customers", `{"name":"B","email":"b@acme.com"}`, user...)
		apitest.CheckJSONBodiesOnly(t, validated, http.MethodPut, id, `{"name":"ACME 2"}`, user...)
		apitest.CheckJSONBodiesOnly(t, validated, http.MethodPost, "/auth/login", `{"username":"admin","password":"admin123"}`)
	})
	t.Run("customer data is never cached", func(t *testing.T) {
		js := append([]string{"Content-Type", "application/json"}, user...)
		for name, rec := range map[string]*httptest.ResponseRecorder{
			"list":        apitest.Send(api.Handler, "GET", "/customers", "", user...),
			"get":         apitest.Send(api.Handler, "GET", id, "", user...),
			"get unknown": apitest.Send(api.Handler, "GET", "/customers/999", "", user...),
			"create":      apitest.Send(api.Handler, "POST", "/customers", `{"name":"C","email":"c@acme.com"}`, js...),
			"update":      apitest.Send(api.Handler, "PUT", id, `{"name":"ACME 3"}`, js...),
			"internal":    apitest.Send(api.Handler, "GET", "/internal"+id, "", service...),
			"no token":    apitest.Send(api.Handler, "GET", id, ""),
			"login":       apitest.Send(api.Handler, "POST", "/auth/login", `{"username":"admin","password":"admin123"}`, "Content-Type", "application/json"),
			"bad login":   apitest.Send(api.Handler, "POST", "/auth/login", `{"username":"admin","password":"nope"}`, "Content-Type", "application/json"),
		} {
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("%s (%d): got Cache-Control %q, want no-store", name, rec.Code, got)
			}
		}
	})
	t.Run("metric labels stay bounded", func(t *testing.T) {
		apitest.CheckMetricLabelsBounded(t, api.Handler, "/health")
	})
}
