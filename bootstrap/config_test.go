package bootstrap_test

import (
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestLoadConfigUnderLambda: under AWS Lambda the orchestrator, which has no database, must
// not fall back to the demo secrets.
func TestLoadConfigUnderLambda(t *testing.T) {
	t.Parallel()
	strong := "0123456789abcdef"
	cases := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"both strong", map[string]string{"JWT_SECRET": strong, "SERVICE_TOKEN": strong}, ""},
		{"none", map[string]string{}, "JWT_SECRET must be set to at least 16 bytes under AWS Lambda"},
		{"weak jwt", map[string]string{"JWT_SECRET": strong[:15], "SERVICE_TOKEN": strong}, "JWT_SECRET must be set"},
		{"no service token", map[string]string{"JWT_SECRET": strong}, "SERVICE_TOKEN must be set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:9001"
			c, err := bootstrap.LoadConfig(bootstrap.Orchestrator, env(tc.env))
			if tc.wantErr == "" {
				if err != nil || !c.Lambda || c.JWTSecret != strong {
					t.Fatalf("got %+v, %v; want the Lambda configuration with the given secrets", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	if c, err := bootstrap.LoadConfig(bootstrap.Orchestrator, env(nil)); err != nil || c.Lambda {
		t.Fatalf("outside Lambda: got Lambda %v, %v; want the demo secrets accepted", c.Lambda, err)
	}
}

func TestLoadConfigDefaultsInMemory(t *testing.T) {
	t.Parallel()
	c, err := bootstrap.LoadConfig(bootstrap.CustomersAPI, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 3001 || c.DatabaseURL != "" || c.JWTSecret != "super-secret-key" || c.ServiceToken != "internal-service-token" ||
		c.AdminUser != "admin" || c.AdminPassword != "admin123" || c.CancelWindow != 10*time.Minute || c.IdempotencyTTL != 24*time.Hour ||
		c.DBConnectTimeout != time.Minute {
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
		"DATABASE_URL":       "mysql://root@127.0.0.1:3306/b2b",
		"JWT_SECRET":         "short",
		"PORT":               "abc",
		"CANCEL_WINDOW":      "ten minutes",
		"DB_CONNECT_TIMEOUT": "-1s",
	}))
	if err == nil {
		t.Fatal("got nil error, want the configuration problems")
	}
	for _, want := range []string{"JWT_SECRET must be at least 16 bytes", "SERVICE_TOKEN is required", "ADMIN_PASSWORD is required", "PORT", "CANCEL_WINDOW", "DB_CONNECT_TIMEOUT"} {
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

func TestLoadMigrateConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "nothing configured", env: nil, wantErr: "DATABASE_URL"},
		{name: "url", env: map[string]string{"DATABASE_URL": "mysql://app:pw@db:3306/backoffice"}, want: "mysql://app:pw@db:3306/backoffice"},
		{name: "bad url", env: map[string]string{"DATABASE_URL": "postgres://db/x"}, wantErr: "DATABASE_URL must look like"},
		{name: "db set", env: map[string]string{"DB_HOST": "db", "DB_USER": "app", "DB_PASSWORD": "pw", "DB_NAME": "backoffice"}, want: "mysql://app:pw@db:3306/backoffice"},
		{name: "host without name", env: map[string]string{"DB_HOST": "db"}, wantErr: "DB_NAME is required"},
		// The migrate command needs no secrets, unlike a service on MySQL.
		{name: "no secrets needed", env: map[string]string{"DB_NAME": "backoffice"}, want: "mysql://root@127.0.0.1:3306/backoffice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := bootstrap.LoadMigrateConfig(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q, nil", got, err, tt.want)
			}
		})
	}
}
