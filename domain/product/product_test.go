package product_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/product"
	"github.com/b2b-backoffice/backoffice/domain/timestamp"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.FixedZone("X", 3600))

func TestNew(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		sku, pname string
		price      int64
		stock      int
		valid      bool
	}{
		{"minimal", "A", "B", 0, 0, true},
		{"longest", strings.Repeat("s", 100), strings.Repeat("\u00e9", 255), 1 << 62, product.MaxStock, true},
		{"empty sku", "", "B", 1, 1, false},
		{"blank sku", "  ", "B", 1, 1, false},
		{"sku too long", strings.Repeat("s", 101), "B", 1, 1, false},
		{"empty name", "A", "", 1, 1, false},
		{"blank name", "A", "\t\n", 1, 1, false},
		{"name too long", "A", strings.Repeat("n", 256), 1, 1, false},
		{"invalid utf-8", "A", "\xff", 1, 1, false},
		{"NUL sku", "\u0000", "B", 1, 1, false},
		{"NUL inside sku", "A\u0000B", "B", 1, 1, false},
		{"invisible name", "A", "\uFEFF", 1, 1, false},
		{"zero-width name", "A", "\u200B\u200D", 1, 1, false},
		{"C1 control in name", "A", "B\u0085", 1, 1, false},
		{"line separator in sku", "A\u2028B", "B", 1, 1, false},
		{"negative price", "A", "B", -1, 1, false},
		{"negative stock", "A", "B", 1, -1, false},
		{"stock beyond INT", "A", "B", 1, product.MaxStock + 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p, err := product.New(c.sku, c.pname, c.price, c.stock, now)
			if !c.valid {
				if errs.KindOf(err) != errs.KindInvalid {
					t.Fatalf("got %v, want an invalid request", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if p.ID() != 0 || p.SKU() != c.sku || p.Name() != c.pname || p.PriceCents() != c.price || p.Stock() != c.stock {
				t.Fatalf("got {%d %q %q %d %d}", p.ID(), p.SKU(), p.Name(), p.PriceCents(), p.Stock())
			}
			want := time.Date(2026, 11, 27, 9, 0, 0, 123456000, time.UTC)
			if !p.CreatedAt().Equal(want) || p.CreatedAt().Location() != time.UTC || !p.UpdatedAt().Equal(want) {
				t.Fatalf("got created %v updated %v, want %v in UTC at microseconds", p.CreatedAt(), p.UpdatedAt(), want)
			}
		})
	}
}

// TestNewTrimsTheNameLikeACustomer: the name loses its surrounding spaces, the way a
// customer's does, and its length counts what is kept; the SKU is kept byte for byte.
func TestNewTrimsTheNameLikeACustomer(t *testing.T) {
	t.Parallel()
	p, err := product.New(" SKU-1 ", "\u00a0Widget  ", 1, 1, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.SKU() != " SKU-1 " || p.Name() != "Widget" {
		t.Fatalf("got sku %q name %q, want \" SKU-1 \" and Widget", p.SKU(), p.Name())
	}
	if _, err := product.New("A", " "+strings.Repeat("n", 255)+" ", 1, 1, now); err != nil {
		t.Fatalf("255-character name with spaces around: got %v, want it accepted", err)
	}
}

func ref[T any](v T) *T { return &v }

func TestApply(t *testing.T) {
	t.Parallel()
	later := now.Add(time.Hour)
	cases := []struct {
		name  string
		patch product.Changes
		want  [3]any // name, price, stock after
		valid bool
	}{
		{"name", product.Changes{Name: ref("N")}, [3]any{"N", int64(500), 3}, true},
		{"price to zero", product.Changes{PriceCents: ref(int64(0))}, [3]any{"Old", int64(0), 3}, true},
		{"stock", product.Changes{Stock: ref(9)}, [3]any{"Old", int64(500), 9}, true},
		{"all", product.Changes{Name: ref("N"), PriceCents: ref(int64(1)), Stock: ref(0)}, [3]any{"N", int64(1), 0}, true},
		{"empty", product.Changes{}, [3]any{"Old", int64(500), 3}, false},
		{"blank name", product.Changes{Name: ref(" ")}, [3]any{"Old", int64(500), 3}, false},
		{"invisible name", product.Changes{Name: ref("\uFEFF")}, [3]any{"Old", int64(500), 3}, false},
		{"NUL in name", product.Changes{Name: ref("N\u0000")}, [3]any{"Old", int64(500), 3}, false},
		{"name trimmed", product.Changes{Name: ref("  N\u00a0")}, [3]any{"N", int64(500), 3}, true},
		{"negative price", product.Changes{PriceCents: ref(int64(-5))}, [3]any{"Old", int64(500), 3}, false},
		{"valid name, bad stock: nothing applied", product.Changes{Name: ref("N"), Stock: ref(-1)}, [3]any{"Old", int64(500), 3}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := product.Rehydrate(product.Snapshot{ID: 7, SKU: "SKU-1", Name: "Old", PriceCents: 500, Stock: 3, CreatedAt: now, UpdatedAt: now})
			err := p.Update(c.patch, later)
			if c.valid != (err == nil) {
				t.Fatalf("got error %v, want valid=%v", err, c.valid)
			}
			if !c.valid && errs.KindOf(err) != errs.KindInvalid {
				t.Fatalf("got kind %v, want invalid", errs.KindOf(err))
			}
			got := [3]any{p.Name(), p.PriceCents(), p.Stock()}
			if got != c.want {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			if p.SKU() != "SKU-1" || p.ID() != 7 {
				t.Fatalf("sku or id changed: %q %d", p.SKU(), p.ID())
			}
			wantUpdated := now
			if c.valid {
				wantUpdated = timestamp.Of(later)
			}
			if !p.UpdatedAt().Equal(wantUpdated) || !p.CreatedAt().Equal(now) {
				t.Fatalf("got updated %v, want %v", p.UpdatedAt(), wantUpdated)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  *errs.Error
		kind errs.Kind
		code string
	}{
		{product.ErrNotFound, errs.KindNotFound, "product_not_found"},
		{product.ErrSKUTaken, errs.KindConflict, "sku_taken"},
	} {
		if c.err.Kind() != c.kind || c.err.Code() != c.code {
			t.Errorf("got %v %s, want %v %s", c.err.Kind(), c.err.Code(), c.kind, c.code)
		}
	}
}

func TestTakeAndRestoreKeepTheStockInRange(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := product.Rehydrate(product.Snapshot{ID: 1, SKU: "S", Name: "N", Stock: 5, CreatedAt: at, UpdatedAt: at})
	if err := p.Take(6); !errors.Is(err, product.ErrNotEnoughStock) || p.Stock() != 5 {
		t.Fatalf("Take(6) of 5: got %v, stock %d; want ErrNotEnoughStock, stock 5", err, p.Stock())
	}
	if err := p.Take(5); err != nil || p.Stock() != 0 {
		t.Fatalf("Take(5) of 5: got %v, stock %d; want nil, stock 0", err, p.Stock())
	}
	if err := p.Restore(2); err != nil || p.Stock() != 2 {
		t.Fatalf("Restore(2): got %v, stock %d; want nil, stock 2", err, p.Stock())
	}
	if err := p.Restore(product.MaxStock - 1); !errors.Is(err, product.ErrStockLimit) || p.Stock() != 2 {
		t.Fatalf("Restore past MaxStock: got %v, stock %d; want ErrStockLimit, stock 2", err, p.Stock())
	}
	for _, bad := range []func(int) error{p.Take, p.Restore} {
		if err := bad(0); errs.KindOf(err) != errs.KindInvalid || p.Stock() != 2 {
			t.Fatalf("qty 0: got %v, stock %d; want KindInvalid, stock 2", err, p.Stock())
		}
	}
	if !p.UpdatedAt().Equal(at) {
		t.Fatalf("updated_at moved to %v; stock moves with orders, not catalogue edits", p.UpdatedAt())
	}
}
