// Package apitest holds what the services' test handlers (customersapitest, ordersapitest)
// share: the seed's demo secrets, which must agree across services (orders-api verifies the
// tokens customers-api issues), the JWT tokens built from them and the test server.
package apitest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/jwt"
)

// The seed's demo values.
const (
	DefaultJWTSecret    = "super-secret-key"
	DefaultJWTIssuer    = "customers-api"
	DefaultServiceToken = "internal-service-token"
)

// Tokens returns JWT tokens (one-hour lifetime) for secret and issuer. It stops the test on
// an error.
func Tokens(tb testing.TB, secret, issuer string) *jwt.Tokens {
	tb.Helper()
	tokens, err := jwt.NewTokens(jwt.Secret(secret), jwt.Issuer(issuer), jwt.Lifetime(time.Hour))
	if err != nil {
		tb.Fatalf("apitest: %v", err)
	}
	return tokens
}

// Serve serves h on an httptest server closed when the test ends.
func Serve(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}
