//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/b2b-backoffice/backoffice/bootstrap"
	"github.com/b2b-backoffice/backoffice/bootstrap/database"
)

// initializeMemory builds customers-api over memory adapters.
func initializeMemory(cfg bootstrap.Config, logger *slog.Logger) (CustomersAPIApp, error) {
	wire.Build(bootstrap.Clock, CustomersMemorySet, CustomersAPISet)
	return CustomersAPIApp{}, nil
}

// initializeMySQL builds customers-api over MySQL; the cleanup closes the pool.
func initializeMySQL(ctx context.Context, cfg bootstrap.Config, logger *slog.Logger) (CustomersAPIApp, func(), error) {
	wire.Build(bootstrap.Clock, database.MySQLSet, CustomersMySQLSet, CustomersAPISet)
	return CustomersAPIApp{}, nil, nil
}
