package httpkit

import (
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// DeadlineMargin is how long after a request's deadline Middleware still waits for its
// handler before answering in its place. Work that honours its context ends at the
// deadline itself and answers with its own classified error; the margin leaves it the
// time to do so.
const DeadlineMargin = time.Second

// guard serves next on w. When r's context has a deadline, next runs behind a
// guardedWriter, and if it has not started its answer DeadlineMargin after the deadline, a
// timer answers timeout in its place: the client never waits on a handler blocked in a call
// that ignores its context (a database driver waiting for its socket read timeout). The
// answer is flushed at once and closes the connection, whose goroutine stays with the
// handler until it returns. next runs on the connection's own goroutine: a goroutine per
// request would cost its creation, a hand-off each way and the growth of a fresh stack, on
// every request, for the rare one that outlives its deadline. A panic in next is recovered
// as in Middleware.
func guard(w *statusRecorder, r *http.Request, next http.Handler, write ErrorWriter, timeout error) {
	deadline, ok := r.Context().Deadline()
	if !ok {
		next.ServeHTTP(w, r)
		return
	}
	g := &guardedWriter{w: w, header: w.Header().Clone()}
	timer := time.AfterFunc(time.Until(deadline)+DeadlineMargin, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.returned {
			return
		}
		g.timedOut = true
		if !g.wroteHeader {
			w.Header().Set("Connection", "close")
			write(w, r, timeout)
			_ = http.NewResponseController(w).Flush()
		}
		// Otherwise the handler had started its answer and nothing more can be said: the
		// server ends the response as it is.
	})
	defer func() {
		timer.Stop()
		p := recover()
		var stack []byte
		if p != nil {
			stack = debug.Stack()
		}
		// Once returned is set under the mutex, the timer's function, if it runs at all,
		// leaves w alone: from here on only this goroutine touches it.
		g.mu.Lock()
		g.returned = true
		if !g.wroteHeader && !g.timedOut {
			g.copyHeaderLocked() // the server's implicit 200 carries the handler's headers
		}
		g.mu.Unlock()
		if p != nil {
			recovered(w, r, p, stack, write)
		}
	}()
	next.ServeHTTP(g, r.WithContext(r.Context())) // the handler's own copy: routers set fields on it
}

// guardedWriter is the handler's ResponseWriter under guard. The handler gets its own
// header map (copied to the real one when it writes its status), and every write goes
// through the mutex, so that once guard has answered for it the handler's late writes are
// dropped (http.ErrHandlerTimeout), never raced with the answer, as in net/http's
// TimeoutHandler. Unlike TimeoutHandler it does not buffer: Flush still streams.
type guardedWriter struct {
	mu          sync.Mutex
	w           *statusRecorder
	header      http.Header
	wroteHeader bool
	timedOut    bool
	returned    bool // the handler has returned: the timer no longer answers
}

func (g *guardedWriter) Header() http.Header { return g.header }

func (g *guardedWriter) WriteHeader(code int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.timedOut || g.wroteHeader {
		return
	}
	g.writeHeaderLocked(code)
}

func (g *guardedWriter) writeHeaderLocked(code int) {
	g.copyHeaderLocked()
	g.wroteHeader = true
	g.w.WriteHeader(code)
}

func (g *guardedWriter) copyHeaderLocked() {
	dst := g.w.Header()
	for k := range dst {
		if _, ok := g.header[k]; !ok {
			delete(dst, k)
		}
	}
	for k, vs := range g.header {
		dst[k] = vs
	}
}

func (g *guardedWriter) Write(b []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.timedOut {
		return 0, http.ErrHandlerTimeout
	}
	if !g.wroteHeader {
		g.writeHeaderLocked(http.StatusOK)
	}
	return g.w.Write(b)
}

// FlushError is what http.ResponseController.Flush calls.
func (g *guardedWriter) FlushError() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.timedOut {
		return http.ErrHandlerTimeout
	}
	if !g.wroteHeader {
		g.writeHeaderLocked(http.StatusOK)
	}
	return http.NewResponseController(g.w).Flush()
}

// Flush implements http.Flusher.
func (g *guardedWriter) Flush() { _ = g.FlushError() }

// Unwrap lets http.ResponseController reach the connection's other controls (deadlines).
func (g *guardedWriter) Unwrap() http.ResponseWriter { return g.w }
