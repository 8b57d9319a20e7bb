// Package errs holds the one error vocabulary every layer shares: a small closed set of kinds
// and a machine-readable code. Adapters translate kinds to transport status codes in a single
// table (adapters/httperr); the domain and application layers only say what went wrong.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it. The kinds below are the
// domain's and the use cases'; transports add their own (a body too large, an upstream that
// failed or timed out) beside the transport, in adapters/httperr.
type Kind int

// The kinds. KindInternal is the zero value so that an unclassified error is never shown to a
// client as anything but an internal error.
const (
	KindInternal Kind = iota
	KindInvalid
	KindUnauthorized
	KindNotFound
	KindConflict
	KindUnprocessable
	KindUnavailable
	KindTooManyRequests
)

// Coded is implemented by every classified error. Use errors.As to read it from a wrapped chain.
type Coded interface {
	error
	Kind() Kind
	Code() string
}

// Detailed is implemented by errors that carry structured details for the client.
type Detailed interface {
	Details() map[string]any
}

// Error is a classified error with a stable code and a human message. Declare package-level
// sentinels with New and compare them with errors.Is.
type Error struct {
	kind    Kind
	code    string
	message string
	details map[string]any
}

// New returns a classified error. code is snake_case and part of the public contract.
func New(kind Kind, code, message string) *Error {
	return &Error{kind: kind, code: code, message: message}
}

// Invalid returns a KindInvalid error with the contract's generic "invalid_request" code.
func Invalid(format string, args ...any) *Error {
	return &Error{kind: KindInvalid, code: "invalid_request", message: fmt.Sprintf(format, args...)}
}

// WithDetails returns a copy of e carrying details. The copy still matches e with errors.Is.
func (e *Error) WithDetails(details map[string]any) error {
	return &detailedError{base: e, details: details}
}

// WithMessage returns an error that matches e with errors.Is but shows another message.
func (e *Error) WithMessage(format string, args ...any) error {
	return &detailedError{base: e, message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string           { return e.message }
func (e *Error) Kind() Kind              { return e.kind }
func (e *Error) Code() string            { return e.code }
func (e *Error) Details() map[string]any { return e.details }

// detailedError is a sentinel with another message or details; it unwraps to the sentinel.
type detailedError struct {
	base    *Error
	message string
	details map[string]any
}

func (d *detailedError) Error() string {
	if d.message != "" {
		return d.message
	}
	return d.base.message
}
func (d *detailedError) Kind() Kind              { return d.base.kind }
func (d *detailedError) Code() string            { return d.base.code }
func (d *detailedError) Details() map[string]any { return d.details }
func (d *detailedError) Unwrap() error           { return d.base }

// KindOf returns the kind of the first classified error in err's chain, else KindInternal.
func KindOf(err error) Kind {
	var c Coded
	if errors.As(err, &c) {
		return c.Kind()
	}
	return KindInternal
}
