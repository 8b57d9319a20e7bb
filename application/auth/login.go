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

// Login is one login attempt. Address is the client's network address, as seen by
// the server (not a forwarded header, which the client controls).
type Login struct {
	Username string
	Password string
	Address  string
}

// CheckLimit bounds the password checks that run at once. A bcrypt comparison takes a core
// for tens of milliseconds whatever the outcome, so without a bound a flood of logins with
// fresh usernames (each a new pair for the limiter) takes every core from the other routes.
type CheckLimit struct {
	// Concurrent is how many checks may run at once (at least 1).
	Concurrent int
	// Wait is how long a login waits for a free slot before it is refused with
	// *TooManyAttemptsError (429, Retry-After: 1); the waiting is bounded, never a queue.
	Wait time.Duration
}

// busyRetryAfter is the Retry-After of a login refused because every check slot was taken.
const busyRetryAfter = time.Second

// Service exchanges the operator's credentials for an access token. It starts the attempt at
// the limiter first, so a blocked pair or address is refused before any password is checked;
// the limiter counts the attempt as a failure in the same atomic step (concurrent attempts,
// on any replica sharing the limiter's store, see it), and the login takes it back when the
// password was right (which also clears the pair's failures) or was never checked. At most
// CheckLimit.Concurrent password checks run at once, for unknown users and wrong passwords
// alike (the checker does the same work for both).
type Service struct {
	limiter   AttemptLimiter
	passwords PasswordChecker
	tokens    TokenIssuer
	now       func() time.Time
	slots     chan struct{} // one element per password check running
	wait      time.Duration
}

// NewService returns the login use case; now is the clock.
func NewService(limiter AttemptLimiter, passwords PasswordChecker, tokens TokenIssuer, now func() time.Time, limit CheckLimit) *Service {
	return &Service{limiter: limiter, passwords: passwords, tokens: tokens, now: now,
		slots: make(chan struct{}, max(limit.Concurrent, 1)), wait: limit.Wait}
}

// Login checks cmd and returns a token. Errors: KindInvalid when a field is missing,
// *TooManyAttemptsError (ErrTooManyAttempts) while the pair or the address is blocked or no
// check slot frees within CheckLimit.Wait, ErrInvalidCredentials for an unknown user and a
// wrong password alike.
func (l *Service) Login(ctx context.Context, cmd Login) (Token, error) {
	if cmd.Username == "" || cmd.Password == "" {
		return Token{}, errs.Invalid("username and password are required")
	}
	key := AttemptKey{Username: truncate(cmd.Username, MaxCredentialLength), Address: cmd.Address}
	now := l.now()
	wait, err := l.limiter.Attempt(ctx, key, now)
	if err != nil {
		return Token{}, fmt.Errorf("login: %w", err)
	}
	if wait > 0 {
		return Token{}, &TooManyAttemptsError{RetryAfter: wait}
	}
	// The attempt counts as a failure from here on; taking it back must not depend on a
	// client that went away meanwhile.
	settle := context.WithoutCancel(ctx)
	ok := false
	if len(cmd.Username) <= MaxCredentialLength && len(cmd.Password) <= MaxCredentialLength {
		if !l.acquire(ctx) {
			if err := l.limiter.Abandoned(settle, key, now); err != nil {
				return Token{}, fmt.Errorf("login: %w", err)
			}
			return Token{}, &TooManyAttemptsError{RetryAfter: busyRetryAfter}
		}
		ok = l.passwords.Check(ctx, cmd.Username, cmd.Password)
		<-l.slots
	}
	if !ok {
		return Token{}, ErrInvalidCredentials
	}
	if err := l.limiter.Succeeded(settle, key, now); err != nil {
		return Token{}, fmt.Errorf("login: %w", err)
	}
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

// acquire takes a check slot, waiting at most l.wait; false when none freed in time or ctx
// ended first.
func (l *Service) acquire(ctx context.Context) bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	timer := time.NewTimer(l.wait)
	defer timer.Stop()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-timer.C:
		return false
	case <-ctx.Done():
		return false
	}
}
