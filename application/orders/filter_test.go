package orders_test

import (
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// TestListOrdersRefusesBoundsOutsideDatetime: a from/to bound the database's DATETIME cannot
// compare (MySQL refuses year 0 or year 10000 with an error) is a client mistake on every
// store, not a 500 on MySQL only; the range's own ends are accepted.
func TestListOrdersRefusesBoundsOutsideDatetime(t *testing.T) {
	t.Parallel()
	svc := orders.NewService(memory.NewOrdersStore(), nil, orders.Config{}, time.Now)
	page := paging.Request{Limit: 10}
	for _, tc := range []struct {
		name     string
		from, to time.Time
		ok       bool
	}{
		{"year 0", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, false},
		{"year 999", time.Date(999, 12, 31, 23, 59, 59, 0, time.UTC), time.Time{}, false},
		{"year 10000", time.Time{}, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"to past the last second", time.Time{}, time.Date(10000, 1, 1, 0, 0, 0, 1, time.UTC), false},
		{"to in the last microsecond", time.Time{}, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), true},
		{"from in the last microsecond", time.Date(9999, 12, 31, 23, 59, 59, 999998001, time.UTC), time.Time{}, true},
		{"from past the last microsecond", time.Date(9999, 12, 31, 23, 59, 59, 999999001, time.UTC), time.Time{}, false},
		{"first instant", time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, true},
		{"last microsecond", time.Time{}, time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), true},
		{"no bounds", time.Time{}, time.Time{}, true},
	} {
		_, err := svc.ListOrders(t.Context(), orders.ListOrders{Filter: orders.OrderFilter{From: tc.from, To: tc.to}, Page: page})
		if tc.ok && err != nil {
			t.Errorf("%s: got %v, want a page", tc.name, err)
		}
		if !tc.ok && errs.KindOf(err) != errs.KindInvalid {
			t.Errorf("%s: got %v, want an invalid-request error", tc.name, err)
		}
	}
}
