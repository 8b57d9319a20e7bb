package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// getLockServer answers SELECT GET_LOCK(?, ?) with the scripted results in turn (an error or
// the function's value), the way a server would; it stands in for TiDB, whose GET_LOCK can
// fail with a retryable error while another session holds the lock.
type getLockServer struct {
	mu      sync.Mutex
	answers []any // error or int64
	asked   int
}

func (s *getLockServer) Connect(context.Context) (driver.Conn, error) { return &getLockConn{s}, nil }
func (s *getLockServer) Driver() driver.Driver                        { return nil }

type getLockConn struct{ s *getLockServer }

func (c *getLockConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("not supported") }
func (c *getLockConn) Close() error                        { return nil }
func (c *getLockConn) Begin() (driver.Tx, error)           { return nil, errors.New("not supported") }

func (c *getLockConn) QueryContext(_ context.Context, query string, _ []driver.NamedValue) (driver.Rows, error) {
	if !strings.HasPrefix(query, "SELECT GET_LOCK(") {
		return nil, errors.New("unexpected query " + query)
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.s.asked >= len(c.s.answers) {
		return nil, errors.New("GET_LOCK asked more often than scripted")
	}
	answer := c.s.answers[c.s.asked]
	c.s.asked++
	if err, ok := answer.(error); ok {
		return nil, err
	}
	return &oneValue{v: answer}, nil
}

type oneValue struct {
	v    any
	done bool
}

func (r *oneValue) Columns() []string { return []string{"GET_LOCK"} }
func (r *oneValue) Close() error      { return nil }
func (r *oneValue) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0] = r.v
	return nil
}

// TestTakeLockOutlastsRetryableErrors: a retryable GET_LOCK failure (TiDB's pessimistic
// retry limit with several waiters, a deadlock) means "not yet" and the lock is asked for
// again; any other failure, or GET_LOCK's 0 (the wait ran out), ends the attempt.
func TestTakeLockOutlastsRetryableErrors(t *testing.T) {
	t.Parallel()
	retryLimit := &gomysql.MySQLError{Number: 1105, Message: "pessimistic lock retry limit reached"}
	deadlock := &gomysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}
	other := &gomysql.MySQLError{Number: 1105, Message: "runtime error"}
	cases := []struct {
		name    string
		answers []any
		wait    time.Duration
		wantErr string // "" for the lock taken
	}{
		{"taken at once", []any{int64(1)}, time.Minute, ""},
		{"taken after TiDB's retry limit and a deadlock", []any{retryLimit, deadlock, retryLimit, int64(1)}, time.Minute, ""},
		{"held elsewhere for the whole wait", []any{retryLimit, int64(0)}, time.Minute, "another process held the migration lock"},
		{"another error", []any{retryLimit, other}, time.Minute, "runtime error"},
		{"retryable errors past the wait", []any{retryLimit, retryLimit, retryLimit, retryLimit}, 0, "pessimistic lock retry limit reached"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			server := &getLockServer{answers: c.answers}
			db := sql.OpenDB(server)
			defer db.Close()
			conn, err := db.Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			err = takeLock(t.Context(), conn, migrateLock, c.wait)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("got %v, want the lock", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("got %v, want an error with %q", err, c.wantErr)
			}
			if c.wait > 0 && server.asked != len(c.answers) {
				t.Errorf("GET_LOCK asked %d times, want %d", server.asked, len(c.answers))
			}
		})
	}
}
