// Package jwttest forges tokens for the tests of the JWT guards: the claims of a valid
// token, copies that differ in one claim, and tokens signed with any method and key.
package jwttest

import (
	"maps"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// Claims returns the claims of a valid token: subject sub, issuer iss, issued at now and
// expiring an hour later.
func Claims(sub, iss string, now time.Time) gojwt.MapClaims {
	return gojwt.MapClaims{"sub": sub, "iss": iss, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

// With returns a copy of c with claim k set to v, or without k when v is nil.
func With(c gojwt.MapClaims, k string, v any) gojwt.MapClaims {
	out := maps.Clone(c)
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// Sign signs claims with method and key. It stops the test on an error.
func Sign(tb testing.TB, method gojwt.SigningMethod, key any, claims gojwt.MapClaims) string {
	tb.Helper()
	s, err := gojwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// SignWithHeader is Sign with extra header parameters (a "crit" list, say).
func SignWithHeader(tb testing.TB, method gojwt.SigningMethod, key any, claims gojwt.MapClaims, header map[string]any) string {
	tb.Helper()
	tok := gojwt.NewWithClaims(method, claims)
	maps.Copy(tok.Header, header)
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
