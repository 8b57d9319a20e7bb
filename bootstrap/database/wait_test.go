package database_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
	"github.com/b2b-backoffice/backoffice/adapters/mysql/mysqltest"
	"github.com/b2b-backoffice/backoffice/bootstrap/database"
)

var mysqlEnv mysqltest.Env

func TestMain(m *testing.M) { os.Exit(mysqltest.Run(m, &mysqlEnv)) }

// logLines parses a JSON log.
func logLines(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// TestWaitForServerGivesUpWithTheCause: a database nobody listens for is tried again, each
// attempt logged as JSON without the password, until the timeout; then the error names the
// database and the cause.
func TestWaitForServerGivesUpWithTheCause(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	u := mysql.DatabaseURL("mysql://app:hunter2-secret@" + mysqltest.ClosedAddr(t) + "/backoffice")
	const timeout = 2 * time.Second
	began := time.Now()
	err := database.WaitForServer(t.Context(), u, timeout, logger)
	took := time.Since(began)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "/backoffice") {
		t.Fatalf("got %v, want an error naming the database and the refused connection", err)
	}
	if took < timeout/2 || took > timeout+time.Second {
		t.Fatalf("gave up after %s, want about %s", took, timeout)
	}
	retries := 0
	for _, l := range logLines(t, &logs) {
		if l["msg"] == "database not reachable yet, retrying" && l["database"] != nil && l["error"] != nil {
			retries++
		}
	}
	if retries < 3 {
		t.Fatalf("got %d logged retries in %s, want at least 3:\n%s", retries, took, logs.String())
	}
	if all := logs.String() + err.Error(); strings.Contains(all, "hunter2-secret") {
		t.Fatalf("the password leaked: %s", all)
	}
}

// TestWaitForServerOnceWithoutTimeout: DB_CONNECT_TIMEOUT=0 tries once.
func TestWaitForServerOnceWithoutTimeout(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	err := database.WaitForServer(t.Context(), mysql.DatabaseURL("mysql://app@"+mysqltest.ClosedAddr(t)+"/backoffice"), 0,
		slog.New(slog.NewJSONHandler(&logs, nil)))
	if err == nil || !strings.Contains(err.Error(), "1 attempts") || len(logLines(t, &logs)) != 0 {
		t.Fatalf("got %v and logs %q, want one attempt and no retry logged", err, logs.String())
	}
}

// TestWaitForServerWaitsForALateServer: a server that starts listening a second after the
// service is waited for (containers start in any order).
func TestWaitForServerWaitsForALateServer(t *testing.T) {
	t.Parallel()
	real, _ := url.Parse(string(mysqlEnv.URL(t)))
	addr := mysqltest.ClosedAddr(t)
	late := *real
	late.Host = addr
	go func() {
		time.Sleep(time.Second)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("late listener: %v", err)
			return
		}
		t.Cleanup(func() { _ = ln.Close() })
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go forward(c, real.Host)
		}
	}()
	var logs bytes.Buffer
	err := database.WaitForServer(t.Context(), mysql.DatabaseURL(late.String()), 30*time.Second, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("got %v, want the late server reached", err)
	}
	if !strings.Contains(logs.String(), "retrying") || !strings.Contains(logs.String(), `"msg":"database reachable"`) {
		t.Fatalf("got logs %s, want retries and then the database reachable", logs.String())
	}
}

// TestWaitForServerStopsAtAWrongPassword: a server that refuses the credentials is reached;
// the wait ends at once with its answer.
func TestWaitForServerStopsAtAWrongPassword(t *testing.T) {
	t.Parallel()
	u, _ := url.Parse(string(mysqlEnv.URL(t)))
	u.User = url.UserPassword("no_such_user", "wrong")
	began := time.Now()
	err := database.WaitForServer(t.Context(), mysql.DatabaseURL(u.String()), 30*time.Second, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "1045") || time.Since(began) > 5*time.Second {
		t.Fatalf("got %v after %s, want the server's access-denied answer at once", err, time.Since(began))
	}
}

func forward(c net.Conn, to string) {
	defer c.Close()
	s, err := net.Dial("tcp", to)
	if err != nil {
		return
	}
	defer s.Close()
	go func() { _, _ = io.Copy(s, c) }()
	_, _ = io.Copy(c, s)
}
