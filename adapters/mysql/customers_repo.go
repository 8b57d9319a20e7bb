package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/coalesce"
	"github.com/b2b-backoffice/backoffice/application/customers"
	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/customer"
	"github.com/b2b-backoffice/backoffice/domain/timestamp"
)

// CustomerRepository stores customers in the customers table. Uniqueness of live emails
// ignoring case is the unique index on the generated column active_email (NULL once
// deleted, compared with the _ci collation), so concurrent writers race on the index and
// the loser gets 1062, which becomes customer.ErrEmailTaken.
//
// Get runs through a coalesce.Batcher: the lookups that wait while another is in flight go
// as one SELECT ... WHERE id IN (...), with no loss of freshness.
type CustomerRepository struct {
	db      *sql.DB
	d       dialect
	onRetry RetryObserver
	byID    *coalesce.Batcher[struct{}, int64, customer.Snapshot]
}

var _ customers.CustomerRepository = (*CustomerRepository)(nil)

// maxLookupBatch bounds the ids of one batched lookup (its IN list).
const maxLookupBatch = 100

// NewCustomerRepository returns the repository on db.
func NewCustomerRepository(db *sql.DB) *CustomerRepository {
	r := &CustomerRepository{db: db, d: detectDialect(db)}
	r.byID = coalesce.New(maxLookupBatch, r.getMany)
	return r
}

// ObserveRetries makes every transaction of the repository call onRetry before it runs
// again after a deadlock or a lock-wait timeout (see TransactObserved). Call it before the
// repository is used; it returns r.
func (r *CustomerRepository) ObserveRetries(onRetry RetryObserver) *CustomerRepository {
	r.onRetry = onRetry
	return r
}

const customerColumns = "id, name, email, phone, created_at, updated_at"

// Create implements customers.CustomerRepository. The insert runs through Transact
// so that a deadlock on the unique index (possible when many inserts race) is retried.
func (r *CustomerRepository) Create(ctx context.Context, c *customer.Customer) (*customer.Customer, error) {
	var id int64
	err := TransactObserved(ctx, r.db, r.onRetry, func(ctx context.Context, tx *Tx) error {
		res, err := tx.ExecContext(ctx,
			"INSERT INTO customers (name, email, phone, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
			c.Name(), c.Email(), nullString(c.Phone()), c.CreatedAt(), c.UpdatedAt())
		if err != nil {
			return duplicateAs(err, customer.ErrEmailTaken, "insert customer")
		}
		id, err = res.LastInsertId()
		if err != nil {
			return fmt.Errorf("insert customer: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	stored := c.Snapshot()
	stored.ID = id
	return customer.Rehydrate(stored), nil
}

// Get implements customers.CustomerRepository.
func (r *CustomerRepository) Get(ctx context.Context, id int64) (*customer.Customer, error) {
	s, ok, err := r.byID.Get(ctx, struct{}{}, id)
	if err != nil {
		return nil, classify(fmt.Errorf("select customer: %w", err))
	}
	if !ok {
		return nil, customer.ErrNotFound
	}
	return customer.Rehydrate(s), nil
}

// getMany reads the live customers among ids in one statement, for Get's batcher.
func (r *CustomerRepository) getMany(ctx context.Context, _ struct{}, ids []int64) (map[int64]customer.Snapshot, error) {
	items, err := queryAll(ctx, pool{r.db}, scanCustomer,
		"SELECT "+customerColumns+" FROM customers WHERE id IN ("+ordersPlaceholders(len(ids))+") AND deleted_at IS NULL",
		int64Args(ids)...)
	if err != nil {
		return nil, err
	}
	found := make(map[int64]customer.Snapshot, len(items))
	for _, c := range items {
		found[c.ID()] = c.Snapshot()
	}
	return found, nil
}

// lockCustomer reads the live customer with id and locks its row until the transaction ends.
func lockCustomer(ctx context.Context, q queryer, id int64) (*customer.Customer, error) {
	row := q.QueryRowContext(ctx,
		"SELECT "+customerColumns+" FROM customers WHERE id = ? AND deleted_at IS NULL FOR UPDATE", id)
	c, err := scanCustomer(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, customer.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("select customer: %w", err)
	}
	return c, nil
}

// List implements customers.CustomerRepository with a keyset scan on the primary
// key. The search runs LIKE with '\' as the escape character on escaped input, so %, _ and
// \ match literally, and compares characters ignoring case, not collation weights (see
// containsLiteral).
func (r *CustomerRepository) List(ctx context.Context, f customers.Filter, page paging.Request) ([]*customer.Customer, error) {
	query, args := keysetPage("SELECT "+customerColumns+" FROM customers WHERE deleted_at IS NULL AND id > ?",
		page, f.Search, "("+r.d.containsLiteral("name")+" OR "+r.d.containsLiteral("email")+")")
	items, err := queryAll(ctx, pool{r.db}, scanCustomer, query, args...)
	if err != nil {
		return nil, classify(fmt.Errorf("list customers: %w", err))
	}
	return items, nil
}

// Update implements customers.CustomerRepository: in one transaction it locks the
// row (SELECT ... FOR UPDATE), runs fn and writes the result back.
func (r *CustomerRepository) Update(ctx context.Context, id int64, fn func(*customer.Customer) error) (*customer.Customer, error) {
	var updated *customer.Customer
	err := TransactObserved(ctx, r.db, r.onRetry, func(ctx context.Context, tx *Tx) error {
		c, err := lockCustomer(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			"UPDATE customers SET name = ?, email = ?, phone = ?, updated_at = ? WHERE id = ?",
			c.Name(), c.Email(), nullString(c.Phone()), c.UpdatedAt(), id)
		if err != nil {
			return duplicateAs(err, customer.ErrEmailTaken, "update customer")
		}
		updated = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// Delete implements customers.CustomerRepository. Setting deleted_at turns the
// generated active_email to NULL, which frees the address in the unique index.
func (r *CustomerRepository) Delete(ctx context.Context, id int64, now time.Time) error {
	at := timestamp.Of(now)
	n, err := execAffected(ctx, pool{r.db},
		"UPDATE customers SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL", at, at, id)
	if err != nil {
		return classify(fmt.Errorf("delete customer: %w", err))
	}
	if n == 0 {
		return customer.ErrNotFound
	}
	return nil
}

func scanCustomer(s rowScanner) (*customer.Customer, error) {
	var (
		c     customer.Snapshot
		phone sql.NullString
	)
	if err := s.Scan(&c.ID, &c.Name, &c.Email, &phone, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.Phone = phone.String
	return customer.Rehydrate(c), nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
