package customersapi_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/customersapi"
	"github.com/b2b-backoffice/backoffice/adapters/http/openapitest"
)

var spec *openapitest.Validator

// TestMain checks, after a full run, that the tests exercised every documented status of
// every operation: a spec entry no test reaches is a claim nothing checks.
func TestMain(m *testing.M) {
	var err error
	spec, err = openapitest.Load(customersapi.Spec())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if f := flag.Lookup("test.run"); code == 0 && f != nil && f.Value.String() == "" {
		if missing := spec.Uncovered(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "documented responses no test produced:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}
