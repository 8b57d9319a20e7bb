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

// RouterMetrics is what a router reports to: per-route request counts and latencies, read
// by Observer from the router's route templates. adapters/metrics implements it.
type RouterMetrics interface {
	Observer(router *mux.Router) func(r *http.Request, status int, elapsed time.Duration)
}

// WrapRouter finishes a service's router: unknown routes answer NotFound, known routes with
// another method MethodNotAllowed, and the whole is wrapped in Middleware with logger (nil:
// discarded) and, when m is not nil, m's observer.
func WrapRouter(r *mux.Router, logger *slog.Logger, m RouterMetrics) http.Handler {
	r.NotFoundHandler = http.HandlerFunc(NotFound)
	r.MethodNotAllowedHandler = MethodNotAllowed(r)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var observe Observe
	if m != nil {
		observe = m.Observer(r)
	}
	return Middleware(logger, observe, r)
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
			Code: "method_not_allowed", Message: "method " + r.Method + " is not allowed here"}})
	})
}
