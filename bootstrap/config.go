// Package bootstrap is what the binaries under bootstrap/ share: the configuration (the only
// code reading the environment), the body of a service's main and the providers more than one
// binary needs. It imports no database driver, dbmate, bcrypt or Prometheus: those belong to
// the binaries that use them (bootstrap/database holds the MySQL pieces two of them share).
package bootstrap

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The seed's example secrets, used only when nothing is configured and no database is used.
const (
	demoJWTSecret     = "super-secret-key"
	demoServiceToken  = "internal-service-token"
	demoAdminUser     = "admin"
	demoAdminPassword = "admin123"
	minSecretBytes    = 16
)

// Config is every setting of the three services, read once at start-up.
type Config struct {
	Port             int
	DatabaseURL      string // mysql://user:pass@host:port/db; empty: in-memory adapters
	Pool             Pool
	MigrateOnStart   bool
	DBConnectTimeout time.Duration // how long start-up retries an unreachable database; 0: once
	JWTSecret        string
	JWTIssuer        string
	JWTLifetime      time.Duration
	ServiceToken     string
	AdminUser        string
	AdminPassword    string
	CustomersAPIBase string
	OrdersAPIBase    string
	UpstreamTimeout  time.Duration
	CancelWindow     time.Duration
	IdempotencyTTL   time.Duration
	ShutdownTimeout  time.Duration
	// ShutdownDrainDelay is how long a stopping service keeps serving with /ready at 503
	// before it stops accepting connections (SHUTDOWN_DRAIN_DELAY; 0 disables).
	ShutdownDrainDelay time.Duration
	RequestTimeout     time.Duration
	LogLevel           slog.Level
	PprofAddr          string // host:port of the opt-in net/http/pprof listener; empty: none
	// Lambda is true under AWS Lambda (the runtime sets AWS_LAMBDA_RUNTIME_API): the
	// orchestrator then serves API Gateway events, and the demo secrets are refused.
	Lambda   bool
	Warnings []string // non-fatal findings to log at start-up

	// OrderHoldTTL is how long a new order holds its stock while CREATED (ORDER_HOLD_TTL);
	// 0: orders never expire.
	OrderHoldTTL time.Duration
	// OrderSweepInterval is how often orders-api expires the orders whose hold has passed
	// (ORDER_SWEEP_INTERVAL).
	OrderSweepInterval time.Duration
}

// Pool sizes the MySQL connection pool (DB_MAX_OPEN_CONNS, DB_MAX_IDLE_CONNS,
// DB_CONN_MAX_LIFETIME).
type Pool struct {
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
}

// Service names a binary, for defaults that differ between them.
type Service string

// The services.
const (
	CustomersAPI Service = "customers-api"
	OrdersAPI    Service = "orders-api"
	Orchestrator Service = "orchestrator"
)

var defaultPorts = map[Service]int{CustomersAPI: 3001, OrdersAPI: 3002, Orchestrator: 3003}

// LoadConfig reads the configuration of service from getenv and reports every problem at
// once. With no database configured the seed's demo secrets fill the gaps (with a warning);
// with a database, a missing or weak JWT_SECRET or SERVICE_TOKEN is an error.
func LoadConfig(service Service, getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		Port:               r.int("PORT", defaultPorts[service]),
		JWTSecret:          getenv("JWT_SECRET"),
		JWTIssuer:          r.str("JWT_ISSUER", "customers-api"),
		JWTLifetime:        r.duration("JWT_TTL", time.Hour),
		ServiceToken:       getenv("SERVICE_TOKEN"),
		AdminUser:          getenv("ADMIN_USER"),
		AdminPassword:      getenv("ADMIN_PASSWORD"),
		CustomersAPIBase:   strings.TrimRight(r.str("CUSTOMERS_API_BASE", "http://127.0.0.1:3001"), "/"),
		OrdersAPIBase:      strings.TrimRight(r.str("ORDERS_API_BASE", "http://127.0.0.1:3002"), "/"),
		UpstreamTimeout:    r.duration("UPSTREAM_TIMEOUT", 5*time.Second),
		CancelWindow:       r.duration("CANCEL_WINDOW", 10*time.Minute),
		IdempotencyTTL:     r.duration("IDEMPOTENCY_TTL", 24*time.Hour),
		ShutdownTimeout:    r.duration("SHUTDOWN_TIMEOUT", 20*time.Second),
		RequestTimeout:     r.duration("REQUEST_TIMEOUT", 15*time.Second),
		ShutdownDrainDelay: r.duration("SHUTDOWN_DRAIN_DELAY", 5*time.Second),
		MigrateOnStart:     r.bool("MIGRATE_ON_START", true),
		DBConnectTimeout:   r.duration("DB_CONNECT_TIMEOUT", time.Minute),
		PprofAddr:          getenv("PPROF_ADDR"),
		Lambda:             getenv("AWS_LAMBDA_RUNTIME_API") != "",
		Pool: Pool{
			MaxOpenConns:    r.int("DB_MAX_OPEN_CONNS", 32),
			MaxIdleConns:    r.int("DB_MAX_IDLE_CONNS", 32),
			ConnMaxLifetime: r.duration("DB_CONN_MAX_LIFETIME", 5*time.Minute),
		},

		OrderHoldTTL:       r.duration("ORDER_HOLD_TTL", 30*time.Minute),
		OrderSweepInterval: r.duration("ORDER_SWEEP_INTERVAL", 30*time.Second),
	}
	c.DatabaseURL = r.databaseURL()
	c.LogLevel = r.level("LOG_LEVEL")
	if c.Port < 1 || c.Port > 65535 {
		r.fail("PORT must be between 1 and 65535")
	}
	if _, _, err := net.SplitHostPort(c.PprofAddr); c.PprofAddr != "" && err != nil {
		r.fail("PPROF_ADDR must be host:port, such as 127.0.0.1:6062")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"CANCEL_WINDOW", c.CancelWindow}, {"IDEMPOTENCY_TTL", c.IdempotencyTTL}, {"UPSTREAM_TIMEOUT", c.UpstreamTimeout}, {"JWT_TTL", c.JWTLifetime}, {"REQUEST_TIMEOUT", c.RequestTimeout}, {"ORDER_SWEEP_INTERVAL", c.OrderSweepInterval}} {
		if d.v <= 0 {
			r.fail(d.name + " must be a positive duration such as 10m")
		}
	}
	if c.OrderHoldTTL < 0 {
		r.fail("ORDER_HOLD_TTL must be a duration such as 30m, or 0 to turn expiry off")
	}
	if c.DBConnectTimeout < 0 {
		r.fail("DB_CONNECT_TIMEOUT must be 0 (one attempt) or a positive duration such as 60s")
	}
	if c.ShutdownDrainDelay < 0 {
		r.fail("SHUTDOWN_DRAIN_DELAY must be 0 (no drain) or a positive duration such as 5s")
	}
	for _, base := range []struct{ name, v string }{{"CUSTOMERS_API_BASE", c.CustomersAPIBase}, {"ORDERS_API_BASE", c.OrdersAPIBase}} {
		if u, err := url.Parse(base.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r.fail(base.name + " must be an http(s) URL")
		}
	}
	c.secrets(service, &r)
	if len(r.problems) > 0 {
		return Config{}, &ConfigError{Problems: r.problems}
	}
	c.Warnings = r.warnings
	return c, nil
}

// secrets fills demo values in memory mode and insists on strong ones with a database or
// under AWS Lambda. The orchestrator never has a database, so without the Lambda rule a
// deployed function would run on the seed's demo secrets.
func (c *Config) secrets(service Service, r *reader) {
	if c.Lambda {
		for _, s := range []struct{ name, v string }{{"JWT_SECRET", c.JWTSecret}, {"SERVICE_TOKEN", c.ServiceToken}} {
			if len(s.v) < minSecretBytes {
				r.fail(fmt.Sprintf("%s must be set to at least %d bytes under AWS Lambda", s.name, minSecretBytes))
			}
		}
	}
	demo := []struct {
		name   string
		v      *string
		demo   string
		secret bool
	}{
		{"JWT_SECRET", &c.JWTSecret, demoJWTSecret, true},
		{"SERVICE_TOKEN", &c.ServiceToken, demoServiceToken, true},
		{"ADMIN_USER", &c.AdminUser, demoAdminUser, false},
		{"ADMIN_PASSWORD", &c.AdminPassword, demoAdminPassword, false},
	}
	var defaulted []string
	if service != CustomersAPI {
		demo = demo[:2] // only customers-api logs anyone in
	}
	for _, d := range demo {
		switch {
		case *d.v == "" && c.DatabaseURL == "":
			*d.v = d.demo
			defaulted = append(defaulted, d.name)
		case *d.v == "":
			r.fail(d.name + " is required when a database is configured")
		case d.secret && len(*d.v) < minSecretBytes && c.DatabaseURL != "":
			r.fail(fmt.Sprintf("%s must be at least %d bytes when a database is configured", d.name, minSecretBytes))
		}
	}
	if len(defaulted) > 0 {
		r.warn("using the seed's example values for " + strings.Join(defaulted, ", ") + ": fine for a demo, never for production")
	}
}

// LoadMigrateConfig reads only what the migrate command needs: the database, named by
// DATABASE_URL or the DB_* set exactly as the services read them. Unlike LoadConfig it asks
// for no secrets, since migrating serves no requests.
func LoadMigrateConfig(getenv func(string) string) (string, error) {
	r := reader{getenv: getenv}
	u := r.databaseURL()
	if len(r.problems) == 0 && u == "" {
		r.fail("DATABASE_URL (mysql://user:pass@host:port/db) or DB_HOST and DB_NAME is required")
	}
	if len(r.problems) > 0 {
		return "", &ConfigError{Problems: r.problems}
	}
	return u, nil
}

// ConfigError lists every problem LoadConfig (or LoadMigrateConfig) found.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string { return "configuration: " + strings.Join(e.Problems, "; ") }

type reader struct {
	getenv   func(string) string
	problems []string
	warnings []string
}

func (r *reader) fail(msg string) { r.problems = append(r.problems, msg) }
func (r *reader) warn(msg string) { r.warnings = append(r.warnings, msg) }

func (r *reader) str(name, def string) string {
	if v := r.getenv(name); v != "" {
		return v
	}
	return def
}

func (r *reader) int(name string, def int) int {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name + " must be an integer")
	}
	return n
}

func (r *reader) bool(name string, def bool) bool {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name + " must be true or false")
	}
	return b
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name + " must be a duration such as 10m or 24h")
	}
	return d
}

func (r *reader) level(name string) slog.Level {
	var l slog.Level
	if v := r.getenv(name); v != "" {
		if err := l.UnmarshalText([]byte(v)); err != nil {
			r.fail(name + " must be debug, info, warn or error")
		}
	}
	return l
}

// databaseURL reads DATABASE_URL, else builds one from the DB_* set. DB_HOST alone (or
// DB_NAME alone) is enough to mean "use MySQL"; the others default to the seed's values.
func (r *reader) databaseURL() string {
	if v := r.getenv("DATABASE_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "mysql" || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			r.fail("DATABASE_URL must look like mysql://user:pass@host:port/db")
			return ""
		}
		return v
	}
	host, name := r.getenv("DB_HOST"), r.getenv("DB_NAME")
	if host == "" && name == "" {
		return ""
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if name == "" {
		r.fail("DB_NAME is required with DB_HOST")
		return ""
	}
	port := r.int("DB_PORT", 3306)
	u := url.URL{Scheme: "mysql", Host: host + ":" + strconv.Itoa(port), Path: "/" + name}
	user := r.str("DB_USER", "root")
	if pw := r.getenv("DB_PASSWORD"); pw != "" {
		u.User = url.UserPassword(user, pw)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}
