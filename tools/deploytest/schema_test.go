package deploytest_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/bootstrap/database"
	"github.com/b2b-backoffice/backoffice/db"
)

// openMulti opens u with multi-statement support, the way the mysql client runs a file.
func openMulti(t *testing.T, u mysql.DatabaseURL) *sql.DB {
	t.Helper()
	dsn, err := mysql.DSN(u)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MultiStatements = true
	conn, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func execFile(t *testing.T, conn *sql.DB, name string) {
	t.Helper()
	if _, err := conn.ExecContext(context.Background(), string(readRepoFile(t, name))); err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
}

var autoIncrement = regexp.MustCompile(` AUTO_INCREMENT=\d+`)

// tableDefinitions returns SHOW CREATE TABLE of every table of the database, without the
// AUTO_INCREMENT counter (data, not structure).
func tableDefinitions(t *testing.T, conn *sql.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range names {
		var name, create string
		if err := conn.QueryRowContext(ctx, "SHOW CREATE TABLE `"+n+"`").Scan(&name, &create); err != nil {
			t.Fatal(err)
		}
		out[n] = autoIncrement.ReplaceAllString(create, "")
	}
	return out
}

func versions(t *testing.T, conn *sql.DB) []string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestSchemaMatchesMigrations keeps db/schema.sql honest: a database built by the migrations
// and one built by loading db/schema.sql must have the same tables, the same SHOW CREATE
// TABLE for each, and the same migration versions recorded, so migrating the latter applies
// nothing.
func TestSchemaMatchesMigrations(t *testing.T) {
	t.Parallel()
	migrated := openMulti(t, env.NewDatabase(t, true))
	loadedURL := env.NewDatabase(t, false)
	loaded := openMulti(t, loadedURL)
	execFile(t, loaded, "db/schema.sql")

	want, got := tableDefinitions(t, migrated), tableDefinitions(t, loaded)
	wantNames, gotNames := slices.Sorted(maps.Keys(want)), slices.Sorted(maps.Keys(got))
	if !slices.Equal(gotNames, wantNames) {
		t.Errorf("db/schema.sql: got tables %q, want the migrations' %q", gotNames, wantNames)
	}
	for _, name := range wantNames {
		if g, ok := got[name]; ok && g != want[name] {
			t.Errorf("db/schema.sql: table %s differs from the migrations'.\ngot (schema.sql):\n%s\nwant (migrations):\n%s", name, g, want[name])
		}
	}

	files, err := fs.Glob(db.Migrations, db.MigrationsDir+"/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var fileVersions []string
	for _, f := range files {
		v, _, _ := strings.Cut(strings.TrimPrefix(f, db.MigrationsDir+"/"), "_")
		fileVersions = append(fileVersions, v)
	}
	if got := versions(t, migrated); !slices.Equal(got, fileVersions) {
		t.Errorf("migrated database: got versions %q, want the migration files' %q", got, fileVersions)
	}
	if got := versions(t, loaded); !slices.Equal(got, fileVersions) {
		t.Errorf("db/schema.sql: got schema_migrations %q, want the migration files' %q", got, fileVersions)
	}

	var log bytes.Buffer
	if err := mysql.Migrate(context.Background(), loadedURL, &log); err != nil {
		t.Fatalf("migrate a database loaded from db/schema.sql: %v", err)
	}
	if strings.Contains(log.String(), "Applying") {
		t.Errorf("migrating a database loaded from db/schema.sql applied migrations, want none:\n%s", log.String())
	}
}

// TestSeedLoads loads db/seed.sql twice into a migrated database, and checks the rows the
// contract's orchestrator example relies on; the second load puts changed rows back.
func TestSeedLoads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := openMulti(t, env.NewDatabase(t, true))
	execFile(t, conn, "db/seed.sql")

	check := func(when string) {
		t.Helper()
		var name, email string
		var deleted sql.NullTime
		if err := conn.QueryRowContext(ctx, "SELECT name, email, deleted_at FROM customers WHERE id = 1").Scan(&name, &email, &deleted); err != nil {
			t.Fatalf("%s: customer 1: %v", when, err)
		}
		if name != "ACME" || email != "ops@acme.com" || deleted.Valid {
			t.Errorf("%s: got customer 1 %q %q deleted=%v, want ACME ops@acme.com, not deleted", when, name, email, deleted.Valid)
		}
		var price, stock int64
		if err := conn.QueryRowContext(ctx, "SELECT price_cents, stock FROM products WHERE id = 2").Scan(&price, &stock); err != nil {
			t.Fatalf("%s: product 2: %v", when, err)
		}
		if price != 129900 || stock != 100 {
			t.Errorf("%s: got product 2 at %d cents with stock %d, want 129900 and 100", when, price, stock)
		}
		var other int64
		if err := conn.QueryRowContext(ctx, "SELECT price_cents FROM products WHERE id = 1").Scan(&other); err != nil {
			t.Fatalf("%s: product 1: %v", when, err)
		}
		if other == 129900 {
			t.Errorf("%s: got product 1 at 129900 cents too, want a different product", when)
		}
	}
	check("first load")

	// A demo run changes things; loading the seed again puts rows 1 and 2 back.
	for _, q := range []string{
		"UPDATE products SET stock = 97 WHERE id = 2",
		"UPDATE customers SET deleted_at = UTC_TIMESTAMP(6), name = 'Gone' WHERE id = 1",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	execFile(t, conn, "db/seed.sql")
	check("second load")

	// New rows the API creates get ids after the seed's.
	res, err := conn.ExecContext(ctx, "INSERT INTO products (sku, name, price_cents, stock, created_at, updated_at) VALUES (?, 'x', 1, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))", "T-"+mysqltest.Unique())
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := res.LastInsertId(); id <= 3 {
		t.Errorf("got a new product id %d, want one after the seed's ids", id)
	}
}

// TestMigrateCommand runs the migrate command's body against a database that does not exist
// yet: it must create and migrate it, and a second run must apply nothing.
func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	server, err := url.Parse(string(env.URL(t)))
	if err != nil {
		t.Fatal(err)
	}
	name := "migrate_cmd_" + mysqltest.Unique()
	server.Path = "/" + name
	target := server.String()
	root := openMulti(t, env.URL(t))
	t.Cleanup(func() { _, _ = root.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name) })

	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return target
		}
		return ""
	}
	for run, wantApplying := range []bool{true, false} {
		var stdout, stderr bytes.Buffer
		if code := database.MigrateMain(context.Background(), getenv, &stdout, &stderr); code != 0 {
			t.Fatalf("run %d: got exit code %d, want 0\nstdout: %s\nstderr: %s", run+1, code, stdout.String(), stderr.String())
		}
		if got := strings.Contains(stdout.String(), "Applying"); got != wantApplying {
			t.Errorf("run %d: applied migrations = %v, want %v\n%s", run+1, got, wantApplying, stdout.String())
		}
	}
	var n int
	q := fmt.Sprintf("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '%s' AND table_name IN ('customers','products','orders','order_items','idempotency_keys')", name)
	if err := root.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("got %d of the 5 tables in the migrated database, want all", n)
	}
}
