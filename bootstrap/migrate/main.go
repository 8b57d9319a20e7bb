// Command migrate applies the embedded database migrations to the database named by
// DATABASE_URL or DB_HOST/DB_PORT/DB_USER/DB_PASSWORD/DB_NAME, then exits. The services also
// migrate at start-up (MIGRATE_ON_START, default true); this command is for deployments that
// migrate once, before the services start (the compose file's one-shot migrate service).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/b2b-backoffice/backoffice/bootstrap/database"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := database.MigrateMain(ctx, os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
