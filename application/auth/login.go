package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// MaxCredentialLength bounds username and password: longer ones cannot be the operator's
// (bcrypt reads 72 bytes) and would only make the limiter and hashing work harder.
const MaxCredentialLength = 1024

// LoginCommand is one login attempt. Address is the client's network address, as seen by
// the server (not a forwarded header, which the client controls).
type LoginCommand struct {
	Username string
	Password string
	Address  string
}

// Login exchanges the operator's credentials for an access token. It consults the attempt
// limiter first, so a blocked pair is refused before any password is checked; a failure is
// recorded per (username, address) and a success clears that pair's failures.
type Login struct {
	limiter   AttemptLimiter
	passwords PasswordChecker
	tokens    TokenIssuer
	now       func() time.Time
}

// NewLogin returns the login use case; now is the clock.
func NewLogin(limiter AttemptLimiter, passwords PasswordChecker, tokens TokenIssuer, now func() time.Time) *Login {
	return &Login{limiter: limiter, passwords: passwords, tokens: tokens, now: now}
}

// Handle checks cmd and returns a token. Errors: KindInvalid when a field is missing,
// *TooManyAttemptsError (ErrTooManyAttempts) while the pair is blocked, ErrInvalidCredentials
// for an unknown user and a wrong password alike.
func (l *Login) Handle(ctx context.Context, cmd LoginCommand) (Token, error) {
	if cmd.Username == "" || cmd.Password == "" {
		return Token{}, errs.Invalid("username and password are required")
	}
	now := l.now()
	key := AttemptKey{Username: truncate(cmd.Username, MaxCredentialLength), Address: cmd.Address}
	if wait := l.limiter.Blocked(key, now); wait > 0 {
		return Token{}, &TooManyAttemptsError{RetryAfter: wait}
	}
	if len(cmd.Username) > MaxCredentialLength || len(cmd.Password) > MaxCredentialLength ||
		!l.passwords.Check(ctx, cmd.Username, cmd.Password) {
		l.limiter.Failed(key, now)
		return Token{}, ErrInvalidCredentials
	}
	l.limiter.Reset(key)
	tok, err := l.tokens.Issue(cmd.Username, now)
	if err != nil {
		return Token{}, fmt.Errorf("login: %w", err)
	}
	return tok, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
