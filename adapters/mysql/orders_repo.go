package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/order"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// OrderRepository is orders.OrderRepository on the orders and order_items tables. Get one
// from OrdersStore.Repos or inside OrdersStore.Transact.
type OrderRepository struct{ c ordersConn }

const (
	orderColumns     = "id, customer_id, status, total_cents, created_at, updated_at, confirmed_at, canceled_at, expires_at, cancel_reason"
	orderItemColumns = "order_id, product_id, sku, name, qty, unit_price_cents, subtotal_cents"
	// errNoReferencedRow is MySQL's "Cannot add or update a child row: a foreign key
	// constraint fails".
	errNoReferencedRow = 1452
)

// Create implements orders.OrderRepository in one round trip (createOrderBatch): one INSERT
// for the order, whose customer is read with a lock (dialect.orderCustomer), and one multi-row INSERT
// for its items, with sku, name and prices as the order holds them (copied from the products
// when the order was made). Call it inside Transact so that all of it commits together, or
// none.
//
// A customer id with no customers row (the foreign key) or a deleted customer is
// order.ErrCustomerNotFound; a product id with no products row is product.ErrNotFound.
func (r *OrderRepository) Create(ctx context.Context, o *order.Order) (*order.Order, error) {
	var stored *order.Order
	err := r.c.locked(ctx, func(ctx context.Context, tx *Tx) error {
		query, args := createOrderBatch(r.c.d, o)
		insert := insertOrder
		if r.c.d.tidb {
			insert = insertOrderTiDB
		}
		id, err := insert(ctx, tx, query, args)
		if err != nil {
			return err
		}
		snap := o.Snapshot()
		snap.ID = id
		stored = order.Rehydrate(snap)
		if r.c.unit != nil && r.c.snapshots != nil {
			r.c.unit.created = append(r.c.unit.created, stored.Snapshot())
		}
		return nil
	})
	if err != nil {
		return nil, r.c.done(err)
	}
	return stored, nil
}

// insertOrder runs Create's batch and returns the new order's id: the insert id of the
// batch's first statement, the order's INSERT (Tx.ExecInsertIDs). The unit's COMMIT may
// follow the inserts (orders.Unit.LastCall): its error, if any, comes back here too.
func insertOrder(ctx context.Context, tx *Tx, query string, args []any) (int64, error) {
	ids, err := tx.ExecInsertIDs(ctx, query, args...)
	if err != nil {
		return 0, insertOrderError(err)
	}
	if ids[0] <= 0 {
		return 0, errors.New("insert order: no id came back")
	}
	return ids[0], nil
}

// insertOrderTiDB runs Create's batch on TiDB, where it starts with the customer's check
// (dialect.customerCheck) and ends with SELECT LAST_INSERT_ID().
func insertOrderTiDB(ctx context.Context, tx *Tx, query string, args []any) (int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, insertOrderError(err)
	}
	defer rows.Close()
	// The customer's row, when there is one.
	live := false
	if rows.Next() {
		if err := rows.Scan(&live); err != nil {
			return 0, fmt.Errorf("check customer: %w", err)
		}
	}
	// The inserts (any error of theirs comes here), then the new order's id.
	if !rows.NextResultSet() {
		if err := rows.Err(); err != nil {
			return 0, insertOrderError(err)
		}
		return 0, errors.New("insert order: no id came back")
	}
	var id int64
	if !rows.Next() {
		return 0, fmt.Errorf("insert order: no id came back: %w", rows.Err())
	}
	if err := rows.Scan(&id); err != nil {
		return 0, fmt.Errorf("insert order: %w", err)
	}
	if !live {
		// The inserts are rolled back with the unit.
		return 0, order.ErrCustomerNotFound
	}
	// The unit's COMMIT may follow the id (orders.Unit.LastCall): its answer, and any
	// error of it, comes when the rows close.
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("insert order: %w", err)
	}
	return id, nil
}

// createOrderBatch is Create's one round trip (the connections allow several statements in
// one query): the order, whose customer_id is read with a lock (dialect.orderCustomer), and
// all its items in one INSERT tied to the order by LAST_INSERT_ID(). On TiDB the customer is
// read by a statement of its own first (dialect.customerCheck), and the new id is read back
// by SELECT LAST_INSERT_ID().
func createOrderBatch(d dialect, o *order.Order) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 10+7*len(o.Items()))
	if d.tidb {
		b.WriteString(d.customerCheck() + "; ")
		args = append(args, o.CustomerID())
	}
	b.WriteString("INSERT INTO orders (customer_id, status, total_cents, created_at, updated_at, confirmed_at, canceled_at, expires_at, cancel_reason) VALUES (" +
		d.orderCustomer() + ", ?, ?, ?, ?, ?, ?, ?, ?); ")
	args = append(args, o.CustomerID(), o.Status().String(), o.TotalCents(), o.CreatedAt(), o.UpdatedAt(), optionalTime(o.ConfirmedAt()),
		optionalTime(o.CanceledAt()), optionalTime(o.ExpiresAt()), optionalReason(o.CancelReason()))
	b.WriteString("INSERT INTO order_items (" + orderItemColumns + ") VALUES ")
	for i, it := range o.Items() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(LAST_INSERT_ID(), ?, ?, ?, ?, ?, ?)")
		args = append(args, it.ProductID(), it.SKU(), it.Name(), it.Qty(), it.UnitPriceCents(), it.SubtotalCents())
	}
	if d.tidb {
		b.WriteString("; SELECT LAST_INSERT_ID()")
	}
	return b.String(), args
}

// insertOrderError maps what refused the order's inserts to the domain error naming it: a
// customer the guard of dialect.orderCustomer found missing or deleted (its NULL in the NOT
// NULL customer_id, error 1048), or a missing referenced row (foreignKeyError).
func insertOrderError(err error) error {
	var me *gomysql.MySQLError
	if errors.As(err, &me) && me.Number == errBadNull && strings.Contains(me.Message, "customer_id") {
		return order.ErrCustomerNotFound
	}
	return foreignKeyError("insert order", err)
}

// foreignKeyError maps a missing referenced row to the domain error naming it.
func foreignKeyError(what string, err error) error {
	if mysqlErrNumber(err) == errNoReferencedRow {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "fk_orders_customer"):
			return order.ErrCustomerNotFound
		case strings.Contains(msg, "fk_order_items_product"):
			return product.ErrNotFound
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Get implements orders.OrderRepository.
func (r *OrderRepository) Get(ctx context.Context, id int64) (*order.Order, error) {
	o, err := getOrder(ctx, r.c.q(), id, "")
	if err != nil {
		return nil, r.c.done(err)
	}
	return o, nil
}

// Update implements orders.OrderRepository: the order row is locked (SELECT ... FOR
// UPDATE) before its items are read and fn runs; only the life-cycle columns are written.
// In a unit, an order this store created and still keeps (orderSnapshots) is not read: fn
// runs on the snapshot, and its result is written only if the row is still CREATED
// (updateCreated); otherwise the order is read locked and fn runs again on it. So fn must
// decide from the order it is given alone.
func (r *OrderRepository) Update(ctx context.Context, id int64, fn func(o *order.Order) error) (*order.Order, error) {
	var saved *order.Order
	err := r.c.locked(ctx, func(ctx context.Context, q *Tx) error {
		if snap, ok := r.c.snapshots.take(id); ok {
			o, done, err := r.updateCreated(ctx, q, snap, fn)
			if err != nil || done {
				saved = o
				return err
			}
		}
		o, err := getOrder(ctx, q, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
		// Nothing reads this write's result: inside a unit it travels with the unit's next
		// statement (the stored answer of a confirm, the stock of a cancel).
		query, args := lifecycleUpdate(o, id)
		if err := r.c.later(ctx, q, query, args...); err != nil {
			return fmt.Errorf("update order: %w", err)
		}
		saved = o
		return nil
	})
	if err != nil {
		return nil, r.c.done(err)
	}
	return saved, nil
}

// lifecycleUpdate writes o's life-cycle columns, the only ones that change after creation,
// to order id.
func lifecycleUpdate(o *order.Order, id int64) (string, []any) {
	return "UPDATE orders SET status = ?, updated_at = ?, confirmed_at = ?, canceled_at = ?, cancel_reason = ? WHERE id = ?",
		[]any{o.Status().String(), o.UpdatedAt(), optionalTime(o.ConfirmedAt()), optionalTime(o.CanceledAt()), optionalReason(o.CancelReason()), id}
}

// updateCreated runs fn on the snapshot of a CREATED order and writes the result when the
// row is still CREATED, with the unit's waiting statements (an optimistic key claim, say)
// ahead of the UPDATE, in one round trip whose answer is read now: done is false when fn
// refused the snapshot, left it CREATED, or the row had moved on, and the caller then reads
// the order and runs fn on it. Refusals are decided again on the stored order: the snapshot
// may be older than it.
func (r *OrderRepository) updateCreated(ctx context.Context, q *Tx, snap order.Snapshot, fn func(o *order.Order) error) (*order.Order, bool, error) {
	if snap.Status != order.Created {
		return nil, false, nil
	}
	o := order.Rehydrate(snap)
	if err := fn(o); err != nil || o.Status() == order.Created {
		return nil, false, nil
	}
	query, args := lifecycleUpdate(o, o.ID())
	res, err := q.ExecContext(ctx, query+" AND status = ?", append(args, order.Created.String())...)
	if err != nil {
		return nil, false, fmt.Errorf("update order: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, false, fmt.Errorf("update order: %w", err)
	}
	return o, n == 1, nil
}

// List implements orders.OrderRepository, newest first by id. Each filter is an equality or
// range that one of the indexes (status, id), (customer_id, id) or (created_at, id) serves,
// and the keyset condition id < After continues where the last page ended, so inserts never
// make a page skip or repeat an order. The items of the whole page come in one more query.
// A status is judged as of f.At (see statusCondition).
func (r *OrderRepository) List(ctx context.Context, f orders.OrderFilter, page paging.Request) ([]*order.Order, error) {
	var (
		where []string
		args  []any
	)
	if page.After > 0 {
		where = append(where, "id < ?")
		args = append(args, page.After)
	}
	if !f.Status.IsZero() {
		cond, condArgs := statusCondition(f.Status, f.At)
		where = append(where, cond)
		args = append(args, condArgs...)
	}
	if f.CustomerID != 0 {
		where = append(where, "customer_id = ?")
		args = append(args, f.CustomerID)
	}
	if !f.From.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		where = append(where, "created_at <= ?")
		args = append(args, f.To.UTC())
	}
	query := "SELECT " + orderColumns + " FROM orders"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, page.Limit+1)

	q := r.c.q()
	heads, err := queryAll(ctx, q, scanOrderHead, query, args...)
	if err != nil {
		return nil, r.c.fail("list orders", err)
	}
	if len(heads) == 0 {
		return nil, nil
	}
	ids := make([]any, len(heads))
	for i, h := range heads {
		ids[i] = h.id
	}
	items, err := queryItems(ctx, q, "order_id IN ("+ordersPlaceholders(len(ids))+")", ids...)
	if err != nil {
		return nil, r.c.fail("list order items", err)
	}
	out := make([]*order.Order, len(heads))
	for i, h := range heads {
		out[i] = h.order(items[h.id])
	}
	return out, nil
}

// statusCondition selects the orders whose status as of at (order.AsOf) is st: a row still
// CREATED whose expires_at <= at reads CANCELED. With a zero at, the stored status.
func statusCondition(st order.Status, at time.Time) (string, []any) {
	if at.IsZero() {
		return "status = ?", []any{st.String()}
	}
	at = at.UTC()
	switch st {
	case order.Created:
		return "status = ? AND (expires_at IS NULL OR expires_at > ?)", []any{st.String(), at}
	case order.Canceled:
		return "(status = ? OR (status = ? AND expires_at <= ?))", []any{st.String(), order.Created.String(), at}
	}
	return "status = ?", []any{st.String()}
}

// ClaimExpired implements orders.OrderRepository. The index (status, expires_at) gives the
// rows in (expires_at, id) order, so the scan stops after limit rows and locks no more than
// it returns; SKIP LOCKED (MySQL 8, MariaDB 10.6+) passes over rows another sweep, a
// cancel or a confirm holds.
func (r *OrderRepository) ClaimExpired(ctx context.Context, now time.Time, skip []int64, limit int) ([]int64, error) {
	query := "SELECT id FROM orders WHERE status = ? AND expires_at <= ?"
	args := []any{order.Created.String(), now.UTC()}
	if len(skip) > 0 {
		query += " AND id NOT IN (" + ordersPlaceholders(len(skip)) + ")"
		for _, id := range skip {
			args = append(args, id)
		}
	}
	ids, err := queryAll(ctx, r.c.q(), scanID, query+" ORDER BY expires_at, id LIMIT ? FOR UPDATE SKIP LOCKED", append(args, limit)...)
	if err != nil {
		return nil, r.c.fail("claim expired orders", err)
	}
	return ids, nil
}

func scanID(s rowScanner) (int64, error) {
	var id int64
	err := s.Scan(&id)
	return id, err
}

// getOrder reads the order and its items in one statement (a join, one row per item; every
// order has at least one item). suffix " FOR UPDATE" locks the order row, and its item
// rows, which nothing else ever locks or changes.
func getOrder(ctx context.Context, q queryer, id int64, suffix string) (*order.Order, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+qualified("o", orderColumns)+", "+qualified("i", orderItemColumns)+
		" FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id = ? ORDER BY i.product_id"+suffix, id)
	if err != nil {
		return nil, fmt.Errorf("select order: %w", err)
	}
	defer rows.Close()
	var (
		head  orderHead
		items []order.Item
	)
	for rows.Next() {
		var it itemRow
		if head, err = scanOrderHead(withTail{rows, it.dest()}); err != nil {
			return nil, fmt.Errorf("select order: %w", err)
		}
		items = append(items, it.item())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select order: %w", err)
	}
	if len(items) == 0 {
		return nil, order.ErrNotFound
	}
	return head.order(items), nil
}

// qualified prefixes each column of a comma-separated list with alias.
func qualified(alias, columns string) string {
	return alias + "." + strings.ReplaceAll(columns, ", ", ", "+alias+".")
}

// withTail scans a row whose leading columns one scanner reads and whose trailing columns
// go to tail: a join read with the scanner of its first table.
type withTail struct {
	s    rowScanner
	tail []any
}

func (w withTail) Scan(dest ...any) error { return w.s.Scan(append(dest, w.tail...)...) }

// orderHead is an orders row before its items are attached.
type orderHead struct {
	id   int64
	snap order.Snapshot // without items
}

func (h orderHead) order(items []order.Item) *order.Order {
	s := h.snap
	s.Items = items
	return order.Rehydrate(s)
}

// scanOrderHead reads the orderColumns of one row.
func scanOrderHead(s rowScanner) (orderHead, error) {
	var (
		h                                  orderHead
		status                             string
		confirmedAt, canceledAt, expiresAt sql.NullTime
		reason                             sql.NullString
	)
	if err := s.Scan(&h.snap.ID, &h.snap.CustomerID, &status, &h.snap.TotalCents, &h.snap.CreatedAt, &h.snap.UpdatedAt,
		&confirmedAt, &canceledAt, &expiresAt, &reason); err != nil {
		return orderHead{}, err
	}
	st, err := order.ParseStatus(status)
	if err != nil {
		// The CHECK constraint makes this impossible; an unknown value is corruption.
		return orderHead{}, errors.New("orders row holds an unknown status")
	}
	h.id, h.snap.Status = h.snap.ID, st
	h.snap.ConfirmedAt, h.snap.CanceledAt, h.snap.ExpiresAt = confirmedAt.Time, canceledAt.Time, expiresAt.Time
	if reason.Valid {
		if h.snap.CancelReason, err = order.ParseCancelReason(reason.String); err != nil {
			return orderHead{}, errors.New("orders row holds an unknown cancel reason")
		}
	}
	return h, nil
}

// queryItems returns the items matching cond, grouped by order id, by product id ascending.
func queryItems(ctx context.Context, q queryer, cond string, args ...any) (map[int64][]order.Item, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+orderItemColumns+" FROM order_items WHERE "+cond+" ORDER BY order_id, product_id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := map[int64][]order.Item{}
	for rows.Next() {
		var it itemRow
		if err := rows.Scan(it.dest()...); err != nil {
			return nil, err
		}
		items[it.orderID] = append(items[it.orderID], it.item())
	}
	return items, rows.Err()
}

// itemRow is an order_items row, scanned in the order of orderItemColumns.
type itemRow struct {
	orderID, productID, unitPrice, subtotal int64
	sku, name                               string
	qty                                     int64 // the driver's own type: no conversion through text
}

func (r *itemRow) dest() []any {
	return []any{&r.orderID, &r.productID, &r.sku, &r.name, &r.qty, &r.unitPrice, &r.subtotal}
}

func (r *itemRow) item() order.Item {
	return order.RehydrateItem(r.productID, r.sku, r.name, int(r.qty), r.unitPrice, r.subtotal)
}

// optionalTime is NULL for a time that is not set (ok false).
func optionalTime(t time.Time, ok bool) sql.NullTime { return sql.NullTime{Time: t, Valid: ok} }

// optionalReason is NULL for no cancel reason.
func optionalReason(r order.CancelReason) sql.NullString {
	return sql.NullString{String: r.String(), Valid: !r.IsZero()}
}
