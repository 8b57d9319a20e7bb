// Package idempotency holds the rules of idempotent requests, after the IETF draft "The
// Idempotency-Key HTTP Header Field": a key chosen by the client, scoped by operation, bound
// to the target and the fingerprint of the first request that used it, and the response
// that request got, replayed byte for byte until the key expires.
package idempotency

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/timestamp"
)

// MaxKeyLength is the longest key accepted.
const MaxKeyLength = 255

// Errors of idempotent requests.
var (
	// ErrKeyRequired: the operation needs a key and none was sent.
	ErrKeyRequired = errs.New(errs.KindInvalid, "idempotency_key_required", "an Idempotency-Key header is required")
	// ErrInvalidKey: the key is empty, too long, holds other than printable ASCII, or two
	// headers carry different keys.
	ErrInvalidKey = errs.New(errs.KindInvalid, "invalid_idempotency_key", "the idempotency key must be 1 to 255 printable ASCII characters")
	// ErrKeyReused: the key was first used for another target or another request body.
	ErrKeyReused = errs.New(errs.KindUnprocessable, "idempotency_key_reused", "the idempotency key was already used for a different request")
	// ErrInProgress: the first request with this key has not finished yet.
	ErrInProgress = errs.New(errs.KindConflict, "idempotency_key_in_progress", "a request with this idempotency key is still in progress")
	// ErrNotFound: no completed request is stored under the key (never used, failed, or
	// expired).
	ErrNotFound = errs.New(errs.KindNotFound, "idempotency_key_not_found", "no completed request is stored under this idempotency key")
)

// Key is a validated idempotency key. The zero value means "no key".
type Key struct{ s string }

// ParseKey validates a key: 1..MaxKeyLength characters, each printable ASCII (0x20..0x7E).
func ParseKey(s string) (Key, error) {
	if s == "" || len(s) > MaxKeyLength {
		return Key{}, ErrInvalidKey
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return Key{}, ErrInvalidKey
		}
	}
	return Key{s}, nil
}

// Pick reads the key from every value the request carries for it (for HTTP: the values of
// X-Idempotency-Key followed by those of Idempotency-Key). No value: present is false and
// err nil. Values that differ from one another, or an invalid value: ErrInvalidKey.
func Pick(values []string) (key Key, present bool, err error) {
	if len(values) == 0 {
		return Key{}, false, nil
	}
	for _, v := range values[1:] {
		if v != values[0] {
			return Key{}, true, ErrInvalidKey
		}
	}
	k, err := ParseKey(values[0])
	return k, true, err
}

// String is the key as the client sent it.
func (k Key) String() string { return k.s }

// IsZero reports "no key".
func (k Key) IsZero() bool { return k.s == "" }

// Operation scopes keys: the same key may confirm one order and create another.
type Operation string

// The idempotent operations. Their names are stored (at most 32 ASCII characters).
const (
	OpCreateOrder  Operation = "create_order"
	OpConfirmOrder Operation = "confirm_order"
	// OpCreateAndConfirm keeps the orchestrator's consolidated answer (customer and
	// confirmed order) for its client's key: the orchestrator has no store of its own.
	OpCreateAndConfirm Operation = "create_and_confirm"
)

// Fingerprint is the SHA-256, in lower-case hex (64 characters), of the canonical form of a
// request: its parts, each length-prefixed so that no two different lists collide.
func Fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// IsFingerprint reports whether s has the form Fingerprint returns: 64 lower-case hex digits.
func IsFingerprint(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}

// Response is what the first successful request was answered, kept for its replays. It is
// opaque to the domain: the transport that encoded it chooses the status code and the
// bytes, and gets them back unchanged. Status 0 means "not yet known".
type Response struct {
	Status int
	Body   []byte
}

// Record is one key's entry: who used it first, for what, the order it produced and the
// answer they got.
type Record struct {
	operation   Operation
	key         Key
	target      string
	fingerprint string
	orderID     int64
	response    Response
	createdAt   time.Time
	expiresAt   time.Time
}

// NewRecord starts the record of a first use of key at now; it expires ttl later. Its
// response is not known yet (Completed is false) until Complete is called. target names the
// resource the request acts on ("" when there is none yet, as for a creation).
func NewRecord(op Operation, key Key, target, fingerprint string, now time.Time, ttl time.Duration) *Record {
	now = timestamp.Of(now)
	return &Record{operation: op, key: key, target: target, fingerprint: fingerprint,
		createdAt: now, expiresAt: now.Add(ttl)}
}

// Snapshot is a record's state field by field, as adapters store it: the one list of the
// record's fields. Response.Status 0 means the response is not stored yet; OrderID 0 means
// the request produced no order (or has not completed).
type Snapshot struct {
	Operation   Operation
	Key         string
	Target      string
	Fingerprint string
	OrderID     int64
	Response    Response
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Rehydrate rebuilds a stored record from its snapshot. Only adapters call it.
func Rehydrate(s Snapshot) *Record {
	return &Record{operation: s.Operation, key: Key{s.Key}, target: s.Target, fingerprint: s.Fingerprint,
		orderID: s.OrderID, response: Response{Status: s.Response.Status, Body: bytes.Clone(s.Response.Body)},
		createdAt: s.CreatedAt.UTC(), expiresAt: s.ExpiresAt.UTC()}
}

// Snapshot returns the record's state field by field (the body copied).
func (r *Record) Snapshot() Snapshot {
	return Snapshot{Operation: r.operation, Key: r.key.s, Target: r.target, Fingerprint: r.fingerprint,
		OrderID: r.orderID, Response: r.Response(), CreatedAt: r.createdAt, ExpiresAt: r.expiresAt}
}

// Complete stores the outcome of the first request: the id of the order it produced (0:
// none) and its response.
func (r *Record) Complete(orderID int64, resp Response) {
	r.orderID = orderID
	r.response = Response{Status: resp.Status, Body: bytes.Clone(resp.Body)}
}

// Matches reports whether a request with target and fingerprint is the same request as the
// first one: then its response is replayed; else the key is being reused (ErrKeyReused).
func (r *Record) Matches(target, fingerprint string) bool {
	return r.target == target && r.fingerprint == fingerprint
}

// Expired reports whether the key has expired at now: an expired record counts as absent.
func (r *Record) Expired(now time.Time) bool { return !now.Before(r.expiresAt) }

// Completed reports whether the response is stored.
func (r *Record) Completed() bool { return r.response.Status != 0 }

func (r *Record) Operation() Operation { return r.operation }
func (r *Record) Key() Key             { return r.key }
func (r *Record) Target() string       { return r.target }
func (r *Record) Fingerprint() string  { return r.fingerprint }

// OrderID is the id of the order the first request produced (created or confirmed), 0 when
// it produced none or has not completed. A replay names the order with it, without reading
// the opaque response.
func (r *Record) OrderID() int64       { return r.orderID }
func (r *Record) CreatedAt() time.Time { return r.createdAt }
func (r *Record) ExpiresAt() time.Time { return r.expiresAt }

// Response returns a copy of the stored response.
func (r *Record) Response() Response {
	return Response{Status: r.response.Status, Body: bytes.Clone(r.response.Body)}
}
