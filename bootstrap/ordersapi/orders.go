package main

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/wire"

	"github.com/b2b-backoffice/backoffice/adapters/customersclient"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/http/ordersapi"
	"github.com/b2b-backoffice/backoffice/adapters/memory"
	"github.com/b2b-backoffice/backoffice/adapters/metrics"
	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/tracing"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/bootstrap"
	"github.com/b2b-backoffice/backoffice/bootstrap/database"
	"github.com/b2b-backoffice/backoffice/bootstrap/telemetry"
)

// OrdersAPISet builds orders-api above its store: the orders use cases with the customers-api
// client as their customer checker and the HTTP router, with CommonSet (the JWT verifier).
// Pair it with OrdersMemorySet or OrdersMySQLSet (each brings the store, the customers-api
// client that suits it, the readiness checks and the metrics) and a clock.
var OrdersAPISet = wire.NewSet(
	bootstrap.CommonSet,
	telemetry.Set,
	ProvideOrdersConfig,
	orders.NewService,
	wire.Struct(new(ordersapi.Deps), "*"),
	ProvideOrdersHandler,
	ProvideExpiries,
	wire.Struct(new(OrdersAPIApp), "*"),
)

// OrdersMemorySet keeps products, orders and idempotency keys in process memory (no
// database configured); /ready checks customers-api only.
var OrdersMemorySet = wire.NewSet(
	memory.NewOrdersStore,
	bootstrap.ProvideCustomersClient,
	wire.Bind(new(orders.CustomerChecker), new(*customersclient.Client)),
	wire.Bind(new(orders.Store), new(*memory.OrdersStore)),
	ProvideOrdersMemoryReadyChecks,
	ProvideOrdersMetrics,
	wire.Bind(new(httpkit.Metrics), new(*metrics.Metrics)),
)

// OrdersMySQLSet keeps them in MySQL; /ready pings the pool and checks customers-api, and
// the metrics include the pool's gauges and the transaction retries.
var OrdersMySQLSet = wire.NewSet(
	telemetry.ProvideOpenDB,
	ProvideOrdersMySQLStore,
	ProvideOrdersMySQLCustomersClient,
	wire.Bind(new(orders.CustomerChecker), new(*customersclient.Client)),
	wire.Bind(new(orders.Store), new(*mysql.OrdersStore)),
	ProvideOrdersMySQLReadyChecks,
	ProvideOrdersMySQLMetrics,
	wire.Bind(new(httpkit.Metrics), new(*metrics.Metrics)),
)

// OrdersAPIApp is what the orders-api binary runs: the handler on Server.Addr, and the use
// cases for the background purge of expired idempotency keys and sweep of expired orders,
// with the counters the sweep adds to.
type OrdersAPIApp struct {
	Handler  http.Handler
	Server   httpkit.ServerConfig
	Orders   *orders.Service
	Expiries *metrics.Expiries
	Tracing  *tracing.Tracing // nil: off; Close it when the service stops
}

// ProvideOrdersHandler is orders-api's router, traced by tr.
func ProvideOrdersHandler(d ordersapi.Deps, tr *tracing.Tracing) http.Handler {
	return tr.Handler(ordersapi.NewRouter(d))
}

// ProvideExpiries registers the reservation sweep's counters in orders-api's metrics.
func ProvideExpiries(m *metrics.Metrics) *metrics.Expiries { return m.Expiries() }

// ProvideOrdersConfig passes CANCEL_WINDOW, IDEMPOTENCY_TTL and ORDER_HOLD_TTL to the use
// cases.
func ProvideOrdersConfig(cfg bootstrap.Config) orders.Config {
	return orders.Config{CancelWindow: cfg.CancelWindow, IdempotencyTTL: cfg.IdempotencyTTL, HoldTTL: cfg.OrderHoldTTL}
}

// ProvideOrdersMetrics returns orders-api's own registry, served at GET /metrics.
func ProvideOrdersMetrics() *metrics.Metrics { return metrics.New(string(bootstrap.OrdersAPI)) }

// ProvideOrdersMySQLMetrics is ProvideOrdersMetrics with the pool's gauges.
func ProvideOrdersMySQLMetrics(db *sql.DB) *metrics.Metrics {
	m := ProvideOrdersMetrics()
	m.WatchDB(db, string(bootstrap.OrdersAPI))
	return m
}

// ProvideOrdersMySQLStore returns the store on db, counting its transaction retries
// (deadlocks, lock-wait timeouts) in m.
func ProvideOrdersMySQLStore(db *sql.DB, m *metrics.Metrics) *mysql.OrdersStore {
	return mysql.NewOrdersStore(db).ObserveRetries(func() { m.Count(metrics.EventTransactionRetry) })
}

// ProvideOrdersMySQLCustomersClient is the customers-api client of orders-api on MySQL:
// a lookup that arrives while a lookup of the same customer is in flight takes that call's
// answer when it found the customer (customersclient.Config.ShareFound), which saves
// customers-api, its database and orders-api a call for most orders under load. That
// answer can be older than the order by one call's time; it is safe here because the
// MySQL store's order INSERT reads the customer again, under a lock, in the order's own
// transaction, and refuses a deleted or unknown one (customer_not_found): a deletion that
// committed before the order arrived is still seen. The memory store cannot check, so
// orders-api in memory keeps the strict lookups (bootstrap.ProvideCustomersClient).
func ProvideOrdersMySQLCustomersClient(cfg bootstrap.Config, rt bootstrap.UpstreamTransport) (*customersclient.Client, error) {
	c := bootstrap.CustomersClientConfig(cfg, rt)
	c.ShareFound = true
	return customersclient.New(c)
}

// dependencyChecks returns checks as readiness dependencies (reported by /ready?verbose,
// never failing /ready) and exports each as backoffice_dependency_up in m.
func dependencyChecks(m *metrics.Metrics, checks map[string]httpkit.Check) map[string]httpkit.Check {
	for name, check := range checks {
		m.WatchDependency(name, check)
	}
	return checks
}

// ProvideOrdersMemoryReadyChecks reports customers-api as a dependency (in /ready?verbose
// and the backoffice_dependency_up gauge of m): orders cannot be created without it, but
// every other route still works, so it does not fail /ready.
func ProvideOrdersMemoryReadyChecks(cc *customersclient.Client, m *metrics.Metrics) ordersapi.ReadyChecks {
	return ordersapi.ReadyChecks{Dependencies: dependencyChecks(m, map[string]httpkit.Check{customersclient.Service: cc.Health})}
}

// ProvideOrdersMySQLReadyChecks makes /ready ping the database, with customers-api as a
// dependency.
func ProvideOrdersMySQLReadyChecks(db *sql.DB, cc *customersclient.Client, m *metrics.Metrics) ordersapi.ReadyChecks {
	checks := ProvideOrdersMemoryReadyChecks(cc, m)
	checks.Own = database.ReadyCheck(db)
	return checks
}

// KeyPurgeInterval is how often orders-api deletes expired idempotency keys. Reserve
// already treats an expired key as absent, so the purge only bounds the table's size.
const KeyPurgeInterval = 10 * time.Minute

// PurgeExpiredKeys deletes expired idempotency keys now and then every interval, until ctx
// ends. Failures are logged and retried at the next tick: the purge is housekeeping.
func PurgeExpiredKeys(ctx context.Context, svc *orders.Service, logger *slog.Logger, interval time.Duration) {
	bootstrap.Every(ctx, interval, func() {
		n, err := svc.PurgeExpiredKeys(ctx)
		bootstrap.LogRun(ctx, logger, "purge expired idempotency keys", "purged expired idempotency keys", n, err)
	})
}

// ExpireOrders expires the orders whose hold has passed (restoring their stock) now and
// then every interval (ORDER_SWEEP_INTERVAL), until ctx ends. Reads already show such orders
// expired; the sweep stores it and gives the stock back. Each sweep adds what it did to
// expiries (served at /metrics) and logs one line with its counts, a warning when some order
// failed (it is tried again at the next tick). Sweeps of several replicas split the due
// orders between them (orders.Service.ExpireOrders claims them with SKIP LOCKED).
func ExpireOrders(ctx context.Context, svc *orders.Service, expiries *metrics.Expiries, logger *slog.Logger, interval time.Duration) {
	bootstrap.Every(ctx, interval, func() {
		n, err := svc.ExpireOrders(ctx)
		expiries.Add(n.Orders, n.Units)
		counts := []any{slog.Int("orders", n.Orders), slog.Int("units", n.Units)}
		switch {
		case err == nil:
			logger.Info("reservation sweep", counts...)
		case ctx.Err() == nil:
			logger.Warn("reservation sweep", append(counts, slog.String("error", err.Error()))...)
		}
	})
}
