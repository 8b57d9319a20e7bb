package deploytest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return ports
}

// TestMakeRun runs `make run` for real, on free ports: in memory, then on MySQL (a fresh
// database the services migrate at start-up). Each time it waits for the three services to
// answer GET /health (and /ready), checks the log prefixes, then sends the signal a terminal's
// Ctrl-C sends to the whole foreground process group, and checks that everything stopped.
func TestMakeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the three services: not in -short")
	}
	// Build first, so that the ports picked below are bound within a second of being picked
	// (make run's own build is then a cache hit), not after a long build another test could
	// spend taking them.
	build := exec.Command("make", "build")
	build.Dir = repoFile(t, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	t.Run("memory", func(t *testing.T) { makeRun(t, nil, false) })
	t.Run("mysql", func(t *testing.T) {
		makeRun(t, []string{"DATABASE_URL=" + string(env.NewDatabase(t, false))}, false)
	})
	// `make run | tee run.log`, then Ctrl-C: tee is gone before the runner writes its
	// "stopping" line; the services must stop all the same.
	t.Run("output_closed", func(t *testing.T) { makeRun(t, nil, true) })
}

// makeRun runs make run and stops it with a Ctrl-C. With closeOutput its output goes to a
// pipe whose reader goes away just before the Ctrl-C, as tee's does.
func makeRun(t *testing.T, extraEnv []string, closeOutput bool) {
	ports := freePorts(t, 3)
	names := []string{"customers", "orders", "orchestrator"}
	cmd := exec.Command("make", "run",
		"CUSTOMERS_PORT="+strconv.Itoa(ports[0]), "ORDERS_PORT="+strconv.Itoa(ports[1]), "ORCHESTRATOR_PORT="+strconv.Itoa(ports[2]))
	cmd.Dir = repoFile(t, ".")
	var environ []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "DATABASE_URL", strings.HasPrefix(k, "DB_"), k == "JWT_SECRET", k == "SERVICE_TOKEN",
			k == "ADMIN_USER", k == "ADMIN_PASSWORD", k == "PORT", strings.HasSuffix(k, "_API_BASE"), k == "MAKEFLAGS":
		default:
			environ = append(environ, kv)
		}
	}
	cmd.Env = append(environ, extraEnv...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	var pipeReader *os.File
	if closeOutput {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		pipeReader = r
		cmd.Stdout, cmd.Stderr = w, w
		go func() { _, _ = io.Copy(out, r) }()
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, like a terminal's foreground job
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if closeOutput {
		cmd.Stdout.(*os.File).Close() // make holds its own copy
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})

	client := &http.Client{Timeout: 2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // includes go build
	defer cancel()
	for i, port := range ports {
		for _, path := range []string{"/health", "/ready"} {
			url := fmt.Sprintf("http://127.0.0.1:%d%s", port, path)
			for {
				res, err := client.Get(url)
				if err == nil {
					res.Body.Close()
					if res.StatusCode == http.StatusOK {
						break
					}
				}
				select {
				case err := <-done:
					stopped = true
					t.Fatalf("make run exited (%v) before %s answered %s with 200:\n%s", err, names[i], path, out.String())
				case <-ctx.Done():
					t.Fatalf("%s never answered %s with 200:\n%s", names[i], url, out.String())
				case <-time.After(200 * time.Millisecond):
				}
			}
		}
	}
	for _, n := range names {
		if !strings.Contains(out.String(), "["+n+"] {") {
			t.Errorf("got no log line prefixed [%s] (JSON after the prefix) in:\n%s", n, out.String())
		}
	}

	if closeOutput {
		pipeReader.Close()
	}
	// A terminal sends SIGINT to the foreground group. (Should this test's parent ignore
	// SIGINT, make inherits that, but the runner and the services handle it all the same:
	// Go turns an ignored SIGINT back on for a program that asks to be notified of it.)
	sig := syscall.SIGINT
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		stopped = true
	case <-time.After(40 * time.Second):
		t.Fatalf("make run still running 40s after %v:\n%s", sig, out.String())
	}
	log := out.String()
	if !closeOutput && !strings.Contains(log, "[run] stopping") {
		t.Errorf("got no \"[run] stopping\" after %v in:\n%s", sig, log)
	}
	// Nothing of the group is left: make, the runner and the three services are gone.
	if err := syscall.Kill(-cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("processes of make run's group still exist after it exited (kill -0: %v):\n%s", err, log)
	}
	for i, port := range ports {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			c.Close()
			t.Errorf("%s still listens on %d after make run stopped", names[i], port)
		}
	}
	if strings.Contains(log, "did not stop within") {
		t.Errorf("a service had to be killed, want every one to stop on SIGTERM:\n%s", log)
	}
}
