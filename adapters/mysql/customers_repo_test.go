package mysql_test

import (
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/repotest"
	"github.com/b2b-backoffice/backoffice/application/customers"
)

func TestCustomerRepositoryContract(t *testing.T) {
	db := env.DB(t)
	repotest.RunCustomerRepository(t, func(*testing.T) customers.CustomerRepository {
		return mysql.NewCustomerRepository(db)
	})
}
