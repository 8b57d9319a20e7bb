package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/google/wire"

	"github.com/b2b-backoffice/backoffice/adapters/customersclient"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/jwt"
	"github.com/b2b-backoffice/backoffice/application/auth"
)

// CommonSet provides what every service needs: its logger and the token verifier.
var CommonSet = wire.NewSet(
	ProvideTokens,
	wire.Bind(new(auth.TokenVerifier), new(*jwt.Tokens)),
	ProvideServiceToken,
	ProvideServerConfig,
)

// NewLogger returns the JSON logger of a service, tagged with its name.
func NewLogger(service Service, level slog.Level, w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})).With(slog.String("service", string(service)))
}

// ProvideTokens builds the JWT issuer and verifier from the configuration.
func ProvideTokens(cfg Config) (*jwt.Tokens, error) {
	return jwt.NewTokens(jwt.Secret(cfg.JWTSecret), jwt.Issuer(cfg.JWTIssuer), jwt.Lifetime(cfg.JWTLifetime))
}

// ProvideServiceToken returns the token internal routes require.
func ProvideServiceToken(cfg Config) httpkit.ServiceToken {
	return httpkit.ServiceToken(cfg.ServiceToken)
}

// ProvideServerConfig returns the HTTP server settings of a service.
func ProvideServerConfig(cfg Config) httpkit.ServerConfig {
	sc := httpkit.DefaultServerConfig(":" + strconv.Itoa(cfg.Port))
	sc.ShutdownTimeout = cfg.ShutdownTimeout
	sc.DrainDelay = cfg.ShutdownDrainDelay
	sc.RequestTimeout = cfg.RequestTimeout
	return sc
}

// ProvideCustomersClient builds the customers-api client from CUSTOMERS_API_BASE,
// SERVICE_TOKEN and UPSTREAM_TIMEOUT (per attempt), over rt. orders-api checks customers with
// it; the orchestrator looks them up.
func ProvideCustomersClient(cfg Config, rt UpstreamTransport) (*customersclient.Client, error) {
	return customersclient.New(CustomersClientConfig(cfg, rt))
}

// CustomersClientConfig is the customers-api client's configuration from cfg, over rt.
func CustomersClientConfig(cfg Config, rt UpstreamTransport) customersclient.Config {
	return customersclient.Config{BaseURL: cfg.CustomersAPIBase, ServiceToken: cfg.ServiceToken,
		Timeout: cfg.UpstreamTimeout, Transport: rt}
}

// Initialize builds a service's app with its memory injector when cfg names no database,
// else with its MySQL injector. The cleanup is never nil: the MySQL injector's closes the
// pool, the memory one's does nothing.
func Initialize[App any](ctx context.Context, cfg Config, logger *slog.Logger,
	memory func(Config, *slog.Logger) (App, error),
	mysql func(context.Context, Config, *slog.Logger) (App, func(), error),
) (App, func(), error) {
	if cfg.DatabaseURL == "" {
		app, err := memory(cfg, logger)
		return app, func() {}, err
	}
	return mysql(ctx, cfg, logger)
}

// Clock returns the current time in UTC; use cases receive it as a function.
func Clock() func() time.Time { return func() time.Time { return time.Now().UTC() } }

// Garbage collector defaults of the services, unless GOGC or GOMEMLIMIT say otherwise. A
// service's live heap is a few MiB, so the runtime's default (collect when the heap has
// doubled) collects several times a second under load: 5-8% of a request's CPU in the
// profiles. Letting the heap grow to five times the live data, with a soft limit that keeps
// the process well under 40 MiB resident, cut the CPU per read by about a fifth (make
// profile, make bench).
const (
	gcPercent   = 400
	memoryLimit = 24 << 20
)

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// logConfigError writes why the configuration was refused as one line of the services' JSON
// log (its "error" names every variable at fault), the way CloudWatch and docker logs show
// every other line.
func logConfigError(w io.Writer, service Service, err error) {
	attrs := []any{slog.String("error", err.Error())}
	var invalid *ConfigError
	if errors.As(err, &invalid) {
		attrs = append(attrs, slog.Any("problems", invalid.Problems)) // one entry per problem
	}
	NewLogger(service, slog.LevelInfo, w).Error("invalid configuration, not starting", attrs...)
}

// Main is the body of every binary: it loads the configuration, logs its warnings, runs
// start until SIGINT or SIGTERM and returns the exit code. start builds the service (through
// its Wire injector) and serves until ctx ends.
func Main(service Service, start func(ctx context.Context, cfg Config, logger *slog.Logger) error) int {
	return MainWithEnv(service, nil, start)
}

// Environment turns the process environment into the one the configuration is loaded from
// (the orchestrator reads its secrets from AWS Secrets Manager this way: WithSecrets).
type Environment func(ctx context.Context, getenv func(string) string) (func(string) string, error)

// MainWithEnv is Main with the configuration loaded from env(os.Getenv) when env is not nil.
func MainWithEnv(service Service, env Environment, start func(ctx context.Context, cfg Config, logger *slog.Logger) error) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	getenv := os.Getenv
	if env != nil {
		var err error
		if getenv, err = env(ctx, os.Getenv); err != nil {
			logConfigError(os.Stdout, service, err)
			return 2
		}
	}
	return Run(ctx, service, getenv, os.Stdout, start)
}

// Run is Main with its context, environment and output given. Everything it reports goes to
// stdout as the service's JSON log, configuration problems included (exit code 2); an error
// from start is logged as "exit" (exit code 1).
func Run(ctx context.Context, service Service, getenv func(string) string, stdout io.Writer,
	start func(ctx context.Context, cfg Config, logger *slog.Logger) error) int {
	cfg, err := LoadConfig(service, getenv)
	if err != nil {
		logConfigError(stdout, service, err)
		return 2
	}
	tuneGC(getenv)
	out := stdout
	if !cfg.Lambda {
		buffered := newBufferedOutput(stdout)
		defer buffered.Close()
		out = buffered
	}
	logger := NewLogger(service, cfg.LogLevel, out)
	for _, w := range cfg.Warnings {
		logger.Warn(w)
	}
	if cfg.DatabaseURL == "" && service != Orchestrator {
		logger.Warn("no database configured: using in-memory adapters, data is not kept across restarts")
	}
	if err := withPprof(ctx, cfg, logger, start); err != nil {
		logger.Error("exit", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

// Listen opens the service's port. The binaries call it before anything else starts, so
// that a port in use ends start-up at once, before it waits for or migrates the database.
func Listen(cfg Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return nil, fmt.Errorf("port %d is not free (PORT): %w", cfg.Port, err)
	}
	return ln, nil
}
