// Package mysqltest gives each test package a fresh, migrated MySQL database. It uses the
// server named by TEST_DATABASE_URL when set, else a server answering as root without a
// password on 127.0.0.1:3306 (LocalServer), else starts MySQL 8.4 (DockerImage) with dockertest, else the
// tests skip and say why. With REQUIRE_MYSQL=1 a missing
// server fails the run instead: CI must never count skipped MySQL tests as passing.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/ory/dockertest/v3"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
)

// Env is the set-up of one test package.
type Env struct {
	db      *sql.DB
	url     mysql.DatabaseURL
	skipWhy string
}

// Run is the body of a package's TestMain: it makes the database, runs the tests and drops
// the database afterwards.
//
//	func TestMain(m *testing.M) { os.Exit(mysqltest.Run(m, &env)) }
func Run(m *testing.M, env *Env) int {
	ctx := context.Background()
	server, cleanup, why := serverURL()
	if why != "" {
		if os.Getenv("REQUIRE_MYSQL") == "1" {
			fmt.Fprintf(os.Stderr, "mysqltest: MySQL required but unavailable: %s\n", why)
			return 1
		}
		fmt.Printf("mysqltest: SKIPPING MySQL tests: %s\n", why)
		env.skipWhy = why
		return m.Run()
	}
	defer cleanup()
	u, drop, err := freshDatabase(ctx, server)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mysqltest: %v\n", err)
		return 1
	}
	defer drop()
	if err := mysql.Migrate(ctx, u, io.Discard); err != nil {
		fmt.Fprintf(os.Stderr, "mysqltest: %v\n", err)
		return 1
	}
	db, err := mysql.Open(ctx, u, mysql.PoolConfig{MaxOpenConns: 50, MaxIdleConns: 50})
	if err != nil {
		fmt.Fprintf(os.Stderr, "mysqltest: %v\n", err)
		return 1
	}
	defer db.Close()
	env.db, env.url = db, u
	return m.Run()
}

// DB returns the package's database, or skips tb with the reason it is unavailable.
func (e *Env) DB(tb testing.TB) *sql.DB {
	tb.Helper()
	if e.db == nil {
		tb.Skipf("MySQL unavailable: %s", e.skipWhy)
	}
	return e.db
}

// URL returns the package database's URL, or skips tb.
func (e *Env) URL(tb testing.TB) mysql.DatabaseURL {
	tb.Helper()
	e.DB(tb)
	return e.url
}

// Unique returns a short random string for test data that must not collide.
func Unique() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// NewDatabase creates another fresh, migrated database on the package's server and drops it
// when tb ends; for tests that need a database of their own (migration tests).
func (e *Env) NewDatabase(tb testing.TB, migrate bool) mysql.DatabaseURL {
	tb.Helper()
	base := e.URL(tb)
	parsed, _ := url.Parse(string(base))
	parsed.Path = "/"
	u, drop, err := freshDatabase(context.Background(), parsed.String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(drop)
	if migrate {
		if err := mysql.Migrate(context.Background(), u, io.Discard); err != nil {
			tb.Fatal(err)
		}
	}
	return u
}

// LocalServer is the server the tests use when TEST_DATABASE_URL is not set and it answers:
// a development machine's MySQL or MariaDB.
const LocalServer = "mysql://root@127.0.0.1:3306/"

// DockerImage is the MySQL the tests start when there is no server: the 8.4 LTS, the release
// docker-compose.yml runs (the deploy tests keep them equal).
const DockerImage = dockerRepository + ":" + dockerTag

const dockerRepository, dockerTag = "mysql", "8.4.11"

func serverURL() (u string, cleanup func(), why string) {
	if s := os.Getenv("TEST_DATABASE_URL"); s != "" {
		return s, func() {}, ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	db, localErr := mysql.Open(ctx, LocalServer, mysql.PoolConfig{Logger: slog.New(slog.DiscardHandler)})
	if localErr == nil {
		_ = db.Close()
		return LocalServer, func() {}, ""
	}
	pool, err := dockertest.NewPool("")
	if err == nil {
		err = pool.Client.Ping()
	}
	if err != nil {
		return "", nil, fmt.Sprintf("TEST_DATABASE_URL is not set, no MySQL answers at %s (%v) and Docker is unavailable (%v)", LocalServer, localErr, err)
	}
	res, err := pool.Run(dockerRepository, dockerTag, []string{"MYSQL_ROOT_PASSWORD=secret"})
	if err != nil {
		return "", nil, fmt.Sprintf("start %s with dockertest: %v", DockerImage, err)
	}
	_ = res.Expire(600)
	u = fmt.Sprintf("mysql://root:secret@127.0.0.1:%s/", res.GetPort("3306/tcp"))
	pool.MaxWait = 2 * time.Minute
	if err := pool.Retry(func() error {
		db, err := mysql.Open(context.Background(), mysql.DatabaseURL(u), mysql.PoolConfig{})
		if err != nil {
			return err
		}
		return db.Close()
	}); err != nil {
		_ = pool.Purge(res)
		return "", nil, fmt.Sprintf("%s did not come up: %v", DockerImage, err)
	}
	return u, func() { _ = pool.Purge(res) }, ""
}

func freshDatabase(ctx context.Context, server string) (mysql.DatabaseURL, func(), error) {
	parsed, err := url.Parse(server)
	if err != nil {
		return "", nil, fmt.Errorf("parse server url: %w", err)
	}
	parsed.Path = "/"
	root, err := mysql.Open(ctx, mysql.DatabaseURL(parsed.String()), mysql.PoolConfig{MaxOpenConns: 2})
	if err != nil {
		return "", nil, err
	}
	name := "test_" + Unique()
	if _, err := root.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		root.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	parsed.Path = "/" + name
	drop := func() {
		_, _ = root.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name)
		root.Close()
	}
	return mysql.DatabaseURL(parsed.String()), drop, nil
}

// ClosedAddr returns a loopback host:port where nothing listens (it was free a moment ago),
// for tests of a database that cannot be reached.
func ClosedAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
