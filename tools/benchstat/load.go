package benchstat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrServer marks an operation that failed because the server answered 5xx; Run counts
// those apart (status_5xx), and any of them fails a bench.
var ErrServer = errors.New("server error (5xx)")

// Op is one operation of a load: a flow, a read. It records its own latencies in lat (per
// kind) and returns an error when it failed. rng is the worker's own generator.
type Op func(ctx context.Context, rng *rand.Rand, lat *Latencies) error

// Result is what Run measured.
type Result struct {
	Clients   int
	Elapsed   time.Duration
	Ops       int64
	Errors    int64 // failed operations, 5xx included
	Status5xx int64 // failed operations that were a 5xx (ErrServer)
	FirstErr  error
	Latencies *Latencies
	// CPU is the CPU time (user and system) the whole process used while Run ran, the load
	// tool's own cost of the load; CPUKnown is false where the system cannot tell.
	CPU      time.Duration
	CPUKnown bool
}

// Run runs op in a loop on clients workers until duration has passed (an operation started
// before the deadline runs to its end) or ctx ends.
func Run(ctx context.Context, clients int, duration time.Duration, op Op) Result {
	var (
		lat                 Latencies
		ops, errs, status5x atomic.Int64
		firstErr            atomic.Pointer[error]
		wg                  sync.WaitGroup
	)
	cpuStart, cpuKnown := ProcessCPU()
	start := time.Now()
	deadline := start.Add(duration)
	seed := uint64(start.UnixNano())
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := op(ctx, rng, &lat); err != nil {
					errs.Add(1)
					if errors.Is(err, ErrServer) {
						status5x.Add(1)
					}
					firstErr.CompareAndSwap(nil, &err)
					continue
				}
				ops.Add(1)
			}
		}()
	}
	wg.Wait()
	r := Result{Clients: clients, Elapsed: time.Since(start), Ops: ops.Load(), Errors: errs.Load(), Status5xx: status5x.Load(), Latencies: &lat}
	if cpuEnd, ok := ProcessCPU(); ok && cpuKnown {
		r.CPU, r.CPUKnown = cpuEnd-cpuStart, true
	}
	if e := firstErr.Load(); e != nil {
		r.FirstErr = *e
	}
	return r
}

// Line is the run's "BENCH mode=.. clients=.. seconds=.. ops=.. ops_per_s=.. errors=..
// status_5xx=.. [cpu_s=..] <kind>_pNN_ms=.. <extra>" line, which ParseLine reads back. cpu_s,
// the load tool's own CPU seconds over the run, is there when the system tells it.
func (r Result) Line(mode string, extra ...string) string {
	fields := []string{"BENCH", "mode=" + mode, fmt.Sprintf("clients=%d", r.Clients), fmt.Sprintf("seconds=%.1f", r.Elapsed.Seconds()),
		fmt.Sprintf("ops=%d", r.Ops), fmt.Sprintf("ops_per_s=%.1f", float64(r.Ops)/r.Elapsed.Seconds()),
		fmt.Sprintf("errors=%d", r.Errors), fmt.Sprintf("status_5xx=%d", r.Status5xx)}
	if r.CPUKnown {
		fields = append(fields, fmt.Sprintf("cpu_s=%.3f", r.CPU.Seconds()))
	}
	fields = append(fields, r.Latencies.Fields()...)
	return strings.Join(append(fields, extra...), " ")
}

// Report prints the line and, when an operation failed, the first error; it returns an
// error then, so that the command exits non-zero.
func (r Result) Report(out io.Writer, mode string, extra ...string) error {
	fmt.Fprintln(out, r.Line(mode, extra...))
	if r.FirstErr == nil {
		return nil
	}
	fmt.Fprintln(out, "first error:", r.FirstErr)
	if r.Status5xx > 0 {
		return fmt.Errorf("%d operations failed, %d of them with a 5xx", r.Errors, r.Status5xx)
	}
	return fmt.Errorf("%d operations failed", r.Errors)
}

// ParseLine reads a "BENCH k=v ..." line into its fields; ok is false for any other line.
func ParseLine(line string) (fields map[string]string, ok bool) {
	words := strings.Fields(line)
	if len(words) < 2 || words[0] != "BENCH" {
		return nil, false
	}
	fields = map[string]string{}
	for _, w := range words[1:] {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			return nil, false
		}
		fields[k] = v
	}
	return fields, true
}

// ReadyLine is what a load tool started with -wait prints once its set-up is done; it then
// waits for a line on its standard input before the measured load starts, so that whoever
// runs it (tools/bench) can read the server's counters around the load alone.
const ReadyLine = "BENCH-READY"

// AwaitStart prints ReadyLine on out and waits for one line on in.
func AwaitStart(in io.Reader, out io.Writer) error {
	if _, err := fmt.Fprintln(out, ReadyLine); err != nil {
		return err
	}
	if _, err := bufio.NewReader(in).ReadString('\n'); err != nil {
		return fmt.Errorf("waiting for the start line: %w", err)
	}
	return nil
}

// PickProducts is the products of one order of the flow: 1 to 3 (at most len(ids)) distinct
// ids of ids, at random, ascending. loadtest and sqlbench draw their orders with it, so that
// the service and its ceiling run the same mix.
func PickProducts(rng *rand.Rand, ids []int64) []int64 {
	n := 1 + rng.IntN(min(3, len(ids)))
	picked := make([]int64, 0, n)
	for _, i := range rng.Perm(len(ids))[:n] {
		picked = append(picked, ids[i])
	}
	slices.Sort(picked)
	return picked
}
