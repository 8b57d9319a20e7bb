package orders

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
)

// change is the state change of a use case, run inside a transaction at now.
type change func(ctx context.Context, r Repos, now time.Time) (*order.Order, error)

// idempotent is the one idempotency mechanism of the orders area. In a single transaction it
//
//  1. reserves (op, key) with a record bound to target and fingerprint (Reserve inserts the
//     row first, so on MySQL a concurrent request with the same key waits on its primary
//     key lock until this transaction ends);
//  2. when a completed record already exists, replays it if it matches target and
//     fingerprint, else fails with idempotency.ErrKeyReused, changing nothing;
//  3. runs the change, encodes the response and stores it in the record;
//  4. commits: the state change and the stored response become visible together.
//
// Any error rolls everything back, the reservation included, so a retry with the same key
// runs anew. The transaction may run again after a deadlock: every run starts from scratch.
func (s *Service) idempotent(ctx context.Context, op idempotency.Operation, key idempotency.Key, target, fingerprint string, encode Encoder, fn change) (Outcome, error) {
	var out Outcome
	err := s.store.Transact(ctx, func(ctx context.Context, r Repos) error {
		out = Outcome{}
		now := s.now()
		rec := idempotency.NewRecord(op, key, target, fingerprint, now, s.ttl)
		existing, err := r.Idempotency.Reserve(ctx, rec)
		if err != nil {
			return err
		}
		if existing != nil {
			if !existing.Matches(target, fingerprint) {
				return idempotency.ErrKeyReused
			}
			if !existing.Completed() {
				return idempotency.ErrInProgress
			}
			out = Outcome{Response: existing.Response(), Replayed: true, OrderID: existing.OrderID()}
			return nil
		}
		o, err := fn(ctx, r, now)
		if err != nil {
			return err
		}
		resp, err := encode(o)
		if err != nil {
			return fmt.Errorf("encode response: %w", err)
		}
		if resp.Status == 0 {
			return errors.New("encode response: no status")
		}
		var orderID int64
		if o != nil {
			orderID = o.ID()
		}
		rec.Complete(orderID, resp)
		if err := r.Idempotency.Complete(ctx, rec); err != nil {
			return err
		}
		out = Outcome{Order: o, Response: rec.Response(), OrderID: orderID}
		return nil
	})
	return out, err
}

// stored returns the response a completed request with the same target and fingerprint
// stored under (op, key), read outside any transaction and without a lock. found is false
// when there is none, or when the record is another request's or still running: the caller
// then goes on as without this look-up, and idempotent decides (reused, in progress, or a
// first run). It lets a replay answer before the checks that a first run needs (the
// customer directory), so that a completed request keeps its answer whatever has happened
// to them since.
func (s *Service) stored(ctx context.Context, op idempotency.Operation, key idempotency.Key, target, fingerprint string) (out Outcome, found bool, err error) {
	rec, err := s.store.Repos().Idempotency.Find(ctx, op, key, s.now())
	if err != nil {
		return Outcome{}, false, err
	}
	if rec == nil || !rec.Completed() || !rec.Matches(target, fingerprint) {
		return Outcome{}, false, nil
	}
	return Outcome{Response: rec.Response(), Replayed: true, OrderID: rec.OrderID()}, true, nil
}

// plain runs a change without a key: one transaction, and the response encoded after the
// commit when an encoder is given.
func (s *Service) plain(ctx context.Context, encode Encoder, fn change) (Outcome, error) {
	var o *order.Order
	err := s.store.Transact(ctx, func(ctx context.Context, r Repos) error {
		var err error
		o, err = fn(ctx, r, s.now())
		return err
	})
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Order: o, OrderID: o.ID()}
	if encode != nil {
		resp, err := encode(o)
		if err != nil {
			return Outcome{}, fmt.Errorf("encode response: %w", err)
		}
		out.Response = resp
	}
	return out, nil
}
