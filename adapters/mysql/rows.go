package mysql

import (
	"context"
	"fmt"
	"strings"

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
