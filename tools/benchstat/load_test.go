package benchstat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunCountsOpsErrorsAnd5xx: every operation is an op, an error or (also) a 5xx, and the
// line carries them under the names tools/bench reads.
func TestRunCountsOpsErrorsAnd5xx(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	res := Run(context.Background(), 4, 50*time.Millisecond, func(ctx context.Context, rng *rand.Rand, lat *Latencies) error {
		switch n.Add(1) % 4 {
		case 1:
			return fmt.Errorf("confirm: %w: status 503", ErrServer)
		case 2:
			return errors.New("status 409")
		}
		lat.Add("flow", time.Millisecond)
		return nil
	})
	if res.Ops == 0 || res.Errors == 0 || res.Status5xx == 0 || res.Status5xx > res.Errors || res.Ops+res.Errors != n.Load() {
		t.Fatalf("got ops %d, errors %d, 5xx %d of %d calls", res.Ops, res.Errors, res.Status5xx, n.Load())
	}
	var out bytes.Buffer
	err := res.Report(&out, "flow", "products=3")
	if err == nil || !strings.Contains(err.Error(), "5xx") {
		t.Errorf("Report: got %v, want an error naming the 5xx", err)
	}
	f, ok := ParseLine(strings.Split(out.String(), "\n")[0])
	if !ok {
		t.Fatalf("ParseLine(%q) failed", out.String())
	}
	for k, want := range map[string]string{"mode": "flow", "clients": "4", "ops": fmt.Sprint(res.Ops), "errors": fmt.Sprint(res.Errors),
		"status_5xx": fmt.Sprint(res.Status5xx), "flow_p99_ms": "1.00", "products": "3"} {
		if f[k] != want {
			t.Errorf("%s=%q, want %q (line %q)", k, f[k], want, out.String())
		}
	}
	if !strings.Contains(out.String(), "first error: ") {
		t.Errorf("no first error in %q", out.String())
	}
	clean := Run(context.Background(), 1, 10*time.Millisecond, func(context.Context, *rand.Rand, *Latencies) error { return nil })
	if err := clean.Report(&bytes.Buffer{}, "reads"); err != nil {
		t.Errorf("a run without failures: Report returned %v", err)
	}
}

func TestParseLine(t *testing.T) {
	t.Parallel()
	f, ok := ParseLine("BENCH mode=sql-flow ops=12 ops_per_s=1.5")
	if !ok || len(f) != 3 || f["mode"] != "sql-flow" || f["ops_per_s"] != "1.5" {
		t.Errorf("got %v, %v", f, ok)
	}
	for _, bad := range []string{"", "BENCH", "first error: x", "BENCH mode", "BENCHMARK mode=x", ReadyLine} {
		if _, ok := ParseLine(bad); ok {
			t.Errorf("ParseLine(%q): ok", bad)
		}
	}
}

func TestAwaitStartWaitsForALine(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := AwaitStart(strings.NewReader("\n"), &out); err != nil || out.String() != ReadyLine+"\n" {
		t.Errorf("got %q, %v", out.String(), err)
	}
	if err := AwaitStart(strings.NewReader(""), &bytes.Buffer{}); err == nil {
		t.Error("no start line: got no error")
	}
}

// TestPickProducts: 1 to 3 distinct ids of the set, ascending, every size drawn.
func TestPickProducts(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	ids := []int64{10, 20, 30, 40, 50}
	sizes := map[int]int{}
	for range 300 {
		p := PickProducts(rng, ids)
		sizes[len(p)]++
		if len(p) < 1 || len(p) > 3 || !slices.IsSorted(p) || len(slices.Compact(slices.Clone(p))) != len(p) {
			t.Fatalf("picked %v", p)
		}
		for _, id := range p {
			if !slices.Contains(ids, id) {
				t.Fatalf("picked %d, not in %v", id, ids)
			}
		}
	}
	if sizes[1] == 0 || sizes[2] == 0 || sizes[3] == 0 {
		t.Errorf("sizes drawn %v, want 1, 2 and 3", sizes)
	}
	if p := PickProducts(rng, []int64{7}); !slices.Equal(p, []int64{7}) {
		t.Errorf("one product: picked %v", p)
	}
}

// TestRunMeasuresTheProcessCPU: Run counts the CPU the process used while it ran, and the
// line carries it as cpu_s. Each operation here waits until the process has used 5 ms of
// CPU more, so the run used at least that much per operation.
func TestRunMeasuresTheProcessCPU(t *testing.T) {
	t.Parallel()
	if _, ok := ProcessCPU(); !ok {
		t.Skip("this system does not tell a process's CPU time")
	}
	const each = 5 * time.Millisecond
	res := Run(context.Background(), 1, 20*time.Millisecond, func(context.Context, *rand.Rand, *Latencies) error {
		start, _ := ProcessCPU()
		for now, _ := ProcessCPU(); now-start < each; now, _ = ProcessCPU() {
		}
		return nil
	})
	if !res.CPUKnown || res.Ops == 0 || res.CPU < time.Duration(res.Ops)*each {
		t.Fatalf("got CPU %v (known %v) over %d operations, want at least %v each", res.CPU, res.CPUKnown, res.Ops, each)
	}
	f, ok := ParseLine(res.Line("flow"))
	if !ok {
		t.Fatal("ParseLine failed")
	}
	if got, err := strconv.ParseFloat(f["cpu_s"], 64); err != nil || got < (time.Duration(res.Ops)*each).Seconds() {
		t.Fatalf("cpu_s=%q, want at least %v", f["cpu_s"], time.Duration(res.Ops)*each)
	}
}
