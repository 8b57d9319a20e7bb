package auth

import (
	"context"
	"time"
)

// TokenIssuer signs access tokens for an authenticated subject.
type TokenIssuer interface {
	// Issue returns a signed token for subject, valid from now for the issuer's lifetime.
	Issue(subject string, now time.Time) (Token, error)
}

// TokenVerifier checks bearer tokens. Other services reuse it to guard their routes.
type TokenVerifier interface {
	// Verify returns the token's subject; any invalid, expired or foreign token is ErrUnauthorized.
	Verify(token string) (subject string, err error)
}

// PasswordChecker tells whether a username and password name the configured operator.
type PasswordChecker interface {
	// Check reports whether the credentials match. It takes about the same time whether the
	// user is unknown or the password wrong.
	Check(ctx context.Context, username, password string) bool
}

// AttemptLimiter counts failed logins per (username, client address) and per client address,
// in bounded memory whatever the number of usernames and addresses tried.
type AttemptLimiter interface {
	// Blocked returns how long the pair must still wait, because of its own failures or its
	// address's, or 0.
	Blocked(key AttemptKey, now time.Time) time.Duration
	// Failed records a failed attempt at now, for the pair and for its address.
	Failed(key AttemptKey, now time.Time)
	// Reset forgets the pair's failures after a success; the address's count stays.
	Reset(key AttemptKey)
}

// AttemptKey identifies whose failures are counted: one username from one client address.
type AttemptKey struct {
	Username string
	Address  string
}

// Token is an issued access token.
type Token struct {
	Value     string
	ExpiresIn time.Duration
}
