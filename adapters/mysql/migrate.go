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

// Migrate creates the database if needed and applies the embedded migrations through the
// dbmate library, holding a named lock for the whole run. The schema dump is off: schema.sql
// is maintained in the repository and checked by a test.
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
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 120)", migrateLock).Scan(&got); err != nil {
		return fmt.Errorf("migrate: take lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return errors.New("migrate: another process held the migration lock for 120s")
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", migrateLock) }()

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
