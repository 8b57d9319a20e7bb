package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunPhaseMeasuresTheCPUOfEachProcess: the services' CPU is what their /metrics counter
// grew by between the tool's ready line and its end, the load tool's is its own cpu_s, each
// over the phase's operations; a service whose /metrics cannot be read is left out and
// named in the output.
func TestRunPhaseMeasuresTheCPUOfEachProcess(t *testing.T) {
	t.Setenv("BENCHTEST_TOOL", "ok")
	var reads atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Each read finds 1 s more: orders-api and customers-api are read in turn, before
		// and after, so each grew by 2 s over the phase.
		fmt.Fprintf(w, "process_cpu_seconds_total %d\n", reads.Add(1))
	}))
	defer srv.Close()
	o := options{loadtest: os.Args[0], customers: srv.URL, orders: srv.URL, clients: 1, duration: time.Second}
	var out bytes.Buffer
	_, _, cpu, err := runPhase(context.Background(), o, nil, o.meter(0), "flow", false, &out)
	if err != nil {
		t.Fatalf("runPhase: %v\n%s", err, out.String())
	}
	// The fake tool did 40 operations with 0.4 s of its own CPU.
	for k, want := range map[string]float64{"orders-api": 50_000, "customers-api": 50_000, "load": 10_000} {
		if got := cpu[k].perOp(); math.Abs(got-want) > 1e-6 {
			t.Errorf("%s: %v µs per operation, want %v", k, got, want)
		}
	}
	if _, ok := cpu["database"]; ok {
		t.Errorf("database measured without its process: %v", cpu)
	}

	o.customers = "http://127.0.0.1:1" // nothing listens there
	out.Reset()
	_, _, cpu, err = runPhase(context.Background(), o, nil, o.meter(0), "flow", false, &out)
	if err != nil {
		t.Fatalf("runPhase: %v\n%s", err, out.String())
	}
	if _, ok := cpu["customers-api"]; ok || cpu["orders-api"].ops != 40 {
		t.Errorf("got %v, want orders-api alone", cpu)
	}
	if !strings.Contains(out.String(), "bench: not measured: customers-api CPU:") {
		t.Errorf("output does not say what was not measured:\n%s", out.String())
	}
}

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	// pid (comm) state ppid ... utime stime (fields 14 and 15): 250 + 50 ticks.
	line := "4242 (maria db) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 30 0 100 0 0\n"
	if got, err := parseProcStat(line); err != nil || got != 3 {
		t.Errorf("got %v, %v; want 3 s", got, err)
	}
	for _, bad := range []string{"4242 comm S 1", "4242 (c) S 1 2 3", "4242 (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 x 50"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}

// TestProcCPUSecondsGrowsWithWork reads this test's own process, where /proc exists.
func TestProcCPUSecondsGrowsWithWork(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/<pid>/stat is Linux's")
	}
	before, err := procCPUSeconds(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := 0.0
	deadline := time.Now().Add(10 * time.Second)
	for now := before; now < before+0.05; now, err = procCPUSeconds(os.Getpid()) {
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s of work, and the CPU time read went from %v to %v s only", before, now)
		}
		for i := range 100_000 {
			x += math.Sqrt(float64(i))
		}
	}
	if x == 0 {
		t.Fatal("no work done")
	}
}

// TestRoundsAddUpCPU: a phase's CPU per operation is its rounds' CPU over their operations.
func TestRoundsAddUpCPU(t *testing.T) {
	t.Parallel()
	round := func(orders, ops float64) phase {
		p := phaseOf("flow", false, "100.0", "1.00", 12)
		p.fields["ops"], p.fields["seconds"] = fmt.Sprint(ops), "5.0"
		p.cpu = map[string]cpuFigure{"orders-api": {orders, ops}}
		return p
	}
	m := mergeRounds([]phase{round(0.5, 1000), round(1.5, 1000)})
	if got := m.cpu["orders-api"].perOp(); got != 1000 {
		t.Errorf("got %v µs per operation, want 1000", got)
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{"127.0.0.1": true, "localhost": true, "::1": true, "db": false, "10.0.0.5": false, "": false} {
		if got := isLoopback(host); got != want {
			t.Errorf("%q: got %v, want %v", host, got, want)
		}
	}
}

// TestSummaryPrintsCPUPerOperation: each side's processes per operation and their total,
// the total only when every process of the side was measured.
func TestSummaryPrintsCPUPerOperation(t *testing.T) {
	t.Parallel()
	o := options{clients: 16, duration: 20 * time.Second, databaseURL: "mysql://x/y"}
	svc := phaseOf("flow", false, "400.0", "50.00", 12.5)
	svc.cpu = map[string]cpuFigure{"orders-api": {0.7, 1000}, "customers-api": {0.15, 1000}, "load": {0.16, 1000}, "database": {1.2, 1000}}
	ceil := phaseOf("flow", true, "500.0", "30.00", 12)
	ceil.cpu = map[string]cpuFigure{"load": {0.7, 1000}, "database": {1.3, 1000}}
	reads := phaseOf("reads", false, "3000.0", "9.00", 0.3)
	reads.cpu = map[string]cpuFigure{"orders-api": {0.1, 1000}, "customers-api": {0.1, 1000}, "load": {0.05, 1000}}
	s := summary(o, []phase{svc, ceil, reads}, nil)
	for _, want := range []string{
		"CPU per flow, µs: services: orders-api 700 + customers-api 150 + loadtest 160 + database 1200 = 2210; ceiling: sqlbench 700 + database 1300 = 2000",
		"CPU per read, µs: services: orders-api 100 + customers-api 100 + loadtest 50 (not all measured)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary has no %q:\n%s", want, s)
		}
	}
	f := summaryLine(t, s)
	for k, want := range map[string]string{"flow_cpu_orders_us": "700", "flow_cpu_us": "2210", "flow_ceiling_cpu_load_us": "700", "flow_ceiling_cpu_us": "2000", "reads_cpu_load_us": "50"} {
		if f[k] != want {
			t.Errorf("%s=%q, want %q", k, f[k], want)
		}
	}
	if v, ok := f["reads_cpu_us"]; ok {
		t.Errorf("reads_cpu_us=%q without the database's share", v)
	}
}
