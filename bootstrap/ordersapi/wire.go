//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/b2b-backoffice/backoffice/bootstrap"
	"github.com/b2b-backoffice/backoffice/bootstrap/database"
)

// initializeMemory builds orders-api over memory adapters.
func initializeMemory(cfg bootstrap.Config, logger *slog.Logger) (OrdersAPIApp, error) {
	wire.Build(bootstrap.Clock, OrdersMemorySet, OrdersAPISet)
	return OrdersAPIApp{}, nil
}

// initializeMySQL builds orders-api over MySQL; the cleanup closes the pool.
func initializeMySQL(ctx context.Context, cfg bootstrap.Config, logger *slog.Logger) (OrdersAPIApp, func(), error) {
	wire.Build(bootstrap.Clock, database.MySQLSet, OrdersMySQLSet, OrdersAPISet)
	return OrdersAPIApp{}, nil, nil
}
