// Command run is what `make run` and `make bench` execute once the binaries are built: it
// starts several programs, prefixes every line they write (stdout and stderr, through one
// pipe each) with their name, and stops them all together.
//
//	bin/run customers=bin/customers-api,PORT=3001 orders=bin/orders-api,PORT=3002,PPROF_ADDR=127.0.0.1:6062
//
// Each argument is NAME=PATH[,VAR=VALUE...]: the program at PATH runs with the runner's
// environment plus those variables, and its lines are printed as "[NAME] line". The runner's
// own lines start with "[run] ".
//
// It stops every program (SIGTERM, then SIGKILL after -grace) when:
//   - SIGINT or SIGTERM reaches it (exit status 130 or 143). The programs stay in the runner's
//     process group, so a terminal's Ctrl-C reaches them as well;
//   - one program exits: the runner then exits with that program's status (1 if it was 0).
//
// The programs' last lines (their shutdown) are still printed. When its own output goes away
// (`make run | tee log`, and tee is gone after Ctrl-C) the runner keeps reading the programs'
// output, drops it, and still stops them: a write to a closed pipe is an error here, not a
// SIGPIPE that would kill the runner and leave the programs running.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() { os.Exit(runMain(os.Args[1:])) }

// runMain parses the command line and runs the programs; it returns the exit status.
func runMain(args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	grace := fs.Duration("grace", 30*time.Second, "how long a program may take to stop after SIGTERM before it is killed")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: run [-grace 30s] NAME=PATH[,VAR=VALUE...] ...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	specs, err := parseSpecs(fs.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		return 2
	}
	return run(specs, os.Stdout, *grace)
}

// spec is one program to run.
type spec struct {
	name string   // the prefix of its lines
	path string   // the executable
	env  []string // VAR=VALUE added to the runner's environment
}

// port is the spec's PORT variable, empty when it sets none.
func (s spec) port() string {
	for _, kv := range s.env {
		if v, ok := strings.CutPrefix(kv, "PORT="); ok {
			return v
		}
	}
	return ""
}

func parseSpecs(args []string) ([]spec, error) {
	if len(args) == 0 {
		return nil, errors.New("nothing to run: give NAME=PATH[,VAR=VALUE...] arguments")
	}
	var specs []spec
	seen := map[string]bool{}
	for _, a := range args {
		name, rest, ok := strings.Cut(a, "=")
		parts := strings.Split(rest, ",")
		if !ok || name == "" || parts[0] == "" {
			return nil, fmt.Errorf("%q: want NAME=PATH[,VAR=VALUE...]", a)
		}
		if seen[name] {
			return nil, fmt.Errorf("%q: the name %s is given twice", a, name)
		}
		seen[name] = true
		s := spec{name: name, path: parts[0]}
		for _, kv := range parts[1:] {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return nil, fmt.Errorf("%q: %q is not VAR=VALUE", a, kv)
			}
			s.env = append(s.env, kv)
		}
		specs = append(specs, s)
	}
	return specs, nil
}

// output writes whole lines to w, one Write per line, from any goroutine. After the first
// failed write (the reader is gone) it drops everything, so that the programs can still
// write, and be stopped, without their output.
type output struct {
	mu   sync.Mutex
	w    io.Writer
	gone bool
}

func (o *output) line(b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.gone {
		return
	}
	if _, err := o.w.Write(b); err != nil {
		o.gone = true
	}
}

func (o *output) printf(format string, args ...any) {
	o.line(fmt.Appendf(nil, "[run] "+format+"\n", args...))
}

// child is one started program.
type child struct {
	spec
	cmd    *exec.Cmd
	exited chan struct{} // closed once the program has exited and its status is in err
	err    error
	copied chan struct{} // closed once its output pipe reached EOF
}

// run starts the programs and returns the runner's exit status.
func run(specs []spec, w io.Writer, grace time.Duration) int {
	out := &output{w: w}
	// A handler (rather than SIG_IGN, which the programs would inherit) turns a write to a
	// closed pipe into an EPIPE error for output.line to notice.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	stopSignals := make(chan os.Signal, 2)
	signal.Notify(stopSignals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(stopSignals)

	var children []*child
	exits := make(chan *child, len(specs))
	for _, s := range specs {
		c, err := start(s, out, exits)
		if err != nil {
			out.printf("cannot start %s: %v: stopping the others", s.name, err)
			stopAll(children, out, grace)
			return 1
		}
		children = append(children, c)
	}
	out.printf("%s  (Ctrl-C stops all)", banner(specs))

	var code int
	select {
	case sig := <-stopSignals:
		code = stopping(out, sig)
	case c := <-exits:
		// A Ctrl-C reaches the programs too: one that stops on it before the runner has
		// seen the signal is no failure.
		select {
		case sig := <-stopSignals:
			code = stopping(out, sig)
		case <-time.After(100 * time.Millisecond):
			status := exitStatus(c.err)
			out.printf("%s exited with status %d: stopping the others", c.name, status)
			code = max(status, 1)
		}
	}
	// Further signals (a second Ctrl-C) change nothing: the programs are being stopped.
	stopAll(children, out, grace)
	return code
}

// stopping says the runner stops on sig and returns its exit status, as a shell's.
func stopping(out *output, sig os.Signal) int {
	out.printf("stopping")
	return 128 + int(sig.(syscall.Signal))
}

func banner(specs []spec) string {
	var parts []string
	for _, s := range specs {
		base := s.path[strings.LastIndex(s.path, "/")+1:]
		if p := s.port(); p != "" {
			parts = append(parts, base+" http://127.0.0.1:"+p)
		} else {
			parts = append(parts, base)
		}
	}
	return strings.Join(parts, "  ")
}

// start runs s with its stdout and stderr on one pipe whose lines go to out.
func start(s spec, out *output, exits chan<- *child) (*child, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(s.path)
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	_ = w.Close() // the program holds its own copy
	if err != nil {
		_ = r.Close()
		return nil, err
	}
	c := &child{spec: s, cmd: cmd, exited: make(chan struct{}), copied: make(chan struct{})}
	go func() {
		defer close(c.copied)
		defer r.Close()
		copyLines(r, "["+s.name+"] ", out)
	}()
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
		exits <- c
	}()
	return c, nil
}

// copyLines writes every line of r to out with prefix, until EOF: all the whole lines that
// one read brought in one write (a service writes its log in batches), a line longer than
// the buffer in pieces of one buffer each.
func copyLines(r io.Reader, prefix string, out *output) {
	br := bufio.NewReaderSize(r, 64<<10)
	buf := make([]byte, 0, 4<<10)
	for {
		buf = buf[:0]
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if len(chunk) > 0 {
				buf = append(append(buf, prefix...), chunk...)
				if buf[len(buf)-1] != '\n' {
					buf = append(buf, '\n')
				}
			}
			if err != nil || !wholeLineBuffered(br) {
				break
			}
		}
		if len(buf) > 0 {
			out.line(buf)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// wholeLineBuffered reports whether br holds a whole line it can return without reading.
func wholeLineBuffered(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

// stopAll sends SIGTERM to every program still running, waits up to grace for them to exit,
// kills the rest, then waits (briefly) for their last lines to be copied.
func stopAll(children []*child, out *output, grace time.Duration) {
	for _, c := range children {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for _, c := range children {
		select {
		case <-c.exited:
		case <-deadline.C:
			// Every program left gets killed; the timer has fired once for all of them.
			for _, c := range children {
				select {
				case <-c.exited:
				default:
					out.printf("%s did not stop within %s: killing it", c.name, grace)
					_ = c.cmd.Process.Kill()
				}
			}
			for _, c := range children {
				<-c.exited
			}
		}
	}
	// A program's own children could hold its pipe open after it exited: do not wait for
	// them forever.
	lastLines := time.After(2 * time.Second)
	for _, c := range children {
		select {
		case <-c.copied:
		case <-lastLines:
			return
		}
	}
}

// exitStatus is a program's exit status as a shell reports it (128+N when killed by signal N).
func exitStatus(err error) int {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		if err != nil {
			return 1
		}
		return 0
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}
