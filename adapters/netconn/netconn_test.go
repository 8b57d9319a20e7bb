package netconn_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/adapters/netconn"
)

type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// pair returns the two ends of a loopback TCP connection, both wrapped.
func pair(t *testing.T) (client, server net.Conn) {
	return pairDialed(t, netconn.DialFunc((&net.Dialer{}).DialContext))
}

// checkedPair is pair with the client made by DialChecked.
func checkedPair(t *testing.T) (client, server net.Conn) {
	return pairDialed(t, netconn.DialChecked((&net.Dialer{}).DialContext))
}

// pairDialed is a loopback TCP connection whose client end dial made and whose server end
// netconn.Listener accepted.
func pairDialed(t *testing.T, dial dialFunc) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := netconn.Listener{Listener: ln}.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	client, err = dial(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.FailNow()
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	for _, c := range []net.Conn{client, server} {
		if _, ok := c.(*netconn.Conn); !ok {
			t.Fatalf("got a %T, want a *netconn.Conn", c)
		}
	}
	return client, server
}

// TestLargeTransfersArriveWhole: 8 MiB each way at once, more than the sockets' buffers
// hold, so that writes wait for room and reads for data; what arrives is what was sent.
func TestLargeTransfersArriveWhole(t *testing.T) {
	t.Parallel()
	a, b := pair(t)
	out := make([]byte, 8<<20)
	if _, err := rand.Read(out); err != nil {
		t.Fatal(err)
	}
	type result struct {
		got []byte
		err error
	}
	transfer := func(from, to net.Conn) <-chan result {
		done := make(chan result, 1)
		go func() {
			if n, err := from.Write(out); err != nil || n != len(out) {
				done <- result{err: errors.Join(err, errors.New("short write"))}
				return
			}
		}()
		go func() {
			got := make([]byte, len(out))
			_, err := io.ReadFull(to, got)
			done <- result{got, err}
		}()
		return done
	}
	ab, ba := transfer(a, b), transfer(b, a)
	for _, r := range []result{<-ab, <-ba} {
		if r.err != nil {
			t.Fatal(r.err)
		}
		if !bytes.Equal(r.got, out) {
			t.Fatal("the bytes read are not the bytes written")
		}
	}
}

func TestReadGivesEOFWhenThePeerCloses(t *testing.T) {
	t.Parallel()
	a, b := pair(t)
	if _, err := a.Write([]byte("last words")); err != nil {
		t.Fatal(err)
	}
	a.Close()
	var got []byte
	var err error
	buf := make([]byte, 4)
	for range 100 { // a few reads, then io.EOF; never an empty read without an error
		var n int
		n, err = b.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil || n == 0 {
			break
		}
	}
	if err != io.EOF || string(got) != "last words" {
		t.Fatalf("got %q, %v; want the last words, then io.EOF", got, err)
	}
	if n, err := b.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Fatalf("read after EOF: %d, %v; want 0, io.EOF", n, err)
	}
}

func TestEmptyReadsAndWritesReturnAtOnce(t *testing.T) {
	t.Parallel()
	a, _ := pair(t)
	if n, err := a.Read(nil); n != 0 || err != nil {
		t.Fatalf("empty read: %d, %v", n, err)
	}
	if n, err := a.Write(nil); n != 0 || err != nil {
		t.Fatalf("empty write: %d, %v", n, err)
	}
}

// TestDeadlinesEndWaitingReadsAndWrites: a read with nothing to read and a write the peer
// does not read end at their deadlines with a timeout error, as net/http expects (it ends a
// connection's background read that way after every request).
func TestDeadlinesEndWaitingReadsAndWrites(t *testing.T) {
	t.Parallel()
	a, _ := pair(t)
	if err := a.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err := a.Read(make([]byte, 1))
	var ne net.Error
	var op *net.OpError
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() || !errors.As(err, &op) || op.Op != "read" {
		t.Fatalf("read past its deadline: %v, want a timeout of a read", err)
	}
	if err := a.SetWriteDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	n, err := a.Write(make([]byte, 64<<20)) // far more than the buffers hold, unread
	// How much goes out before the deadline depends on how soon this goroutine runs: none
	// on a busy machine.
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &op) || op.Op != "write" || n < 0 || n >= 64<<20 {
		t.Fatalf("write past its deadline: %d bytes, %v; want part of it written, then a timeout of a write", n, err)
	}
}

func TestAClosedConnRefusesReadsAndWrites(t *testing.T) {
	t.Parallel()
	a, _ := pair(t)
	a.Close()
	if _, err := a.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on a closed conn: %v, want net.ErrClosed", err)
	}
	if _, err := a.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write on a closed conn: %v, want net.ErrClosed", err)
	}
}

func TestWriteToAResetConnectionFails(t *testing.T) {
	t.Parallel()
	a, b := pair(t)
	b.(*netconn.Conn).SetLinger(0) // close with a reset
	b.Close()
	var err error
	for range 400 { // the reset may be processed after the close returns
		if _, err = a.Write([]byte("anyone there?")); err != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "write" {
		t.Fatalf("write to a reset connection: %v, want a *net.OpError of a write", err)
	}
}

func TestWrapLeavesOtherConnsAlone(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if got := netconn.Wrap(a); got != a {
		t.Fatalf("Wrap of a pipe gave a %T, want the pipe", got)
	}
}

// TestHTTPOverConns: net/http's server and client on Conns, with keep-alive: requests with
// bodies both ways, one connection for all of them.
func TestHTTPOverConns(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write(bytes.Repeat(body, 1000))
	}))
	srv.Listener = netconn.Listener{Listener: srv.Listener}
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	tr := &http.Transport{DialContext: netconn.DialFunc((&net.Dialer{}).DialContext)}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for i := range 20 {
		body := []byte{byte('a' + i)}
		resp, err := client.Post(srv.URL, "text/plain", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, bytes.Repeat(body, 1000)) {
			t.Fatalf("request %d: %d bytes, %v", i, len(got), err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 20 requests, want 1 kept alive", n)
	}
}

// TestACheckedWriteFindsAPeerThatClosed: once the peer closed, a checked conn's write fails
// with nothing written (so that a driver can take another connection), where a plain one's
// first write would go out into the void.
func TestACheckedWriteFindsAPeerThatClosed(t *testing.T) {
	t.Parallel()
	c, s := checkedPair(t)
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatalf("a write while the peer is there: %v", err)
	}
	if _, err := io.ReadFull(s, make([]byte, 4)); err != nil { // unread, it would make the close a reset
		t.Fatal(err)
	}
	s.Close()
	if _, err := c.Read(make([]byte, 1)); err != io.EOF { // the peer's close has arrived
		t.Fatalf("read after the peer closed: %v, want io.EOF", err)
	}
	n, err := c.Write([]byte("anyone there?"))
	if n != 0 || !errors.Is(err, netconn.ErrPeerGone) {
		t.Fatalf("checked write to a closed peer: %d bytes, %v; want 0 and ErrPeerGone", n, err)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "write" {
		t.Fatalf("got %v, want a *net.OpError of a write", err)
	}

	p, q := pair(t) // unchecked: the same first write succeeds
	q.Close()
	if _, err := p.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after the peer closed: %v, want io.EOF", err)
	}
	if n, err := p.Write([]byte("anyone there?")); err != nil || n != 13 {
		t.Fatalf("unchecked write to a closed peer: %d, %v; want it written", n, err)
	}
}

// TestACheckedWriteFindsUnaskedBytes: bytes the peer sent that nobody read fail the next
// checked write, and are still there to read.
func TestACheckedWriteFindsUnaskedBytes(t *testing.T) {
	t.Parallel()
	c, s := checkedPair(t)
	if _, err := s.Write([]byte("!")); err != nil {
		t.Fatal(err)
	}
	var err error
	for range 400 { // until the byte has arrived
		if _, err = c.Write([]byte("q")); err != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !errors.Is(err, netconn.ErrPeerGone) {
		t.Fatalf("checked write with an unread byte waiting: %v, want ErrPeerGone", err)
	}
	b := make([]byte, 1)
	if n, err := c.Read(b); n != 1 || err != nil || b[0] != '!' {
		t.Fatalf("read after the failed write: %q, %v; want the byte the peer sent", b[:n], err)
	}
}
