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
