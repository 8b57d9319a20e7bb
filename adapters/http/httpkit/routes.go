package httpkit

import (
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/b2b-backoffice/backoffice/adapters/httperr"
)

// Metrics is what a service's router reports to and serves at GET /metrics: per-request
// counts and latencies by route template, method and status, and business events by name
// (replays, idempotency conflicts). adapters/metrics implements it; every service takes it.
type Metrics interface {
	Observe(route, method string, status int, elapsed time.Duration)
	Count(event string)
	Handler() http.Handler
}

// WrapRouter finishes a service's router: unknown routes answer NotFound, known routes with
// another method MethodNotAllowed, the matched route's template is recorded once per
// request (for the metrics and the access log, so nothing matches a request twice), and
// the whole is wrapped in Middleware with logger (nil: discarded) and, when m is not nil,
// m's observer.
func WrapRouter(r *mux.Router, logger *slog.Logger, m Metrics) http.Handler {
	r.NotFoundHandler = http.HandlerFunc(NotFound)
	r.MethodNotAllowedHandler = MethodNotAllowed(r)
	r.Use(recordRoute)
	var observe Observe
	if m != nil {
		observe = m.Observe
	}
	return Middleware(logger, observe, r)
}

// recordRoute is a mux middleware (it runs only when a route matched): it records the
// route's template.
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if route := mux.CurrentRoute(r); route != nil {
			if tpl, err := route.GetPathTemplate(); err == nil {
				SetRoute(r.Context(), tpl)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// NotFound answers 404 route_not_found in the contract's error shape: a router's
// NotFoundHandler.
func NotFound(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, http.StatusNotFound, httperr.Body{Error: httperr.Detail{
		Code: "route_not_found", Message: "no such route"}})
}

// MethodNotAllowed answers 405 in the contract's error shape, with the Allow header listing
// the methods the path does support on router: a router's MethodNotAllowedHandler.
func MethodNotAllowed(router *mux.Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allowed := map[string]bool{}
		_ = router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
			methods, err := route.GetMethods()
			if err != nil {
				return nil
			}
			for _, m := range methods {
				probe := r.Clone(r.Context())
				probe.Method = m
				var match mux.RouteMatch
				if route.Match(probe, &match) && match.MatchErr == nil {
					allowed[m] = true
				}
			}
			return nil
		})
		list := make([]string, 0, len(allowed))
		for m := range allowed {
			list = append(list, m)
		}
		sort.Strings(list)
		w.Header().Set("Allow", strings.Join(list, ", "))
		WriteJSON(w, http.StatusMethodNotAllowed, httperr.Body{Error: httperr.Detail{
			Code: "method_not_allowed", Message: methodNotAllowed(r.Method)}})
	})
}

// methodNotAllowed is the 405 message. It names the method only when it is a known one:
// any other is the caller's text, of any length.
func methodNotAllowed(m string) string {
	if knownMethod(m) {
		return "method " + m + " is not allowed here"
	}
	return "this method is not allowed here"
}

// knownMethod reports whether m is one of the methods of RFC 9110 (and PATCH).
func knownMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return true
	}
	return false
}
