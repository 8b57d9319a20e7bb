package repotest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
	"github.com/b2b-backoffice/backoffice/domain/timestamp"
)

// RunProducts runs the catalogue contract: the real orders use cases over the products of
// the store newStore returns.
func RunProducts(t *testing.T, newStore NewOrdersStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, h *ordersHarness)
	}{
		{"CreateThenGet", testProductCreateThenGet},
		{"GetUnknown", testProductGetUnknown},
		{"SKUTaken", testProductSKUTaken},
		{"ConcurrentCreateSameSKU", testProductConcurrentSameSKU},
		{"Patch", testProductPatch},
		{"PatchInvalidChangesNothing", testProductPatchInvalid},
		{"SearchIsLiteralAndIgnoresCase", testProductSearch},
		{"Pagination", testProductPagination},
		{"TransactionRollsBack", testStoreRollback},
		{"ConcurrentPatchesOfStock", testProductConcurrentPatches},
		{"PageSeesEarlierWrites", testProductPageSeesEarlierWrites},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newOrdersHarness(t, newStore(t), nil, ordersOrigin))
		})
	}
}

func assertSameProduct(t *testing.T, got, want *product.Product) {
	t.Helper()
	if got.ID() != want.ID() || got.SKU() != want.SKU() || got.Name() != want.Name() || got.PriceCents() != want.PriceCents() ||
		got.Stock() != want.Stock() || !got.CreatedAt().Equal(want.CreatedAt()) || !got.UpdatedAt().Equal(want.UpdatedAt()) {
		t.Fatalf("got product {%d %q %q %d %d %s %s}, want {%d %q %q %d %d %s %s}",
			got.ID(), got.SKU(), got.Name(), got.PriceCents(), got.Stock(), stamp(got.CreatedAt()), stamp(got.UpdatedAt()),
			want.ID(), want.SKU(), want.Name(), want.PriceCents(), want.Stock(), stamp(want.CreatedAt()), stamp(want.UpdatedAt()))
	}
}

func testProductCreateThenGet(t *testing.T, h *ordersHarness) {
	name := "Caf\u00e9 \u2615 " + h.tok
	p, err := h.svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: h.tok + "-A", Name: name, PriceCents: 129900, Stock: 7})
	if err != nil {
		t.Fatalf("CreateProduct: %v", err)
	}
	if p.ID() <= 0 || p.SKU() != h.tok+"-A" || p.Name() != name || p.PriceCents() != 129900 || p.Stock() != 7 {
		t.Fatalf("got product {%d %q %q %d %d}", p.ID(), p.SKU(), p.Name(), p.PriceCents(), p.Stock())
	}
	if want := timestamp.Of(ordersOrigin); !p.CreatedAt().Equal(want) || !p.UpdatedAt().Equal(want) {
		t.Fatalf("got created %s updated %s, want both %s", stamp(p.CreatedAt()), stamp(p.UpdatedAt()), stamp(want))
	}
	got, err := h.svc.GetProduct(t.Context(), p.ID())
	if err != nil {
		t.Fatalf("GetProduct: %v", err)
	}
	assertSameProduct(t, got, p)
	zero, err := h.svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: h.tok + "-free", Name: "free", PriceCents: 0, Stock: 0})
	if err != nil {
		t.Fatalf("CreateProduct with price 0 and stock 0: %v", err)
	}
	if zero.ID() <= p.ID() {
		t.Fatalf("got id %d after %d, want ids to grow", zero.ID(), p.ID())
	}
}

func testProductGetUnknown(t *testing.T, h *ordersHarness) {
	_, err := h.svc.GetProduct(t.Context(), 1<<62)
	assertErrorIs(t, err, product.ErrNotFound)
	_, err = h.store.Repos().Products.Get(t.Context(), 1<<62)
	assertErrorIs(t, err, product.ErrNotFound)
	_, err = h.svc.UpdateProduct(t.Context(), 1<<62, product.Changes{Stock: refOf(1)})
	assertErrorIs(t, err, product.ErrNotFound)
}

func testProductSKUTaken(t *testing.T, h *ordersHarness) {
	first := h.product(100, 1)
	_, err := h.svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: first.SKU(), Name: "other", PriceCents: 5, Stock: 5})
	assertErrorIs(t, err, product.ErrSKUTaken)
	if errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("got kind %v, want conflict", errs.KindOf(err))
	}
	got, err := h.svc.GetProduct(t.Context(), first.ID())
	if err != nil {
		t.Fatal(err)
	}
	assertSameProduct(t, got, first)
}

func testProductConcurrentSameSKU(t *testing.T, h *ordersHarness) {
	const n = 30
	sku := h.tok + "-race"
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := h.svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: sku, Name: "race", PriceCents: 1, Stock: 1})
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	ok := countWins(t, errc, product.ErrSKUTaken)
	if ok != 1 {
		t.Fatalf("got %d products created with one SKU, want 1", ok)
	}
	page, err := h.svc.ListProducts(t.Context(), orders.ListProducts{Filter: orders.ProductFilter{Search: sku}, Page: paging.Request{Limit: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Fatalf("got %d products with SKU %s listed, want 1", len(page.Items), sku)
	}
}

func testProductPatch(t *testing.T, h *ordersHarness) {
	p := h.product(500, 3)
	h.clock.Advance(time.Minute)
	name := "Renamed " + h.tok
	got, err := h.svc.UpdateProduct(t.Context(), p.ID(), product.Changes{Name: &name})
	if err != nil {
		t.Fatalf("UpdateProduct(name): %v", err)
	}
	if got.Name() != name || got.PriceCents() != 500 || got.Stock() != 3 || got.SKU() != p.SKU() {
		t.Fatalf("after name patch got {%q %d %d %q}", got.Name(), got.PriceCents(), got.Stock(), got.SKU())
	}
	if !got.CreatedAt().Equal(p.CreatedAt()) || !got.UpdatedAt().Equal(timestamp.Of(h.clock.Now())) {
		t.Fatalf("got created %s updated %s, want %s and %s", stamp(got.CreatedAt()), stamp(got.UpdatedAt()),
			stamp(p.CreatedAt()), stamp(timestamp.Of(h.clock.Now())))
	}
	got, err = h.svc.UpdateProduct(t.Context(), p.ID(), product.Changes{PriceCents: refOf(int64(0)), Stock: refOf(0)})
	if err != nil {
		t.Fatalf("UpdateProduct(price, stock): %v", err)
	}
	if got.PriceCents() != 0 || got.Stock() != 0 || got.Name() != name {
		t.Fatalf("after price/stock patch got {%q %d %d}", got.Name(), got.PriceCents(), got.Stock())
	}
	stored, err := h.svc.GetProduct(t.Context(), p.ID())
	if err != nil {
		t.Fatal(err)
	}
	assertSameProduct(t, stored, got)
}

func testProductPatchInvalid(t *testing.T, h *ordersHarness) {
	p := h.product(500, 3)
	empty, long := "", strings.Repeat("x", product.MaxNameLength+1)
	for _, patch := range []product.Changes{
		{},
		{Name: &empty},
		{Name: &long},
		{PriceCents: refOf(int64(-1))},
		{Stock: refOf(-1)},
		{Name: refOf("fine"), Stock: refOf(-1)}, // all or nothing: the valid name is not saved either
	} {
		_, err := h.svc.UpdateProduct(t.Context(), p.ID(), patch)
		if errs.KindOf(err) != errs.KindInvalid {
			t.Errorf("UpdateProduct(%+v): got %v, want an invalid request", patch, err)
		}
	}
	got, err := h.svc.GetProduct(t.Context(), p.ID())
	if err != nil {
		t.Fatal(err)
	}
	assertSameProduct(t, got, p)
}

func testProductSearch(t *testing.T, h *ordersHarness) {
	mk := func(sku, name string) *product.Product {
		t.Helper()
		p, err := h.svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: sku, Name: name, PriceCents: 1, Stock: 1})
		if err != nil {
			t.Fatalf("CreateProduct(%q): %v", sku, err)
		}
		return p
	}
	tok := h.tok
	pct := mk(tok+"-1", "Widget "+tok+" 100% cotton")
	plain := mk(tok+"-2", "Widget "+tok+" 1000 cotton")
	under := mk(tok+"_x", "Gadget")
	under2 := mk(tok+"ax", "Gadget")
	slash := mk(tok+"-5", `Back\slash `+tok)
	upper := mk(strings.ToUpper(tok)+"-SKU", "Thing")
	quoted := mk(tok+"-q", `O'Brien's "best" `+tok)
	cases := []struct {
		search string
		want   []int64
	}{
		{tok + " 100%", []int64{pct.ID()}},
		{tok + " 100", []int64{pct.ID(), plain.ID()}},
		{tok + "_x", []int64{under.ID()}},
		{tok + "ax", []int64{under2.ID()}},
		{`back\slash ` + strings.ToUpper(tok), []int64{slash.ID()}},
		{"WIDGET " + strings.ToUpper(tok), []int64{pct.ID(), plain.ID()}},
		{strings.ToLower(tok) + "-sku", []int64{upper.ID()}},
		{tok + "%", nil},
		{tok + "-_", nil},
		{`o'brien's "BEST" ` + tok, []int64{quoted.ID()}},
		{`'; DROP TABLE products; -- ` + tok, nil},
		{`" OR "1"="1 ` + tok, nil},
	}
	search := func(term string) []int64 {
		page, err := h.svc.ListProducts(t.Context(), orders.ListProducts{Filter: orders.ProductFilter{Search: term}, Page: paging.Request{Limit: 100}})
		if err != nil {
			t.Fatalf("ListProducts(%q): %v", term, err)
		}
		got := []int64{}
		for _, p := range page.Items {
			got = append(got, p.ID())
		}
		return got
	}
	for _, c := range cases {
		if got := search(c.search); !slices.Equal(got, c.want) {
			t.Errorf("search %q: got ids %v, want %v", c.search, got, c.want)
		}
	}
	n := 0
	testCollationTraps(t, tok, func(name string) int64 {
		n++
		return mk(fmt.Sprintf("%s-trap-%d", tok, n), name).ID()
	}, search)
}

func testProductPagination(t *testing.T, h *ordersHarness) {
	var want []int64
	for range 5 {
		want = append(want, h.product(1, 1).ID())
	}
	var got []int64
	page := paging.Request{Limit: 2}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		p, err := h.svc.ListProducts(t.Context(), orders.ListProducts{Filter: orders.ProductFilter{Search: h.tok}, Page: page})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) > 2 {
			t.Fatalf("got %d items on a page of 2", len(p.Items))
		}
		for _, it := range p.Items {
			got = append(got, it.ID())
		}
		if !p.HasMore {
			break
		}
		if p.Next != p.Items[len(p.Items)-1].ID() {
			t.Fatalf("got next %d, want the last id %d", p.Next, p.Items[len(p.Items)-1].ID())
		}
		page.After = p.Next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got ids %v across pages, want %v (id ascending, each once)", got, want)
	}
	// An exact multiple of the limit: the last full page says there is no more.
	p, err := h.svc.ListProducts(t.Context(), orders.ListProducts{Filter: orders.ProductFilter{Search: h.tok}, Page: paging.Request{Limit: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 5 || p.HasMore {
		t.Fatalf("got %d items, has_more %v, want 5 and false", len(p.Items), p.HasMore)
	}
}

// testStoreRollback checks the TxProvider itself: writes of a unit whose function fails
// are all gone, and a failing unit in the middle of others does not disturb them.
func testStoreRollback(t *testing.T, h *ordersHarness) {
	kept := h.product(100, 10)
	boom := errors.New("boom")
	sku := h.tok + "-rolled-back"
	err := h.store.Transact(t.Context(), func(ctx context.Context, r orders.Repos) error {
		p, err := product.New(sku, "rolled back", 1, 1, h.clock.Now())
		if err != nil {
			return err
		}
		if _, err := r.Products.Create(ctx, p); err != nil {
			return err
		}
		if err := r.Products.TakeStock(ctx, []order.Line{{ProductID: kept.ID(), Qty: 4}}); err != nil {
			return err
		}
		if _, err := r.Products.Update(ctx, kept.ID(), func(p *product.Product) error {
			return p.Update(product.Changes{Name: refOf("renamed in a rolled back unit")}, h.clock.Now())
		}); err != nil {
			return err
		}
		return boom
	})
	assertErrorIs(t, err, boom)
	got, err := h.svc.GetProduct(t.Context(), kept.ID())
	if err != nil {
		t.Fatal(err)
	}
	assertSameProduct(t, got, kept)
	// The SKU of the rolled-back product is free.
	if _, err := h.svc.CreateProduct(t.Context(), orders.CreateProduct{SKU: sku, Name: "now", PriceCents: 1, Stock: 1}); err != nil {
		t.Fatalf("CreateProduct after rollback: %v", err)
	}
	// TakeStock is guarded: never below zero, and an error for a missing product.
	err = h.store.Transact(t.Context(), func(ctx context.Context, r orders.Repos) error {
		return r.Products.TakeStock(ctx, []order.Line{{ProductID: kept.ID(), Qty: 11}})
	})
	assertErrorIs(t, err, order.ErrInsufficientStock)
	err = h.store.Transact(t.Context(), func(ctx context.Context, r orders.Repos) error {
		return r.Products.TakeStock(ctx, []order.Line{{ProductID: 1 << 62, Qty: 1}})
	})
	assertErrorIs(t, err, product.ErrNotFound)
	err = h.store.Transact(t.Context(), func(ctx context.Context, r orders.Repos) error {
		if err := r.Products.TakeStock(ctx, []order.Line{{ProductID: kept.ID(), Qty: 10}}); err != nil {
			return err
		}
		return r.Products.RestoreStock(ctx, []order.Line{{ProductID: kept.ID(), Qty: 3}})
	})
	if err != nil {
		t.Fatalf("take 10, restore 3: %v", err)
	}
	h.assertStock(kept.ID(), 3)
	// No lines change nothing, in a unit that holds the product as well.
	err = h.store.Transact(t.Context(), func(ctx context.Context, r orders.Repos) error {
		if _, err := r.Products.LockForOrder(ctx, []int64{kept.ID()}); err != nil {
			return err
		}
		return r.Products.TakeStock(ctx, nil)
	})
	if err != nil {
		t.Fatalf("take no lines: %v", err)
	}
	h.assertStock(kept.ID(), 3)
	// Several lines change all together or not at all, in a unit and on the plain
	// repositories alike: a short or missing product leaves the others untouched.
	second := h.product(1, 5)
	for _, tc := range []struct {
		lines []order.Line
		want  error
	}{
		{[]order.Line{{ProductID: kept.ID(), Qty: 2}, {ProductID: second.ID(), Qty: 6}}, order.ErrInsufficientStock},
		{[]order.Line{{ProductID: kept.ID(), Qty: 2}, {ProductID: 1 << 62, Qty: 1}}, product.ErrNotFound},
	} {
		err = h.store.Transact(t.Context(), func(ctx context.Context, r orders.Repos) error {
			return r.Products.TakeStock(ctx, tc.lines)
		})
		assertErrorIs(t, err, tc.want)
		assertErrorIs(t, h.store.Repos().Products.TakeStock(t.Context(), tc.lines), tc.want)
		h.assertStock(kept.ID(), 3)
		h.assertStock(second.ID(), 5)
	}
	if err := h.store.Repos().Products.TakeStock(t.Context(), []order.Line{{ProductID: kept.ID(), Qty: 3}, {ProductID: second.ID(), Qty: 5}}); err != nil {
		t.Fatalf("take all of two products: %v", err)
	}
	h.assertStock(kept.ID(), 0)
	h.assertStock(second.ID(), 0)
	if err := h.store.Repos().Products.RestoreStock(t.Context(), []order.Line{{ProductID: kept.ID(), Qty: 3}, {ProductID: second.ID(), Qty: 5}}); err != nil {
		t.Fatalf("restore two products: %v", err)
	}
	h.assertStock(kept.ID(), 3)
	h.assertStock(second.ID(), 5)
	err = h.store.Repos().Products.RestoreStock(t.Context(), []order.Line{{ProductID: kept.ID(), Qty: 1}, {ProductID: second.ID(), Qty: product.MaxStock}})
	assertErrorIs(t, err, product.ErrStockLimit)
	h.assertStock(kept.ID(), 3)
	h.assertStock(second.ID(), 5)
	// LockForOrder returns the existing products in id order and skips unknown ids.
	other := h.product(1, 1)
	err = h.store.Transact(t.Context(), func(ctx context.Context, r orders.Repos) error {
		ps, err := r.Products.LockForOrder(ctx, []int64{kept.ID(), other.ID(), 1 << 62})
		if err != nil {
			return err
		}
		if len(ps) != 2 || ps[0].ID() != kept.ID() || ps[1].ID() != other.ID() {
			t.Errorf("LockForOrder: got %d products, want %d and %d", len(ps), kept.ID(), other.ID())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testProductConcurrentPatches: patches of one product serialize; the last one wins whole.
func testProductConcurrentPatches(t *testing.T, h *ordersHarness) {
	p := h.product(1, 1)
	const n = 40
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := h.svc.UpdateProduct(t.Context(), p.ID(), product.Changes{Name: refOf(fmt.Sprintf("n%d", i)), Stock: refOf(i)})
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("concurrent UpdateProduct: %v", err)
		}
	}
	got, err := h.svc.GetProduct(t.Context(), p.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Name() != fmt.Sprintf("n%d", got.Stock()) {
		t.Fatalf("got name %q with stock %d: two patches interleaved", got.Name(), got.Stock())
	}
}

func refOf[T any](v T) *T { return &v }
