package ordersapi_test

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// TestMain fails a full run (no -run filter) that left a documented status of the OpenAPI
// document unexercised: every answer the spec promises is tested, and validated against it.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && specValidator != nil {
		if missing := specValidator.Uncovered(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "openapi.yaml: got no test for %v, want every documented status exercised\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}
