// Package jwt issues and verifies the project's access tokens with golang-jwt v5: HS256 only
// (the algorithm is pinned, so "none", HS512 or RS256 tokens are refused), exp required, the
// issuer checked.
package jwt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/b2b-backoffice/backoffice/application/auth"
)

// Secret is the HMAC key shared by the services.
type Secret []byte

// Issuer is the value of the iss claim.
type Issuer string

// Lifetime is how long an issued token is valid.
type Lifetime time.Duration

// Tokens implements auth.TokenIssuer and auth.TokenVerifier.
type Tokens struct {
	secret   []byte
	issuer   string
	lifetime time.Duration
	parser   *gojwt.Parser
}

var (
	_ auth.TokenIssuer   = (*Tokens)(nil)
	_ auth.TokenVerifier = (*Tokens)(nil)
)

// NewTokens returns the token service. An empty secret is refused.
func NewTokens(secret Secret, issuer Issuer, lifetime Lifetime) (*Tokens, error) {
	if len(secret) == 0 {
		return nil, errors.New("jwt: empty secret")
	}
	if lifetime <= 0 {
		lifetime = Lifetime(time.Hour)
	}
	return &Tokens{
		secret:   []byte(secret),
		issuer:   string(issuer),
		lifetime: time.Duration(lifetime),
		parser: gojwt.NewParser(
			gojwt.WithValidMethods([]string{gojwt.SigningMethodHS256.Alg()}),
			gojwt.WithExpirationRequired(),
			gojwt.WithIssuer(string(issuer)),
			gojwt.WithIssuedAt(),
			gojwt.WithLeeway(5*time.Second),
		),
	}, nil
}

// Issue signs a token for subject.
func (t *Tokens) Issue(subject string, now time.Time) (auth.Token, error) {
	claims := gojwt.RegisteredClaims{
		Subject:   subject,
		Issuer:    t.issuer,
		IssuedAt:  gojwt.NewNumericDate(now),
		ExpiresAt: gojwt.NewNumericDate(now.Add(t.lifetime)),
	}
	s, err := gojwt.NewWithClaims(gojwt.SigningMethodHS256, claims).SignedString(t.secret)
	if err != nil {
		return auth.Token{}, fmt.Errorf("sign token: %w", err)
	}
	return auth.Token{Value: s, ExpiresIn: t.lifetime}, nil
}

// Verify returns the subject of a valid token, else auth.ErrUnauthorized. Beyond what the
// parser checks, a token is refused when its header has "crit" (RFC 7515 §4.1.11: a
// recipient must reject critical extensions it does not understand, and we understand
// none) or when a time claim is not a JSON number (golang-jwt would read "exp":"1700000000").
func (t *Tokens) Verify(token string) (string, error) {
	var claims strictClaims
	parsed, err := t.parser.ParseWithClaims(token, &claims, func(tok *gojwt.Token) (any, error) {
		if _, ok := tok.Header["crit"]; ok {
			return nil, errCritical
		}
		return t.secret, nil
	})
	if err != nil || !parsed.Valid || claims.Subject == "" {
		return "", auth.ErrUnauthorized
	}
	return claims.Subject, nil
}

var errCritical = errors.New("jwt: critical header extensions are not supported")

// strictClaims are the registered claims, decoded only when exp, iat and nbf are JSON
// numbers as RFC 7519 §2 (NumericDate) requires.
type strictClaims struct {
	gojwt.RegisteredClaims
}

func (c *strictClaims) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, name := range []string{"exp", "iat", "nbf"} {
		if v, ok := raw[name]; ok && !isJSONNumber(v) {
			return fmt.Errorf("jwt: claim %q is not a number", name)
		}
	}
	return json.Unmarshal(b, &c.RegisteredClaims)
}

func isJSONNumber(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9'))
}
