// Package jwttest forges tokens for the tests of the JWT guards: the claims of a valid
// token, copies that differ in one claim, and tokens signed with any method and key.
package jwttest

import (
	"crypto/rand"
	"crypto/rsa"
	"maps"
	"strconv"
	"strings"
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

// Hostile returns, by name, tokens that differ from a valid one (HS256 with secret, issuer
// iss) in a way the contract names: alg none, HS512, RS256, another key, expired, no exp,
// another issuer, a crit header, exp as a string, no signature. Each must be refused. valid
// is the same claims signed right, which must pass.
func Hostile(tb testing.TB, secret []byte, iss string) (hostile map[string]string, valid string) {
	tb.Helper()
	now := time.Now()
	good := Claims("admin", iss, now)
	with := func(k string, v any) gojwt.MapClaims { return With(good, k, v) }
	sign := func(m gojwt.SigningMethod, key any, claims gojwt.MapClaims) string { return Sign(tb, m, key, claims) }
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	valid = sign(gojwt.SigningMethodHS256, secret, good)
	return map[string]string{
		"expired":      sign(gojwt.SigningMethodHS256, secret, with("exp", now.Add(-time.Minute).Unix())),
		"no exp":       sign(gojwt.SigningMethodHS256, secret, with("exp", nil)),
		"alg none":     sign(gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, good),
		"another key":  sign(gojwt.SigningMethodHS256, []byte("another-secret-of-32-bytes-long!"), good),
		"HS512":        sign(gojwt.SigningMethodHS512, secret, good),
		"RS256":        sign(gojwt.SigningMethodRS256, rsaKey, good),
		"wrong issuer": sign(gojwt.SigningMethodHS256, secret, with("iss", "someone-else")),
		"crit header":  SignWithHeader(tb, gojwt.SigningMethodHS256, secret, good, map[string]any{"crit": []string{"exp"}}),
		"exp a string": sign(gojwt.SigningMethodHS256, secret, with("exp", strconv.FormatInt(now.Add(time.Hour).Unix(), 10))),
		"no signature": strings.Join(strings.Split(valid, ".")[:2], ".") + ".",
	}, valid
}
