package mysql

import (
	"errors"
	"fmt"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
)

// TestIsRetryable classifies the servers' errors as the servers document them: MySQL 8,
// MariaDB and TiDB conflicts run the unit again, anything else does not, wrapped or not.
func TestIsRetryable(t *testing.T) {
	t.Parallel()
	mysqlErr := func(n uint16, msg string) error { return &gomysql.MySQLError{Number: n, Message: msg} }
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"deadlock", mysqlErr(1213, "Deadlock found when trying to get lock; try restarting transaction"), true},
		{"lock wait timeout", mysqlErr(1205, "Lock wait timeout exceeded; try restarting transaction"), true},
		{"MariaDB record changed", mysqlErr(1020, "Record has changed since last read in table 'products'"), true},
		{"TiDB select for update conflict", mysqlErr(8002, "[8002] can not retry select for update statement"), true},
		{"TiDB stale write", mysqlErr(8005, "Write Conflict, txnStartTS is stale"), true},
		{"TiDB KV error safe to retry", mysqlErr(8022, "Error: KV error safe to retry [try again later]"), true},
		{"TiDB schema changed", mysqlErr(8028, "Information schema is changed during the execution of the statement"), true},
		{"TiDB write conflict", mysqlErr(9007, "Write conflict, txnStartTS=1, conflictStartTS=2, conflictCommitTS=3, key={}, reason=Optimistic"), true},
		{"TiDB pessimistic retry limit", mysqlErr(1105, "pessimistic lock retry limit reached"), true},
		{"wrapped TiDB write conflict", fmt.Errorf("commit: %w", mysqlErr(9007, "Write conflict")), true},
		{"joined deadlock", errors.Join(mysqlErr(1213, "Deadlock"), errors.New("rollback: bad connection")), true},
		{"TiDB unistore lock wait timeout", mysqlErr(1105, "lock wait timeout"), true},
		{"other 1105", mysqlErr(1105, "runtime error: index out of range"), false},
		{"duplicate key", mysqlErr(1062, "Duplicate entry 'A' for key 'uq_products_sku'"), false},
		{"check constraint", mysqlErr(3819, "Check constraint 'chk_products_stock' is violated."), false},
		{"MySQL statement timeout", mysqlErr(3024, "Query execution was interrupted, maximum statement execution time exceeded"), false},
		{"TiDB transaction too large", mysqlErr(8004, "Transaction is too large"), false},
		{"TiDB TiKV server timeout (a commit may have landed)", mysqlErr(9002, "TiKV server timeout"), false},
		{"not a server error", errors.New("Write conflict"), false},
		{"nil", nil, false},
	}
	for _, c := range cases {
		if got := isRetryable(c.err); got != c.want {
			t.Errorf("%s: isRetryable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
