//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

// initializeMemory builds customers-api over memory adapters.
func initializeMemory(cfg bootstrap.Config, logger *slog.Logger) (bootstrap.CustomersAPIApp, error) {
	wire.Build(bootstrap.Clock, bootstrap.CustomersMemorySet, bootstrap.CustomersAPISet)
	return bootstrap.CustomersAPIApp{}, nil
}

// initializeMySQL builds customers-api over MySQL; the cleanup closes the pool.
func initializeMySQL(ctx context.Context, cfg bootstrap.Config, logger *slog.Logger) (bootstrap.CustomersAPIApp, func(), error) {
	wire.Build(bootstrap.Clock, bootstrap.MySQLSet, bootstrap.CustomersMySQLSet, bootstrap.CustomersAPISet)
	return bootstrap.CustomersAPIApp{}, nil, nil
}
