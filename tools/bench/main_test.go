package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/tools/benchstat"
)

// With BENCHTEST_TOOL set the test binary is a fake load tool: it prints the ready line,
// waits for the start line, prints a BENCH line saying which arguments it got and exits
// with the status BENCHTEST_TOOL names.
func TestMain(m *testing.M) {
	if status := os.Getenv("BENCHTEST_TOOL"); status != "" {
		fmt.Println("setting up")
		if err := benchstat.AwaitStart(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Printf("BENCH mode=%s ops=40 seconds=5.0 ops_per_s=8.0 errors=0 status_5xx=0 cpu_s=0.400 flow_p99_ms=9.00 args=%s\n",
			os.Args[2], strings.Join(os.Args[1:], ","))
		if status == "fail" {
			fmt.Println("first error: status 503")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRunPhaseHandshake: the tool's lines reach the output (all but the ready line), its
// BENCH line comes back parsed, with the arguments the phase is meant to give it; a tool
// that fails fails the phase.
func TestRunPhaseHandshake(t *testing.T) {
	t.Setenv("BENCHTEST_TOOL", "ok")
	o := options{loadtest: os.Args[0], sqlbench: os.Args[0], customers: "http://c", orders: "http://o", clients: 3, duration: time.Second, databaseURL: "mysql://db/x"}
	var out bytes.Buffer
	f, stmts, _, err := runPhase(context.Background(), o, nil, meter{}, "reads", false, &out)
	if err != nil {
		t.Fatalf("runPhase: %v\n%s", err, out.String())
	}
	if f["mode"] != "reads" || f["ops"] != "40" || f["args"] != "-mode,reads,-clients,3,-duration,1s,-wait,-customers,http://c,-orders,http://o" {
		t.Errorf("got fields %v", f)
	}
	if !math.IsNaN(stmts) {
		t.Errorf("statements per op %v without a database, want NaN", stmts)
	}
	if strings.Contains(out.String(), benchstat.ReadyLine) || !strings.Contains(out.String(), "setting up\n") {
		t.Errorf("output %q: want the tool's lines but its ready line", out.String())
	}
	f, _, _, err = runPhase(context.Background(), o, nil, meter{}, "flow", true, &out)
	if err != nil || !strings.HasSuffix(f["args"], "-wait,-database-url,mysql://db/x") {
		t.Errorf("ceiling phase: %v, args %q", err, f["args"])
	}
	t.Setenv("BENCHTEST_TOOL", "fail")
	if _, _, _, err := runPhase(context.Background(), o, nil, meter{}, "flow", false, &out); err == nil {
		t.Error("a failing tool: runPhase returned no error")
	}
}

// TestProfilesAreFetchedDuringThePhase: with -profile-dir each pprof listener is asked for
// a CPU profile of the phase's length, and the answer is saved as NAME-PHASE.pprof.
func TestProfilesAreFetchedDuringThePhase(t *testing.T) {
	t.Setenv("BENCHTEST_TOOL", "ok")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/debug/pprof/profile" || r.URL.Query().Get("seconds") != "2" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "profile of "+r.Host)
	}))
	defer srv.Close()
	dir := t.TempDir()
	addr := strings.TrimPrefix(srv.URL, "http://")
	o := options{loadtest: os.Args[0], clients: 1, duration: 1500 * time.Millisecond, profileDir: dir,
		pprof: []target{{"orders-api", addr}, {"customers-api", addr}}}
	var out bytes.Buffer
	if err := run(context.Background(), o, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, name := range []string{"orders-api-flow", "orders-api-reads", "customers-api-flow", "customers-api-reads"} {
		b, err := os.ReadFile(filepath.Join(dir, name+".pprof"))
		if err != nil || string(b) != "profile of "+addr {
			t.Errorf("%s: %q, %v", name, b, err)
		}
	}
	if strings.Contains(out.String(), "summary") {
		t.Errorf("profiling printed a summary:\n%s", out.String())
	}
}

func TestParseMetric(t *testing.T) {
	t.Parallel()
	text := "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 4.194304e+07\nprocess_virtual_memory_bytes 1e+09\nprocess_cpu_seconds_total 12.5\n"
	if got, err := parseMetric(strings.NewReader(text), "process_resident_memory_bytes"); err != nil || got != 40<<20 {
		t.Errorf("got %v, %v; want 40 MiB", got, err)
	}
	if got, err := parseMetric(strings.NewReader(text), "process_cpu_seconds_total"); err != nil || got != 12.5 {
		t.Errorf("got %v, %v; want 12.5", got, err)
	}
	if _, err := parseMetric(strings.NewReader("go_goroutines 7\n"), "process_resident_memory_bytes"); err == nil {
		t.Error("no gauge: got no error")
	}
}

func TestStatementsPerOp(t *testing.T) {
	t.Parallel()
	if got := statementsPerOp(1200, "100"); got != 12 {
		t.Errorf("got %v, want 12", got)
	}
	for _, ops := range []string{"0", "", "x"} {
		if got := statementsPerOp(5, ops); !math.IsNaN(got) {
			t.Errorf("ops %q: got %v, want NaN", ops, got)
		}
	}
}

func phaseOf(load string, ceiling bool, opsPerS, p99 string, stmts float64) phase {
	kind := map[string]string{"flow": "flow", "reads": "read"}[load]
	return phase{load: load, ceiling: ceiling, stmts: stmts, fields: map[string]string{"ops_per_s": opsPerS, "errors": "0", "status_5xx": "0",
		kind + "_p50_ms": "1.00", kind + "_p95_ms": "2.00", kind + "_p99_ms": p99}}
}

// summaryLine is the summary's BENCH line, parsed.
func summaryLine(t *testing.T, s string) map[string]string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if f, ok := benchstat.ParseLine(sc.Text()); ok && f["mode"] == "summary" {
			return f
		}
	}
	t.Fatalf("no BENCH mode=summary line in:\n%s", s)
	return nil
}

func TestSummaryOnMySQL(t *testing.T) {
	t.Parallel()
	o := options{clients: 16, duration: 20 * time.Second, databaseURL: "mysql://x/y"}
	s := summary(o, []phase{
		phaseOf("flow", false, "400.0", "50.00", 14.04), phaseOf("flow", true, "500.0", "30.00", 12),
		phaseOf("reads", false, "3000.0", "9.00", 1), phaseOf("reads", true, "5000.0", "3.00", 1),
	}, map[string]float64{"customers-api": 20, "orders-api": 41.5, "orchestrator": 12})
	f := summaryLine(t, s)
	for k, want := range map[string]string{"flow_per_s": "400.0", "flow_ceiling_per_s": "500.0", "flow_ratio": "0.80", "reads_ratio": "0.60",
		"flow_p99_ms": "50.00", "flow_statements": "14.0", "flow_ceiling_statements": "12.0", "rss_orders_mib": "41.5", "rss_over_40mib": "1"} {
		if f[k] != want {
			t.Errorf("%s=%q, want %q", k, f[k], want)
		}
	}
	for _, want := range []string{"flow: services/ceiling = 0.80", "reads: services/ceiling = 0.60", "orders-api 41.5 MiB OVER 40 MiB", "customers-api 20.0 MiB,"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary has no %q:\n%s", want, s)
		}
	}
}

func TestSummaryInMemorySaysTheCeilingNeedsMySQL(t *testing.T) {
	t.Parallel()
	s := summary(options{clients: 4, duration: time.Second}, []phase{
		phaseOf("flow", false, "900.0", "5.00", math.NaN()), {load: "flow", ceiling: true, skipped: "needs MySQL (set DATABASE_URL)"},
		{load: "reads", err: fmt.Errorf("boom")}, {load: "reads", ceiling: true, skipped: "needs MySQL (set DATABASE_URL)"},
	}, map[string]float64{"orders-api": 10})
	f := summaryLine(t, s)
	if _, ok := f["flow_ratio"]; ok || f["flow_statements"] != "-" || f["rss_over_40mib"] != "0" {
		t.Errorf("summary line %v", f)
	}
	for _, want := range []string{"flow ceiling     needs MySQL", "the bare-SQL ceiling needs MySQL", "reads services   failed: boom", "customers-api unknown"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary has no %q:\n%s", want, s)
		}
	}
}

// TestRoundsAddUp: a phase run in rounds counts all its operations over all its seconds,
// statements per operation weighted by operations, each percentile the rounds' median, and
// a failed round fails the phase; the summary prints the ratio of the sums and each round's.
func TestRoundsAddUp(t *testing.T) {
	t.Parallel()
	round := func(ops, seconds, p99 string, stmts float64) phase {
		p := phaseOf("flow", false, "", p99, stmts)
		p.fields["ops"], p.fields["seconds"] = ops, seconds
		p.fields["ops_per_s"] = strconv.FormatFloat(number(ops)/number(seconds), 'f', 1, 64)
		return p
	}
	svc := mergeRounds([]phase{round("1000", "5.0", "40.00", 14), round("2000", "5.0", "90.00", 14), round("1500", "5.0", "60.00", 15)})
	if svc.err != nil || svc.fields["ops"] != "4500" || svc.fields["ops_per_s"] != "300.0" || svc.fields["flow_p99_ms"] != "60.00" {
		t.Fatalf("merged: %v, %v", svc.fields, svc.err)
	}
	if want := (1000*14 + 2000*14 + 1500*15) / 4500.0; math.Abs(svc.stmts-want) > 1e-9 {
		t.Errorf("statements per op %v, want %v", svc.stmts, want)
	}
	ceil := mergeRounds([]phase{round("2000", "5.0", "20.00", 12), round("2000", "5.0", "20.00", 12), round("2000", "5.0", "20.00", 12)})
	ceil.ceiling = true
	s := summary(options{clients: 16, duration: 15 * time.Second, rounds: 3, databaseURL: "mysql://x/y"}, []phase{svc, ceil}, nil)
	f := summaryLine(t, s)
	if f["flow_ratio"] != "0.75" || f["flow_ratio_rounds"] != "0.50,1.00,0.75" {
		t.Errorf("summary line %v", f)
	}
	if !strings.Contains(s, "flow: services/ceiling = 0.75 (round by round: 0.50 1.00 0.75)") || !strings.Contains(s, "in 3 rounds") {
		t.Errorf("summary:\n%s", s)
	}

	failed := round("10", "5.0", "1.00", math.NaN())
	failed.err = fmt.Errorf("boom")
	m := mergeRounds([]phase{round("1000", "5.0", "40.00", 14), failed})
	if m.err == nil || !strings.Contains(m.err.Error(), "round 2: boom") || !math.IsNaN(m.stmts) || m.fields["ops"] != "1010" {
		t.Errorf("a failed round: got %v, %v, stmts %v", m.fields, m.err, m.stmts)
	}
}

// TestABModeComparesWithTheBaseBuild: with base URLs, each round runs the same load through
// this build's services and through the base build's (in the ceiling's place), the two
// taking turns to go first, and the summary's ratio is services/base, round by round too.
func TestABModeComparesWithTheBaseBuild(t *testing.T) {
	t.Setenv("BENCHTEST_TOOL", "ok")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "process_resident_memory_bytes 1048576")
	}))
	defer srv.Close()
	o := options{loadtest: os.Args[0], sqlbench: "/nonexistent", customers: srv.URL, orders: srv.URL, orchestrator: srv.URL,
		baseCustomers: "http://base-c", baseOrders: "http://base-o", clients: 2, duration: 2 * time.Second, rounds: 2}
	var out bytes.Buffer
	if err := run(context.Background(), o, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	if n := strings.Count(text, "-duration,1s,-wait,-customers,http://base-c,-orders,http://base-o"); n != 4 {
		t.Errorf("%d phases through the base build, want 4 (2 loads x 2 rounds):\n%s", n, text)
	}
	if n := strings.Count(text, "-duration,1s,-wait,-customers,"+srv.URL+",-orders,"+srv.URL); n != 4 {
		t.Errorf("%d phases through this build, want 4:\n%s", n, text)
	}
	var order []string
	for _, l := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(l, "bench: "); ok && strings.Contains(rest, " through the ") {
			order = append(order, strings.Fields(rest)[0]+" "+map[bool]string{true: "base", false: "services"}[strings.Contains(rest, "at http://base-o ")])
		}
	}
	if got, want := strings.Join(order, ", "), "flow services, flow base, flow base, flow services, reads services, reads base, reads base, reads services"; got != want {
		t.Errorf("phases in the order %s, want %s", got, want)
	}
	for _, want := range []string{"flow: services/base = 1.00 (round by round: 1.00 1.00)", "reads: services/base = 1.00", "in 2 rounds (services and base, taking turns to go first)", "flow base"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in:\n%s", want, text)
		}
	}
}
