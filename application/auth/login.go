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

// Login is one login attempt. Address is the client's network address, as seen by
// the server (not a forwarded header, which the client controls).
type Login struct {
	Username string
	Password string
	Address  string
}

// lockStripes is how many locks serialize attempts; pairs hashing to one stripe wait for
// each other, which only matters while a password is being hashed.
const lockStripes = 64

// CheckLimit bounds the password checks that run at once. A bcrypt comparison takes a core
// for tens of milliseconds whatever the outcome, so without a bound a flood of logins with
// fresh usernames (each a new pair for the limiter) takes every core from the other routes.
type CheckLimit struct {
	// Concurrent is how many checks may run at once (at least 1).
	Concurrent int
	// Wait is how long a login waits for a free slot before it is refused with
	// *TooManyAttemptsError (retry after a second); the waiting is bounded, never a queue.
	Wait time.Duration
}

// busyRetryAfter is the Retry-After of a login refused because every check slot was taken.
const busyRetryAfter = time.Second

// Service exchanges the operator's credentials for an access token. It consults the attempt
// limiter first, so a blocked pair or address is refused before any password is checked; a
// failure is recorded for the pair and the address, and a success clears the pair's
// failures. At most CheckLimit.Concurrent password checks run at once, for unknown users and
// wrong passwords alike (the checker does the same work for both).
//
// The check, the password comparison and the recording of the outcome run under a lock
// striped by pair, so concurrent attempts of one pair cannot all pass the check before any
// failure is recorded: a pair never gets more than the limiter's number of guesses. An
// address may get up to CheckLimit.Concurrent guesses past its own limit, from attempts
// that were already checking when it was reached.
type Service struct {
	limiter   AttemptLimiter
	passwords PasswordChecker
	tokens    TokenIssuer
	now       func() time.Time
	slots     chan struct{} // one element per password check running
	wait      time.Duration
	seed      maphash.Seed
	stripes   [lockStripes]sync.Mutex
}

// NewService returns the login use case; now is the clock.
func NewService(limiter AttemptLimiter, passwords PasswordChecker, tokens TokenIssuer, now func() time.Time, limit CheckLimit) *Service {
	return &Service{limiter: limiter, passwords: passwords, tokens: tokens, now: now,
		slots: make(chan struct{}, max(limit.Concurrent, 1)), wait: limit.Wait, seed: maphash.MakeSeed()}
}

func (l *Service) lock(key AttemptKey) *sync.Mutex {
	var h maphash.Hash
	h.SetSeed(l.seed)
	_, _ = h.WriteString(key.Username)
	_ = h.WriteByte(0)
	_, _ = h.WriteString(key.Address)
	return &l.stripes[h.Sum64()%lockStripes]
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
	mu := l.lock(key)
	mu.Lock()
	defer mu.Unlock()
	now := l.now()
	if wait := l.limiter.Blocked(key, now); wait > 0 {
		return Token{}, &TooManyAttemptsError{RetryAfter: wait}
	}
	ok := false
	if len(cmd.Username) <= MaxCredentialLength && len(cmd.Password) <= MaxCredentialLength {
		if !l.acquire(ctx) {
			return Token{}, &TooManyAttemptsError{RetryAfter: busyRetryAfter}
		}
		ok = l.passwords.Check(ctx, cmd.Username, cmd.Password)
		<-l.slots
	}
	if !ok {
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
