package bootstrap

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingWriter counts the writes it gets.
type countingWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	return c.buf.Write(p)
}

func (c *countingWriter) snapshot() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String(), c.writes
}

// TestBufferedOutputBatchesLines: many lines reach the output whole, in order, in far
// fewer writes than lines; lines written just before Close are not lost; a line written
// alone reaches the output without Close (the periodic flush).
func TestBufferedOutputBatchesLines(t *testing.T) {
	t.Parallel()
	w := &countingWriter{}
	b := newBufferedOutput(w)
	const n = 1000
	var want strings.Builder
	for i := range n {
		line := strings.Repeat("x", i%50) + "\n"
		want.WriteString(line)
		if _, err := b.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	got, writes := w.snapshot()
	if got != want.String() {
		t.Fatalf("got %d bytes, want the %d bytes written, in order", len(got), want.Len())
	}
	if writes >= n/10 {
		t.Fatalf("got %d writes for %d lines, want them batched", writes, n)
	}

	w2 := &countingWriter{}
	b2 := newBufferedOutput(w2)
	defer b2.Close()
	if _, err := b2.Write([]byte("alone\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _ := w2.snapshot(); got == "alone\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a lone line never reached the output without Close")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
