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

// AttemptLimiter counts failed logins per (username, client address) and per client address
// under an AttemptPolicy, in bounded space whatever the number of usernames and addresses
// tried. It counts an attempt before its password is checked, atomically with the check of
// the limits, so that concurrent attempts, in this process or in another replica sharing the
// limiter's store, never get past a limit: the attempt is taken back when it did not fail.
type AttemptLimiter interface {
	// Attempt starts an attempt of key at now. When the pair, or its address, has reached
	// its limit it counts nothing and returns how long the pair must still wait (> 0).
	// Otherwise it counts the attempt as a failure of the pair and of the address, in one
	// atomic step with that check, and returns 0. Errors: the store failed (nothing counted).
	Attempt(ctx context.Context, key AttemptKey, now time.Time) (wait time.Duration, err error)
	// Succeeded takes back the failure that Attempt counted at the address for the attempt
	// at at, and forgets every failure of the pair: the password was right. The address's
	// other failures stay.
	Succeeded(ctx context.Context, key AttemptKey, at time.Time) error
	// Abandoned takes back the failure Attempt counted at at, for the pair and the address:
	// the attempt stopped before its password was checked.
	Abandoned(ctx context.Context, key AttemptKey, at time.Time) error
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
