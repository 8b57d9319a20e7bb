package coalesce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gatedFetch is a coalescer's fetch whose statements block until released, and which
// records the keys of each. A key's value is "<key>@<statement number>".
type gatedFetch struct {
	mu      sync.Mutex
	calls   [][]int
	started chan int      // the statement number, as each starts
	release chan struct{} // one receive per statement
	fail    error
	panics  bool
}

func newGatedFetch() *gatedFetch {
	return &gatedFetch{started: make(chan int, 100), release: make(chan struct{}, 100)}
}

func (f *gatedFetch) fetch(_ context.Context, _ string, keys []int) (map[int]string, error) {
	f.mu.Lock()
	f.calls = append(f.calls, slices.Clone(keys))
	n := len(f.calls)
	f.mu.Unlock()
	f.started <- n
	<-f.release
	if f.panics {
		panic("boom")
	}
	if f.fail != nil {
		return nil, f.fail
	}
	vals := map[int]string{}
	for _, k := range keys {
		if k >= 0 { // negative keys have no row
			vals[k] = fmt.Sprintf("%d@%d", k, n)
		}
	}
	return vals, nil
}

func (f *gatedFetch) statements() [][]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

type coalescedAnswer struct {
	key int
	val string
	ok  bool
	err error
}

// startGets starts one get per key on its own goroutine.
func startGets(c *Batcher[string, int, string], group string, keys ...int) <-chan coalescedAnswer {
	out := make(chan coalescedAnswer, len(keys))
	for _, k := range keys {
		go func() {
			v, ok, err := c.Get(context.Background(), group, k)
			out <- coalescedAnswer{k, v, ok, err}
		}()
	}
	return out
}

// waitForWaiters waits until group has n reads waiting behind its statement in flight.
func waitForWaiters(t *testing.T, c *Batcher[string, int, string], group string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c.Waiting(group) == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%d reads never came to wait in group %q", n, group)
}

func TestCoalescerBatchesTheReadsThatWaitedAndNeverJoinsAStatementInFlight(t *testing.T) {
	f := newGatedFetch()
	c := New(100, f.fetch)
	first := startGets(c, "g", 1)
	if n := <-f.started; n != 1 {
		t.Fatalf("statement %d started first", n)
	}
	// While statement 1 is in flight, reads of keys 2, 3, 3 and 1 arrive: none may take
	// statement 1's answer, even key 1, which that statement reads.
	rest := startGets(c, "g", 2, 3, 3, 1)
	waitForWaiters(t, c, "g", 4)
	f.release <- struct{}{}
	if a := <-first; a.val != "1@1" || !a.ok || a.err != nil {
		t.Fatalf("the first read got %+v, want 1@1", a)
	}
	if n := <-f.started; n != 2 {
		t.Fatalf("statement %d started second", n)
	}
	f.release <- struct{}{}
	for range 4 {
		a := <-rest
		if want := fmt.Sprintf("%d@2", a.key); a.val != want || !a.ok || a.err != nil {
			t.Fatalf("read of %d got %+v, want %s from the second statement", a.key, a, want)
		}
	}
	got := f.statements()
	if len(got) == 2 {
		slices.Sort(got[1]) // in order of arrival
	}
	if len(got) != 2 || !slices.Equal(got[0], []int{1}) || !slices.Equal(got[1], []int{1, 2, 3}) {
		t.Fatalf("statements read keys %v, want [[1] [1 2 3]]", got)
	}
	// The group is idle again: the next read runs a statement of its own at once.
	next := startGets(c, "g", -5)
	<-f.started
	f.release <- struct{}{}
	if a := <-next; a.ok || a.err != nil {
		t.Fatalf("read of a key with no row got %+v, want ok false and no error", a)
	}
}

func TestCoalescerGroupsAreIndependentAndBatchesAreBounded(t *testing.T) {
	f := newGatedFetch()
	c := New(2, f.fetch)
	a := startGets(c, "a", 1)
	<-f.started
	// Group b is idle: its read does not wait for group a's statement.
	b := startGets(c, "b", 7)
	<-f.started
	f.release <- struct{}{}
	f.release <- struct{}{}
	for _, ch := range []<-chan coalescedAnswer{a, b} {
		if got := <-ch; got.err != nil || !got.ok {
			t.Fatalf("got %+v", got)
		}
	}

	busy := startGets(c, "a", 1)
	<-f.started
	waiting := startGets(c, "a", 2, 3, 4, 5, 6)
	waitForWaiters(t, c, "a", 5)
	for range 4 {
		f.release <- struct{}{}
	}
	<-busy
	for range 5 {
		if got := <-waiting; got.err != nil || !got.ok {
			t.Fatalf("got %+v", got)
		}
	}
	calls := f.statements()
	for _, keys := range calls[3:] {
		if len(keys) > 2 {
			t.Fatalf("a statement read %d keys, more than max 2: %v", len(keys), calls)
		}
	}
	if len(calls) != 6 {
		t.Fatalf("got %d statements (%v), want 6: a, b, then 1 and three batches of at most 2 for 2..6", len(calls), calls)
	}
}

func TestCoalescerGivesEveryWaiterTheStatementsError(t *testing.T) {
	f := newGatedFetch()
	c := New(100, f.fetch)
	first := startGets(c, "g", 1)
	<-f.started
	rest := startGets(c, "g", 2, 3)
	waitForWaiters(t, c, "g", 2)
	f.fail = errors.New("connection lost")
	f.release <- struct{}{}
	f.release <- struct{}{}
	for _, ch := range []<-chan coalescedAnswer{first, rest, rest} {
		if a := <-ch; !errors.Is(a.err, f.fail) {
			t.Fatalf("read of %d got %+v, want the statement's error", a.key, a)
		}
	}
}

func TestCoalescerSurvivesAPanickingStatement(t *testing.T) {
	f := newGatedFetch()
	f.panics = true
	c := New(100, f.fetch)
	var leaderPanicked atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { leaderPanicked.Store(recover() != nil) }()
		_, _, _ = c.Get(context.Background(), "g", 1)
	}()
	<-f.started
	rest := startGets(c, "g", 2)
	waitForWaiters(t, c, "g", 1)
	f.release <- struct{}{}
	<-done
	if !leaderPanicked.Load() {
		t.Fatal("the read that ran the statement did not see its panic")
	}
	f.release <- struct{}{}
	if a := <-rest; a.err == nil {
		t.Fatalf("a waiting read got %+v, want the panic as its error", a)
	}
	// Neither panic left the group busy.
	f.panics = false
	again := startGets(c, "g", 3)
	<-f.started
	f.release <- struct{}{}
	if a := <-again; a.err != nil || a.val != "3@3" {
		t.Fatalf("after the panics a read got %+v, want 3@3", a)
	}
}

// numbered is the value of a key read by the call numbered call (numberedCalls).
type numbered struct {
	call  int64
	group string
	key   int
}

// numberedCalls is a batcher whose calls are numbered from 1 as they start (started counts
// them) and last 0 to 200 µs; every key has a value, which names the call that read it.
func numberedCalls() (*Batcher[string, int, numbered], *atomic.Int64) {
	started := new(atomic.Int64)
	return New(8, func(_ context.Context, g string, keys []int) (map[int]numbered, error) {
		n := started.Add(1)
		time.Sleep(time.Duration(n%5) * 50 * time.Microsecond)
		vals := make(map[int]numbered, len(keys))
		for _, k := range keys {
			vals[k] = numbered{n, g, k}
		}
		return vals, nil
	}), started
}

// Many readers of a few keys in two groups, against calls of random length: every read is
// answered by a call that started after the read began, for its own key and group.
func TestBatcherNeverAnswersFromACallStartedBeforeTheRead(t *testing.T) {
	c, started := numberedCalls()
	readFromManyGoroutines(t, c, started, 13, func(before int64, v numbered) bool { return v.call > before })
	// The last call's goroutine marks its group idle just after waking its reads.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		busy := len(c.busy)
		c.mu.Unlock()
		if busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d groups still busy after every read returned", busy)
		}
		time.Sleep(time.Millisecond)
	}
}

// yieldOnce makes c's first yield run hook (the reads that became ready meanwhile), and
// later yields do nothing.
func yieldOnce(c *Batcher[string, int, string], hook func()) {
	var once sync.Once
	c.yield = func() { once.Do(hook) }
}

func TestReadsReadyWhileTheFirstYieldsShareItsCall(t *testing.T) {
	f := newGatedFetch()
	c := New(100, f.fetch)
	var joined <-chan coalescedAnswer
	yieldOnce(c, func() {
		// While the read of 1 yields, reads of 2, 3 and 2 come to Get: they join its call.
		// (This runs on the first read's goroutine, where t.Fatal must not be called: if
		// they never join, the checks of the calls below fail.)
		joined = startGets(c, "g", 2, 3, 2)
		for deadline := time.Now().Add(10 * time.Second); c.Waiting("g") < 4 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	})
	first := startGets(c, "g", 1)
	if n := <-f.started; n != 1 {
		t.Fatalf("statement %d started first", n)
	}
	if joined == nil {
		t.Fatal("the first read made its call without yielding")
	}
	if keys := f.statements()[0]; len(keys) != 3 {
		t.Fatalf("the first call reads keys %v, want 1 and the 2 and 3 that were ready", keys)
	}
	// The call is made: a read that comes now waits for the next one.
	late := startGets(c, "g", 1)
	waitForWaiters(t, c, "g", 1)
	f.release <- struct{}{}
	for _, ch := range []<-chan coalescedAnswer{first, joined, joined, joined} {
		if a := <-ch; a.val != fmt.Sprintf("%d@1", a.key) || !a.ok || a.err != nil {
			t.Fatalf("read of %d got %+v, want the first statement's answer", a.key, a)
		}
	}
	<-f.started
	f.release <- struct{}{}
	if a := <-late; a.val != "1@2" || a.err != nil {
		t.Fatalf("the read that came after the call was made got %+v, want 1@2", a)
	}
	got := f.statements()
	if len(got) == 2 {
		slices.Sort(got[0]) // 2 and 3 in order of arrival
	}
	if len(got) != 2 || !slices.Equal(got[0], []int{1, 2, 3}) || !slices.Equal(got[1], []int{1}) {
		t.Fatalf("statements read keys %v, want [[1 2 3] [1]]", got)
	}
}

// A read's call carries its cancellation when it is the only read in it; when others
// joined, the end of the first read's request must not fail theirs.
func TestTheFirstReadsCancellationFailsOnlyACallOfItsOwn(t *testing.T) {
	for _, joiners := range []int{0, 2} {
		t.Run(fmt.Sprintf("%d joined", joiners), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			c := New(100, func(ctx context.Context, _ string, keys []int) (map[int]string, error) {
				cancel() // the first read's request ends while the call runs
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				vals := map[int]string{}
				for _, k := range keys {
					vals[k] = "v"
				}
				return vals, nil
			})
			var others <-chan coalescedAnswer
			yieldOnce(c, func() {
				if joiners > 0 {
					others = startGets(c, "g", 2, 3)
					waitForWaiters(t, c, "g", 1+joiners)
				}
			})
			_, _, err := c.Get(ctx, "g", 1)
			if joiners == 0 {
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("a lone read's call ran on past its cancellation: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("the first read got %v, want its answer", err)
			}
			for range joiners {
				if a := <-others; a.err != nil || a.val != "v" {
					t.Fatalf("a read that joined got %+v, want its answer", a)
				}
			}
		})
	}
}

// TestShareInFlightTakesOnlyTheAnswersItAccepts: with ShareInFlight, reads that arrive while
// a call for their key is in flight take its answer when share accepts it (one call for
// all); when share refuses it, they take the answer of a call that began after it ended.
func TestShareInFlightTakesOnlyTheAnswersItAccepts(t *testing.T) {
	f := newGatedFetch()
	c := New(100, f.fetch)
	c.ShareInFlight(func(v string, ok bool, err error) bool { return ok && err == nil && v != "1@2" }) // the second call's answer is refused

	// Accepted: the first call's.
	first := startGets(c, "g", 1)
	<-f.started
	sharers := startGets(c, "g", 1, 1)
	waitForWaiters(t, c, "g", 2)
	f.release <- struct{}{}
	for _, ch := range []<-chan coalescedAnswer{first, sharers, sharers} {
		if a := <-ch; a.val != "1@1" || !a.ok || a.err != nil {
			t.Fatalf("read of 1 got %+v, want the call in flight's 1@1", a)
		}
	}
	if got := f.statements(); len(got) != 1 {
		t.Fatalf("statements %v, want one for the three reads", got)
	}

	// Refused: the second call's. The reads that came while it was in flight take the
	// answer of a later call (one, or one each if the first of them is done before the
	// other comes back).
	first = startGets(c, "g", 1)
	<-f.started
	sharers = startGets(c, "g", 1, 1)
	waitForWaiters(t, c, "g", 2)
	f.release <- struct{}{}
	if a := <-first; a.val != "1@2" {
		t.Fatalf("the read that made the second call got %+v, want its answer 1@2", a)
	}
	timeout := time.After(10 * time.Second)
	for answered := 0; answered < 2; {
		select {
		case <-f.started:
			f.release <- struct{}{}
		case a := <-sharers:
			if a.val != "1@3" && a.val != "1@4" {
				t.Fatalf("a read that came while the second call was in flight got %+v, want the answer of a later call", a)
			}
			answered++
		case <-timeout:
			t.Fatal("the reads that came while the refused call was in flight got no answer")
		}
	}
}

// TestShareInFlightUnderLoad: reads from many goroutines, with answers of even calls
// accepted for sharing: a read may take the answer of a call that started before it only
// when that answer is accepted, and every answer is its key's.
func TestShareInFlightUnderLoad(t *testing.T) {
	c, started := numberedCalls()
	c.ShareInFlight(func(v numbered, ok bool, err error) bool { return v.call%2 == 0 })
	var shared atomic.Int64
	readFromManyGoroutines(t, c, started, 3, func(before int64, v numbered) bool {
		if v.call <= before {
			shared.Add(1)
			return v.call%2 == 0
		}
		return true
	})
	if shared.Load() == 0 {
		t.Error("no read took the answer of a call in flight: the test did not exercise sharing")
	}
}

// readFromManyGoroutines reads keys 0 to keys-1 of groups a and b from 32 goroutines, 300
// reads each, and fails the test for a read that errs, finds no value, gets another key's,
// or whose value fresh refuses (before: the calls started when the read began).
func readFromManyGoroutines(t *testing.T, c *Batcher[string, int, numbered], started *atomic.Int64, keys int, fresh func(before int64, v numbered) bool) {
	t.Helper()
	var wg sync.WaitGroup
	errc := make(chan error, 32)
	for r := range 32 {
		wg.Go(func() {
			for i := range 300 {
				g, k := []string{"a", "b"}[(r+i)%2], (r*31+i*7)%keys
				before := started.Load()
				v, ok, err := c.Get(context.Background(), g, k)
				if err != nil || !ok || v.group != g || v.key != k || !fresh(before, v) {
					errc <- fmt.Errorf("read of %s/%d after %d calls had started got %+v, %v, %v", g, k, before, v, ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}
