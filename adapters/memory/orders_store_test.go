package memory_test

import (
	"sync/atomic"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/adapters/repotest"
	"github.com/b2b-backoffice/backoffice/application/orders"
)

// newOrdersStore gives every test a store of its own; the suites also hold on a shared one
// (see TestOrdersSuitesSharedStore).
func newOrdersStore(t *testing.T) orders.Store { return memory.NewOrdersStore() }

var lastCustomerID atomic.Int64

// newCustomerID: in memory any positive id names a customer (the checker is a fake).
func newCustomerID(t *testing.T) int64 { return lastCustomerID.Add(1) }

func TestProductsSuite(t *testing.T) {
	t.Parallel()
	repotest.RunProducts(t, newOrdersStore)
}

func TestOrdersSuite(t *testing.T) {
	t.Parallel()
	repotest.RunOrders(t, newOrdersStore, newCustomerID)
}

func TestReservationsSuite(t *testing.T) {
	t.Parallel()
	repotest.RunReservations(t, newOrdersStore, newCustomerID)
}

func TestIdempotencySuite(t *testing.T) {
	t.Parallel()
	repotest.RunIdempotency(t, newOrdersStore, newCustomerID)
}

// TestOrdersSuitesSharedStore runs every suite on one store, as the MySQL run does on one
// database: the tests must not depend on having the store to themselves.
func TestOrdersSuitesSharedStore(t *testing.T) {
	t.Parallel()
	shared := memory.NewOrdersStore()
	one := func(t *testing.T) orders.Store { return shared }
	repotest.RunProducts(t, one)
	repotest.RunOrders(t, one, newCustomerID)
	repotest.RunIdempotency(t, one, newCustomerID)
	repotest.RunReservations(t, one, newCustomerID)
}
