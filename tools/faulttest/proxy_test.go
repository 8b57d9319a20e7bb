package faulttest

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// proxy is a TCP proxy the tests put between a service and what it depends on (MySQL, another
// service). It can delay every chunk the client sends (a slow dependency), report those chunks
// (to see which requests reached the dependency), and cut: close every connection and the
// listener, so that new connections are refused, as while a server restarts; Restore listens
// again on the same address.
type proxy struct {
	target string
	addr   string // fixed by the first listen, reused by Restore

	mu      sync.Mutex
	ln      net.Listener
	conns   map[*pipe]struct{}
	delay   time.Duration
	onChunk func([]byte)
	wg      sync.WaitGroup
}

// pipe is one proxied connection: the client's and the one to the target.
type pipe struct {
	client, server net.Conn
	once           sync.Once
	done           chan struct{}
}

func (p *pipe) close() {
	p.once.Do(func() {
		close(p.done)
		_ = p.client.Close()
		_ = p.server.Close()
	})
}

// newProxy listens on a free local port and forwards to target until the test ends.
func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{target: target, conns: map[*pipe]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.close)
	return p
}

// Addr is host:port of the proxy.
func (p *proxy) Addr() string { return p.addr }

// SetDelay makes every chunk a client sends wait d before it is forwarded (0: none).
func (p *proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// OnChunk calls f with every chunk a client sends, before the delay.
func (p *proxy) OnChunk(f func([]byte)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onChunk = f
}

// Cut closes the listener and every proxied connection: from now on connections are refused
// until Restore. It reports how many connections it closed.
func (p *proxy) Cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	n := len(p.conns)
	for c := range p.conns {
		c.close()
		delete(p.conns, c)
	}
	return n
}

// Restore listens again on the proxy's address.
func (p *proxy) Restore(t *testing.T) {
	t.Helper()
	var (
		ln  net.Listener
		err error
	)
	for range 100 { // the port was ours a moment ago; a bind may need a retry
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Go(func() { p.handle(ln, c) })
		}
	})
}

func (p *proxy) handle(ln net.Listener, client net.Conn) {
	server, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil { // the target is down: the client sees its connection closed
		_ = client.Close()
		return
	}
	c := &pipe{client: client, server: server, done: make(chan struct{})}
	p.mu.Lock()
	if p.ln != ln { // cut while dialing
		p.mu.Unlock()
		c.close()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	defer func() {
		c.close()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	up := make(chan struct{})
	go func() {
		defer close(up)
		defer c.close()
		buf := make([]byte, 64<<10)
		for {
			n, err := client.Read(buf)
			if n > 0 {
				p.mu.Lock()
				delay, onChunk := p.delay, p.onChunk
				p.mu.Unlock()
				if onChunk != nil {
					onChunk(buf[:n])
				}
				if delay > 0 {
					select {
					case <-time.After(delay):
					case <-c.done:
						return
					}
				}
				if _, werr := server.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	_, _ = io.Copy(client, server)
	c.close()
	<-up
}

func (p *proxy) close() {
	p.Cut()
	p.wg.Wait()
}

// TestProxy checks the tool the fault tests rely on: it forwards, delays, reports chunks, cuts
// live connections, refuses new ones while cut and serves again on the same address.
func TestProxy(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	p := newProxy(t, echo.Addr().String())
	var (
		mu     sync.Mutex
		chunks []string
	)
	p.OnChunk(func(b []byte) { mu.Lock(); chunks = append(chunks, string(b)); mu.Unlock() })

	roundTrip := func(c net.Conn, msg string) error {
		if _, err := c.Write([]byte(msg)); err != nil {
			return err
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil {
			return err
		}
		if string(got) != msg {
			return errors.New("echo: got " + string(got))
		}
		return nil
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := roundTrip(c, "hello"); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	p.SetDelay(50 * time.Millisecond)
	if err := roundTrip(c, "slow"); err != nil {
		t.Fatalf("with a delay: %v", err)
	}
	p.SetDelay(0)
	mu.Lock()
	if len(chunks) != 2 || chunks[0] != "hello" || chunks[1] != "slow" {
		t.Errorf("chunks: got %q, want hello and slow", chunks)
	}
	mu.Unlock()

	if n := p.Cut(); n != 1 {
		t.Errorf("Cut closed %d connections, want 1", n)
	}
	if err := roundTrip(c, "after cut"); err == nil {
		t.Fatal("a cut connection still carried data")
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("a cut proxy accepted a connection")
	}
	p.Restore(t)
	c2, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatalf("after Restore: %v", err)
	}
	defer c2.Close()
	if err := roundTrip(c2, "back"); err != nil {
		t.Fatalf("after Restore: %v", err)
	}
}
