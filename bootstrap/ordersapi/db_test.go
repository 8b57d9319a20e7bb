package main

import (
	"context"
	"database/sql"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
)

func sqlOpen(t *testing.T, u mysql.DatabaseURL) (*sql.DB, error) {
	t.Helper()
	db, err := mysql.Open(context.Background(), u, mysql.PoolConfig{MaxOpenConns: 2})
	if err == nil {
		t.Cleanup(func() { db.Close() })
	}
	return db, err
}
