package bootstrap_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/b2b-backoffice/backoffice/"

// heavy are the packages the shared bootstrap package and the orchestrator (the Lambda build)
// must not link: the MySQL driver, dbmate, bcrypt and Prometheus, and the adapters around them.
var heavy = []string{
	"github.com/go-sql-driver/mysql",
	"github.com/amacneil/dbmate",
	"golang.org/x/crypto/bcrypt",
	"github.com/prometheus/",
	module + "adapters/mysql",
	module + "adapters/bcrypt",
	module + "adapters/metrics",
}

// TestBinariesLinkOnlyWhatTheyUse lists each package's dependencies with go list -deps and
// fails when one it must not link creeps back in.
func TestBinariesLinkOnlyWhatTheyUse(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("go list needs the go command: %v", err)
	}
	// Not parallel with the package's other tests: while the go commands run, a port that
	// TestWithPprofOnlyWhenConfigured freed and listens on again could be taken.
	cases := []struct {
		pkg       string
		forbidden []string
		// standardOnly: nothing outside the standard library but the package itself.
		standardOnly bool
		// tags: the build's tags; a build with tags is listed for linux/amd64, as make
		// lambda builds it.
		tags string
	}{
		{pkg: "./bootstrap/healthcheck", standardOnly: true},
		{pkg: "./bootstrap", forbidden: heavy},
		{pkg: "./bootstrap/customersapi", forbidden: []string{
			module + "adapters/http/ordersapi", module + "adapters/ordersclient", module + "adapters/lambda"}},
		{pkg: "./bootstrap/ordersapi", forbidden: []string{
			module + "adapters/http/customersapi", module + "adapters/bcrypt", "golang.org/x/crypto/bcrypt", module + "adapters/lambda"}},
		// The Lambda build (make lambda): no database, no password hashing, no Prometheus.
		{pkg: "./bootstrap/orchestrator", forbidden: heavy, tags: "lambda.norpc,lambda"},
		// The local orchestrator serves Prometheus metrics at /metrics, nothing else heavy.
		{pkg: "./bootstrap/orchestrator", forbidden: slices.DeleteFunc(slices.Clone(heavy), func(p string) bool {
			return p == "github.com/prometheus/" || p == module+"adapters/metrics"
		})},
	}
	for _, tc := range cases {
		name := strings.TrimPrefix(tc.pkg, "./")
		if tc.tags != "" {
			name += " -tags " + tc.tags
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pkg := tc.pkg
			cmd := exec.Command("go", "list", "-deps", "-tags", tc.tags, "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg)
			cmd.Dir = ".."
			if tc.tags != "" {
				cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
			}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", pkg, err)
			}
			deps := strings.Fields(string(out))
			if len(deps) == 0 {
				t.Fatalf("go list -deps %s listed nothing: want at least the package itself", pkg)
			}
			for _, dep := range deps {
				if tc.standardOnly && dep != module+strings.TrimPrefix(pkg, "./") {
					t.Errorf("%s links %s: want the standard library only", pkg, dep)
				}
				for _, f := range tc.forbidden {
					if strings.HasPrefix(dep, f) {
						t.Errorf("%s links %s, which it must not (%s)", pkg, dep, f)
					}
				}
			}
		})
	}
}
