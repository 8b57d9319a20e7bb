package orders

import (
	"context"
	"time"

	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// CustomerChecker asks the customer directory (customers-api) whether a customer may order.
type CustomerChecker interface {
	// CheckCustomer returns nil when the customer exists and is not deleted, an error
	// matching customer.ErrNotFound (errors.Is) when it is unknown or deleted, and any other
	// error when the directory could not answer (unreachable, timeout, bad answer). The use
	// case maps the first to order.ErrCustomerNotFound and every other error to
	// order.ErrCustomersUnavailable. Where the store knows customers (see
	// OrderRepository.Create), a checker may say "exists" from a lookup that was already in
	// flight when the check began (customersclient.Config.ShareFound): the store's own check,
	// under a lock in the order's transaction, then decides about a deletion since.
	CheckCustomer(ctx context.Context, id int64) error
}

// ProductRepository stores products. Inside Store.Transact it acts within the unit of work
// and its locks hold until the unit ends; on Store.Repos each call is atomic on its own
// (Update locks, calls fn and saves in a transaction of its own).
// Any error not listed is an infrastructure failure (an adapter maps an unreachable or busy
// store to a KindUnavailable error, everything else is internal).
type ProductRepository interface {
	// Create stores p (ID 0) and returns it as stored, with its new id. Returns
	// product.ErrSKUTaken when another product has the same SKU (compared exactly).
	Create(ctx context.Context, p *product.Product) (*product.Product, error)

	// Get returns the product, or product.ErrNotFound.
	Get(ctx context.Context, id int64) (*product.Product, error)

	// Update loads the product, locked against other changes until the unit of work ends,
	// calls fn with it and, when fn returns nil, saves its name, price, stock and update time;
	// the SKU is never written. Returns the product as saved, product.ErrNotFound, or fn's error
	// unchanged (nothing saved). fn may run more than once (a unit of work may be retried).
	Update(ctx context.Context, id int64, fn func(p *product.Product) error) (*product.Product, error)

	// List returns up to page.Limit+1 products in id ascending order with id > page.After
	// (page.After 0: from the start), whose name or SKU contains f.Search literally, ignoring
	// case ("" matches all; '%', '_' and '\' are not wildcards). paging.Cut builds the page.
	List(ctx context.Context, f ProductFilter, page paging.Request) ([]*product.Product, error)

	// LockForOrder returns the products with the given ids, which are unique and ascending,
	// locked against other changes in that order until the unit of work ends, so that
	// concurrent orders never deadlock on each other.
	// Ids with no product are simply absent from the result (no error). Call it inside
	// Store.Transact.
	LockForOrder(ctx context.Context, ids []int64) ([]*product.Product, error)

	// TakeStock subtracts every line's qty (>= 1) from its product's stock, all lines or
	// none, in one step that checks every product still holds qty (product.Take's rule). The lines
	// name distinct products (order.Merge makes them so). Returns
	// order.ErrInsufficientStock when any product's stock is below its qty and
	// product.ErrNotFound when a product does not exist; nothing changes then. Stock never
	// goes below zero.
	TakeStock(ctx context.Context, lines []order.Line) error

	// RestoreStock adds every line's qty (>= 1) back to its product's stock, all lines or
	// none, in one step (product.Restore's rule). Returns product.ErrNotFound when a product does not exist and
	// product.ErrStockLimit (nothing changes) when a stock would exceed product.MaxStock.
	RestoreStock(ctx context.Context, lines []order.Line) error
}

// ProductFilter narrows a product list.
type ProductFilter struct {
	// Search is a case-insensitive literal substring of the name or the SKU; "" matches all.
	Search string
}

// OrderRepository stores orders with their items. Same transaction rules as
// ProductRepository.
type OrderRepository interface {
	// Create stores o (ID 0) and its items, copying sku, name and prices as they are in o,
	// and its expires_at, and returns it as stored, with its new id. Returns
	// order.ErrCustomerNotFound when the store knows customers (one that shares customers-api's
	// data) and o's customer does not exist or is deleted; a deletion racing
	// the order either is seen or waits for the order's transaction to end, so no order
	// commits after it. A store that does not know customers (memory) relies on
	// CustomerChecker alone.
	Create(ctx context.Context, o *order.Order) (*order.Order, error)

	// Get returns the order with its items, or order.ErrNotFound.
	Get(ctx context.Context, id int64) (*order.Order, error)

	// Update loads the order with its items, locked against other changes until the unit of
	// work ends, calls fn with it and, when fn returns nil, saves its status, update,
	// confirmation and cancellation times and cancel reason (items, total, customer and expires_at never change).
	// Returns the order as saved, order.ErrNotFound, or fn's error unchanged (nothing saved).
	// Call it inside Store.Transact, with the other changes of the unit (stock, idempotency record).
	// fn may run more than once, so it must decide from the order it is given alone: an
	// adapter may first run it on the order as it was created and save that only if the
	// stored order has not changed since, else run it again on the stored order (the MySQL
	// store does, see its orderSnapshots); a unit of work may also be retried.
	Update(ctx context.Context, id int64, fn func(o *order.Order) error) (*order.Order, error)

	// List returns up to page.Limit+1 orders with their items, newest first (id descending),
	// with id < page.After when page.After > 0, matching every set field of f. The orders
	// are returned as stored (not as of f.At).
	List(ctx context.Context, f OrderFilter, page paging.Request) ([]*order.Order, error)

	// ClaimExpired locks and returns the ids of up to limit orders stored as CREATED whose
	// hold has passed at now (expires_at <= now), oldest hold first, leaving out the ids in
	// skip: the sweep's next batch. Call it inside Store.Transact; the orders stay locked
	// until the transaction ends. Orders another transaction holds locked are skipped, not
	// waited for (FOR UPDATE SKIP LOCKED), so sweeps running at once on several replicas
	// claim disjoint batches.
	ClaimExpired(ctx context.Context, now time.Time, skip []int64, limit int) ([]int64, error)
}

// OrderFilter narrows an order list; zero fields do not filter.
type OrderFilter struct {
	Status     order.Status // zero: any status
	CustomerID int64        // 0: any customer
	From       time.Time    // zero: no lower bound; else created_at >= From
	To         time.Time    // zero: no upper bound; else created_at <= To
	// At is when Status is judged: an order stored as CREATED whose hold has passed at At
	// (expires_at <= At) counts as CANCELED, as order.AsOf(At) shows it. Zero: the status
	// as stored.
	At time.Time
}

// IdempotencyStore keeps idempotency records, keyed by (operation, key).
type IdempotencyStore interface {
	// Reserve claims rec's (operation, key) for the current transaction by inserting rec,
	// whose response is not known yet (rec.Completed() is false). Call it inside
	// Store.Transact, first, before any other change.
	//
	//   - The key is free (no row, or only a row expired at rec.CreatedAt(), which Reserve
	//     deletes): rec is inserted and Reserve returns (nil, nil). The claim lasts until the
	//     transaction ends: a rollback frees the key again.
	//   - A completed record exists and has not expired: Reserve returns it, inserts nothing
	//     and does not look at target or fingerprint (the caller does).
	//   - Another transaction holds the key and did not finish within the adapter's bounded
	//     wait, or an uncompleted record is visible: idempotency.ErrInProgress. Never a
	//     deadlock or lock-wait error: those become ErrInProgress or are retried by the
	//     adapter's Transact.
	//
	// An adapter may claim optimistically, to save a round trip: Reserve returns (nil, nil)
	// at once and the claim is made ahead of the unit's next statement, before anything
	// else the unit reads or writes. When the key then turns out to be held, Transact runs
	// fn again and Reserve decides at once as above: the answer fn acts on in its last run
	// is the one described here.
	Reserve(ctx context.Context, rec *idempotency.Record) (existing *idempotency.Record, err error)

	// Complete stores rec's response (rec.Completed() is true) in the row Reserve inserted
	// in this transaction.
	Complete(ctx context.Context, rec *idempotency.Record) error

	// Find returns the committed record of (op, key), or (nil, nil) when there is none or it
	// has expired at now. It takes no lock of its own: a key reserved by a unit of work still
	// running is not visible to it. Call it on Store.Repos, to answer a replay before anything
	// else is asked; Reserve, in the unit of work, stays the one decision for everything else.
	Find(ctx context.Context, op idempotency.Operation, key idempotency.Key, now time.Time) (*idempotency.Record, error)

	// Purge deletes the records expired at now (expires_at <= now) and returns how many.
	// Call it on Store.Repos, outside any transaction.
	Purge(ctx context.Context, now time.Time) (int64, error)
}

// Repos are the repositories of one unit of work (inside Store.Transact) or of plain,
// unlocked calls (Store.Repos).
type Repos struct {
	Products    ProductRepository
	Orders      OrderRepository
	Idempotency IdempotencyStore
	// Unit is the unit of work itself, inside Store.Transact; nil when the adapter has
	// nothing to be told (and on Store.Repos).
	Unit Unit
}

// Unit is what a unit of work may tell the adapter that runs it, to spare round trips.
type Unit interface {
	// LastCall says that the next repository call is the unit's last, and that fn returns
	// nil as soon as that call succeeds. The adapter may then commit with that call's own
	// statements: the COMMIT costs no round trip of its own, and the unit's locks are
	// released one round trip sooner. A repository call after it fails.
	LastCall()
}

// TxProvider runs a unit of work.
type TxProvider interface {
	// Transact runs fn with repositories bound to one transaction and commits when fn
	// returns nil; when fn returns an error nothing fn wrote remains and that error is
	// returned (wrapped at most, errors.Is/As still match). The adapter may run fn again
	// after a deadlock or lock-wait timeout, or after an optimistic claim of an idempotency
	// key met a key that is taken (see Reserve), so fn must not keep state across runs; when
	// retries run out the error is KindUnavailable, never a bare driver error.
	Transact(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
}

// Store is the persistence of the orders area: units of work for changes, plain repositories
// for reads. Both views see the same data.
type Store interface {
	TxProvider
	// Repos returns repositories that act outside any transaction: each call stands alone
	// and takes no lock that outlives it. Use them for reads and Purge.
	Repos() Repos
}
