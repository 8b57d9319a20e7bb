package memory_test

import (
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/adapters/repotest"
	"github.com/b2b-backoffice/backoffice/application/customers"
)

func TestCustomerRepositoryContract(t *testing.T) {
	t.Parallel()
	repotest.RunCustomerRepository(t, func(*testing.T) customers.CustomerRepository {
		return memory.NewCustomerRepository()
	})
}
