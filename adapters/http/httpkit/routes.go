package httpkit

import (
	"net/http"
	"sort"
	"strings"

	"github.com/gorilla/mux"

	"github.com/b2b-backoffice/backoffice/adapters/httperr"
)

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
