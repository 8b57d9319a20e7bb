// Package mysql implements the application ports on MySQL 8 (and MariaDB 10.11) through
// database/sql and go-sql-driver/mysql. Every multi-row change runs in one transaction with
// rows locked in a fixed order; deadlocks and lock-wait timeouts retry the whole unit.
package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2b-backoffice/backoffice/adapters/netconn"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// DatabaseURL is a dbmate-style URL: mysql://user:pass@host:port/db.
type DatabaseURL string

// PoolConfig sizes the connection pool and bounds what one statement may cost the server.
type PoolConfig struct {
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	// StatementTimeout bounds, on the server, how long one statement may run or wait for a
	// row lock: every connection of the pool is opened with innodb_lock_wait_timeout set to
	// it (whole seconds, at least 1) and the statement time limit set to it (MariaDB's
	// max_statement_time; MySQL's max_execution_time, which covers SELECTs). The services
	// derive it from REQUEST_TIMEOUT so that a statement ends on the server before the
	// request gives up on it: a canceled request then never leaves a statement running on
	// the server outside the pool's limit. Zero means DefaultStatementTimeout.
	StatementTimeout time.Duration
	// Logger receives the driver's own messages (a dropped connection, a bad packet), which
	// it would otherwise print as plain text on stderr. Nil means slog.Default().
	Logger *slog.Logger
	// OpenDB makes the pool on the driver's connector: tracing wraps the connector there.
	// Nil means sql.OpenDB.
	OpenDB func(driver.Connector) *sql.DB
}

// DefaultStatementTimeout is PoolConfig.StatementTimeout when none is given: a third of the
// services' default REQUEST_TIMEOUT.
const DefaultStatementTimeout = 5 * time.Second

func (p PoolConfig) statementTimeout() time.Duration {
	if p.StatementTimeout > 0 {
		return p.StatementTimeout
	}
	return DefaultStatementTimeout
}

// ErrUnavailable is returned when the database cannot be reached or stays busy.
var ErrUnavailable = errs.New(errs.KindUnavailable, "database_unavailable", "the database is unavailable, try again")

// DSN converts a DatabaseURL into a go-sql-driver DSN with UTC times parsed into time.Time.
// It carries no session settings: Open adds those once it knows the server.
func DSN(u DatabaseURL) (string, error) {
	cfg, err := baseConfig(u)
	if err != nil {
		return "", err
	}
	return cfg.FormatDSN(), nil
}

func baseConfig(u DatabaseURL) (*gomysql.Config, error) {
	parsed, err := url.Parse(string(u))
	if err != nil || parsed.Scheme != "mysql" || parsed.Host == "" {
		return nil, errors.New("database url must look like mysql://user:pass@host:port/db")
	}
	cfg := gomysql.NewConfig()
	cfg.User = parsed.User.Username()
	cfg.Passwd, _ = parsed.User.Password()
	cfg.Net = "tcp"
	cfg.Addr = parsed.Host
	if parsed.Port() == "" {
		cfg.Addr += ":3306"
	}
	cfg.DBName = strings.TrimPrefix(parsed.Path, "/")
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Timeout = 5 * time.Second
	// A connection the server closed while it sat in the pool is found before a statement is
	// written to it, as the driver's own check (checkConnLiveness) would find it when the pool
	// hands it out, but with a raw call where the driver's wakes the Go runtime's monitor
	// thread on every request (see adapters/netconn): the write fails with nothing sent, the
	// driver says driver.ErrBadConn, database/sql takes another connection for a statement on
	// the pool, and Transact runs a unit again.
	cfg.DialFunc = netconn.DialChecked((&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext)
	cfg.CheckConnLiveness = false
	cfg.ReadTimeout = 30 * time.Second
	cfg.WriteTimeout = 30 * time.Second
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	cfg.Collation = "utf8mb4_unicode_ci"
	// Arguments are escaped into the statement by the driver instead of a server-side
	// prepare/execute/close per statement: one round trip per statement instead of three.
	// Safe with utf8mb4, the only character set the connections use.
	cfg.InterpolateParams = true
	// Several statements in one query, so that a unit of work sends together what needs no
	// answer in between (OrderRepository.Create: one round trip instead of three). Every
	// statement is a constant with placeholders whose values the driver escapes: no client
	// text is ever spliced into SQL, so this opens no injection path.
	cfg.MultiStatements = true
	return cfg, nil
}

// sessionParams are the session variables every pooled connection starts with, set by the
// driver in one SET when it connects, so that no transaction pays a round trip for them:
//   - READ COMMITTED, the isolation every unit of work is written for (locking reads and
//     guarded updates; no gap locks). Setting it per transaction through sql.TxOptions
//     would cost a SET TRANSACTION before every BEGIN. MySQL 8 names the variable
//     transaction_isolation, MariaDB 10.x only tx_isolation: Open asks the server first.
//   - innodb_lock_wait_timeout and the statement time limit (see PoolConfig.StatementTimeout).
//
// They join the base configuration's time_zone.
func sessionParams(version string, statementTimeout time.Duration) map[string]string {
	lockWait, limit := statementBounds(statementTimeout)
	params := map[string]string{
		"innodb_lock_wait_timeout": strconv.Itoa(int(lockWait / time.Second)),
	}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		params["tx_isolation"] = "'READ-COMMITTED'"
		params["max_statement_time"] = strconv.FormatFloat(limit.Seconds(), 'f', 3, 64)
	} else {
		params["transaction_isolation"] = "'READ-COMMITTED'"
		params["max_execution_time"] = strconv.FormatInt(limit.Milliseconds(), 10)
	}
	return params
}

// isTiDB reports whether a VERSION() string is TiDB's (8.0.11-TiDB-v8.5.6).
func isTiDB(version string) bool { return strings.Contains(version, "TiDB") }

// statementBounds splits a statement timeout into the row-lock wait (whole seconds, at
// least one: half the timeout, so that a unit that timed out waiting has time for another
// attempt) and the statement time limit, which stays above the lock wait so that a lock
// wait ends as a lock-wait timeout (retried, or idempotency_key_in_progress) and not as an
// interrupted statement.
func statementBounds(timeout time.Duration) (lockWait, limit time.Duration) {
	lockWait = max(time.Second, (timeout / 2).Truncate(time.Second))
	return lockWait, max(timeout, lockWait+time.Second)
}

// Open opens a pool on u and checks that the server answers. It first asks the server for
// its version on one short-lived connection, to name the session variables the pool's
// connections start with (sessionParams).
func Open(ctx context.Context, u DatabaseURL, pool PoolConfig) (*sql.DB, error) {
	cfg, err := baseConfig(u)
	if err != nil {
		return nil, err
	}
	logger := pool.Logger
	if logger == nil {
		logger = slog.Default()
	}
	cfg.Logger = driverLogger{logger}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	version, err := serverVersion(pctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("ping database: %w", err)
	}
	timeout := pool.statementTimeout()
	maps.Copy(cfg.Params, sessionParams(version, timeout))
	// No statement legitimately keeps the server busy past the statement time limit: a
	// read that takes longer means the server stalled, and the driver gives the connection
	// up instead of waiting 30 s (a COMMIT ignores the request's context).
	cfg.ReadTimeout = 2*timeout + time.Second
	cfg.WriteTimeout = cfg.ReadTimeout
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	openDB := pool.OpenDB
	if openDB == nil {
		openDB = sql.OpenDB
	}
	db := openDB(connector)
	if pool.MaxOpenConns > 0 {
		db.SetMaxOpenConns(pool.MaxOpenConns)
	}
	if pool.MaxIdleConns > 0 {
		db.SetMaxIdleConns(pool.MaxIdleConns)
	}
	if pool.ConnMaxLifetime > 0 {
		db.SetConnMaxLifetime(pool.ConnMaxLifetime)
	}
	if err := db.PingContext(pctx); err != nil {
		return nil, errors.Join(fmt.Errorf("ping database: %w", err), db.Close())
	}
	return db, nil
}

// serverVersion asks the server for its version on a connection of its own.
func serverVersion(ctx context.Context, cfg *gomysql.Config) (string, error) {
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		return "", err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	var version string
	err = db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version)
	return version, err
}

// driverLogger sends the driver's own messages (it logs a connection it finds broken, for
// instance) to the service's structured log instead of plain text on stderr.
type driverLogger struct{ l *slog.Logger }

func (d driverLogger) Print(v ...any) {
	d.l.Warn("mysql driver", slog.String("message", strings.TrimSpace(fmt.Sprint(v...))))
}

// queryer is what the pool (pool) and a unit's transaction (*Tx) share; repositories are
// built on it so that the same code runs alone or inside a unit of work.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// MySQL error numbers the adapters handle.
const (
	errDuplicateEntry = 1062
	errBadNull        = 1048 // a NULL for a NOT NULL column
	errLockWait       = 1205
	errDeadlock       = 1213
	errRecordChanged  = 1020 // MariaDB: "Record has changed since last read"
	errCheckViolation = 3819 // MySQL 8: check constraint violated
	errMariaCheck     = 4025 // MariaDB: CONSTRAINT failed
	errMariaTimeout   = 1969 // MariaDB: max_statement_time exceeded
	errMySQLTimeout   = 3024 // MySQL 8: max_execution_time exceeded

	// TiDB's transaction conflicts, each documented as "the application can retry the
	// transaction": the server rolled the transaction back (or never began the statement).
	errTiDBForUpdateCantRetry = 8002 // a SELECT ... FOR UPDATE transaction met a commit conflict
	errTiDBStaleWrite         = 8005 // write conflict, txnStartTS is stale
	errTiDBTxnRetryable       = 8022 // KV error safe to retry
	errTiDBSchemaChanged      = 8028 // a concurrent DDL changed the table during the statement
	errTiDBWriteConflict      = 9007 // optimistic write conflict
	// TiDB reports an exhausted pessimistic-lock retry (many waiters on one hot row or on a
	// GET_LOCK name) as the generic ER_UNKNOWN_ERROR 1105 with this message.
	errUnknown                    = 1105
	tidbPessimisticRetryLimitText = "pessimistic lock retry limit reached"
	// TiDB's unistore (the in-process store make test-tidb runs) reports a lock wait that
	// ran out as 1105 with this exact message, where TiKV and MySQL say 1205.
	tidbLockWaitTimeoutText = "lock wait timeout"
)

func mysqlErrNumber(err error) uint16 {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// isDuplicate reports a unique key violation.
func isDuplicate(err error) bool { return mysqlErrNumber(err) == errDuplicateEntry }

// isRetryable reports an error after which the whole transaction may run again: a deadlock
// or lock-wait timeout (every server), MariaDB's 1020, and TiDB's transaction conflicts.
func isRetryable(err error) bool {
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case errDeadlock, errLockWait, errRecordChanged,
		errTiDBForUpdateCantRetry, errTiDBStaleWrite, errTiDBTxnRetryable, errTiDBSchemaChanged, errTiDBWriteConflict:
		return true
	case errUnknown:
		return strings.Contains(me.Message, tidbPessimisticRetryLimitText) || me.Message == tidbLockWaitTimeoutText
	}
	return false
}

// isStatementTimeout reports a statement the server stopped at its time limit.
func isStatementTimeout(err error) bool {
	n := mysqlErrNumber(err)
	return n == errMariaTimeout || n == errMySQLTimeout
}

// isConnectionError reports that the server could not be reached or dropped the connection.
func isConnectionError(err error) bool {
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, gomysql.ErrInvalidConn) ||
		errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
}

// classify turns infrastructure failures into errors the client can act on: an unreachable
// or persistently busy database is 503, never 500. Classified errors pass through.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var c errs.Coded
	if errors.As(err, &c) {
		return err
	}
	if isConnectionError(err) || isRetryable(err) || isStatementTimeout(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// Retry bounds for Transact.
const (
	maxAttempts  = 5
	retryBackoff = 10 * time.Millisecond
)

// Transact runs fn in one transaction at READ COMMITTED (the session isolation of every
// connection Open makes), committing when fn returns nil and rolling back otherwise (see Tx
// for how its statements travel). A
// deadlock, lock-wait timeout, MariaDB's 1020 or one of TiDB's transaction conflicts
// (isRetryable) retries the whole unit with backoff, up to maxAttempts, and only while the
// context leaves time for an attempt as long as the one that failed: a request never starts
// a lock wait it cannot see to its end. When the retries stop the error is ErrUnavailable.
// A unit whose connection turns out dead before a statement went out on it (driver.ErrBadConn:
// nothing of that statement was sent, and the server rolls back what the unit sent before on
// a connection it closed) runs again at once on another, without counting as an attempt.
// fn must therefore be safe to run again: it must not keep state across attempts.
func Transact(ctx context.Context, db *sql.DB, fn func(ctx context.Context, tx *Tx) error) error {
	return TransactObserved(ctx, db, nil, fn)
}

// RetryObserver is told each time Transact runs a unit again after a deadlock, a lock-wait
// timeout or a 1020 (the metrics count them). It must be quick and safe for concurrent use.
type RetryObserver func()

// TransactObserved is Transact calling onRetry (when not nil) before every retry.
func TransactObserved(ctx context.Context, db *sql.DB, onRetry RetryObserver, fn func(ctx context.Context, tx *Tx) error) error {
	var err error
	deadConns, maxDead := 0, -1
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		began := time.Now()
		err = transactOnce(ctx, db, fn)
		if errors.Is(err, driver.ErrBadConn) {
			// A pooled connection the server had closed, found before a statement was sent on
			// it (see baseConfig): it has left the pool, and the unit takes the next one at once,
			// as database/sql does for a statement. A server that restarted leaves at most
			// every connection open at the first such failure dead; new ones are not.
			if maxDead < 0 {
				maxDead = db.Stats().OpenConnections + 1 // the dead one has already left
			}
			if deadConns < maxDead {
				deadConns++
				attempt--
				continue
			}
		}
		if err == nil || !isRetryable(err) {
			return classify(err)
		}
		backoff := retryBackoff * time.Duration(attempt*attempt)
		if attempt == maxAttempts || !timeFor(ctx, time.Since(began)+backoff) {
			break
		}
		select {
		case <-ctx.Done():
			return classify(errors.Join(err, ctx.Err()))
		case <-time.After(backoff):
		}
		if onRetry != nil {
			onRetry()
		}
	}
	return classify(err)
}

// timeFor reports whether ctx has at least d left (always, without a deadline).
func timeFor(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}

// Ping is the readiness check of a pool.
func Ping(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// likeEscape escapes s for a LIKE pattern with '\' as escape, so that %, _ and \ match
// literally.
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
