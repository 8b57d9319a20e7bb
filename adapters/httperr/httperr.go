// Package httperr is the one table from error kinds to HTTP statuses, and back. The HTTP
// adapters, the Lambda adapter and the HTTP clients all use it, so a kind means the same
// status everywhere.
package httperr

import (
	"errors"
	"net/http"

	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// Kinds only the transports use, beside the domain's (errs): a request body too large for the
// server, an upstream service that could not be reached or answered outside its contract, and
// one that did not answer in time. Their values lie above every domain kind.
const (
	KindTooLarge errs.Kind = iota + 100
	KindBadGateway
	KindTimeout
)

var statusByKind = map[errs.Kind]int{
	errs.KindInvalid:         http.StatusBadRequest,
	errs.KindUnauthorized:    http.StatusUnauthorized,
	errs.KindNotFound:        http.StatusNotFound,
	errs.KindConflict:        http.StatusConflict,
	errs.KindUnprocessable:   http.StatusUnprocessableEntity,
	errs.KindUnavailable:     http.StatusServiceUnavailable,
	errs.KindTooManyRequests: http.StatusTooManyRequests,
	KindTooLarge:             http.StatusRequestEntityTooLarge,
	KindBadGateway:           http.StatusBadGateway,
	KindTimeout:              http.StatusGatewayTimeout,
	errs.KindInternal:        http.StatusInternalServerError,
}

// Status returns the HTTP status for a kind.
func Status(k errs.Kind) int {
	if s, ok := statusByKind[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// KindForStatus is the reverse of Status, for clients that read another service's answer.
// Statuses outside the table map to KindBadGateway: the upstream answered something we do
// not understand.
func KindForStatus(status int) errs.Kind {
	for k, s := range statusByKind {
		if s == status && k != errs.KindInternal {
			return k
		}
	}
	return KindBadGateway
}

// Body is the contract's error object: {"error": {"code", "message", "details"}}.
type Body struct {
	Error Detail `json:"error"`
}

// Detail is the inner error object.
type Detail struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// Describe returns the status and the public error object for err. An unclassified error
// becomes 500 "internal_error" with a fixed message, so no driver text reaches a client;
// internal reports whether the caller should log the original error.
func Describe(err error) (status int, detail Detail, internal bool) {
	var c errs.Coded
	if !errors.As(err, &c) || c.Kind() == errs.KindInternal {
		return http.StatusInternalServerError, Detail{Code: "internal_error", Message: "internal error"}, true
	}
	d := Detail{Code: c.Code(), Message: c.Error()}
	var det errs.Detailed
	if errors.As(err, &det) && len(det.Details()) > 0 {
		d.Details = det.Details()
	}
	status = Status(c.Kind())
	var s *statusError
	if errors.As(err, &s) {
		status = s.status
	}
	return status, d, false
}

// WithStatus returns err answered with status instead of its kind's: for the few answers
// of the HTTP layer itself that the kinds do not name (405, 415). err keeps its kind for
// everything else (errors.Is, the clients' reverse mapping).
func WithStatus(status int, err *errs.Error) error { return &statusError{base: err, status: status} }

// statusError is an errs.Error with an HTTP status of its own.
type statusError struct {
	base   *errs.Error
	status int
}

func (s *statusError) Error() string   { return s.base.Error() }
func (s *statusError) Kind() errs.Kind { return s.base.Kind() }
func (s *statusError) Code() string    { return s.base.Code() }
func (s *statusError) Unwrap() error   { return s.base }
