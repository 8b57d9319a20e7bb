package bootstrap

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
)

// LoadMigrateConfig reads only what the migrate command needs: the database, named by
// DATABASE_URL or the DB_* set exactly as the services read them. Unlike LoadConfig it asks
// for no secrets, since migrating serves no requests.
func LoadMigrateConfig(getenv func(string) string) (mysql.DatabaseURL, error) {
	r := reader{getenv: getenv}
	u := r.databaseURL()
	if len(r.problems) == 0 && u == "" {
		r.fail("DATABASE_URL (mysql://user:pass@host:port/db) or DB_HOST and DB_NAME is required")
	}
	if len(r.problems) > 0 {
		return "", fmt.Errorf("configuration: %s", strings.Join(r.problems, "; "))
	}
	return u, nil
}

// MigrateMain is the body of the migrate command: it applies the embedded migrations to the
// configured database (creating it if needed) and returns the exit code: 0 when the schema is
// up to date, 2 for a configuration problem, 1 when migrating failed. It prints where it
// migrated without the password.
func MigrateMain(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	u, err := LoadMigrateConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "migrate: %v\n", err)
		return 2
	}
	target := redactDatabaseURL(u)
	fmt.Fprintf(stdout, "migrate: applying migrations to %s\n", target)
	if err := mysql.Migrate(ctx, u, stdout); err != nil {
		fmt.Fprintf(stderr, "migrate: %s: %v\n", target, err)
		return 1
	}
	fmt.Fprintf(stdout, "migrate: %s is up to date\n", target)
	return 0
}

// redactDatabaseURL keeps host, port and database name, and drops the credentials.
func redactDatabaseURL(u mysql.DatabaseURL) string {
	parsed, err := url.Parse(string(u))
	if err != nil {
		return "(unparsable database url)"
	}
	parsed.User = nil
	parsed.RawQuery = ""
	return parsed.String()
}

// HealthcheckMain is the body of the healthcheck command that the container images use (they
// have no shell, curl or wget): it asks GET /health of the service on this host, at
// http://127.0.0.1:$PORT/health, or at the URL given as its one argument, and returns 0 on a
// 200 answer within two seconds, else 1 (2 for a usage problem).
func HealthcheckMain(ctx context.Context, getenv func(string) string, args []string, stderr io.Writer) int {
	var target string
	switch len(args) {
	case 0:
		port, err := strconv.Atoi(getenv("PORT"))
		if err != nil || port < 1 || port > 65535 {
			fmt.Fprintln(stderr, "healthcheck: PORT must name the service's port (or pass the URL to check)")
			return 2
		}
		target = "http://127.0.0.1:" + strconv.Itoa(port) + "/health"
	case 1:
		target = args[0]
	default:
		fmt.Fprintln(stderr, "usage: healthcheck [URL]")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 2
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 1
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "healthcheck: %s answered %d, want 200\n", target, res.StatusCode)
		return 1
	}
	return 0
}
