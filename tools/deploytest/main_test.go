package deploytest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
)

var env mysqltest.Env

func TestMain(m *testing.M) { os.Exit(mysqltest.Run(m, &env)) }

// repoFile returns the path of a file at the repository's root (where go.mod is).
func repoFile(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, name)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func readRepoFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(repoFile(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
