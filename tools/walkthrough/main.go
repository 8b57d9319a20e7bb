// Command walkthrough runs the README's "Walkthrough with curl" and checks that every answer
// it shows is the one that comes back, so that the README cannot drift from the code.
//
//	go run ./tools/walkthrough            # starts `make run` (in memory) on free ports
//	go run ./tools/walkthrough -no-start  # against services already on 3001-3003
//
// In each ```sh block of that section a line starting with "# " is an expected line of the
// output of the command above it; "..." in it stands for any text. Every expected line must
// match a whole line of that output, in order (other lines may come between: headers of
// `curl -i`). The other lines are the commands, run in order in one bash, with the README's
// base URLs replaced by those of the services under test. Needs bash, curl and python3, as the
// README's requirements say.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// readmeURLs are the base URLs the README's commands use.
var readmeURLs = []string{"http://127.0.0.1:3001", "http://127.0.0.1:3002", "http://127.0.0.1:3003"}

func main() {
	readme := flag.String("readme", "README.md", "the README to check")
	section := flag.String("section", "## Walkthrough with curl", "the heading of the walkthrough")
	noStart := flag.Bool("no-start", false, "use services already running at the README's URLs instead of starting `make run`")
	flag.Parse()
	if err := run(*readme, *section, *noStart); err != nil {
		fmt.Fprintln(os.Stderr, "walkthrough: FAIL:", err)
		os.Exit(1)
	}
}

func run(readmePath, section string, noStart bool) error {
	text, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	steps, err := parse(string(text), section)
	if err != nil {
		return err
	}
	urls := readmeURLs
	if !noStart {
		var stop func()
		if urls, stop, err = startServices(); err != nil {
			return err
		}
		defer stop()
	}
	outputs, err := execute(steps, urls)
	if err != nil {
		return err
	}
	var failures []string
	checked := 0
	for i, s := range steps {
		if msg := compare(s.expected, outputs[i]); msg != "" {
			failures = append(failures, fmt.Sprintf("README line %d: %s\n  command: %s\n  output:\n%s", s.line, msg, s.command, indent(outputs[i])))
		}
		checked += len(s.expected)
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d of %d commands answered otherwise than the README says:\n%s", len(failures), len(steps), strings.Join(failures, "\n"))
	}
	fmt.Printf("walkthrough: %d commands ran, %d expected lines matched\n", len(steps), checked)
	return nil
}

// step is one command of the walkthrough and the output lines the README shows for it.
type step struct {
	line     int
	command  string
	expected []string
}

// parse returns the commands of the ```sh blocks under the section's heading (up to the next
// heading of the same level).
func parse(readme, section string) ([]step, error) {
	lines := strings.Split(readme, "\n")
	var steps []step
	in, block := false, false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		trimmed := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "## "):
			in = l == section
			continue
		case !in:
			continue
		case trimmed == "```sh":
			block = true
			continue
		case strings.HasPrefix(trimmed, "```"):
			block = false
			continue
		case !block || trimmed == "":
			continue
		case strings.HasPrefix(trimmed, "# "):
			if len(steps) == 0 {
				return nil, fmt.Errorf("line %d: an expected output before any command", i+1)
			}
			steps[len(steps)-1].expected = append(steps[len(steps)-1].expected, strings.TrimPrefix(trimmed, "# "))
		default:
			s := step{line: i + 1, command: trimmed}
			for strings.HasSuffix(s.command, `\`) && i+1 < len(lines) {
				i++
				s.command = strings.TrimSuffix(s.command, `\`) + " " + strings.TrimSpace(lines[i])
			}
			steps = append(steps, s)
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("no command under %q", section)
	}
	return steps, nil
}

// execute runs every command in one bash and returns each one's output (stdout and stderr).
func execute(steps []step, urls []string) ([]string, error) {
	const marker = "@@walkthrough-step-done@@"
	var script strings.Builder
	script.WriteString("set -u\n")
	for _, s := range steps {
		cmd := s.command
		for i, u := range readmeURLs {
			cmd = strings.ReplaceAll(cmd, u, urls[i])
		}
		fmt.Fprintf(&script, "%s\necho; echo %s\n", cmd, marker)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("bash: %v\n%s", err, out)
	}
	parts := strings.Split(string(out), "\n"+marker+"\n")
	if len(parts) != len(steps)+1 {
		return nil, fmt.Errorf("got the output of %d commands, want %d:\n%s", len(parts)-1, len(steps), out)
	}
	return parts[:len(steps)], nil
}

// compare checks that every expected line matches a whole line of out, in order.
func compare(expected []string, out string) string {
	got := strings.Split(strings.ReplaceAll(out, "\r", ""), "\n")
	j := 0
	for _, want := range expected {
		re := pattern(want)
		for j < len(got) && !re.MatchString(got[j]) {
			j++
		}
		if j == len(got) {
			return fmt.Sprintf("no line of the output matches %q (after the lines matched before it)", want)
		}
		j++
	}
	return ""
}

// pattern is want as a regular expression of a whole line, "..." standing for any text.
func pattern(want string) *regexp.Regexp {
	parts := strings.Split(want, "...")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

func indent(s string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(strings.TrimSpace(s)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		b.WriteString("    | " + sc.Text() + "\n")
	}
	return b.String()
}

// startServices runs `make run` in memory on three free ports, waits for their /health and
// returns their base URLs and a function that stops them.
func startServices() ([]string, func(), error) {
	urls := make([]string, 3)
	args := []string{"run"}
	for i, name := range []string{"CUSTOMERS_PORT", "ORDERS_PORT", "ORCHESTRATOR_PORT"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		urls[i] = fmt.Sprintf("http://127.0.0.1:%d", port)
		args = append(args, fmt.Sprintf("%s=%d", name, port))
	}
	var log bytes.Buffer
	cmd := exec.Command("make", args...)
	// In memory, whatever the caller's environment says.
	cmd.Env = append(os.Environ(), "DATABASE_URL=", "DB_HOST=", "DB_NAME=", "LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(40 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	deadline := time.Now().Add(3 * time.Minute) // make run builds the binaries first
	for _, u := range urls {
		for {
			resp, err := http.Get(u + "/health")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case err := <-exited:
				return nil, nil, fmt.Errorf("make run exited (%v) before %s was healthy:\n%s", err, u, log.String())
			case <-time.After(200 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				stop()
				return nil, nil, errors.New("make run: " + u + " not healthy within 3 minutes:\n" + log.String())
			}
		}
	}
	return urls, stop, nil
}
