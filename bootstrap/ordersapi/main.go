// Command ordersapi serves orders-api (port 3002 by default): products, orders, idempotent
// confirmation and cancellation. With DATABASE_URL (or DB_*) it runs on MySQL, migrating
// first unless MIGRATE_ON_START=false; without, on in-memory adapters. Customers are checked
// against customers-api at CUSTOMERS_API_BASE with SERVICE_TOKEN.
package main

import (
	"context"
	"log/slog"
	"os"
	"sync"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func main() { os.Exit(bootstrap.Main(bootstrap.OrdersAPI, start)) }

// start builds the service on the store the configuration names, purges expired
// idempotency keys and expires orders past their hold in the background and serves until
// ctx ends; then it shuts down gracefully, waits for both jobs to stop and closes the pool.
func start(ctx context.Context, cfg bootstrap.Config, logger *slog.Logger) error {
	ln, err := bootstrap.Listen(cfg) // a port in use ends start-up before the database is touched
	if err != nil {
		return err
	}
	defer ln.Close() // on an early return; serving closes it too
	app, cleanup, err := bootstrap.Initialize(ctx, cfg, logger, initializeMemory, initializeMySQL)
	if err != nil {
		return err
	}
	defer cleanup()
	jobsCtx, stopJobs := context.WithCancel(ctx)
	var jobs sync.WaitGroup
	jobs.Go(func() { PurgeExpiredKeys(jobsCtx, app.Orders, logger, KeyPurgeInterval) })
	jobs.Go(func() { ExpireOrders(jobsCtx, app.Orders, app.Expiries, logger, cfg.OrderSweepInterval) })
	defer func() { stopJobs(); jobs.Wait() }()
	return httpkit.ServeListener(ctx, logger, app.Server, ln, app.Handler)
}
