package ordersapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi/ordersapitest"
)

func TestCreateAndGetProduct(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	rec := c.do(http.MethodPost, "/products", `{"sku":"SKU-1","name":"Widget ☕","price_cents":129900,"stock":10}`)
	wantStatus(t, rec, http.StatusCreated)
	p := decode[envelope[productBody]](t, rec).Data
	if p.ID <= 0 || p.SKU != "SKU-1" || p.Name != "Widget ☕" || p.PriceCents != 129900 || p.Stock != 10 || p.CreatedAt == "" || p.CreatedAt != p.UpdatedAt {
		t.Fatalf("got %+v", p)
	}
	if !strings.HasSuffix(p.CreatedAt, "Z") {
		t.Fatalf("got created_at %q, want UTC", p.CreatedAt)
	}
	if got := rec.Header().Get("Location"); got != "/products/"+itoa(p.ID) {
		t.Fatalf("got Location %q", got)
	}
	rec = c.do(http.MethodGet, "/products/"+itoa(p.ID), "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[envelope[productBody]](t, rec).Data; got != p {
		t.Fatalf("got %+v, want %+v", got, p)
	}
	// price 0 and stock 0 are valid.
	wantStatus(t, c.do(http.MethodPost, "/products", `{"sku":"FREE","name":"free","price_cents":0,"stock":0}`), http.StatusCreated)
}

func TestCreateProductErrors(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	c.createProduct("TAKEN", 1, 1)
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"duplicate sku", `{"sku":"TAKEN","name":"x","price_cents":1,"stock":1}`, http.StatusConflict, "sku_taken"},
		{"missing sku", `{"name":"x","price_cents":1,"stock":1}`, http.StatusBadRequest, "invalid_request"},
		{"missing name", `{"sku":"A","price_cents":1,"stock":1}`, http.StatusBadRequest, "invalid_request"},
		{"missing price", `{"sku":"A","name":"x","stock":1}`, http.StatusBadRequest, "invalid_request"},
		{"missing stock", `{"sku":"A","name":"x","price_cents":1}`, http.StatusBadRequest, "invalid_request"},
		{"empty sku", `{"sku":"","name":"x","price_cents":1,"stock":1}`, http.StatusBadRequest, "invalid_request"},
		{"blank name", `{"sku":"A","name":"   ","price_cents":1,"stock":1}`, http.StatusBadRequest, "invalid_request"},
		{"sku too long", `{"sku":"` + strings.Repeat("s", 101) + `","name":"x","price_cents":1,"stock":1}`, http.StatusBadRequest, "invalid_request"},
		{"name too long", `{"sku":"A","name":"` + strings.Repeat("n", 256) + `","price_cents":1,"stock":1}`, http.StatusBadRequest, "invalid_request"},
		{"negative price", `{"sku":"A","name":"x","price_cents":-1,"stock":1}`, http.StatusBadRequest, "invalid_request"},
		{"negative stock", `{"sku":"A","name":"x","price_cents":1,"stock":-1}`, http.StatusBadRequest, "invalid_request"},
		{"stock beyond INT", `{"sku":"A","name":"x","price_cents":1,"stock":2147483648}`, http.StatusBadRequest, "invalid_request"},
		{"fractional price", `{"sku":"A","name":"x","price_cents":1.5,"stock":1}`, http.StatusBadRequest, "invalid_request"},
		{"string stock", `{"sku":"A","name":"x","price_cents":1,"stock":"1"}`, http.StatusBadRequest, "invalid_request"},
		{"unknown field", `{"sku":"A","name":"x","price_cents":1,"stock":1,"id":7}`, http.StatusBadRequest, "invalid_request"},
		{"malformed", `{"sku":`, http.StatusBadRequest, "invalid_request"},
		{"empty body", ``, http.StatusBadRequest, "invalid_request"},
		{"two values", `{"sku":"A","name":"x","price_cents":1,"stock":1}{}`, http.StatusBadRequest, "invalid_request"},
		{"over 1 MiB", `{"sku":"A","name":"` + strings.Repeat("n", 1<<20) + `","price_cents":1,"stock":1}`, http.StatusRequestEntityTooLarge, "payload_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, c.do(http.MethodPost, "/products", tc.body), tc.status, tc.code)
		})
	}
	rec := c.do(http.MethodGet, "/products", "")
	if n := len(decode[envelope[[]productBody]](t, rec).Data); n != 1 {
		t.Fatalf("got %d products after refused creations, want 1", n)
	}
}

func TestGetProductErrors(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	wantError(t, c.do(http.MethodGet, "/products/999", ""), http.StatusNotFound, "product_not_found")
	for _, id := range []string{"abc", "0", "-1", "1.5", "99999999999999999999"} {
		wantError(t, c.do(http.MethodGet, "/products/"+id, ""), http.StatusBadRequest, "invalid_request")
	}
}

func TestPatchProduct(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	p := c.createProduct("PATCH-1", 500, 3)
	path := "/products/" + itoa(p.ID)

	rec := c.do(http.MethodPatch, path, `{"name":"Renamed"}`)
	wantStatus(t, rec, http.StatusOK)
	got := decode[envelope[productBody]](t, rec).Data
	if got.Name != "Renamed" || got.PriceCents != 500 || got.Stock != 3 || got.SKU != "PATCH-1" || got.CreatedAt != p.CreatedAt {
		t.Fatalf("got %+v", got)
	}
	rec = c.do(http.MethodPatch, path, `{"price_cents":0,"stock":42}`)
	wantStatus(t, rec, http.StatusOK)
	got = decode[envelope[productBody]](t, rec).Data
	if got.Name != "Renamed" || got.PriceCents != 0 || got.Stock != 42 {
		t.Fatalf("got %+v", got)
	}

	for _, tc := range []struct {
		name, body string
	}{
		{"empty patch", `{}`},
		{"sku cannot change", `{"sku":"OTHER"}`},
		{"sku with another field", `{"sku":"PATCH-1","name":"x"}`},
		{"null name", `{"name":null}`},
		{"null stock", `{"stock":null}`},
		{"negative stock", `{"stock":-1}`},
		{"negative price", `{"price_cents":-5}`},
		{"blank name", `{"name":""}`},
		{"unknown field", `{"stok":1}`},
		{"wrong type", `{"stock":"1"}`},
		{"not an object", `[]`},
		// all or nothing: the valid name is not saved with the invalid stock
		{"valid and invalid", `{"name":"Fine","stock":-1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, c.do(http.MethodPatch, path, tc.body), http.StatusBadRequest, "invalid_request")
		})
	}
	rec = c.do(http.MethodGet, path, "")
	if now := decode[envelope[productBody]](t, rec).Data; now != got {
		t.Fatalf("refused patches changed the product: got %+v, want %+v", now, got)
	}
	wantError(t, c.do(http.MethodPatch, path, `{"name":"`+strings.Repeat("n", 1<<20)+`"}`), http.StatusRequestEntityTooLarge, "payload_too_large")
	wantError(t, c.do(http.MethodPatch, "/products/999", `{"stock":1}`), http.StatusNotFound, "product_not_found")
	wantError(t, c.do(http.MethodPatch, "/products/x", `{"stock":1}`), http.StatusBadRequest, "invalid_request")
}

func TestListProducts(t *testing.T) {
	t.Parallel()
	c := newClient(t, ordersapitest.Options{})
	var ids []int64
	for _, sku := range []string{"WID-1", "WID-2", "GAD_1", "GADX1", "wid-3"} {
		ids = append(ids, c.createProduct(sku, 1, 1).ID)
	}
	list := func(query string) ([]int64, *string, bool) {
		t.Helper()
		rec := c.do(http.MethodGet, "/products"+query, "")
		wantStatus(t, rec, http.StatusOK)
		env := decode[envelope[[]productBody]](t, rec)
		var got []int64
		for _, p := range env.Data {
			got = append(got, p.ID)
		}
		return got, env.Pagination.NextCursor, env.Pagination.HasMore
	}
	if got, next, more := list(""); !slices.Equal(got, ids) || next != nil || more {
		t.Fatalf("got %v next %v more %v, want %v", got, next, more, ids)
	}
	if got, _, _ := list("?search=wid"); !slices.Equal(got, []int64{ids[0], ids[1], ids[4]}) {
		t.Fatalf("search wid: got %v", got)
	}
	if got, _, _ := list("?search=GAD_"); !slices.Equal(got, []int64{ids[2]}) {
		t.Fatalf("search GAD_ (literal underscore): got %v", got)
	}
	if got, _, _ := list("?search=%25"); len(got) != 0 {
		t.Fatalf("search %%: got %v, want none", got)
	}
	// Pages of two, following next_cursor, cover every product once, in id order.
	var all []int64
	query := "?limit=2"
	for range 5 {
		got, next, more := list(query)
		all = append(all, got...)
		if !more {
			if next != nil {
				t.Fatalf("got next_cursor %q on the last page", *next)
			}
			break
		}
		query = "?limit=2&cursor=" + *next
	}
	if !slices.Equal(all, ids) {
		t.Fatalf("pages: got %v, want %v", all, ids)
	}
	rec := c.do(http.MethodGet, "/products?limit=2", "")
	if env := decode[envelope[[]productBody]](t, rec); env.Pagination.Limit != 2 {
		t.Fatalf("got pagination %+v", env.Pagination)
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?limit=abc", "?limit=", "?cursor=bogus", "?cursor=MTA"} {
		wantError(t, c.do(http.MethodGet, "/products"+q, ""), http.StatusBadRequest, "invalid_request")
	}
}
