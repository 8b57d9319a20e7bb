package bootstrap

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logFlushEvery is how long a log line may wait in memory before it is written out.
const logFlushEvery = 50 * time.Millisecond

// bufferedOutput is the log output of a service that serves HTTP: lines are collected in
// memory and written out every logFlushEvery, or sooner when the buffer fills, in one write
// for many lines. Under load the access log otherwise costs a write system call per
// request (5% of a read's CPU in the profiles, plus the reader at the other end of the
// pipe, such as make run's runner, waking once per line). slog hands each record to Write
// whole, so lines are never split between writes. Close writes out what is left; a crash
// can lose at most the last logFlushEvery of lines. The Lambda build does not use it: the
// runtime freezes the process between invocations, and lines must not wait for the next.
type bufferedOutput struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newBufferedOutput(w io.Writer) *bufferedOutput {
	b := &bufferedOutput{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushLoop()
	return b
}

// Write implements io.Writer.
func (b *bufferedOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

func (b *bufferedOutput) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.w.Flush() // nowhere to report a log output that fails
}

func (b *bufferedOutput) flushLoop() {
	defer close(b.done)
	t := time.NewTicker(logFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.flush()
		case <-b.stop:
			b.flush()
			return
		}
	}
}

// Close stops the flushing and writes out what is buffered.
func (b *bufferedOutput) Close() error {
	close(b.stop)
	<-b.done
	return nil
}
