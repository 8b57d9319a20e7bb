package tracing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/tracing"
)

// BenchmarkOrdersRead serves GET /products/{id} through orders-api's real handler (JWT
// check, router, httpkit's stack, memory store): not instrumented, with tracing off (what
// a service runs without OTEL_EXPORTER_OTLP_ENDPOINT) and on with an exporter that drops
// the spans (the cost of recording them, without the network).
//
//	go test -run '^$' -bench OrdersRead -benchmem -count 6 ./adapters/tracing/
func BenchmarkOrdersRead(b *testing.B) {
	api := ordersapitest.New(b, ordersapitest.Options{})
	p := api.SeedProduct(b, "SKU-B", "Bench", 100, 10)
	token := "Bearer " + api.UserToken(b)
	path := "/products/" + strconv.FormatInt(p.ID(), 10)
	var off *tracing.Tracing
	on := tracing.New("orders-api", discard{}, nil)
	b.Cleanup(func() { _ = on.Shutdown(context.Background()) })
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", api.Handler},
		{"off", off.Handler(api.Handler)},
		{"on", on.Handler(api.Handler)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Authorization", token)
				rec := httptest.NewRecorder()
				c.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("got %d", rec.Code)
				}
			}
		})
	}
}

// discard is an exporter that drops every span.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }
