//go:build !lambda

package main

import (
	"github.com/b2b-backoffice/backoffice/adapters/customersclient"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/metrics"
	"github.com/b2b-backoffice/backoffice/adapters/ordersclient"
	"github.com/b2b-backoffice/backoffice/bootstrap"
)

// ProvideMetrics returns the orchestrator's Prometheus registry, served at GET /metrics over
// HTTP (make bench reads its resident memory there), with the backoffice_dependency_up gauge
// of both services. The Lambda build (-tags lambda, see metrics_lambda.go) has none.
func ProvideMetrics(cc *customersclient.Client, oc *ordersclient.Client) httpkit.Metrics {
	m := metrics.New(string(bootstrap.Orchestrator))
	for name, check := range dependencies(cc, oc) {
		m.WatchDependency(name, check)
	}
	return m
}
