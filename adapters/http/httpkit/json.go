// Package httpkit holds what every HTTP adapter of the project shares: strict JSON decoding,
// the contract's response envelopes, middleware and a server with graceful shutdown.
package httpkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// MaxBodyBytes is the contract's request body limit (1 MiB).
const MaxBodyBytes = 1 << 20

// ErrBodyTooLarge is returned by Decode when the body exceeds MaxBodyBytes.
var ErrBodyTooLarge = errs.New(httperr.KindTooLarge, "payload_too_large", "request body exceeds 1 MiB")

// Decode reads one JSON value from r's body into dst, strictly: a body whose Content-Type
// is not JSON is ErrUnsupportedMediaType (415; an empty body is the 400 below), unknown fields (also those
// that match a field only when case is ignored), repeated fields, trailing data, wrong types
// and an empty body are KindInvalid errors; an oversized body is ErrBodyTooLarge. dst's
// fields should be pointers where "missing" must be told apart from a zero value.
func Decode(r *http.Request, dst any) error {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return ErrBodyTooLarge
		}
		return errs.Invalid("request body could not be read")
	}
	if len(b) > 0 {
		if err := CheckJSONContentType(r.Header); err != nil {
			return err
		}
	}
	return decodeBytes(b, dst)
}

// ErrUnsupportedMediaType is returned by Decode when the request's Content-Type is not JSON.
var ErrUnsupportedMediaType = httperr.WithStatus(http.StatusUnsupportedMediaType,
	errs.New(errs.KindInvalid, "unsupported_media_type", "the request body must be JSON (Content-Type: application/json)"))

// CheckJSONContentType returns ErrUnsupportedMediaType unless h's Content-Type is JSON:
// application/json or a structured syntax suffix type such as application/problem+json,
// with or without parameters (charset). Routes that take no body do not call it, and an
// empty body needs none.
func CheckJSONContentType(h http.Header) error {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return ErrUnsupportedMediaType
	}
	if mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return ErrUnsupportedMediaType
}

// decodeBytes is Decode's strict decoding of a body already read.
func decodeBytes(b []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return errs.Invalid("request body must hold a single JSON value")
	}
	return checkFieldNames(b, dst)
}

// DecodeBytes is Decode for a body already in memory (the orchestrator reads its body first,
// for the correlation_id every answer carries); the caller checks the Content-Type with
// CheckJSONContentType.
func DecodeBytes(b []byte, dst any) error {
	if len(b) > MaxBodyBytes {
		return ErrBodyTooLarge
	}
	return decodeBytes(b, dst)
}

func decodeError(err error) error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return ErrBodyTooLarge
	case errors.Is(err, io.EOF):
		return errs.Invalid("request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &syntax):
		return errs.Invalid("request body is not valid JSON")
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return errs.Invalid("field %q has the wrong type", typeErr.Field)
		}
		return errs.Invalid("request body has the wrong type")
	default:
		// encoding/json reports unknown fields only as text: `json: unknown field "x"`.
		const prefix = "json: unknown field "
		if msg := err.Error(); len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
			return errs.Invalid("unknown field %s", msg[len(prefix):])
		}
		return errs.Invalid("request body is not valid JSON")
	}
}

// envelope is the success shape {"data": ...}.
type envelope struct {
	Data any `json:"data"`
}

// Pagination is the list metadata of the contract.
type Pagination struct {
	Limit      int     `json:"limit"`
	NextCursor *string `json:"next_cursor"`
	HasMore    bool    `json:"has_more"`
}

type listEnvelope struct {
	Data       any        `json:"data"`
	Pagination Pagination `json:"pagination"`
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal_error","message":"internal error"}}`)
	}
	WriteRaw(w, status, b)
}

// WriteRaw writes an already encoded JSON body; idempotent replays use it to answer byte for
// byte what was stored.
func WriteRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// WriteData writes {"data": v}.
func WriteData(w http.ResponseWriter, status int, v any) { WriteJSON(w, status, envelope{Data: v}) }

// WriteList writes {"data": items, "pagination": p}. items must be a slice (nil is written as []).
func WriteList(w http.ResponseWriter, items any, p Pagination) {
	WriteJSON(w, http.StatusOK, listEnvelope{Data: items, Pagination: p})
}

// WriteError writes the contract's error object for err. Unclassified errors are shown only
// as "internal error"; the cause of every 5xx (the error chain as text, credentials
// redacted) goes to the request's access log line as "error" (see RecordCause).
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status, detail, _ := httperr.Describe(err)
	if status >= http.StatusInternalServerError {
		RecordCause(r.Context(), err)
	}
	if status == http.StatusTooManyRequests {
		var ra interface{ RetryAfterSeconds() int }
		if errors.As(err, &ra) {
			w.Header().Set("Retry-After", strconv.Itoa(ra.RetryAfterSeconds()))
		}
	}
	WriteJSON(w, status, httperr.Body{Error: detail})
}

// EncodeData returns the bytes WriteData would write, for handlers that must store them.
func EncodeData(v any) ([]byte, error) {
	b, err := json.Marshal(envelope{Data: v})
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return b, nil
}
