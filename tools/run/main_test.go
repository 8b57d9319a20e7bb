package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary plays every part: with RUNTEST_ROLE=runner it is the runner (its
// arguments are the runner's), with RUNTEST_ROLE=child one of the fake programs it starts.
func TestMain(m *testing.M) {
	switch os.Getenv("RUNTEST_ROLE") {
	case "runner":
		os.Exit(runMain(os.Args[1:]))
	case "child":
		os.Exit(fakeChild(os.Getenv("RUNTEST_CHILD")))
	}
	os.Exit(m.Run())
}

// fakeChild is a program for the runner to start. Every mode first prints "pid N" on stdout
// and "ready on stderr" on stderr, then:
//
//	serve    waits for SIGINT or SIGTERM, prints "bye" and exits 0, as a service does;
//	exit:N   exits with status N;
//	chatty   as serve, printing a line every millisecond meanwhile;
//	stubborn ignores SIGTERM and SIGINT until it is killed.
func fakeChild(mode string) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	fmt.Printf("pid %d\n", os.Getpid())
	fmt.Fprintln(os.Stderr, "ready on stderr")
	switch {
	case mode == "serve":
		<-sigs
	case strings.HasPrefix(mode, "exit:"):
		n, _ := strconv.Atoi(strings.TrimPrefix(mode, "exit:"))
		time.Sleep(200 * time.Millisecond) // the others get started
		return n
	case mode == "chatty":
		for i := 0; ; i++ {
			select {
			case <-sigs:
				fmt.Println("bye")
				return 0
			case <-time.After(time.Millisecond):
				fmt.Println("line", i)
			}
		}
	case mode == "stubborn":
		for {
			<-sigs
		}
	}
	fmt.Println("bye")
	return 0
}

// runner is a started runner process and the lines it printed.
type runner struct {
	t    *testing.T
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	seen chan string // every line, as it comes
	done chan struct{}
	pids []int
}

// startRunner starts the runner (the test binary) on the fake programs named by children
// (NAME=MODE), in a process group of its own as a terminal's foreground job is. With
// stdout nil its output is collected; else it goes there.
func startRunner(t *testing.T, stdout *os.File, children ...string) *runner {
	t.Helper()
	args := []string{"-grace", "3s"}
	for _, c := range children {
		name, mode, _ := strings.Cut(c, "=")
		args = append(args, fmt.Sprintf("%s=%s,RUNTEST_ROLE=child,RUNTEST_CHILD=%s", name, os.Args[0], mode))
	}
	r := &runner{t: t, seen: make(chan string, 1<<16), done: make(chan struct{})}
	r.cmd = exec.Command(os.Args[0], args...)
	r.cmd.Env = append(os.Environ(), "RUNTEST_ROLE=runner")
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var pr *os.File
	if stdout == nil {
		var pw *os.File
		var err error
		if pr, pw, err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
		stdout = pw
		defer pw.Close()
	}
	r.cmd.Stdout, r.cmd.Stderr = stdout, os.Stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if pr != nil {
		go func() {
			defer pr.Close()
			sc := bufio.NewScanner(pr)
			for sc.Scan() {
				r.mu.Lock()
				r.out.WriteString(sc.Text() + "\n")
				r.mu.Unlock()
				r.seen <- sc.Text()
			}
		}()
	}
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
	})
	return r
}

var pidLine = regexp.MustCompile(`^\[\w+\] pid (\d+)$`)

// waitFor reads lines until one matches want (a regexp), collecting children's pids.
func (r *runner) waitFor(want string) {
	r.t.Helper()
	re := regexp.MustCompile(want)
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l := <-r.seen:
			if m := pidLine.FindStringSubmatch(l); m != nil {
				pid, _ := strconv.Atoi(m[1])
				r.pids = append(r.pids, pid)
			}
			if re.MatchString(l) {
				return
			}
		case <-timeout:
			r.t.Fatalf("no line matching %q within 20s; got:\n%s", want, r.output())
		}
	}
}

func (r *runner) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// wait waits for the runner to exit and returns its exit status.
func (r *runner) wait() int {
	r.t.Helper()
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		r.t.Fatalf("runner still running after 30s; output:\n%s", r.output())
	}
	// The last lines may still be in the pipe when the process is reaped.
	time.Sleep(50 * time.Millisecond)
	return r.cmd.ProcessState.ExitCode()
}

// assertGone fails for every child pid that still exists.
func (r *runner) assertGone() {
	r.t.Helper()
	if len(r.pids) == 0 {
		r.t.Fatal("saw no child pid")
	}
	for _, pid := range r.pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			r.t.Errorf("child %d still exists after the runner exited (kill -0: %v)", pid, err)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func TestPrefixesEveryLineAndStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	r := startRunner(t, nil, "customers=serve", "orders=serve")
	r.waitFor(`^\[run\] .*Ctrl-C stops all`)
	for len(r.pids) < 2 {
		r.waitFor(`pid`)
	}
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil { // the runner alone
		t.Fatal(err)
	}
	if got := r.wait(); got != 143 {
		t.Errorf("exit status %d, want 143 after SIGTERM", got)
	}
	r.assertGone()
	out := r.output()
	for _, want := range []string{"[customers] ready on stderr\n", "[orders] ready on stderr\n", "[run] stopping\n",
		"[customers] bye\n", "[orders] bye\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output has no %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !regexp.MustCompile(`^\[(customers|orders|run)\] `).MatchString(l) {
			t.Errorf("line %q has no prefix", l)
		}
	}
}

func TestSIGINTToTheGroupStopsAll(t *testing.T) {
	t.Parallel()
	r := startRunner(t, nil, "a=serve", "b=serve", "c=serve")
	for len(r.pids) < 3 {
		r.waitFor(`pid`)
	}
	// What a terminal's Ctrl-C does: SIGINT to every process of the foreground group.
	if err := syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if got := r.wait(); got != 130 {
		t.Errorf("exit status %d, want 130 after SIGINT; output:\n%s", got, r.output())
	}
	r.assertGone()
	for _, n := range []string{"a", "b", "c"} {
		if !strings.Contains(r.output(), "["+n+"] bye\n") {
			t.Errorf("no shutdown line of %s:\n%s", n, r.output())
		}
	}
}

func TestOneExitingStopsTheOthersWithItsStatus(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status string
		want   int
	}{{"3", 3}, {"0", 1}} {
		t.Run("status_"+c.status, func(t *testing.T) {
			t.Parallel()
			r := startRunner(t, nil, "svc=serve", "bad=exit:"+c.status, "other=serve")
			if got := r.wait(); got != c.want {
				t.Errorf("exit status %d, want %d; output:\n%s", got, c.want, r.output())
			}
			for len(r.pids) < 3 {
				r.waitFor(`pid`)
			}
			r.assertGone()
			out := r.output()
			for _, want := range []string{"[run] bad exited with status " + c.status + ": stopping the others\n", "[svc] bye\n", "[other] bye\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("output has no %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestKillsAProgramThatIgnoresSIGTERM(t *testing.T) {
	t.Parallel()
	r := startRunner(t, nil, "good=serve", "stuck=stubborn")
	for len(r.pids) < 2 {
		r.waitFor(`pid`)
	}
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := r.wait(); got != 143 {
		t.Errorf("exit status %d, want 143", got)
	}
	r.assertGone()
	if !strings.Contains(r.output(), "[run] stuck did not stop within 3s: killing it\n") {
		t.Errorf("no kill line:\n%s", r.output())
	}
}

// TestClosedOutputStillStopsAll is `make run | tee log` and Ctrl-C: tee is gone before the
// runner writes its next line. The runner must not die of SIGPIPE, leaving the programs
// running: it stops them (this test signals the runner alone, so only the runner can).
func TestClosedOutputStillStopsAll(t *testing.T) {
	t.Parallel()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r := startRunner(t, pw, "a=chatty", "b=serve")
	pw.Close()
	sc := bufio.NewScanner(pr)
	for len(r.pids) < 2 && sc.Scan() {
		if m := pidLine.FindStringSubmatch(sc.Text()); m != nil {
			pid, _ := strconv.Atoi(m[1])
			r.pids = append(r.pids, pid)
		}
	}
	if len(r.pids) < 2 {
		t.Fatalf("got pids %v before the output ended (%v)", r.pids, sc.Err())
	}
	pr.Close() // the reader is gone; chatty keeps writing
	time.Sleep(100 * time.Millisecond)
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Errorf("the runner exited before SIGINT (%v): its output going away must not end it", err)
	}
	if got := r.wait(); got != 130 {
		t.Errorf("exit status %d, want 130 (the runner stopped on SIGINT, not killed by SIGPIPE)", got)
	}
	r.assertGone()
}

func TestParseSpecs(t *testing.T) {
	t.Parallel()
	got, err := parseSpecs([]string{"customers=bin/customers-api,PORT=3001,PPROF_ADDR=127.0.0.1:6061", "x=/bin/true"})
	if err != nil {
		t.Fatal(err)
	}
	want := []spec{{name: "customers", path: "bin/customers-api", env: []string{"PORT=3001", "PPROF_ADDR=127.0.0.1:6061"}}, {name: "x", path: "/bin/true"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if b := banner(got); b != "customers-api http://127.0.0.1:3001  true" {
		t.Errorf("banner %q", b)
	}
	for _, bad := range [][]string{nil, {"noequals"}, {"=path"}, {"a="}, {"a=p,NOVALUE"}, {"a=p", "a=q"}} {
		if _, err := parseSpecs(bad); err == nil {
			t.Errorf("parseSpecs(%q): got no error", bad)
		}
	}
}

// TestCopyLinesOneWritePerLine: each line reaches the writer in one Write with its prefix,
// a last line without a newline gets one, and a line longer than the buffer comes in pieces
// that each carry the prefix.
func TestCopyLinesWholeLinesPerWrite(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 100<<10)
	var w writes
	copyLines(strings.NewReader("one\ntwo\n"+long+"\nlast"), "[p] ", &output{w: &w})
	all := strings.Join(w, "")
	if want := "[p] one\n[p] two\n[p] "; !strings.HasPrefix(all, want) || !strings.HasSuffix(all, "\n[p] last\n") {
		t.Fatalf("got %.40q ... %.40q, want every line prefixed, in order", all, all[max(0, len(all)-40):])
	}
	if len(all) != len(long)+len("one\ntwo\n\n\nlast\n")+5*len("[p] ") {
		t.Fatalf("got %d bytes, want the long line split once and every line prefixed", len(all))
	}
	for i, b := range w {
		if !strings.HasPrefix(b, "[p] ") || !strings.HasSuffix(b, "\n") {
			t.Errorf("write %d is not whole lines: %.40q", i, b)
		}
	}
	// The two short lines came in one read: one write.
	if w[0] != "[p] one\n[p] two\n" {
		t.Errorf("first write: got %.40q, want both short lines", w[0])
	}
}

// TestOutputDropsAfterAFailedWrite: after the first error nothing more is written.
func TestOutputDropsAfterAFailedWrite(t *testing.T) {
	t.Parallel()
	f := &failing{}
	o := &output{w: f}
	o.line([]byte("a\n"))
	o.line([]byte("b\n"))
	if f.calls != 1 {
		t.Errorf("got %d writes, want 1", f.calls)
	}
}

type writes []string

func (w *writes) Write(p []byte) (int, error) { *w = append(*w, string(p)); return len(p), nil }

type failing struct{ calls int }

func (f *failing) Write([]byte) (int, error) { f.calls++; return 0, io.ErrClosedPipe }
