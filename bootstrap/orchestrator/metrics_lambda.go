//go:build lambda

package main

import (
	"github.com/b2b-backoffice/backoffice/adapters/customersclient"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/ordersclient"
)

// ProvideMetrics returns no metrics in the Lambda build (make lambda builds with -tags
// lambda): API Gateway events reach the handler, nothing scrapes a /metrics, and CloudWatch
// counts the function's invocations, errors and durations. Leaving them out keeps Prometheus
// out of the function's binary. Its parameters match metrics.go's, for the one wire_gen.go.
func ProvideMetrics(*customersclient.Client, *ordersclient.Client) httpkit.Metrics {
	return nil
}
