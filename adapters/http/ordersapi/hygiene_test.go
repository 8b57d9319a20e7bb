package ordersapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/apitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/metrics"
)

// TestHTTPHygiene: the settled answers of the contract's HTTP layer on orders-api.
func TestHTTPHygiene(t *testing.T) {
	t.Parallel()
	api := ordersapitest.New(t, ordersapitest.Options{Metrics: metrics.New("orders-api")})
	p := api.SeedProduct(t, "SKU-H", "Widget", 100, 10)
	user := []string{"Authorization", "Bearer " + api.UserToken(t)}
	js := append([]string{"Content-Type", "application/json"}, user...)
	created := apitest.Send(api.Handler, http.MethodPost, "/orders", `{"customer_id":1,"items":[{"product_id":1,"qty":1}]}`, js...)
	if created.Code != http.StatusCreated || p.ID() != 1 {
		t.Fatalf("seed order: got %d %s", created.Code, created.Body)
	}

	t.Run("HEAD wherever GET", func(t *testing.T) {
		for _, path := range []string{"/health", "/ready", "/openapi.yaml", "/docs", "/metrics"} {
			apitest.CheckHeadLikeGet(t, api.Handler, path)
		}
		for _, path := range []string{"/products", "/products/1", "/orders", "/orders/1", "/orders/999"} {
			apitest.CheckHeadLikeGet(t, api.Handler, path, user...)
		}
	})
	t.Run("JSON bodies only", func(t *testing.T) {
		v := validator(t)
		validated := func(r *http.Request) *httptest.ResponseRecorder { return v.Serve(t, api.Handler, r) }
		apitest.CheckJSONBodiesOnly(t, validated, http.MethodPost, "/products", `{"sku":"SKU-J","name":"J","price_cents":1,"stock":1}`, user...)
		apitest.CheckJSONBodiesOnly(t, validated, http.MethodPatch, "/products/1", `{"name":"Widget 2"}`, user...)
		apitest.CheckJSONBodiesOnly(t, validated, http.MethodPost, "/orders", `{"customer_id":1,"items":[{"product_id":1,"qty":1}]}`, user...)
	})
	t.Run("no body needs no Content-Type", func(t *testing.T) {
		rec := apitest.Send(api.Handler, http.MethodPost, "/orders/1/confirm", "", append([]string{"Idempotency-Key", "h-1"}, user...)...)
		if rec.Code != http.StatusOK {
			t.Errorf("confirm without a body or Content-Type: got %d %s, want 200", rec.Code, rec.Body)
		}
		if rec := apitest.Send(api.Handler, http.MethodPost, "/orders/1/cancel", "", user...); rec.Code != http.StatusOK {
			t.Errorf("cancel without a body or Content-Type: got %d %s, want 200", rec.Code, rec.Body)
		}
	})
	t.Run("metric labels stay bounded", func(t *testing.T) {
		apitest.CheckMetricLabelsBounded(t, api.Handler, "/health")
	})
}
