package httpkit

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/b2b-backoffice/backoffice/application/auth"
)

// BearerToken returns the token of an "Authorization: Bearer <token>" header, or "".
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(h[len(prefix):])
}

// RequireJWT answers 401 "unauthorized" unless the request carries a token v accepts.
func RequireJWT(v auth.TokenVerifier) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok := BearerToken(r)
			if tok == "" {
				WriteError(w, r, auth.ErrUnauthorized)
				return
			}
			if _, err := v.Verify(tok); err != nil {
				WriteError(w, r, auth.ErrUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// ServiceToken is the shared secret other services present on internal routes.
type ServiceToken string

// RequireServiceToken answers 401 unless the bearer token equals token, compared in
// constant time. A user JWT is not a service token.
func RequireServiceToken(token ServiceToken) func(http.Handler) http.Handler {
	want := []byte(token)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got := []byte(BearerToken(r))
			if len(want) == 0 || subtle.ConstantTimeCompare(got, want) != 1 {
				WriteError(w, r, auth.ErrUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Health answers the contract's liveness probe.
func Health(service string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, probe{Status: "ok", Service: service})
	}
}

// probe is the body of /health and /ready, fields in the contract's order.
type probe struct {
	Status  string `json:"status"`
	Service string `json:"service"`
	Failing string `json:"failing,omitempty"`
}

// Check is a readiness check: nil when a store or dependency is reachable.
type Check func(r *http.Request) error

// Ready answers 200 when every check passes, else 503 with the failing check's name.
func Ready(service string, checks map[string]Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for name, c := range checks {
			if err := c(r); err != nil {
				Logger(r.Context()).WarnContext(r.Context(), "not ready", "check", name, "error", err.Error())
				WriteJSON(w, http.StatusServiceUnavailable, probe{Status: "unavailable", Service: service, Failing: name})
				return
			}
		}
		WriteJSON(w, http.StatusOK, probe{Status: "ready", Service: service})
	}
}
