// Command customersapi serves customers-api (port 3001 by default): customers and the login
// that issues the JWTs every service accepts. With DATABASE_URL (or DB_*) it runs on MySQL,
// migrating first unless MIGRATE_ON_START=false; without, on in-memory adapters.
package main

import (
	"context"
	"log/slog"
	"os"
	"sync"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func main() { os.Exit(bootstrap.Main(bootstrap.CustomersAPI, start)) }

// start builds the service on the store the configuration names, purges old login failures
// in the background (on MySQL) and serves until ctx ends; then it shuts down gracefully,
// waits for the purge to stop and closes the pool.
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
	if app.LoginPurge != nil {
		jobsCtx, stopJobs := context.WithCancel(ctx)
		var jobs sync.WaitGroup
		jobs.Go(func() { PurgeLoginFailures(jobsCtx, app.LoginPurge, logger, LoginPurgeInterval) })
		defer func() { stopJobs(); jobs.Wait() }()
	}
	return httpkit.ServeListener(ctx, logger, app.Server, ln, app.Handler)
}
