package httpkit

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"sync"
)

// probe is the body of /health and /ready, fields in the contract's order.
type probe struct {
	Status  string        `json:"status"`
	Service string        `json:"service"`
	Failing string        `json:"failing,omitempty"`
	Checks  []checkResult `json:"checks,omitempty"`
}

// checkResult is one check in the body of /ready?verbose.
type checkResult struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"` // "own" or "dependency"
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Check is a readiness check: nil when a store or dependency answers.
type Check func(ctx context.Context) error

// ReadyChecks are what GET /ready looks at, by name. Own are the service's own means to
// serve (its database): /ready is 503 when one fails. Dependencies (the other services)
// are only reported, in /ready?verbose and in the metrics: a service whose reads still
// work must not be pulled out of its load balancer because another service is down, and
// its writes that need the other service already answer 503 by themselves.
type ReadyChecks struct {
	Own          map[string]Check
	Dependencies map[string]Check
}

// Health answers the contract's liveness probe.
func Health(service string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, probe{Status: "ok", Service: service})
	}
}

// Ready answers the readiness probe: 503 "draining" once the server is shutting down (see
// ServeListener), 503 "unavailable" naming the first failing own check, else 200 "ready".
// With ?verbose every check, own and dependency, is run and listed with its outcome; the
// status code stays the same.
func Ready(service string, checks ReadyChecks) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		verbose := r.URL.Query().Has("verbose")
		var results []checkResult
		if verbose {
			results = runChecks(ctx, checks)
		} else {
			results = runChecks(ctx, ReadyChecks{Own: checks.Own})
		}
		body, status := probe{Status: "ready", Service: service}, http.StatusOK
		for _, c := range results {
			if c.Kind == "own" && !c.OK && body.Failing == "" {
				Logger(ctx).WarnContext(ctx, "not ready", slog.String("check", c.Name), slog.String("error", c.Error))
				body.Status, body.Failing, status = "unavailable", c.Name, http.StatusServiceUnavailable
			}
		}
		if Draining(ctx) {
			body.Status, body.Failing, status = "draining", "", http.StatusServiceUnavailable
		}
		if verbose {
			body.Checks = results
		}
		WriteJSON(w, status, body)
	}
}

// runChecks runs every check at once and returns the results sorted by kind (own first)
// and name.
func runChecks(ctx context.Context, checks ReadyChecks) []checkResult {
	var (
		results []checkResult
		wg      sync.WaitGroup
	)
	for kind, set := range map[string]map[string]Check{"own": checks.Own, "dependency": checks.Dependencies} {
		for name := range set {
			results = append(results, checkResult{Name: name, Kind: kind})
		}
	}
	sort.Slice(results, func(i, j int) bool {
		if results[i].Kind != results[j].Kind {
			return results[i].Kind == "own"
		}
		return results[i].Name < results[j].Name
	})
	for i := range results {
		check := checks.Own[results[i].Name]
		if results[i].Kind == "dependency" {
			check = checks.Dependencies[results[i].Name]
		}
		wg.Go(func() {
			if err := check(ctx); err != nil {
				results[i].Error = checkError(err)
				return
			}
			results[i].OK = true
		})
	}
	wg.Wait()
	return results
}

// checkError is what /ready?verbose shows of a failed check: its text with credentials
// redacted.
func checkError(err error) string { return Redact(err.Error()) }
