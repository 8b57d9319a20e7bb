//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

// initializeMemory builds orders-api over memory adapters.
func initializeMemory(cfg bootstrap.Config, logger *slog.Logger) (bootstrap.OrdersAPIApp, error) {
	wire.Build(bootstrap.Clock, bootstrap.OrdersMemorySet, bootstrap.OrdersAPISet)
	return bootstrap.OrdersAPIApp{}, nil
}

// initializeMySQL builds orders-api over MySQL; the cleanup closes the pool.
func initializeMySQL(ctx context.Context, cfg bootstrap.Config, logger *slog.Logger) (bootstrap.OrdersAPIApp, func(), error) {
	wire.Build(bootstrap.Clock, bootstrap.MySQLSet, bootstrap.OrdersMySQLSet, bootstrap.OrdersAPISet)
	return bootstrap.OrdersAPIApp{}, nil, nil
}
