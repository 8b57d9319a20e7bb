// Package database holds the MySQL pieces that customers-api, orders-api and the migrate
// command share: the migrated connection pool, its readiness check and the migrate command's
// body. The shared bootstrap package stays free of the driver and dbmate.
package database

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"

	"github.com/google/wire"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

// MySQLSet provides the connection pool, migrated when MIGRATE_ON_START is true.
var MySQLSet = wire.NewSet(ProvideDB)

// ProvideDB waits for the database server (see WaitForServer), migrates (when configured)
// and opens the pool; the cleanup closes it.
func ProvideDB(ctx context.Context, cfg bootstrap.Config, logger *slog.Logger) (*sql.DB, func(), error) {
	u := mysql.DatabaseURL(cfg.DatabaseURL)
	if err := WaitForServer(ctx, u, cfg.DBConnectTimeout, logger); err != nil {
		return nil, nil, err
	}
	if cfg.MigrateOnStart {
		if err := mysql.Migrate(ctx, u, logWriter{logger}); err != nil {
			return nil, nil, err
		}
	}
	pool := mysql.PoolConfig{MaxOpenConns: cfg.Pool.MaxOpenConns, MaxIdleConns: cfg.Pool.MaxIdleConns,
		ConnMaxLifetime: cfg.Pool.ConnMaxLifetime, Logger: logger}
	// A third of REQUEST_TIMEOUT: a statement waiting on a row lock ends on the server (and
	// the unit may retry once) before the request gives up on it.
	pool.StatementTimeout = cfg.RequestTimeout / 3
	db, err := mysql.Open(ctx, u, pool)
	if err != nil {
		return nil, nil, err
	}
	logger.Info("using MySQL", slog.Int("max_open_conns", pool.MaxOpenConns), slog.Duration("statement_timeout", pool.StatementTimeout))
	return db, func() { _ = db.Close() }, nil
}

// ReadyCheck is the readiness check of a service on MySQL: the pool answers a ping.
func ReadyCheck(db *sql.DB) map[string]httpkit.Check {
	return map[string]httpkit.Check{"database": func(ctx context.Context) error { return mysql.Ping(ctx, db) }}
}

// logWriter sends dbmate's progress lines to the structured log.
type logWriter struct{ l *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.Info("migrate", slog.String("output", string(trimNewline(p))))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}

// MigrateMain is the body of the migrate command: it applies the embedded migrations to the
// configured database (creating it if needed) and returns the exit code: 0 when the schema is
// up to date, 2 for a configuration problem, 1 when migrating failed. It prints where it
// migrated without the password.
func MigrateMain(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	u, err := bootstrap.LoadMigrateConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "migrate: %v\n", err)
		return 2
	}
	target := mysql.DatabaseURL(u).Redacted()
	fmt.Fprintf(stdout, "migrate: applying migrations to %s\n", target)
	if err := mysql.Migrate(ctx, mysql.DatabaseURL(u), stdout); err != nil {
		fmt.Fprintf(stderr, "migrate: %s: %v\n", target, err)
		return 1
	}
	fmt.Fprintf(stdout, "migrate: %s is up to date\n", target)
	return 0
}
