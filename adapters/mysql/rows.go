package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/b2b-backoffice/backoffice/application/paging"
)

// rowScanner is what *sql.Row and *sql.Rows share.
type rowScanner interface{ Scan(dest ...any) error }

// queryAll runs query and scans every row with scan.
func queryAll[T any](ctx context.Context, q queryer, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []T
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	return items, rows.Err()
}

// execAffected runs a statement and returns how many rows it changed.
func execAffected(ctx context.Context, q queryer, query string, args ...any) (int64, error) {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// int64Args is ids as a statement's arguments.
func int64Args(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// keysetPage completes query, a SELECT whose WHERE clause ends in "id > ?", into one page of
// a keyset scan on the primary key, ascending: page.After binds the id, and when search is
// not empty, searchCond is ANDed in with every ? bound to the LIKE pattern of search
// (escaped, see likeEscape). One row more than page.Limit is asked for, which tells whether another page follows.
func keysetPage(query string, page paging.Request, search, searchCond string) (string, []any) {
	var b strings.Builder
	b.WriteString(query)
	args := []any{page.After}
	if search != "" {
		pattern := "%" + likeEscape(search) + "%"
		b.WriteString(" AND " + searchCond)
		for range strings.Count(searchCond, "?") {
			args = append(args, pattern)
		}
	}
	b.WriteString(" ORDER BY id LIMIT ?")
	args = append(args, page.Limit+1)
	return b.String(), args
}

// duplicateAs is taken when err is a unique key violation, else err wrapped with what.
func duplicateAs(err, taken error, what string) error {
	if isDuplicate(err) {
		return taken
	}
	return fmt.Errorf("%s: %w", what, err)
}

// purgeClaim describes the expired rows of one table for purgeClaimed.
type purgeClaim struct {
	// claim selects the keys of up to ? rows expired at ?, oldest first, FOR UPDATE SKIP LOCKED.
	claim string
	// delete is "DELETE FROM table WHERE key IN " (a row constructor for a composite key);
	// row is one key's placeholders ("?" or "(?, ?)").
	delete, row string
	// scan reads one claimed key as the arguments of row.
	scan func(rowScanner) ([]any, error)
}

// purgeClaimed deletes the rows expired at now in batches of at most batch, each in its own
// transaction that first claims its rows with FOR UPDATE SKIP LOCKED: purges running at once
// (one per replica) take disjoint rows and never wait for each other or for a transaction
// that holds one of the rows, and no batch holds many locks. It returns how many rows it
// deleted; it stops when a claim finds fewer than batch rows.
func purgeClaimed(ctx context.Context, db *sql.DB, onRetry RetryObserver, p purgeClaim, now time.Time, batch int) (int64, error) {
	var total int64
	for {
		var claimed int
		var deleted int64
		err := TransactObserved(ctx, db, onRetry, func(ctx context.Context, tx *Tx) error {
			keys, err := queryAll(ctx, tx, p.scan, p.claim, now.UTC(), batch)
			if err != nil {
				return fmt.Errorf("claim: %w", err)
			}
			claimed, deleted = len(keys), 0
			if claimed == 0 {
				return nil
			}
			rows := make([]string, len(keys))
			var args []any
			for i, k := range keys {
				rows[i] = p.row
				args = append(args, k...)
			}
			deleted, err = execAffected(ctx, tx, p.delete+"("+strings.Join(rows, ", ")+")", args...)
			if err != nil {
				return fmt.Errorf("delete: %w", err)
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += deleted
		if claimed < batch {
			return total, nil
		}
	}
}
