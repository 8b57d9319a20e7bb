// Package netconn makes a TCP connection's reads and writes cheaper for the Go scheduler: they
// are the same non-blocking system calls the net package makes, made without telling the
// runtime that the goroutine entered a system call.
//
// Why: on a socket, which the net package always sets non-blocking, a read or a write never
// waits in the kernel; when there is nothing to read or no room to write it fails at once
// with EAGAIN and the goroutine waits in the network poller, as it always does. But the net
// package makes each call through syscall.Syscall, which marks the goroutine's processor
// (P) as in a system call. The runtime's monitor thread (sysmon) takes a P away from a
// system call that it finds lasting across two of its ticks (20 µs and more) when no other
// P is idle, which with GOMAXPROCS=1 is always, hands it to another thread, and wakes up
// every 20 µs for the next millisecond. Where a system call costs tens of microseconds
// (a loopback write wakes the reader; under a hypervisor that switches threads slowly a
// wake-up can take that long by itself), that happens on most requests: in a profile of
// orders-api under the flow load (perf, 16 clients, MariaDB on the same 2-core machine)
// about a quarter of the service's CPU went to sysmon waking, sleeping and handing
// processors back and forth. Made with syscall.RawSyscall, the read or write keeps its P,
// which is what a non-blocking call that cannot wait needs, and sysmon stays asleep.
//
// Everything else is the net package's: the poller's waiting, deadlines (a deadline ends
// a waiting Read or Write with an error whose Timeout() is true), Close, addresses and the
// *net.TCPConn methods (CloseWrite, ReadFrom, SetNoDelay...), which Conn keeps by embedding.
//
// Under the race detector (go test -race) the calls are syscall.Read and syscall.Write: the
// detector learns from those that what one goroutine wrote before sending happened before
// what another does after receiving it, and raw calls would hide that from it (it would then
// report races that are not there). The package's tests also run without -race (make test),
// so both ways are tested.
package netconn

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// Conn is a *net.TCPConn whose Read and Write are made as described in the package comment.
type Conn struct {
	*net.TCPConn
	raw syscall.RawConn
	// checked: Write first makes sure the peer is still there (see DialChecked).
	checked bool
}

// ErrPeerGone fails a write on a connection made by DialChecked whose peer has closed it,
// or has sent what nobody asked for, which in a request-response protocol means the same.
var ErrPeerGone = errors.New("the peer closed the connection or sent something unasked")

// Wrap returns c as a Conn when it is a *net.TCPConn, and c unchanged otherwise (and on
// Windows).
func Wrap(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok || !wrapped {
		return c
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return &Conn{TCPConn: tc, raw: raw}
}

// Read implements net.Conn: it reads what is there, or waits in the poller until something
// is (or the read deadline passes). A peer that closed its side gives io.EOF.
func (c *Conn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var (
		n     int
		errno syscall.Errno
	)
	err := c.raw.Read(func(fd uintptr) bool {
		for {
			r, e := read(fd, b)
			switch e {
			case 0:
				n = r
				return true
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // nothing yet: wait in the poller, then call again
			default:
				errno = e
				return true
			}
		}
	})
	switch {
	case err != nil:
		return 0, named(err, "read")
	case errno != 0:
		return 0, c.opError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write implements net.Conn: it writes all of b, waiting in the poller whenever the socket's
// buffer is full (or until the write deadline passes). On a connection made by DialChecked
// it first looks, without reading, whether the peer is still there, and fails with nothing
// written (ErrPeerGone) when it is not.
func (c *Conn) Write(b []byte) (int, error) {
	var (
		n     int
		errno syscall.Errno
		gone  bool
	)
	look := c.checked
	err := c.raw.Write(func(fd uintptr) bool {
		for look {
			switch e := peek(fd); e {
			case 0: // 0 bytes: the peer closed; 1: something unasked waits
				gone = true
				return true
			case syscall.EINTR:
				continue
			case syscall.EAGAIN: // nothing to read: the peer is there
				look = false
			default:
				errno = e
				return true
			}
		}
		for n < len(b) {
			r, e := write(fd, b[n:])
			switch e {
			case 0:
				n += r
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // the buffer is full: wait in the poller, then go on
			default:
				errno = e
				return true
			}
		}
		return true
	})
	switch {
	case err != nil:
		return n, named(err, "write")
	case gone:
		return 0, &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: ErrPeerGone}
	case errno != 0:
		return n, c.opError("write", errno)
	}
	return n, nil
}

// named gives an error of the poller (a deadline, a closed connection), which net's
// RawConn names "raw-read" or "raw-write", the name of the operation as the net package's
// own Read and Write would: "read tcp ...: i/o timeout" in logs, as before.
func named(err error, op string) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		oe.Op = op
	}
	return err
}

func (c *Conn) opError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}

// Listener is a net.Listener whose accepted TCP connections are Conns.
type Listener struct{ net.Listener }

// Accept implements net.Listener.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Wrap(c), nil
}

// DialChecked is DialFunc for a request-response protocol whose server never writes unasked
// (MySQL's): before each write the Conn looks whether the server is still there, and a
// connection the server closed while it sat in a pool fails its next write with nothing
// written (the driver then takes another connection). It is the check the MySQL driver
// makes when it takes a connection from the pool (checkConnLiveness), made with a raw call
// instead of syscall.Read, which wakes sysmon (see the package comment) on every request.
// Not under TLS: records the TLS layer reads on its own (a TLS 1.3 session ticket) would look
// unasked. The services' database connections are plain TCP (mysql.Open has no TLS option).
func DialChecked(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	wrapped := DialFunc(dial)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := wrapped(ctx, network, addr)
		if nc, ok := c.(*Conn); ok {
			nc.checked = true
		}
		return c, err
	}
}

// DialFunc is a dialer's DialContext whose TCP connections are Conns.
func DialFunc(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return Wrap(c), nil
	}
}
