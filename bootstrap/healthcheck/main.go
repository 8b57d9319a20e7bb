// Command healthcheck exits 0 when the service on this host answers GET /health with 200. The
// container images run it as their HEALTHCHECK, since they carry no shell or curl.
package main

import (
	"context"
	"os"

	"github.com/b2b-backoffice/backoffice/bootstrap"
)

func main() {
	os.Exit(bootstrap.HealthcheckMain(context.Background(), os.Getenv, os.Args[1:], os.Stderr))
}
