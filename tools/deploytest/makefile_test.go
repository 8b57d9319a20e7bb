package deploytest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMakefileTargets dry-runs (make -n) every target the README promises and checks the
// recipes that matter most say what they should.
func TestMakefileTargets(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make is not installed: %v", err)
	}
	wantIn := map[string][]string{
		"run":              {"go build -o bin/${s%%=*} ${s#*=}", "customers-api=./bootstrap/customersapi", "run=./tools/run", "exec bin/run customers=bin/customers-api,PORT=3001 orders=bin/orders-api,PORT=3002 orchestrator=bin/orchestrator,PORT=3003"},
		"test":             {"tool wire diff", "gofmt -l", "vet ./...", "test -count=1"},
		"test-integration": {"REQUIRE_MYSQL=1"},
		"wire":             {"tool wire gen ./bootstrap/..."},
		"wire-check":       {"tool wire diff ./bootstrap/..."},
		"vet":              {"vet ./..."},
		"fmt-check":        {"gofmt -l"},
		"migrate":          {"./bootstrap/migrate"},
		"seed":             {"db/seed.sql", "mysql "},
		"lambda":           {"GOOS=linux GOARCH=amd64 CGO_ENABLED=0", "-tags lambda.norpc", "-o build/lambda/bootstrap ./bootstrap/orchestrator", "zip -j build/lambda/orchestrator.zip build/lambda/bootstrap"},
		"bench": {"loadtest=./tools/loadtest sqlbench=./tools/sqlbench bench=./tools/bench",
			"bin/run customers=bin/customers-api,PORT=3001 orders=bin/orders-api,PORT=3002 orchestrator=bin/orchestrator,PORT=3003 > bin/bench-services.log",
			"bin/bench -clients 16 -duration 20s", "-mode contention -clients 200", "-mode idempotency -clients 200"},
		"profile": {"customers=bin/customers-api,PORT=3001,PPROF_ADDR=127.0.0.1:6061 orders=bin/orders-api,PORT=3002,PPROF_ADDR=127.0.0.1:6062 orchestrator=bin/orchestrator,PORT=3003 ",
			"-duration 15s", "-profile-dir bin/profiles -pprof orders-api=127.0.0.1:6062,customers-api=127.0.0.1:6061", "tool pprof -top -nodecount=25"},
		"test-faults": {"test-faults"},
		"clean":       {"rm -rf bin build"},
	}
	for target, wants := range wantIn {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("make", "-n", target)
			cmd.Dir = repoFile(t, ".")
			// A dry run of seed/migrate must not depend on the caller's database settings.
			cmd.Env = append(os.Environ(), "DATABASE_URL=", "DB_HOST=", "DB_NAME=")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make -n %s: %v\n%s", target, err, out)
			}
			for _, w := range wants {
				if !strings.Contains(string(out), w) {
					t.Errorf("make -n %s: got no %q in\n%s", target, w, out)
				}
			}
		})
	}
}

func TestCIScript(t *testing.T) {
	t.Parallel()
	path := repoFile(t, ".ci/run")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode()&0o111 == 0 {
		t.Errorf(".ci/run: got mode %v, want it executable", info.Mode())
	}
	if out, err := exec.Command("bash", "-n", path).CombinedOutput(); err != nil {
		t.Errorf(".ci/run: bash -n: %v\n%s", err, out)
	}
	script := string(readRepoFile(t, ".ci/run"))
	for _, w := range []string{"REQUIRE_MYSQL=1", "TEST_DATABASE_URL=mysql://root@127.0.0.1:3306/", "make test", "mysqltest: SKIPPING"} {
		if !strings.Contains(script, w) {
			t.Errorf(".ci/run: got no %q", w)
		}
	}
}
