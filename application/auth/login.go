package auth

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
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

// lockStripes is how many locks serialize attempts; pairs hashing to one stripe wait for
// each other, which only matters while a password is being hashed.
const lockStripes = 64

// Login exchanges the operator's credentials for an access token. It consults the attempt
// limiter first, so a blocked pair is refused before any password is checked; a failure is
// recorded per (username, address) and a success clears that pair's failures.
//
// The check, the password comparison and the recording of the outcome run under a lock
// striped by pair, so concurrent attempts of one pair cannot all pass the check before any
// failure is recorded: a pair never gets more than the limiter's number of guesses.
type Login struct {
	limiter   AttemptLimiter
	passwords PasswordChecker
	tokens    TokenIssuer
	now       func() time.Time
	seed      maphash.Seed
	stripes   [lockStripes]sync.Mutex
}

// NewLogin returns the login use case; now is the clock.
func NewLogin(limiter AttemptLimiter, passwords PasswordChecker, tokens TokenIssuer, now func() time.Time) *Login {
	return &Login{limiter: limiter, passwords: passwords, tokens: tokens, now: now, seed: maphash.MakeSeed()}
}

func (l *Login) lock(key AttemptKey) *sync.Mutex {
	var h maphash.Hash
	h.SetSeed(l.seed)
	_, _ = h.WriteString(key.Username)
	_ = h.WriteByte(0)
	_, _ = h.WriteString(key.Address)
	return &l.stripes[h.Sum64()%lockStripes]
}

// Handle checks cmd and returns a token. Errors: KindInvalid when a field is missing,
// *TooManyAttemptsError (ErrTooManyAttempts) while the pair is blocked, ErrInvalidCredentials
// for an unknown user and a wrong password alike.
func (l *Login) Handle(ctx context.Context, cmd LoginCommand) (Token, error) {
	if cmd.Username == "" || cmd.Password == "" {
		return Token{}, errs.Invalid("username and password are required")
	}
	key := AttemptKey{Username: truncate(cmd.Username, MaxCredentialLength), Address: cmd.Address}
	mu := l.lock(key)
	mu.Lock()
	defer mu.Unlock()
	now := l.now()
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
