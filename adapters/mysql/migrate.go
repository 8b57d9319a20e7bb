package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/amacneil/dbmate/v2/pkg/dbmate"
	_ "github.com/amacneil/dbmate/v2/pkg/driver/mysql" // registers dbmate's mysql driver

	"github.com/b2b-backoffice/backoffice/db"
)

// migrateLock names the MySQL user lock that serializes migrations, so that two processes
// starting at once do not both apply the same files.
const migrateLock = "backoffice.migrate"

// migrateLockWait bounds how long Migrate waits for another process's migrations.
const migrateLockWait = 120 * time.Second

// Migrate creates the database if needed and applies the embedded migrations through the
// dbmate library, holding a named lock for the whole run. The schema dump is off: schema.sql
// is maintained in the repository and checked by a test. On TiDB it first makes sure CHECK
// constraints are kept (requireTiDBChecks).
func Migrate(ctx context.Context, u DatabaseURL, log io.Writer) error {
	parsed, err := url.Parse(string(u))
	if err != nil {
		return fmt.Errorf("migrate: parse database url: %w", err)
	}
	server := *parsed
	server.Path = "/"
	lockDB, err := Open(ctx, DatabaseURL(server.String()), PoolConfig{MaxOpenConns: 1})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer lockDB.Close()
	conn, err := lockDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if err := takeLock(ctx, conn, migrateLock, migrateLockWait); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", migrateLock) }()
	if err := requireTiDBChecks(ctx, conn); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	m := dbmate.New(parsed)
	m.FS = db.Migrations
	m.MigrationsDir = []string{db.MigrationsDir}
	m.AutoDumpSchema = false
	m.Log = log
	m.WaitBefore = true
	m.WaitTimeout = 30 * time.Second
	if err := m.CreateAndMigrate(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// takeLock takes the user lock name on conn, waiting up to wait for another holder. TiDB
// implements GET_LOCK as a pessimistic transaction on an internal table: with several
// waiters, a waiter may be told "pessimistic lock retry limit reached" (or a deadlock)
// instead of waiting on, so a retryable error means "not yet" and the wait goes on with
// whatever time is left.
func takeLock(ctx context.Context, conn *sql.Conn, name string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		seconds := max(1, int(time.Until(deadline).Round(time.Second)/time.Second))
		var got sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, seconds).Scan(&got)
		if err == nil {
			if got.Valid && got.Int64 == 1 {
				return nil
			}
			return fmt.Errorf("another process held the migration lock for %s", wait)
		}
		if !isRetryable(err) || time.Until(deadline) <= 0 {
			return fmt.Errorf("take lock: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("take lock: %w", errors.Join(err, ctx.Err()))
		case <-time.After(retryBackoff):
		}
	}
}

// requireTiDBChecks makes sure a TiDB server keeps the migrations' CHECK constraints: TiDB
// parses and silently drops them (and enforces none) unless the global
// tidb_enable_check_constraint is ON. It turns it on when it is off, which takes
// SYSTEM_VARIABLES_ADMIN (or SUPER); without it the migrations do not run, since a table
// created without its checks would stay without them. Other servers are left alone.
func requireTiDBChecks(ctx context.Context, conn *sql.Conn) error {
	var version string
	if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return fmt.Errorf("server version: %w", err)
	}
	if !isTiDB(version) {
		return nil
	}
	var on bool
	if err := conn.QueryRowContext(ctx, "SELECT @@GLOBAL.tidb_enable_check_constraint").Scan(&on); err != nil {
		return fmt.Errorf("read tidb_enable_check_constraint: %w", err)
	}
	if on {
		return nil
	}
	if _, err := conn.ExecContext(ctx, "SET GLOBAL tidb_enable_check_constraint = ON"); err != nil {
		return fmt.Errorf("TiDB drops CHECK constraints while tidb_enable_check_constraint is OFF, and turning it on failed "+
			"(run SET GLOBAL tidb_enable_check_constraint = ON as an administrator): %w", err)
	}
	return nil
}
