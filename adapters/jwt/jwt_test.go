package jwt_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strconv"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/b2b-backoffice/backoffice/adapters/jwt"
	"github.com/b2b-backoffice/backoffice/adapters/jwt/jwttest"
	"github.com/b2b-backoffice/backoffice/application/auth"
)

const secret = "super-secret-key"

func newTokens(t *testing.T) *jwt.Tokens {
	t.Helper()
	tok, err := jwt.NewTokens(jwt.Secret(secret), "customers-api", jwt.Lifetime(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestIssueThenVerify(t *testing.T) {
	t.Parallel()
	tokens := newTokens(t)
	tok, err := tokens.Issue("admin", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresIn != time.Hour {
		t.Fatalf("got expires in %v, want 1h", tok.ExpiresIn)
	}
	sub, err := tokens.Verify(tok.Value)
	if err != nil || sub != "admin" {
		t.Fatalf("got (%q, %v), want (admin, nil)", sub, err)
	}
}

func TestVerifyRefusesForeignTokens(t *testing.T) {
	t.Parallel()
	tokens := newTokens(t)
	now := time.Now()
	valid := jwttest.Claims("admin", "customers-api", now)
	with := func(k string, v any) gojwt.MapClaims { return jwttest.With(valid, k, v) }
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	none, err := gojwt.NewWithClaims(gojwt.SigningMethodNone, valid).SignedString(gojwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"expired":          jwttest.Sign(t, gojwt.SigningMethodHS256, []byte(secret), with("exp", now.Add(-time.Minute).Unix())),
		"no exp":           jwttest.Sign(t, gojwt.SigningMethodHS256, []byte(secret), with("exp", nil)),
		"wrong issuer":     jwttest.Sign(t, gojwt.SigningMethodHS256, []byte(secret), with("iss", "someone-else")),
		"no subject":       jwttest.Sign(t, gojwt.SigningMethodHS256, []byte(secret), with("sub", nil)),
		"other secret":     jwttest.Sign(t, gojwt.SigningMethodHS256, []byte("another-secret-key!"), valid),
		"HS512":            jwttest.Sign(t, gojwt.SigningMethodHS512, []byte(secret), valid),
		"RS256":            jwttest.Sign(t, gojwt.SigningMethodRS256, rsaKey, valid),
		"alg none":         none,
		"garbage":          "not.a.token",
		"empty":            "",
		"crit header":      jwttest.SignWithHeader(t, gojwt.SigningMethodHS256, []byte(secret), valid, map[string]any{"crit": []string{"exp"}}),
		"exp as a string":  jwttest.Sign(t, gojwt.SigningMethodHS256, []byte(secret), with("exp", strconv.FormatInt(now.Add(time.Hour).Unix(), 10))),
		"iat as a string":  jwttest.Sign(t, gojwt.SigningMethodHS256, []byte(secret), with("iat", strconv.FormatInt(now.Unix(), 10))),
		"issued in future": jwttest.Sign(t, gojwt.SigningMethodHS256, []byte(secret), with("iat", now.Add(time.Hour).Unix())),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sub, err := tokens.Verify(tok)
			if !errors.Is(err, auth.ErrUnauthorized) {
				t.Fatalf("got (%q, %v), want auth.ErrUnauthorized", sub, err)
			}
		})
	}
	// The valid claims themselves pass, so the cases above fail for the reason they name.
	if _, err := tokens.Verify(jwttest.Sign(t, gojwt.SigningMethodHS256, []byte(secret), valid)); err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
}

func TestNewTokensRefusesEmptySecret(t *testing.T) {
	t.Parallel()
	if _, err := jwt.NewTokens(nil, "x", jwt.Lifetime(time.Hour)); err == nil {
		t.Fatal("got nil error for an empty secret, want an error")
	}
}

// TestVerifiedTokensExpire: a token answered from the cache of verified tokens stops
// being accepted at its exp, like one that is parsed; a token differing in one byte of its
// signature is never taken for a cached one.
func TestVerifiedTokensExpire(t *testing.T) {
	t.Parallel()
	now := time.Now()
	clock := func() time.Time { return now }
	tokens := newTokens(t).WithClock(func() time.Time { return clock() })
	tok, err := tokens.Issue("admin", now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // the first parses, the others hit the cache
		if sub, err := tokens.Verify(tok.Value); err != nil || sub != "admin" {
			t.Fatalf("verify %d: got (%q, %v), want (admin, nil)", i, sub, err)
		}
	}
	b := []byte(tok.Value)
	i := len(b) - 10 // inside the signature, away from its padding bits
	b[i] = map[bool]byte{true: 'A', false: 'B'}[b[i] != 'A']
	forged := string(b)
	if _, err := tokens.Verify(forged); !errors.Is(err, auth.ErrUnauthorized) {
		t.Fatalf("altered signature: got %v, want unauthorized", err)
	}
	clock = func() time.Time { return now.Add(time.Hour + 10*time.Second) }
	if _, err := tokens.Verify(tok.Value); !errors.Is(err, auth.ErrUnauthorized) {
		t.Fatalf("after exp: got %v, want unauthorized", err)
	}
}
