package customersapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi/customersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/metrics"
)

// BenchmarkGetCustomer is the work of one GET /customers/{id} inside customers-api, in
// memory and without a socket: the middleware (ids, access log, metrics, deadline guard),
// the router, the JWT check, the use case and the JSON answer. `make bench-go` runs it; the
// CPU a real request adds is the network's and the database's.
func BenchmarkGetCustomer(b *testing.B) {
	api := customersapitest.New(b, customersapitest.Options{
		Logger:  slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics: metrics.New("customers-api"),
	})
	h := httpkit.WithDeadline(30*time.Second, api.Handler)
	c := api.Seed(b, "Bench", "bench@example.com", "")
	auth := "Bearer " + api.UserToken(b)
	target := "/customers/" + strconv.FormatInt(c.ID(), 10)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("got %d %s", rec.Code, rec.Body)
		}
	}
}
