package orders_test

import (
	"context"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/adapters/repotest"
	"github.com/b2b-backoffice/backoffice/application/orders"
)

// okCustomers says yes to every customer: the benchmark measures the orders side only.
type okCustomers struct{}

func (okCustomers) CheckCustomer(context.Context, int64) error { return nil }

// BenchmarkCreateConfirmMemory runs create order + confirm (with a key) through the real
// orders.Service over the memory store with 16 goroutines (repotest.BenchCreateConfirm, the
// 16 clients of tools/loadtest's flow mode, so that the figures compare).
// "shared_product": every flow buys the same product (loadtest -products 1); "own_product":
// each goroutine buys a product of its own (loadtest's default).
//
//	go test -run XXX -bench CreateConfirm ./application/orders/
func BenchmarkCreateConfirmMemory(b *testing.B) {
	for _, shared := range []bool{true, false} {
		name := "own_product"
		if shared {
			name = "shared_product"
		}
		b.Run(name, func(b *testing.B) {
			svc := orders.NewService(memory.NewOrdersStore(), okCustomers{},
				orders.Config{CancelWindow: 10 * time.Minute, IdempotencyTTL: 24 * time.Hour}, time.Now)
			repotest.BenchCreateConfirm(b, svc, 1, shared)
		})
	}
}
