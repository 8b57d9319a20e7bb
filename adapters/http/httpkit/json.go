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

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

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

// decodeBytes is Decode's strict decoding of a body already read. JSON v2's defaults refuse
// what encoding/json let through: keys that match a field only when case is ignored, a key
// repeated in one object (at any depth, also inside raw values and maps), invalid UTF-8 and
// unpaired surrogate escapes; RejectUnknownMembers adds unknown fields.
func decodeBytes(b []byte, dst any) error {
	dec := jsontext.NewDecoder(bytes.NewReader(b))
	if err := jsonv2.UnmarshalDecode(dec, dst, jsonv2.RejectUnknownMembers(true)); err != nil {
		return decodeError(err)
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return errs.Invalid("request body must hold a single JSON value")
	}
	return nil
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

// decodeError turns a JSON v2 error into the client's 400 message. The messages are those
// the services gave before JSON v2: field names without array indexes, joined by dots.
func decodeError(err error) error {
	var syntactic *jsontext.SyntacticError
	var semantic *jsonv2.SemanticError
	switch {
	case errors.Is(err, io.EOF):
		return errs.Invalid("request body is empty")
	case errors.Is(err, jsontext.ErrDuplicateName) && errors.As(err, &syntactic):
		return errs.Invalid("field %q appears more than once", syntactic.JSONPointer.LastToken())
	case errors.Is(err, jsonv2.ErrUnknownName) && errors.As(err, &semantic):
		return errs.Invalid("unknown field %q", semantic.JSONPointer.LastToken())
	case errors.As(err, &syntactic):
		return errs.Invalid("request body is not valid JSON")
	case errors.As(err, &semantic):
		if f := fieldPath(semantic.JSONPointer); f != "" {
			return errs.Invalid("field %q has the wrong type", f)
		}
		return errs.Invalid("request body has the wrong type")
	default:
		return errs.Invalid("request body is not valid JSON")
	}
}

// fieldPath names the field at p as encoding/json did: the object member names from the
// root, array indexes left out ("/items/0/qty" is "items.qty").
func fieldPath(p jsontext.Pointer) string {
	var names []string
	for tok := range p.Tokens() {
		if strings.Trim(tok, "0123456789") != "" {
			names = append(names, tok)
		}
	}
	return strings.Join(names, ".")
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
	writeEncoded(w, status, b, err)
}

// writeEncoded writes body with status, or a 500 when encoding it failed (err).
func writeEncoded(w http.ResponseWriter, status int, body []byte, err error) {
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal_error","message":"internal error"}}`)
	}
	WriteRaw(w, status, body)
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
