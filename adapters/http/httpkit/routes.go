package httpkit

import (
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// Metrics is what a service's router reports to and serves at GET /metrics: per-request
// counts and latencies by route template, method and status, and business events by name
// (replays, idempotency conflicts). adapters/metrics implements it; every service takes it.
type Metrics interface {
	Observe(route, method string, status int, elapsed time.Duration)
	Count(event string)
	Handler() http.Handler
}

// WrapRouter finishes an API's router: Stack{Logger: logger, Observe: m.Observe}.Router(r)
// (no metrics when m is nil).
func WrapRouter(r *mux.Router, logger *slog.Logger, m Metrics) http.Handler {
	var observe Observe
	if m != nil {
		observe = m.Observe
	}
	return Stack{Logger: logger, Observe: observe}.Router(r)
}

// Router finishes a service's router: unknown routes answer 404 route_not_found, known
// routes with another method 405 method_not_allowed with Allow (both through s.Errors), the
// matched route's template is recorded once per request (for the metrics and the access log,
// so nothing matches a request twice), and the whole is wrapped in s.
func (s Stack) Router(r *mux.Router) http.Handler {
	write := s.errors()
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { write(w, req, errRouteNotFound) })
	r.MethodNotAllowedHandler = methodNotAllowed(r, write)
	r.Use(recordRoute)
	return s.Wrap(r)
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

// errRouteNotFound is the answer to a path no route serves.
var errRouteNotFound = errs.New(errs.KindNotFound, "route_not_found", "no such route")

// methodNotAllowed answers 405 method_not_allowed through write, with the Allow header
// listing the methods the path does support on router: a router's MethodNotAllowedHandler.
func methodNotAllowed(router *mux.Router, write ErrorWriter) http.Handler {
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
		write(w, r, httperr.WithStatus(http.StatusMethodNotAllowed,
			errs.New(errs.KindInvalid, "method_not_allowed", methodNotAllowedMessage(r.Method))))
	})
}

// methodNotAllowedMessage is the 405 message. It names the method only when it is a known
// one: any other is the caller's text, of any length.
func methodNotAllowedMessage(m string) string {
	if KnownMethod(m) {
		return "method " + m + " is not allowed here"
	}
	return "this method is not allowed here"
}

// KnownMethod reports whether m is one of the methods of RFC 9110 (and PATCH).
func KnownMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return true
	}
	return false
}
