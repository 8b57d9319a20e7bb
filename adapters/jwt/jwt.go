// Package jwt issues and verifies the project's access tokens with golang-jwt v5: HS256 only
// (the algorithm is pinned, so "none", HS512 or RS256 tokens are refused), exp required, the
// issuer checked.
package jwt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
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
	now      func() time.Time
	verified verifiedCache
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
	t := &Tokens{
		secret:   []byte(secret),
		issuer:   string(issuer),
		lifetime: time.Duration(lifetime),
		verified: verifiedCache{m: map[string]verifiedToken{}},
	}
	t.setClock(time.Now)
	return t, nil
}

// WithClock makes Verify read the time from now (tests move it past a token's expiry) and
// returns t. Call it before t is used.
func (t *Tokens) WithClock(now func() time.Time) *Tokens {
	t.setClock(now)
	return t
}

func (t *Tokens) setClock(now func() time.Time) {
	t.now = now
	t.parser = gojwt.NewParser(
		gojwt.WithValidMethods([]string{gojwt.SigningMethodHS256.Alg()}),
		gojwt.WithExpirationRequired(),
		gojwt.WithIssuer(t.issuer),
		gojwt.WithIssuedAt(),
		gojwt.WithLeeway(5*time.Second),
		gojwt.WithTimeFunc(now),
	)
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
//
// A token verified before is answered from a small cache of verified tokens (see
// verifiedCache) until its exp: a client sends the same token with every request, and
// parsing it (two base64 decodes, two JSON decodes, an HMAC) was a tenth of a read's CPU.
func (t *Tokens) Verify(token string) (string, error) {
	now := t.now()
	if sub, ok := t.verified.get(token, now); ok {
		return sub, nil
	}
	var claims strictClaims
	parsed, err := t.parser.ParseWithClaims(token, &claims, func(tok *gojwt.Token) (any, error) {
		if _, ok := tok.Header["crit"]; ok {
			return nil, errCritical
		}
		return t.secret, nil
	})
	if err != nil || !parsed.Valid || claims.Subject == "" || claims.ExpiresAt == nil {
		return "", auth.ErrUnauthorized
	}
	t.verified.put(token, verifiedToken{subject: claims.Subject, expires: claims.ExpiresAt.Time}, now)
	return claims.Subject, nil
}

// maxVerified bounds the cache of verified tokens. Only tokens signed with our secret enter
// it, so its size follows the number of live sessions, not what an attacker sends.
const maxVerified = 4096

// verifiedCache maps the exact text of a token that passed every check (signature
// included: a token altered in any byte is another key) to its subject and expiry. An
// entry answers only before that expiry (without the parser's leeway); after it the token
// goes through the parser again, which refuses it. When full, expired entries are dropped,
// and if none were, the whole cache: a refill costs one parse per live token.
type verifiedCache struct {
	mu sync.RWMutex
	m  map[string]verifiedToken
}

type verifiedToken struct {
	subject string
	expires time.Time
}

func (c *verifiedCache) get(token string, now time.Time) (string, bool) {
	c.mu.RLock()
	v, ok := c.m[token]
	c.mu.RUnlock()
	if !ok || !now.Before(v.expires) {
		return "", false
	}
	return v.subject, true
}

func (c *verifiedCache) put(token string, v verifiedToken, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxVerified {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxVerified {
			clear(c.m)
		}
	}
	c.m[token] = v
}

func (c *verifiedCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
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
