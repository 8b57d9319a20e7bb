package deploytest_test

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

// maxConnections is MySQL's default max_connections, which the compose MySQL keeps.
const maxConnections = 151

// TestComposeScaleOverride checks what `--scale orders-api=N` needs: orders-api publishes no
// host port and has no fixed container name (replicas could not share them), a pinned nginx
// publishes 3002 and round-robins over every replica, re-resolving their addresses, the
// orchestrator goes through it, and the pools of 7 replicas still fit MySQL's connections.
func TestComposeScaleOverride(t *testing.T) {
	t.Parallel()
	for name, environ := range composeEnvironments(t) {
		t.Run(name, func(t *testing.T) {
			p := loadCompose(t, environ, "docs/docker-compose.scale.yml")
			want := []string{"customers-api", "migrate", "mysql", "orchestrator", "orders-api", "orders-lb"}
			if got := slices.Sorted(maps.Keys(p.Services)); !slices.Equal(got, want) {
				t.Fatalf("got services %q, want %q", got, want)
			}
			orders, lb := p.Services["orders-api"], p.Services["orders-lb"]
			if len(orders.Ports) != 0 || orders.ContainerName != "" {
				t.Errorf("orders-api: got ports %+v and container_name %q, want neither (replicas cannot share them)", orders.Ports, orders.ContainerName)
			}
			if !regexp.MustCompile(`^nginx:\d+\.\d+\.\d+-alpine$`).MatchString(lb.Image) {
				t.Errorf("orders-lb: got image %q, want a pinned nginx:X.Y.Z-alpine", lb.Image)
			}
			if len(lb.Ports) != 1 || lb.Ports[0].Published != "3002" || lb.Ports[0].Target != 3002 {
				t.Errorf("orders-lb: got ports %+v, want 3002:3002 (where orders-api was)", lb.Ports)
			}
			if dep, ok := lb.DependsOn["orders-api"]; !ok || dep.Condition != types.ServiceConditionHealthy {
				t.Errorf("orders-lb: got depends_on %+v, want orders-api healthy", lb.DependsOn)
			}
			if len(lb.Configs) != 1 || lb.Configs[0].Target != "/etc/nginx/conf.d/default.conf" {
				t.Fatalf("orders-lb: got configs %+v, want one at /etc/nginx/conf.d/default.conf", lb.Configs)
			}
			conf := p.Configs[lb.Configs[0].Source].Content
			for _, want := range []string{
				"resolver 127.0.0.11 valid=5s",       // Docker's DNS, asked again: --scale changes are seen
				"set $orders_api orders-api:3002;",   // a variable, so that the name is resolved per request
				"proxy_pass http://$orders_api;",     // every address it resolves to, round robin
				"proxy_next_upstream error timeout;", // never replays a request that reached a replica
				"client_max_body_size 2m;",           // above orders-api's 1 MiB: the API answers its own 413
				"listen 3002;",
			} {
				if !strings.Contains(conf, want) {
					t.Errorf("orders-lb config lacks %q:\n%s", want, conf)
				}
			}
			orch := environment(p.Services["orchestrator"])
			if got := orch["ORDERS_API_BASE"]; got != "http://orders-lb:3002" {
				t.Errorf("orchestrator: got ORDERS_API_BASE %q, want http://orders-lb:3002", got)
			}
			cfgs := map[string]bootstrap.Config{}
			for _, svc := range []string{"customers-api", "orders-api", "orchestrator"} {
				env := environment(p.Services[svc])
				app := appServices[svc]
				read := namesRead(env, func(getenv func(string) string) { _, _ = bootstrap.LoadConfig(app.service, getenv) })
				for k := range env {
					if !read[k] {
						t.Errorf("%s: gets %s, which bootstrap.LoadConfig(%q) never reads", svc, k, app.service)
					}
				}
				cfg, err := bootstrap.LoadConfig(app.service, func(k string) string { return env[k] })
				if err != nil || len(cfg.Warnings) > 0 {
					t.Fatalf("%s: got %v (warnings %q), want a complete configuration", svc, err, cfg.Warnings)
				}
				cfgs[svc] = cfg
			}
			const replicas = 7
			used := cfgs["customers-api"].Pool.MaxOpenConns + replicas*cfgs["orders-api"].Pool.MaxOpenConns
			if used >= maxConnections {
				t.Errorf("customers-api (%d) + %d orders-api replicas (%d each) = %d connections, want fewer than MySQL's %d",
					cfgs["customers-api"].Pool.MaxOpenConns, replicas, cfgs["orders-api"].Pool.MaxOpenConns, used, maxConnections)
			}
		})
	}
}
