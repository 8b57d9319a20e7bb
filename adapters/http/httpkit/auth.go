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

// NoStore marks h's answers "Cache-Control: no-store": they carry customer data or
// credentials, which no cache on the way may keep.
func NoStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}
