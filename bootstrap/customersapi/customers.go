package main

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/google/wire"

	"github.com/b2b-backoffice/backoffice/adapters/bcrypt"
	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/jwt"
	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/adapters/metrics"
	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/tracing"
	"github.com/b2b-backoffice/backoffice/application/auth"
	"github.com/b2b-backoffice/backoffice/application/customers"
	"github.com/b2b-backoffice/backoffice/bootstrap"
	"github.com/b2b-backoffice/backoffice/bootstrap/database"
	"github.com/b2b-backoffice/backoffice/bootstrap/telemetry"
)

// CustomersAPISet builds customers-api above its customer store: the customer and login use
// cases, the password checker and the HTTP router, with CommonSet (the JWT service both
// issues and verifies here). Pair it with CustomersMemorySet or CustomersMySQLSet (each
// brings the store, the failed-login limiter, the readiness checks and the metrics) and a
// clock.
var CustomersAPISet = wire.NewSet(
	bootstrap.CommonSet,
	telemetry.Set,
	customers.NewService,
	auth.NewService,
	ProvidePasswordChecker,
	wire.Bind(new(auth.PasswordChecker), new(*bcrypt.PasswordChecker)),
	ProvideLoginCheckLimit,
	wire.Bind(new(auth.TokenIssuer), new(*jwt.Tokens)),
	wire.Struct(new(customersapi.Deps), "*"),
	ProvideCustomersHandler,
	wire.Struct(new(CustomersAPIApp), "*"),
)

// CustomersMemorySet keeps customers and the login failures in process memory (no database
// configured): one process only.
var CustomersMemorySet = wire.NewSet(
	memory.NewCustomerRepository,
	wire.Bind(new(customers.CustomerRepository), new(*memory.CustomerRepository)),
	ProvideAttemptLimiter,
	wire.Bind(new(auth.AttemptLimiter), new(*memory.AttemptLimiter)),
	ProvideNoLoginPurge,
	ProvideMemoryReadyChecks,
	ProvideCustomersMetrics,
	wire.Bind(new(httpkit.Metrics), new(*metrics.Metrics)),
)

// CustomersMySQLSet keeps customers and the login failures in MySQL, where every replica
// sees the same; /ready pings the pool, and the metrics include the pool's gauges and the
// transaction retries.
var CustomersMySQLSet = wire.NewSet(
	telemetry.ProvideOpenDB,
	ProvideCustomerMySQLRepository,
	wire.Bind(new(customers.CustomerRepository), new(*mysql.CustomerRepository)),
	ProvideMySQLAttemptLimiter,
	wire.Bind(new(auth.AttemptLimiter), new(*mysql.AttemptLimiter)),
	ProvideLoginPurge,
	ProvideMySQLReadyChecks,
	ProvideCustomersMySQLMetrics,
	wire.Bind(new(httpkit.Metrics), new(*metrics.Metrics)),
)

// ProvideCustomersMetrics returns customers-api's own registry, served at GET /metrics.
func ProvideCustomersMetrics() *metrics.Metrics { return metrics.New(string(bootstrap.CustomersAPI)) }

// ProvideCustomersMySQLMetrics is ProvideCustomersMetrics with the pool's gauges.
func ProvideCustomersMySQLMetrics(db *sql.DB) *metrics.Metrics {
	m := ProvideCustomersMetrics()
	m.WatchDB(db, string(bootstrap.CustomersAPI))
	return m
}

// ProvideCustomerMySQLRepository returns the repository on db, counting its transaction
// retries (deadlocks, lock-wait timeouts) in m.
func ProvideCustomerMySQLRepository(db *sql.DB, m *metrics.Metrics) *mysql.CustomerRepository {
	return mysql.NewCustomerRepository(db).ObserveRetries(func() { m.Count(metrics.EventTransactionRetry) })
}

// CustomersAPIApp is what the customers-api binary serves, and the purge of old login
// failures it runs in the background (nil in memory, where the limiter bounds itself).
type CustomersAPIApp struct {
	Handler    http.Handler
	Server     httpkit.ServerConfig
	LoginPurge LoginPurger
	Tracing    *tracing.Tracing // nil: off; Close it when the service stops
}

// ProvideCustomersHandler is customers-api's router, traced by tr.
func ProvideCustomersHandler(d customersapi.Deps, tr *tracing.Tracing) http.Handler {
	return tr.Handler(customersapi.NewRouter(d))
}

// LoginPurger deletes the login failures that have all left the limiter's window at now and
// returns how many records it deleted.
type LoginPurger interface {
	Purge(ctx context.Context, now time.Time) (int64, error)
}

// LoginPurgeInterval is how often customers-api purges old login failures. The limiter
// already ignores failures out of the window, so the purge only bounds the table's size.
const LoginPurgeInterval = time.Minute

// PurgeLoginFailures purges old login failures now and then every interval, until ctx
// ends. Replicas purging at once delete disjoint rows (see mysql.AttemptLimiter.Purge).
func PurgeLoginFailures(ctx context.Context, p LoginPurger, logger *slog.Logger, interval time.Duration) {
	bootstrap.Every(ctx, interval, func() {
		n, err := p.Purge(ctx, time.Now().UTC())
		bootstrap.LogRun(ctx, logger, "purge login failures", "purged login failures", n, err)
	})
}

// ProvideNoLoginPurge is the memory mode's: nothing to purge.
func ProvideNoLoginPurge() LoginPurger { return nil }

// ProvideLoginPurge purges the MySQL limiter's table.
func ProvideLoginPurge(l *mysql.AttemptLimiter) LoginPurger { return l }

// ProvidePasswordChecker hashes ADMIN_PASSWORD with bcrypt at start-up; only the hash is kept.
func ProvidePasswordChecker(cfg bootstrap.Config) (*bcrypt.PasswordChecker, error) {
	return bcrypt.NewPasswordChecker(cfg.AdminUser, cfg.AdminPassword, bcrypt.DefaultCost)
}

// ProvideAttemptLimiter returns the contract's limiter (auth.DefaultAttemptPolicy: 5
// failures per (username, address) and 20 per address within a minute) in process memory,
// for the memory mode: with several processes each would count on its own.
func ProvideAttemptLimiter() *memory.AttemptLimiter {
	return memory.NewAttemptLimiter(auth.DefaultAttemptPolicy(), 0)
}

// ProvideMySQLAttemptLimiter returns the contract's limiter in the login_failures table,
// shared by every replica on the database, counting its transaction retries in m.
func ProvideMySQLAttemptLimiter(db *sql.DB, m *metrics.Metrics) (*mysql.AttemptLimiter, error) {
	l, err := mysql.NewAttemptLimiter(db, auth.DefaultAttemptPolicy())
	if err != nil {
		return nil, err
	}
	return l.ObserveRetries(func() { m.Count(metrics.EventTransactionRetry) }), nil
}

// ProvideLoginCheckLimit lets as many bcrypt checks run at once as Go runs threads
// (GOMAXPROCS, one per core by default): a login flood can then take the cores' share the
// scheduler gives those goroutines, never every core, and a login that finds every slot
// taken for 250 ms is answered 429 with Retry-After: 1 instead of queueing.
func ProvideLoginCheckLimit() auth.CheckLimit {
	return auth.CheckLimit{Concurrent: runtime.GOMAXPROCS(0), Wait: 250 * time.Millisecond}
}

// ProvideMemoryReadyChecks has nothing to check: memory is always reachable.
func ProvideMemoryReadyChecks() customersapi.ReadyChecks { return customersapi.ReadyChecks{} }

// ProvideMySQLReadyChecks makes /ready ping the database.
func ProvideMySQLReadyChecks(db *sql.DB) customersapi.ReadyChecks {
	return customersapi.ReadyChecks{Own: database.ReadyCheck(db)}
}
