// Package orders holds the use cases of orders-api: the product catalogue, order creation
// with stock reservation held for a while (ORDER_HOLD_TTL), confirmation (idempotent by
// key), cancellation and the expiry of holds (both restoring stock exactly once), over the
// ports in ports.go.
package orders

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
	"github.com/b2b-backoffice/backoffice/domain/text"
)

// Config is what the use cases take from configuration.
type Config struct {
	// CancelWindow is how long after confirmation an order may still be canceled
	// (CANCEL_WINDOW, default 10 minutes).
	CancelWindow time.Duration
	// IdempotencyTTL is how long an idempotency key is remembered (IDEMPOTENCY_TTL, default
	// 24 hours).
	IdempotencyTTL time.Duration
	// HoldTTL is how long a new order holds its stock while CREATED (ORDER_HOLD_TTL, default
	// 30 minutes); past it the order expires. Zero: new orders never expire. Each order
	// keeps the expiry it was created with.
	HoldTTL time.Duration
}

// Service runs the use cases. It is safe for concurrent use: all shared state is in the
// Store.
type Service struct {
	store     Store
	customers CustomerChecker
	window    time.Duration
	ttl       time.Duration
	hold      time.Duration
	clock     func() time.Time
}

// NewService returns the use cases over store, asking customers about customers; now is
// the clock.
func NewService(store Store, customers CustomerChecker, cfg Config, now func() time.Time) *Service {
	return &Service{store: store, customers: customers, window: cfg.CancelWindow, ttl: cfg.IdempotencyTTL, hold: cfg.HoldTTL,
		clock: now}
}

func (s *Service) now() time.Time { return s.clock().UTC() }

// Encoder turns the order a successful request produced into the response the client gets,
// opaque to the use case. The transport supplies it; the use case stores its result under
// the idempotency key in the same transaction as the change, and a replay returns those very
// bytes. An encoder error rolls the whole request back.
type Encoder func(o *order.Order) (idempotency.Response, error)

// Outcome is the result of an idempotent use case.
type Outcome struct {
	// Order is the order after the change; nil on a replay (the stored Response is all
	// there is to answer).
	Order *order.Order
	// Response is what to answer: the encoder's result on a first run, the stored response
	// on a replay. Zero when the request had no key and no encoder.
	Response idempotency.Response
	// Replayed is true when Response is a stored response (the HTTP layer then adds
	// Idempotent-Replayed: true).
	Replayed bool
	// OrderID is the id of the order the request created or confirmed, on a first run and on
	// a replay alike (0 when there is none, as for a stored orchestrator answer).
	OrderID int64
}

// ---- products ----

// CreateProduct is the input of CreateProduct.
type CreateProduct struct {
	SKU        string
	Name       string
	PriceCents int64
	Stock      int
}

// CreateProduct validates and stores a product. Errors: KindInvalid, product.ErrSKUTaken.
func (s *Service) CreateProduct(ctx context.Context, in CreateProduct) (*product.Product, error) {
	p, err := product.New(in.SKU, in.Name, in.PriceCents, in.Stock, s.now())
	if err != nil {
		return nil, err
	}
	stored, err := s.store.Repos().Products.Create(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("create product: %w", err)
	}
	return stored, nil
}

// GetProduct returns a product or product.ErrNotFound.
func (s *Service) GetProduct(ctx context.Context, id int64) (*product.Product, error) {
	if id <= 0 {
		return nil, product.ErrNotFound
	}
	p, err := s.store.Repos().Products.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get product %d: %w", id, err)
	}
	return p, nil
}

// UpdateProduct changes any of a product's name, price and stock: one aggregate, so the
// repository's Update is the whole transaction. Errors: KindInvalid (including empty
// changes), product.ErrNotFound.
func (s *Service) UpdateProduct(ctx context.Context, id int64, ch product.Changes) (*product.Product, error) {
	if id <= 0 {
		return nil, product.ErrNotFound
	}
	saved, err := s.store.Repos().Products.Update(ctx, id, func(p *product.Product) error { return p.Update(ch, s.now()) })
	if err != nil {
		return nil, fmt.Errorf("update product %d: %w", id, err)
	}
	return saved, nil
}

// ListProducts is the input of ListProducts.
type ListProducts struct {
	Filter ProductFilter
	Page   paging.Request
}

// ListProducts returns one page of products in id order. The search follows the text policy
// (domain/text), as the customers' does: a term no stored field could hold is refused.
func (s *Service) ListProducts(ctx context.Context, q ListProducts) (paging.Page[*product.Product], error) {
	if err := text.Search(q.Filter.Search); err != nil {
		return paging.Page[*product.Product]{}, err
	}
	if err := validPage(q.Page); err != nil {
		return paging.Page[*product.Product]{}, err
	}
	items, err := s.store.Repos().Products.List(ctx, q.Filter, q.Page)
	if err != nil {
		return paging.Page[*product.Product]{}, fmt.Errorf("list products: %w", err)
	}
	return paging.Cut(items, q.Page, (*product.Product).ID), nil
}

// ---- orders ----

// CreateOrder is the input of CreateOrder.
type CreateOrder struct {
	CustomerID int64
	Lines      []order.Line
	// Key, when not zero, makes the creation idempotent; Encode is then required.
	Key idempotency.Key
	// Encode, when set, fills Outcome.Response (it must be set when Key is).
	Encode Encoder
}

// CreateOrder validates the lines, asks the customer directory about the customer (before
// any transaction: when it fails nothing is written) and then, in one transaction, locks the
// products in id order, checks every line's stock, stores the order and its items and takes
// the stock. With a key whose creation already completed for the same request, the stored
// answer is replayed first, before the customer is asked about.
//
// Errors: KindInvalid (customer id, lines); order.ErrCustomerNotFound;
// order.ErrCustomersUnavailable; *order.UnknownProductsError; *order.InsufficientStockError; with a key, idempotency.ErrKeyReused when the key
// was used with another body and idempotency.ErrInProgress.
//
// With a key, the fingerprint is that of the normalized request: the customer id and the
// merged lines sorted by product id, so that the same order sent with its lines in another
// order or split differently is the same request.
func (s *Service) CreateOrder(ctx context.Context, cmd CreateOrder) (Outcome, error) {
	if cmd.CustomerID <= 0 {
		return Outcome{}, errs.Invalid("customer_id must be a positive integer")
	}
	lines, err := order.Merge(cmd.Lines)
	if err != nil {
		return Outcome{}, err
	}
	if !cmd.Key.IsZero() && cmd.Encode == nil {
		return Outcome{}, errors.New("create order: an idempotency key needs an encoder")
	}
	var fp string
	if !cmd.Key.IsZero() {
		fp = cmd.fingerprint(lines)
		// A completed creation replays before the customer is checked: its answer stands
		// even once the customer is deleted or customers-api is down.
		out, found, err := s.stored(ctx, idempotency.OpCreateOrder, cmd.Key, "", fp)
		if err != nil {
			return Outcome{}, fmt.Errorf("create order: %w", err)
		}
		if found {
			return out, nil
		}
	}
	if err := s.checkCustomer(ctx, cmd.CustomerID); err != nil {
		return Outcome{}, err
	}
	change := func(ctx context.Context, r Repos, now time.Time) (*order.Order, error) {
		// Without a key, the order's INSERT is the unit's last call (with a key, the stored
		// answer follows it).
		return createOrder(ctx, r, cmd.CustomerID, lines, now, s.hold, cmd.Key.IsZero())
	}
	if cmd.Key.IsZero() {
		out, err := s.plain(ctx, cmd.Encode, change)
		if err != nil {
			return Outcome{}, fmt.Errorf("create order: %w", err)
		}
		return out, nil
	}
	out, err := s.idempotent(ctx, idempotency.OpCreateOrder, cmd.Key, "", fp, cmd.Encode, change)
	if err != nil {
		return Outcome{}, fmt.Errorf("create order: %w", err)
	}
	return out, nil
}

// fingerprint identifies the request among those sent with one key: every field of cmd but
// Key and Encode, with lines (cmd.Lines merged by order.Merge) in place of cmd.Lines.
// TestCreateOrderFingerprintCoversEveryField fails when a field is added and not covered.
func (cmd CreateOrder) fingerprint(lines []order.Line) string {
	parts := []string{string(idempotency.OpCreateOrder), strconv.FormatInt(cmd.CustomerID, 10)}
	for _, l := range lines {
		parts = append(parts, strconv.FormatInt(l.ProductID, 10)+"x"+strconv.Itoa(l.Qty))
	}
	return idempotency.Fingerprint(parts...)
}

// createOrder is the transactional part of CreateOrder. Products are locked in id ascending
// order (lines are sorted by Merge), so two orders naming the same products in any order
// queue up instead of deadlocking. The order holds its stock for hold. last: the order's
// INSERT is the unit's last call (Unit.LastCall).
func createOrder(ctx context.Context, r Repos, customerID int64, lines []order.Line, now time.Time, hold time.Duration, last bool) (*order.Order, error) {
	ids := make([]int64, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	locked, err := r.Products.LockForOrder(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*product.Product, len(locked))
	for _, p := range locked {
		byID[p.ID()] = p
	}
	o, err := order.New(customerID, lines, byID, now, hold)
	if err != nil {
		return nil, err
	}
	if err := r.Products.TakeStock(ctx, lines); err != nil {
		return nil, err
	}
	if last && r.Unit != nil {
		r.Unit.LastCall()
	}
	return r.Orders.Create(ctx, o)
}

func (s *Service) checkCustomer(ctx context.Context, id int64) error {
	err := s.customers.CheckCustomer(ctx, id)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, customer.ErrNotFound):
		return order.ErrCustomerNotFound
	default:
		// The cause is kept as text only: its own kind must not decide the answer.
		return fmt.Errorf("%w: %v", order.ErrCustomersUnavailable, err)
	}
}

// GetOrder returns an order with its items as it stands now (order.AsOf: an order whose
// hold has passed reads CANCELED, reason expired, even before the sweep expires it), or
// order.ErrNotFound.
func (s *Service) GetOrder(ctx context.Context, id int64) (*order.Order, error) {
	if id <= 0 {
		return nil, order.ErrNotFound
	}
	o, err := s.store.Repos().Orders.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get order %d: %w", id, err)
	}
	return o.AsOf(s.now()), nil
}

// ListOrders is the input of ListOrders.
type ListOrders struct {
	Filter OrderFilter
	Page   paging.Request
}

// The range of created_at bounds a list accepts: that of MySQL's DATETIME, which refuses
// dates outside it (year 0, or year 10000 once a time zone offset is applied) with an error
// rather than a comparison. Orders are stamped with the current time, so no order lies
// outside it.
var (
	earliestBound = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
	latestBound   = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// ListOrders returns one page of orders, newest first, each as it stands now (see
// GetOrder); a status filter selects by that status too. From and To bound created_at, both
// inclusive; From after To gives an empty page. A negative customer id, or a bound outside
// 1000-01-01..9999-12-31 UTC, is KindInvalid.
func (s *Service) ListOrders(ctx context.Context, q ListOrders) (paging.Page[*order.Order], error) {
	if err := validPage(q.Page); err != nil {
		return paging.Page[*order.Order]{}, err
	}
	if q.Filter.CustomerID < 0 {
		return paging.Page[*order.Order]{}, errs.Invalid("customer_id must be a positive integer")
	}
	// created_at is stored to the microsecond: a bound finer than that selects the same
	// rows as the microsecond inside it (from rounds up, to rounds down), and the database
	// never rounds a bound past the range's ends.
	if f := q.Filter.From; !f.IsZero() && f.Truncate(time.Microsecond) != f {
		q.Filter.From = f.Truncate(time.Microsecond).Add(time.Microsecond)
	}
	q.Filter.To = q.Filter.To.Truncate(time.Microsecond)
	for _, b := range []struct {
		name string
		t    time.Time
	}{{"from", q.Filter.From}, {"to", q.Filter.To}} {
		if !b.t.IsZero() && (b.t.Before(earliestBound) || b.t.After(latestBound)) {
			return paging.Page[*order.Order]{}, errs.Invalid("%s must be between 1000-01-01 and 9999-12-31 (UTC)", b.name)
		}
	}
	if !q.Filter.From.IsZero() && !q.Filter.To.IsZero() && q.Filter.From.After(q.Filter.To) {
		return paging.Cut([]*order.Order{}, q.Page, (*order.Order).ID), nil
	}
	q.Filter.At = s.now()
	items, err := s.store.Repos().Orders.List(ctx, q.Filter, q.Page)
	if err != nil {
		return paging.Page[*order.Order]{}, fmt.Errorf("list orders: %w", err)
	}
	for i, o := range items {
		items[i] = o.AsOf(q.Filter.At)
	}
	return paging.Cut(items, q.Page, (*order.Order).ID), nil
}

// ConfirmOrder is the input of ConfirmOrder.
type ConfirmOrder struct {
	OrderID int64
	Key     idempotency.Key // required
	Encode  Encoder         // required
}

// ConfirmOrder confirms an order, idempotently by key: the first use of the key confirms a
// CREATED order (or finds it CONFIRMED already) and stores the encoded response under the
// key in the same transaction; the same key on the same order replays that response.
//
// Errors: idempotency.ErrKeyRequired (zero key); order.ErrNotFound; order.ErrOrderExpired
// (its hold passed before it was confirmed); order.ErrInvalidState (CANCELED by a client);
// idempotency.ErrKeyReused (the key was used for another order); idempotency.ErrInProgress.
// A failed request stores nothing: a retry runs anew. A key that already succeeded replays
// its stored response whatever happened to the order since.
func (s *Service) ConfirmOrder(ctx context.Context, cmd ConfirmOrder) (Outcome, error) {
	if cmd.Key.IsZero() {
		return Outcome{}, idempotency.ErrKeyRequired
	}
	if cmd.Encode == nil {
		return Outcome{}, errors.New("confirm order: no encoder")
	}
	if cmd.OrderID <= 0 {
		return Outcome{}, order.ErrNotFound
	}
	target := strconv.FormatInt(cmd.OrderID, 10)
	fp := idempotency.Fingerprint(string(idempotency.OpConfirmOrder), target)
	out, err := s.idempotent(ctx, idempotency.OpConfirmOrder, cmd.Key, target, fp, cmd.Encode,
		func(ctx context.Context, r Repos, now time.Time) (*order.Order, error) {
			return r.Orders.Update(ctx, cmd.OrderID, func(o *order.Order) error { return o.Confirm(now) })
		})
	if err != nil {
		return Outcome{}, fmt.Errorf("confirm order %d: %w", cmd.OrderID, err)
	}
	return out, nil
}

// CancelOrder cancels an order (reason requested; an order whose hold has passed is
// expired instead, reason expired) through settle. Canceling a CANCELED order changes
// nothing and restores nothing.
//
// Errors: order.ErrNotFound; order.ErrCancelWindowExpired; product.ErrStockLimit.
func (s *Service) CancelOrder(ctx context.Context, id int64) (*order.Order, error) {
	if id <= 0 {
		return nil, order.ErrNotFound
	}
	saved, _, err := s.settle(ctx, id, func(o *order.Order, now time.Time) (bool, error) { return o.Cancel(now, s.window) })
	if err != nil {
		return nil, fmt.Errorf("cancel order %d: %w", id, err)
	}
	return saved, nil
}

// settle runs a change that may give an order's stock back (cancel, expire) in one
// transaction: the order row is locked first, then, when change says to restore, the
// products in id ascending order (the order in which CreateOrder locks them). change runs
// on the locked order, so of two settles racing for one order the second sees the first's
// result and restores nothing: stock comes back exactly once.
func (s *Service) settle(ctx context.Context, id int64, change func(o *order.Order, now time.Time) (restore bool, err error)) (*order.Order, bool, error) {
	var (
		saved    *order.Order
		restored bool
	)
	err := s.store.Transact(ctx, func(ctx context.Context, r Repos) error {
		now := s.now()
		restore := false
		o, err := r.Orders.Update(ctx, id, func(o *order.Order) error {
			var err error
			restore, err = change(o, now)
			return err
		})
		if err != nil {
			return err
		}
		if restore {
			if err := r.Products.RestoreStock(ctx, itemLines(o)); err != nil {
				return err
			}
		}
		saved, restored = o, restore
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return saved, restored, nil
}

// SweepBatch is how many expired orders ExpireOrders claims, and expires, per transaction:
// small, so that a sweep never holds many row locks at once.
const SweepBatch = 20

// Sweep is what one ExpireOrders run did: the orders it expired and the units of stock
// their expiry gave back.
type Sweep struct {
	Orders int
	Units  int
}

// ExpireOrders expires every order stored as CREATED whose hold has passed now, and gives
// its stock back exactly once. It works in transactions of up to SweepBatch orders: each
// claims its orders (ClaimExpired: locked, skipping those another transaction holds, so
// sweeps on several replicas take disjoint batches and never wait for each other), expires
// them, then restores their units in one locked update of their products (id ascending,
// the order in which CreateOrder locks them). An order a cancel or confirm settles first is
// simply not claimed, or found no longer CREATED. When a batch fails (an order's stock
// would pass product.MaxStock, say), its orders are expired one by one through settle, so
// one bad order does not hold back the others; an order that still fails is left for the
// next sweep and the error names how many failed and the first failure. The orders-api
// binary runs it on a ticker; reads do not wait for it (GetOrder, ListOrders show an order
// past its hold as expired already).
func (s *Service) ExpireOrders(ctx context.Context) (Sweep, error) {
	now := s.now()
	var (
		done   Sweep
		failed []int64 // left out of later claims of this run
		first  error
	)
	for {
		var (
			claimed []int64
			batch   Sweep
		)
		err := s.store.Transact(ctx, func(ctx context.Context, r Repos) error {
			var err error
			claimed, batch = nil, Sweep{}
			if claimed, err = r.Orders.ClaimExpired(ctx, now, failed, SweepBatch); err != nil {
				return err
			}
			var lines []order.Line
			for _, id := range claimed {
				restore := false
				o, err := r.Orders.Update(ctx, id, func(o *order.Order) error {
					var err error
					restore, err = o.Expire(now)
					return err
				})
				if err != nil {
					return err
				}
				if restore {
					lines = append(lines, itemLines(o)...)
					batch.Orders++
				}
			}
			if len(lines) == 0 {
				return nil
			}
			lines = sumLines(lines)
			for _, l := range lines {
				batch.Units += l.Qty
			}
			return r.Products.RestoreStock(ctx, lines)
		})
		switch {
		case err != nil && len(claimed) == 0 || ctx.Err() != nil:
			return done, fmt.Errorf("expire orders: %w", errors.Join(err, ctx.Err()))
		case err != nil:
			for _, id := range claimed {
				o, restored, err := s.settle(ctx, id, func(o *order.Order, now time.Time) (bool, error) { return o.Expire(now) })
				switch {
				case err != nil:
					failed = append(failed, id)
					if first == nil {
						first = fmt.Errorf("order %d: %w", id, err)
					}
				case restored:
					done.Orders++
					for _, l := range itemLines(o) {
						done.Units += l.Qty
					}
				}
			}
		default:
			done.Orders += batch.Orders
			done.Units += batch.Units
		}
		if len(claimed) < SweepBatch {
			break
		}
	}
	if len(failed) > 0 {
		return done, fmt.Errorf("expire orders: %d failed, the first: %w", len(failed), first)
	}
	return done, nil
}

// sumLines adds up the quantities of lines naming one product, by product id ascending.
func sumLines(lines []order.Line) []order.Line {
	qty := map[int64]int{}
	for _, l := range lines {
		qty[l.ProductID] += l.Qty
	}
	out := make([]order.Line, 0, len(qty))
	for id, q := range qty {
		out = append(out, order.Line{ProductID: id, Qty: q})
	}
	slices.SortFunc(out, func(a, b order.Line) int { return cmp.Compare(a.ProductID, b.ProductID) })
	return out
}

// itemLines returns the product and quantity of each of o's items, by product id ascending
// (the order items are kept in), the order in which stock rows are locked.
func itemLines(o *order.Order) []order.Line {
	items := o.Items()
	lines := make([]order.Line, len(items))
	for i, it := range items {
		lines[i] = order.Line{ProductID: it.ProductID(), Qty: it.Qty()}
	}
	return lines
}

// PurgeExpiredKeys deletes the idempotency records expired now and returns how many. The
// orders-api binary calls it on a ticker; a key expired but not yet purged is already
// treated as absent by Reserve.
func (s *Service) PurgeExpiredKeys(ctx context.Context) (int64, error) {
	n, err := s.store.Repos().Idempotency.Purge(ctx, s.now())
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return n, nil
}

func validPage(p paging.Request) error {
	if p.Limit < 1 || p.Limit > paging.MaxLimit || p.After < 0 {
		return errs.Invalid("invalid page request")
	}
	return nil
}
