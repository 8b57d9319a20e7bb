package mysql

import (
	"context"
	"database/sql"
	"time"
)

// dialect is what this package's SQL must say differently on the server a pool talks to:
// MySQL 8 and MariaDB share one dialect, TiDB needs two changes (see orderCustomer and
// containsLiteral). A store finds it out once, when it is made.
type dialect struct{ tidb bool }

// detectDialect asks db's server for its version. When it cannot (the server is down at
// start-up), it assumes MySQL's dialect: on TiDB the statements that differ then fail with
// TiDB's own clear error rather than doing something else.
func detectDialect(db *sql.DB) dialect {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return dialect{}
	}
	return dialect{tidb: isTiDB(version)}
}

// orderCustomer is the value of the order's customer_id in Create's INSERT: the customer's
// id read with a lock, NULL when the customer is missing or deleted, which the NOT NULL
// column refuses (error 1048, order.ErrCustomerNotFound) so that the statements after it in
// the batch never run. The read is a locking one: a soft delete that committed first is
// seen, and one that comes later waits for the order's transaction to end, so no order is
// ever committed after its customer's deletion (customers-api's check over HTTP comes before
// the transaction and cannot close that window on its own; both services share the
// database). MySQL and MariaDB take a shared lock, so concurrent orders of one customer do
// not wait for each other. On TiDB the column gets the plain id: the check is customerCheck.
func (d dialect) orderCustomer() string {
	if d.tidb {
		return "?"
	}
	return "(SELECT id FROM customers WHERE id = ? AND deleted_at IS NULL LOCK IN SHARE MODE)"
}

// customerCheck is Create's customer read on TiDB, a statement of its own before the
// inserts, which tells whether the customer may order (exists and is not deleted). TiDB only
// accepts LOCK IN SHARE MODE as a no-op (Error 1235), so there it is an exclusive lock and
// one customer's orders take turns at that row.
func (d dialect) customerCheck() string {
	return "SELECT deleted_at IS NULL FROM customers WHERE id = ? FOR UPDATE"
}

// containsLiteral is the search condition "column contains the bound LIKE pattern, ignoring
// case, literally". The tables' utf8mb4_unicode_ci compares collation weights, not
// characters: it matches "e" with "é", and ignores or equates characters that differ (NUL,
// format characters, and on MySQL 8 every character beyond U+FFFF), so a search would find
// rows that do not contain it. Here both sides are lower-cased and then compared code point
// by code point (utf8mb4_bin): what the memory stores do with strings.ToLower. On MySQL 8 and
// MariaDB the lower-casing is Unicode 5.2's case table (the utf8mb4_unicode_520_ci
// collation's), which differs from Go's only for letters that gained a case mapping after
// Unicode 5.2 (Cherokee, Georgian Mtavruli and a few others: those compare case-sensitively
// there). TiDB has no utf8mb4_unicode_520_ci (Error 1273) and lower-cases with Go's tables
// whatever the collation, so there LOWER is used as it is.
func (d dialect) containsLiteral(column string) string {
	lower := func(expr string) string {
		if d.tidb {
			return "LOWER(CONVERT(" + expr + " USING utf8mb4)) COLLATE utf8mb4_bin"
		}
		return "LOWER(CONVERT(" + expr + " USING utf8mb4) COLLATE utf8mb4_unicode_520_ci) COLLATE utf8mb4_bin"
	}
	return lower(column) + " LIKE " + lower("?") + ` ESCAPE '\\'`
}
