// Package auth holds the login use case and the ports for tokens, passwords and the
// failed-attempt limiter. Verification ports are shared: orders-api and the orchestrator
// guard their routes with the same TokenVerifier.
package auth

import (
	"strconv"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// Errors of the auth use cases.
var (
	ErrUnauthorized       = errs.New(errs.KindUnauthorized, "unauthorized", "missing or invalid bearer token")
	ErrInvalidCredentials = errs.New(errs.KindUnauthorized, "invalid_credentials", "invalid username or password")
	ErrTooManyAttempts    = errs.New(errs.KindTooManyRequests, "too_many_attempts", "too many failed login attempts, try again later")
)

// TooManyAttemptsError is ErrTooManyAttempts with the wait the client must respect.
type TooManyAttemptsError struct{ RetryAfter time.Duration }

func (e *TooManyAttemptsError) Error() string   { return ErrTooManyAttempts.Error() }
func (e *TooManyAttemptsError) Unwrap() error   { return ErrTooManyAttempts }
func (e *TooManyAttemptsError) Kind() errs.Kind { return ErrTooManyAttempts.Kind() }
func (e *TooManyAttemptsError) Code() string    { return ErrTooManyAttempts.Code() }
func (e *TooManyAttemptsError) String() string {
	return "retry after " + strconv.Itoa(e.RetryAfterSeconds()) + "s"
}

// RetryAfterSeconds is the Retry-After value, rounded up, at least 1.
func (e *TooManyAttemptsError) RetryAfterSeconds() int {
	s := int((e.RetryAfter + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}
