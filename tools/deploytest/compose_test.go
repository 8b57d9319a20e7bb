package deploytest_test

import (
	"bufio"
	"bytes"
	"context"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

// appServices maps each compose service that runs one of our binaries to its
// configuration name and port.
var appServices = map[string]struct {
	service bootstrap.Service
	port    int
}{
	"customers-api": {bootstrap.CustomersAPI, 3001},
	"orders-api":    {bootstrap.OrdersAPI, 3002},
	"orchestrator":  {bootstrap.Orchestrator, 3003},
}

// requiredSecrets are the variables docker-compose.yml has no default for: with one unset or
// empty, compose refuses to start instead of running on a value everyone knows.
var requiredSecrets = []string{"MYSQL_ROOT_PASSWORD", "DB_PASSWORD", "JWT_SECRET", "SERVICE_TOKEN", "ADMIN_PASSWORD"}

// filledEnv is .env.example with its empty values filled in, as the user is told to.
func filledEnv(t *testing.T) map[string]string {
	t.Helper()
	env := parseEnvFile(t, readRepoFile(t, ".env.example"))
	for k, v := range env {
		if v == "" {
			env[k] = "filled-in-" + strings.ToLower(k) + "-0123456789"
		}
	}
	return env
}

// composeEnvironments are the environments the compose file is checked under: .env.example
// filled in (what `cp .env.example .env` and editing it gives) and only the required secrets
// (the file's own defaults for the rest).
func composeEnvironments(t *testing.T) map[string]map[string]string {
	t.Helper()
	filled := filledEnv(t)
	onlySecrets := map[string]string{}
	for _, k := range requiredSecrets {
		onlySecrets[k] = filled[k]
	}
	return map[string]map[string]string{".env.example filled in": filled, "only the secrets": onlySecrets}
}

// TestComposeRequiresTheSecrets checks that compose refuses to start, naming the variable and
// .env.example, when any secret is missing or empty, and that .env.example gives none of them
// a value (a value there would be a demo secret everyone knows).
func TestComposeRequiresTheSecrets(t *testing.T) {
	t.Parallel()
	example := parseEnvFile(t, readRepoFile(t, ".env.example"))
	for _, k := range requiredSecrets {
		if v, ok := example[k]; !ok || v != "" {
			t.Errorf(".env.example: got %s=%q, want it listed and empty (the user fills it in)", k, v)
		}
		for _, missing := range []string{"unset", "empty"} {
			env := filledEnv(t)
			if missing == "unset" {
				delete(env, k)
			} else {
				env[k] = ""
			}
			_, err := loadComposeErr(t, env)
			if err == nil || !strings.Contains(err.Error(), k) || !strings.Contains(err.Error(), ".env.example") {
				t.Errorf("%s %s: got %v, want compose to refuse to start, naming it and .env.example", k, missing, err)
			}
		}
	}
}

// TestComposePublishesOnLoopbackOnly checks that every published port (MySQL, and the
// services' ports, which also serve the unauthenticated /metrics) is bound to 127.0.0.1.
func TestComposePublishesOnLoopbackOnly(t *testing.T) {
	t.Parallel()
	p := loadCompose(t, filledEnv(t))
	for name, svc := range p.Services {
		for _, port := range svc.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s: publishes %s on %q, want 127.0.0.1 only", name, port.Published, port.HostIP)
			}
		}
	}
}

// loadCompose loads docker-compose.yml, with more files over it when given (as
// `docker compose -f docker-compose.yml -f FILE` does).
func loadCompose(t *testing.T, environ map[string]string, more ...string) *types.Project {
	t.Helper()
	p, err := loadComposeErr(t, environ, more...)
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

func loadComposeErr(t *testing.T, environ map[string]string, more ...string) (*types.Project, error) {
	t.Helper()
	var list []string
	for k, v := range environ {
		list = append(list, k+"="+v)
	}
	files := []string{repoFile(t, "docker-compose.yml")}
	for _, f := range more {
		files = append(files, repoFile(t, f))
	}
	opts, err := cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(repoFile(t, ".")),
		cli.WithEnv(list),
		cli.WithInterpolation(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func parseEnvFile(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf(".env.example: got line %q, want NAME=value", line)
		}
		out[k] = v
	}
	return out
}

func environment(svc types.ServiceConfig) map[string]string {
	out := map[string]string{}
	for k, v := range svc.Environment {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// namesRead runs load with a getenv over environ and returns every name it asked for.
func namesRead(environ map[string]string, load func(getenv func(string) string)) map[string]bool {
	read := map[string]bool{}
	load(func(k string) string {
		read[k] = true
		return environ[k]
	})
	return read
}

func TestComposeServicesAndPorts(t *testing.T) {
	t.Parallel()
	for name, environ := range composeEnvironments(t) {
		t.Run(name, func(t *testing.T) {
			p := loadCompose(t, environ)
			want := []string{"customers-api", "migrate", "mysql", "orchestrator", "orders-api"}
			if got := slices.Sorted(maps.Keys(p.Services)); !slices.Equal(got, want) {
				t.Fatalf("got services %q, want %q", got, want)
			}
			wantPorts := map[string]string{"mysql": "127.0.0.1:3307:3306", "customers-api": "127.0.0.1:3001:3001", "orders-api": "127.0.0.1:3002:3002", "orchestrator": "127.0.0.1:3003:3003", "migrate": ""}
			for svcName, want := range wantPorts {
				var got []string
				for _, port := range p.Services[svcName].Ports {
					got = append(got, port.HostIP+":"+port.Published+":"+strconv.Itoa(int(port.Target)))
				}
				if strings.Join(got, ",") != want {
					t.Errorf("%s: got ports %q, want %q", svcName, got, want)
				}
			}
			for svcName, app := range appServices {
				if got := environment(p.Services[svcName])["PORT"]; got != strconv.Itoa(app.port) {
					t.Errorf("%s: got PORT %q, want %d (the port it publishes)", svcName, got, app.port)
				}
			}
		})
	}
}

func TestComposeMySQL(t *testing.T) {
	t.Parallel()
	p := loadCompose(t, filledEnv(t))
	db := p.Services["mysql"]
	// MySQL 8.4 LTS at an exact release, the same as the tests' Docker fallback.
	if !regexp.MustCompile(`^mysql:8\.4\.\d+(@sha256:[0-9a-f]{64})?$`).MatchString(db.Image) || db.Image != mysqltest.DockerImage {
		t.Errorf("got image %q, want mysql:8.4.N (pinned), the image mysqltest starts (%s)", db.Image, mysqltest.DockerImage)
	}
	if db.HealthCheck == nil || !strings.Contains(strings.Join(db.HealthCheck.Test, " "), "mysqladmin ping") {
		t.Errorf("got healthcheck %+v, want one running mysqladmin ping", db.HealthCheck)
	}
	var named bool
	for _, v := range db.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Target == "/var/lib/mysql" {
			_, declared := p.Volumes[v.Source]
			named = declared
		}
	}
	if !named {
		t.Errorf("got volumes %+v, want a declared named volume at /var/lib/mysql", db.Volumes)
	}
}

func TestComposeHealthChecksAndDependencies(t *testing.T) {
	t.Parallel()
	p := loadCompose(t, filledEnv(t))
	for svcName := range appServices {
		hc := p.Services[svcName].HealthCheck
		if hc == nil || hc.Disable || !slices.Equal([]string(hc.Test), []string{"CMD", "/healthcheck"}) {
			t.Errorf("%s: got healthcheck %+v, want test [CMD /healthcheck] (GET /health inside the image)", svcName, hc)
		}
	}
	const healthy, completed = types.ServiceConditionHealthy, types.ServiceConditionCompletedSuccessfully
	want := map[string]map[string]string{
		"mysql":         {},
		"migrate":       {"mysql": healthy},
		"customers-api": {"mysql": healthy, "migrate": completed},
		"orders-api":    {"mysql": healthy, "migrate": completed, "customers-api": healthy},
		"orchestrator":  {"customers-api": healthy, "orders-api": healthy},
	}
	for svcName, wantDeps := range want {
		got := map[string]string{}
		for dep, cfg := range p.Services[svcName].DependsOn {
			got[dep] = cfg.Condition
		}
		if !maps.Equal(got, wantDeps) {
			t.Errorf("%s: got depends_on %v, want %v", svcName, got, wantDeps)
		}
	}
}

// TestComposeEnvironmentIsReadByTheServices checks every variable a service gets against the
// names bootstrap.LoadConfig (or LoadMigrateConfig) reads, so a typo or a variable nobody reads
// fails here instead of being silently ignored; and that the configuration each service gets
// is complete and consistent.
func TestComposeEnvironmentIsReadByTheServices(t *testing.T) {
	t.Parallel()
	for name, environ := range composeEnvironments(t) {
		t.Run(name, func(t *testing.T) {
			p := loadCompose(t, environ)
			configs := map[string]bootstrap.Config{}
			for svcName, app := range appServices {
				svcEnv := environment(p.Services[svcName])
				read := namesRead(svcEnv, func(getenv func(string) string) { _, _ = bootstrap.LoadConfig(app.service, getenv) })
				for k := range svcEnv {
					if !read[k] {
						t.Errorf("%s: gets %s, which bootstrap.LoadConfig(%q) never reads", svcName, k, app.service)
					}
				}
				cfg, err := bootstrap.LoadConfig(app.service, func(k string) string { return svcEnv[k] })
				if err != nil {
					t.Errorf("%s: got %v, want a complete configuration", svcName, err)
					continue
				}
				if len(cfg.Warnings) > 0 {
					t.Errorf("%s: got configuration warnings %q, want none", svcName, cfg.Warnings)
				}
				configs[svcName] = cfg
			}
			migrateEnv := environment(p.Services["migrate"])
			read := namesRead(migrateEnv, func(getenv func(string) string) { _, _ = bootstrap.LoadMigrateConfig(getenv) })
			for k := range migrateEnv {
				if !read[k] {
					t.Errorf("migrate: gets %s, which bootstrap.LoadMigrateConfig never reads", k)
				}
			}
			migrateDB, err := bootstrap.LoadMigrateConfig(func(k string) string { return migrateEnv[k] })
			if err != nil {
				t.Fatalf("migrate: %v", err)
			}
			if len(configs) != len(appServices) {
				return
			}
			customers, orders, orch := configs["customers-api"], configs["orders-api"], configs["orchestrator"]
			for _, c := range []struct {
				name string
				got  string
				want string
			}{
				{"customers-api database", string(customers.DatabaseURL), string(migrateDB)},
				{"orders-api database", string(orders.DatabaseURL), string(migrateDB)},
				{"orchestrator database", string(orch.DatabaseURL), ""},
				{"orders-api JWT_SECRET", orders.JWTSecret, customers.JWTSecret},
				{"orchestrator JWT_SECRET", orch.JWTSecret, customers.JWTSecret},
				{"orders-api SERVICE_TOKEN", orders.ServiceToken, customers.ServiceToken},
				{"orchestrator SERVICE_TOKEN", orch.ServiceToken, customers.ServiceToken},
				{"orders-api CUSTOMERS_API_BASE", orders.CustomersAPIBase, "http://customers-api:3001"},
				{"orchestrator CUSTOMERS_API_BASE", orch.CustomersAPIBase, "http://customers-api:3001"},
				{"orchestrator ORDERS_API_BASE", orch.OrdersAPIBase, "http://orders-api:3002"},
			} {
				if c.got != c.want {
					t.Errorf("%s: got %q, want %q", c.name, redactURL(c.got), redactURL(c.want))
				}
			}
			if customers.DatabaseURL == "" {
				t.Errorf("customers-api: got no database, want the compose MySQL")
			}
			for svcName, cfg := range configs {
				// docker compose stop sends SIGTERM, then SIGKILL after stop_grace_period (10s
				// by default): the drain and the wait for requests in flight must fit in it.
				need := cfg.ShutdownDrainDelay + cfg.ShutdownTimeout
				if grace := p.Services[svcName].StopGracePeriod; grace == nil || time.Duration(*grace) <= need {
					t.Errorf("%s: got stop_grace_period %v, want more than SHUTDOWN_DRAIN_DELAY + SHUTDOWN_TIMEOUT = %v", svcName, grace, need)
				}
				if cfg.DatabaseURL != "" && cfg.MigrateOnStart {
					t.Errorf("%s: got MIGRATE_ON_START true, want false: the migrate service has already run", svcName)
				}
			}
			if u, _ := url.Parse(string(migrateDB)); u == nil || u.Hostname() != "mysql" || u.Port() != "3306" {
				t.Errorf("migrate: got database %q, want host mysql:3306 (the compose service)", redactURL(string(migrateDB)))
			}
		})
	}
}

func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = url.User(u.User.Username())
		return u.String()
	}
	return s
}

// TestEnvExampleNamesAreUsed checks that every variable in .env.example is interpolated by
// docker-compose.yml, so the example does not promise a setting that nothing reads.
func TestEnvExampleNamesAreUsed(t *testing.T) {
	t.Parallel()
	compose := string(readRepoFile(t, "docker-compose.yml"))
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Z0-9_]+)`).FindAllStringSubmatch(compose, -1) {
		used[m[1]] = true
	}
	example := parseEnvFile(t, readRepoFile(t, ".env.example"))
	for k := range example {
		if !used[k] {
			t.Errorf(".env.example sets %s, which docker-compose.yml never interpolates", k)
		}
	}
	for k := range used {
		if _, ok := example[k]; !ok {
			t.Errorf("docker-compose.yml interpolates %s, which .env.example does not show", k)
		}
	}
}
