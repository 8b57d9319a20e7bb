package ordersapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
	"github.com/b2b-backoffice/backoffice/adapters/repotest"
)

// Concurrent requests for one page of products share one read and one encoding, made
// after they arrived: a page never misses a change that was answered before it was asked
// for, and requests for different pages are answered for their own.
func TestProductPagesSeeEarlierWrites(t *testing.T) {
	t.Parallel()
	api := ordersapitest.New(t, ordersapitest.Options{})
	token := api.UserToken(t)
	p := api.SeedProduct(t, "FRESH-1", "Fresh", 100, 0)
	api.SeedProduct(t, "FRESH-2", "Fresh too", 100, 5)
	serve := func(method, target, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		api.Handler.ServeHTTP(rec, req)
		return rec
	}
	repotest.ReadsWhileWriting(t, 8, 60, func(v int) error {
		rec := serve(http.MethodPatch, fmt.Sprintf("/products/%d", p.ID()), fmt.Sprintf(`{"stock":%d}`, v*10))
		if rec.Code != http.StatusOK {
			return fmt.Errorf("PATCH: status %d: %s", rec.Code, rec.Body)
		}
		return nil
	}, func(_ context.Context, committed int) error {
		for _, q := range []struct {
			target      string
			want, limit int
		}{{"/products?search=fresh", 2, 20}, {"/products?search=fresh&limit=1", 1, 1}} {
			rec := serve(http.MethodGet, q.target, "")
			var page envelope[[]productBody]
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil {
				return fmt.Errorf("GET %s: status %d: %s", q.target, rec.Code, rec.Body)
			}
			if len(page.Data) != q.want || page.Pagination == nil || page.Pagination.Limit != q.limit ||
				page.Pagination.HasMore != (q.want == 1) || page.Data[0].ID != p.ID() {
				return fmt.Errorf("GET %s answered another page: %s", q.target, rec.Body)
			}
			if s := page.Data[0].Stock; s < committed*10 {
				return fmt.Errorf("GET %s began after stock %d was answered, read stock %d", q.target, committed*10, s)
			}
		}
		return nil
	})
}
