package bootstrap_test

import (
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaultsInMemory(t *testing.T) {
	t.Parallel()
	c, err := bootstrap.LoadConfig(bootstrap.CustomersAPI, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 3001 || c.DatabaseURL != "" || c.JWTSecret != "super-secret-key" || c.ServiceToken != "internal-service-token" ||
		c.AdminUser != "admin" || c.AdminPassword != "admin123" || c.CancelWindow != 10*time.Minute || c.IdempotencyTTL != 24*time.Hour {
		t.Fatalf("got %+v, want the seed's defaults", c)
	}
	if len(c.Warnings) == 0 || !strings.Contains(c.Warnings[0], "JWT_SECRET") {
		t.Fatalf("got warnings %q, want one naming the demo secrets", c.Warnings)
	}
	if o, _ := bootstrap.LoadConfig(bootstrap.OrdersAPI, env(nil)); o.Port != 3002 {
		t.Fatalf("orders-api port: got %d, want 3002", o.Port)
	}
}

func TestLoadConfigDBSet(t *testing.T) {
	t.Parallel()
	c, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, env(map[string]string{
		"DB_HOST": "mysql", "DB_PORT": "3306", "DB_USER": "app", "DB_PASSWORD": "p@ss", "DB_NAME": "b2b",
		"JWT_SECRET": "0123456789abcdef", "SERVICE_TOKEN": "0123456789abcdef",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if want := "mysql://app:p%40ss@mysql:3306/b2b"; string(c.DatabaseURL) != want {
		t.Fatalf("got %s, want %s", c.DatabaseURL, want)
	}
}

func TestLoadConfigReportsEveryProblemTogether(t *testing.T) {
	t.Parallel()
	_, err := bootstrap.LoadConfig(bootstrap.CustomersAPI, env(map[string]string{
		"DATABASE_URL":  "mysql://root@127.0.0.1:3306/b2b",
		"JWT_SECRET":    "short",
		"PORT":          "abc",
		"CANCEL_WINDOW": "ten minutes",
	}))
	if err == nil {
		t.Fatal("got nil error, want the configuration problems")
	}
	for _, want := range []string{"JWT_SECRET must be at least 16 bytes", "SERVICE_TOKEN is required", "ADMIN_PASSWORD is required", "PORT", "CANCEL_WINDOW"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "short") {
		t.Errorf("error %q echoes the secret's value", err)
	}
}

func TestLoadConfigRejectsBadDatabaseURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"postgres://x@y/z", "mysql://host-only", "::"} {
		if _, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, env(map[string]string{"DATABASE_URL": u})); err == nil {
			t.Errorf("DATABASE_URL %q: got nil error, want one", u)
		}
	}
}

// TestLoadConfigOrderHold: ORDER_HOLD_TTL defaults to 30m and 0 turns expiry off;
// ORDER_SWEEP_INTERVAL defaults to 30s; negative holds and non-positive intervals are refused.
func TestLoadConfigOrderHold(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		env       map[string]string
		hold      time.Duration
		sweep     time.Duration
		wantError string
	}{
		{"defaults", nil, 30 * time.Minute, 30 * time.Second, ""},
		{"set", map[string]string{"ORDER_HOLD_TTL": "2h", "ORDER_SWEEP_INTERVAL": "5s"}, 2 * time.Hour, 5 * time.Second, ""},
		{"off", map[string]string{"ORDER_HOLD_TTL": "0"}, 0, 30 * time.Second, ""},
		{"negative hold", map[string]string{"ORDER_HOLD_TTL": "-1m"}, 0, 0, "ORDER_HOLD_TTL"},
		{"bad hold", map[string]string{"ORDER_HOLD_TTL": "soon"}, 0, 0, "ORDER_HOLD_TTL"},
		{"zero interval", map[string]string{"ORDER_SWEEP_INTERVAL": "0s"}, 0, 0, "ORDER_SWEEP_INTERVAL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, env(c.env))
			if c.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantError) {
					t.Fatalf("got error %v, want one naming %s", err, c.wantError)
				}
				return
			}
			if err != nil || got.OrderHoldTTL != c.hold || got.OrderSweepInterval != c.sweep {
				t.Fatalf("got hold %v sweep %v (%v), want %v %v", got.OrderHoldTTL, got.OrderSweepInterval, err, c.hold, c.sweep)
			}
			if cfg := bootstrap.ProvideOrdersConfig(got, nil); cfg.HoldTTL != c.hold {
				t.Fatalf("the use cases got hold %v, want %v", cfg.HoldTTL, c.hold)
			}
		})
	}
}

func TestLoadConfigPprofAddr(t *testing.T) {
	t.Parallel()
	c, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, env(nil))
	if err != nil || c.PprofAddr != "" {
		t.Fatalf("default: got %q, %v; want no pprof listener", c.PprofAddr, err)
	}
	c, err = bootstrap.LoadConfig(bootstrap.OrdersAPI, env(map[string]string{"PPROF_ADDR": "127.0.0.1:6062"}))
	if err != nil || c.PprofAddr != "127.0.0.1:6062" {
		t.Fatalf("got %q, %v; want 127.0.0.1:6062", c.PprofAddr, err)
	}
	if _, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, env(map[string]string{"PPROF_ADDR": "6062"})); err == nil || !strings.Contains(err.Error(), "PPROF_ADDR") {
		t.Fatalf("PPROF_ADDR=6062: got %v, want an error naming PPROF_ADDR", err)
	}
}

// TestShutdownDrainDelay: SHUTDOWN_DRAIN_DELAY defaults to 5s, 0 turns the drain off, a
// negative value is refused; the server configuration carries it.
func TestShutdownDrainDelay(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]time.Duration{"": 5 * time.Second, "0": 0, "0s": 0, "2s": 2 * time.Second} {
		c, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, env(map[string]string{"SHUTDOWN_DRAIN_DELAY": v}))
		if err != nil || c.ShutdownDrainDelay != want || bootstrap.ProvideServerConfig(c).DrainDelay != want {
			t.Errorf("SHUTDOWN_DRAIN_DELAY=%q: got %v (%v), want %v", v, c.ShutdownDrainDelay, err, want)
		}
	}
	if _, err := bootstrap.LoadConfig(bootstrap.OrdersAPI, env(map[string]string{"SHUTDOWN_DRAIN_DELAY": "-1s"})); err == nil ||
		!strings.Contains(err.Error(), "SHUTDOWN_DRAIN_DELAY") {
		t.Errorf("SHUTDOWN_DRAIN_DELAY=-1s: got %v, want an error naming it", err)
	}
}
