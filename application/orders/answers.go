package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
)

// Answer is the orchestrator's consolidated answer to a completed create-and-confirm,
// kept under the orchestrator's key as one more idempotency operation
// (idempotency.OpCreateAndConfirm): the orchestrator has no store of its own, and its answer
// names the customer, which a replay must not have to ask customers-api about again.
// Fingerprint identifies the request that got Response (the orchestrator computes it);
// Response is opaque here.
type Answer struct {
	Fingerprint string
	Response    idempotency.Response
}

// GetAnswer returns the answer stored under key. Errors: idempotency.ErrNotFound when none
// is (never stored, or expired); a store failure as for every read.
func (s *Service) GetAnswer(ctx context.Context, key idempotency.Key) (Answer, error) {
	if key.IsZero() {
		return Answer{}, idempotency.ErrKeyRequired
	}
	rec, err := s.store.Repos().Idempotency.Find(ctx, idempotency.OpCreateAndConfirm, key, s.now())
	if err != nil {
		return Answer{}, fmt.Errorf("get answer: %w", err)
	}
	if rec == nil || !rec.Completed() {
		return Answer{}, idempotency.ErrNotFound
	}
	return Answer{Fingerprint: rec.Fingerprint(), Response: rec.Response()}, nil
}

// StoreAnswer stores a under key, once: the first answer stored for a key is the one every
// later call gets back. It returns the answer now stored and whether this call stored it
// (false: the same request's answer was there already, and it is returned instead of a).
// It runs through the one idempotency mechanism of the area, so concurrent calls for one
// key store one answer.
//
// Errors: KindInvalid (a fingerprint not of idempotency.Fingerprint's form, a status that is
// not a success, an empty body); idempotency.ErrKeyReused when the key holds the answer of
// another request (another fingerprint); idempotency.ErrInProgress.
func (s *Service) StoreAnswer(ctx context.Context, key idempotency.Key, a Answer) (stored Answer, created bool, err error) {
	switch {
	case key.IsZero():
		return Answer{}, false, idempotency.ErrKeyRequired
	case !idempotency.IsFingerprint(a.Fingerprint):
		return Answer{}, false, errs.Invalid("fingerprint must be 64 lower-case hexadecimal digits")
	case a.Response.Status < 200 || a.Response.Status > 299:
		return Answer{}, false, errs.Invalid("status must be a success status (200 to 299)")
	case len(a.Response.Body) == 0:
		return Answer{}, false, errs.Invalid("body must not be empty")
	}
	keep := func(*order.Order) (idempotency.Response, error) { return a.Response, nil }
	nothing := func(context.Context, Repos, time.Time) (*order.Order, error) { return nil, nil }
	out, err := s.idempotent(ctx, idempotency.OpCreateAndConfirm, key, "", a.Fingerprint, keep, nothing)
	if err != nil {
		return Answer{}, false, fmt.Errorf("store answer: %w", err)
	}
	return Answer{Fingerprint: a.Fingerprint, Response: out.Response}, !out.Replayed, nil
}
