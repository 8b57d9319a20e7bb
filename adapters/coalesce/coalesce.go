// Package coalesce runs concurrent reads of one kind as fewer calls, with no loss of
// freshness: a read never takes the answer of a call that began before it arrived, except
// the answers a caller accepts with Batcher.ShareInFlight because it checks them again.
package coalesce

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// Batcher runs concurrent reads of one kind as fewer calls, with no loss of freshness.
//
// Reads belong to a group (what shapes the call: for a page of products, its filter and
// cursor) and ask for a key within it (a customer's id; struct{} when the group is the
// whole answer). A read whose group has no call in flight makes its own, on its caller's
// goroutine, after yielding the processor once: the reads of the group that are ready to
// run at that moment (requests that arrived together) join that call before it is made.
// A read that arrives while its group's call is in flight waits for that call to end;
// then all the reads that waited go together as one call (up to max keys, the rest in
// the next). A read never joins a call already made (unless ShareInFlight accepts that
// call's answer), so it sees every write committed before it began, exactly as a call of
// its own would: what it gives up is at most one call's time of waiting, and only when its
// group is busy.
//
// Under load that turns N reads into about one call per call time, which costs the
// database, the driver, the encoder and the system calls a fraction of N separate reads.
// Nothing waits on a timer: with no other goroutine ready, the yield returns at once.
// It is the batching of DataLoader and the consolidation of Vitess's query consolidator,
// except that Vitess also lets a read join a query in flight (a read may then miss a write
// that committed just before it arrived); this one does not, unless ShareInFlight says for
// which answers a caller can afford it.
type Batcher[G, K comparable, V any] struct {
	// fetch makes one call for keys (distinct, at least one) of group g. A key absent
	// from the map has no value. ctx is the read's own when the call is for one read;
	// when it is for several, it is the first one's without its cancellation or
	// deadline, so that one read's end does not fail the others.
	fetch func(ctx context.Context, g G, keys []K) (map[K]V, error)
	max   int
	// yield lets the reads that are ready join a call before it is made: runtime.Gosched,
	// or a test's hook.
	yield func()

	// share, when set, names the answers a read may take from a call that was already in
	// flight when it arrived (see ShareInFlight).
	share func(v V, ok bool, err error) bool

	mu sync.Mutex
	// busy holds the groups with a call in flight, each with the batches that wait for
	// it, in arrival order.
	busy map[G]*waiting[K, V]
}

type waiting[K comparable, V any] struct {
	batches []*batch[K, V]
	// flight is the batch whose call is being made (once made; it stays after the call
	// ends, until the next one starts or the group is idle again).
	flight *batch[K, V]
}

// batch is one call's worth of waiting reads.
type batch[K comparable, V any] struct {
	ctx  context.Context
	keys []K
	has  map[K]bool
	// reads counts the reads waiting for this batch; keys holds each key once.
	reads int
	// sharers counts the reads that arrived while its call was in flight and wait for its
	// answer (ShareInFlight).
	sharers int
	done    chan struct{} // closed once vals and err are set
	vals    map[K]V
	err     error
}

// New returns a Batcher whose calls are fetch, with at most max keys each.
func New[G, K comparable, V any](max int, fetch func(ctx context.Context, g G, keys []K) (map[K]V, error)) *Batcher[G, K, V] {
	return &Batcher[G, K, V]{fetch: fetch, max: max, yield: runtime.Gosched, busy: make(map[G]*waiting[K, V])}
}

// ShareInFlight lets a read that arrives while a call for its key is in flight wait for that
// call and take its answer when share accepts it (a value found, say), instead of waiting
// for a call that begins after it arrived. An answer share refuses is not taken: the read
// then takes the answer of the group's next call, which begins after the shared one ended.
// What the read gives up is freshness, by at most one call's time, for the answers share
// accepts: use it only where a caller checks those answers again with authority (orders-api
// on MySQL checks a customer under a lock in the order's own transaction). Set it before
// the first Get.
func (c *Batcher[G, K, V]) ShareInFlight(share func(v V, ok bool, err error) bool) { c.share = share }

// Get returns key's value in group g, with ok false when it has none.
func (c *Batcher[G, K, V]) Get(ctx context.Context, g G, key K) (v V, ok bool, err error) {
	return c.get(ctx, g, key, false)
}

// get is Get. after is true when a call that was in flight when the read arrived has ended
// since: any call in flight now began after the read arrived, and its answer is fresh
// enough for it, whatever it is.
func (c *Batcher[G, K, V]) get(ctx context.Context, g G, key K, after bool) (v V, ok bool, err error) {
	c.mu.Lock()
	w, busy := c.busy[g]
	if !busy {
		return c.lead(ctx, g, key)
	}
	if f := w.flight; c.share != nil && f != nil && f.has[key] && !ended(f) {
		f.sharers++
		c.mu.Unlock()
		<-f.done
		v, ok = f.vals[key]
		if after || c.share(v, ok, f.err) {
			return v, ok, f.err
		}
		return c.get(ctx, g, key, true)
	}
	b := w.join(ctx, key, c.max)
	c.mu.Unlock()
	<-b.done
	v, ok = b.vals[key]
	return v, ok, b.err
}

// lead makes the call of a read whose group is idle. Before the call it yields the
// processor once, with the call's batch open: the reads that are ready to run at that
// moment (requests that arrived together, read from the network in one poll) reach Get
// and join the call instead of waiting for the next one. With one processor (the
// services' GOMAXPROCS on a small machine) they run up to their Get before this read
// goes on. The caller holds c.mu; lead releases it.
func (c *Batcher[G, K, V]) lead(ctx context.Context, g G, key K) (v V, ok bool, err error) {
	w := &waiting[K, V]{}
	c.busy[g] = w
	own := w.join(ctx, key, c.max)
	c.mu.Unlock()
	defer c.handOff(g)
	c.yield()
	c.mu.Lock()
	// own is the first batch: later ones only start when it is full.
	w.batches = w.batches[1:]
	w.flight = own
	c.mu.Unlock()
	if own.reads > 1 {
		// Others wait on this call: it runs without this read's cancellation, like a
		// batch of waiting reads (see fetch).
		c.run(g, own)
	} else {
		defer close(own.done)
		own.vals, own.err = c.fetch(ctx, g, own.keys)
	}
	v, ok = own.vals[key]
	return v, ok, own.err
}

// Waiting returns how many reads of group g wait for a call: behind its call in flight,
// in the call of a read that yields before making it (that read included), or for the
// answer of the call in flight (ShareInFlight). Tests use it to know the reads are waiting
// before they let a call go on.
func (c *Batcher[G, K, V]) Waiting(g G) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	if w := c.busy[g]; w != nil {
		for _, b := range w.batches {
			n += b.reads
		}
		if w.flight != nil && !ended(w.flight) {
			n += w.flight.sharers
		}
	}
	return n
}

// ended reports whether b's call has ended (its answer is set).
func ended[K comparable, V any](b *batch[K, V]) bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// join adds key to the last waiting batch, or to a new one when there is none or it is
// full. The caller holds c.mu.
func (w *waiting[K, V]) join(ctx context.Context, key K, max int) *batch[K, V] {
	if n := len(w.batches); n > 0 {
		if b := w.batches[n-1]; b.has[key] || len(b.keys) < max {
			if !b.has[key] {
				b.has[key] = true
				b.keys = append(b.keys, key)
			}
			b.reads++
			return b
		}
	}
	b := &batch[K, V]{ctx: context.WithoutCancel(ctx), keys: []K{key}, has: map[K]bool{key: true}, reads: 1, done: make(chan struct{})}
	w.batches = append(w.batches, b)
	return b
}

// handOff ends g's call in flight: the group is idle again unless reads wait, whose
// batches then go one after the other on a goroutine of their own, so that the read that
// made the call answers now.
func (c *Batcher[G, K, V]) handOff(g G) {
	c.mu.Lock()
	if len(c.busy[g].batches) == 0 {
		delete(c.busy, g)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	go c.drain(g)
}

// drain runs g's waiting batches until none is left, then marks g idle.
func (c *Batcher[G, K, V]) drain(g G) {
	for {
		c.mu.Lock()
		w := c.busy[g]
		if len(w.batches) == 0 {
			delete(c.busy, g)
			c.mu.Unlock()
			return
		}
		b := w.batches[0]
		w.batches = w.batches[1:]
		w.flight = b
		c.mu.Unlock()
		c.run(g, b)
	}
}

// run makes b's call and wakes its reads; a panic in fetch becomes their error (the
// error of a leading read too, when others joined its call).
func (c *Batcher[G, K, V]) run(g G, b *batch[K, V]) {
	defer close(b.done)
	defer func() {
		if p := recover(); p != nil {
			b.vals, b.err = nil, fmt.Errorf("coalesced read: panic: %v", p)
		}
	}()
	b.vals, b.err = c.fetch(b.ctx, g, b.keys)
}
