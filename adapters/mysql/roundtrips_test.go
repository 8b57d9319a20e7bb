package mysql_test

import (
	"bufio"
	"database/sql"
	"io"
	"net"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/mysql"
)

// roundTrips is a TCP proxy in front of the server that counts the commands its clients
// send, that is their round trips: in the MySQL protocol every command packet starts a new
// exchange, with sequence id 0 (the handshake's client packets have 1 and up).
type roundTrips struct {
	ln     net.Listener
	target string
	n      atomic.Int64
}

// countRoundTrips starts the proxy for the server of u and returns it with u pointed at it.
// countedConnection is a pool of one connection to the test database through the counting
// proxy (countRoundTrips), closed when the test ends.
func countedConnection(t *testing.T) (*roundTrips, *sql.DB) {
	t.Helper()
	trips, u := countRoundTrips(t, env.URL(t))
	return trips, openPool(t, u, mysql.PoolConfig{MaxOpenConns: 1, MaxIdleConns: 1})
}

func countRoundTrips(t *testing.T, u mysql.DatabaseURL) (*roundTrips, mysql.DatabaseURL) {
	t.Helper()
	parsed, err := url.Parse(string(u))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	rt := &roundTrips{ln: ln, target: parsed.Host}
	go rt.accept()
	parsed.Host = ln.Addr().String()
	return rt, mysql.DatabaseURL(parsed.String())
}

// Count is how many commands the clients have sent so far.
func (rt *roundTrips) Count() int { return int(rt.n.Load()) }

func (rt *roundTrips) accept() {
	for {
		client, err := rt.ln.Accept()
		if err != nil {
			return
		}
		go rt.relay(client)
	}
}

// relay copies the server's bytes back as they come and the client's packet by packet,
// counting those that start an exchange.
func (rt *roundTrips) relay(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", rt.target)
	if err != nil {
		return
	}
	defer server.Close()
	go func() {
		_, _ = io.Copy(client, server)
		_ = client.Close()
	}()
	r := bufio.NewReader(client)
	header := make([]byte, 4)
	for {
		if _, err := io.ReadFull(r, header); err != nil {
			return
		}
		size := int64(header[0]) | int64(header[1])<<8 | int64(header[2])<<16
		if header[3] == 0 {
			rt.n.Add(1)
		}
		if _, err := server.Write(header); err != nil {
			return
		}
		if _, err := io.CopyN(server, r, size); err != nil {
			return
		}
	}
}
