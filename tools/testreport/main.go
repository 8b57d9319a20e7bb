// Command testreport is what `make test` pipes `go test -json` into. It prints what plain
// `go test` prints (each package's ok/FAIL line, the whole output of every failed test, the
// packages' own lines such as "mysqltest: SKIPPING ...") or, with -v, everything, and ends
// with the closing line
//
//	N passed, N failed, N skipped
//
// (tests and subtests at every level). When tests were skipped it adds a banner that says how
// many, why, and how to run them: plain `go test` hides a passing package's skips, so a green
// run that left the MySQL tests out would otherwise look like a full one. It exits 1 when a
// test or a package failed.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json), build output included.
type event struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Output     string
}

// howTo says how to run the tests a skip reason names; the first match wins.
var howTo = []struct{ reason, how string }{
	{"MySQL", "give a server: TEST_DATABASE_URL=mysql://USER:PASSWORD@HOST:3306/ make test (without it, make test uses " +
		"root without a password on 127.0.0.1:3306, then Docker); REQUIRE_MYSQL=1 turns these skips into failures"},
	{"FAULTS", "make test-faults (they build and run the binaries on MySQL)"},
	{"chromium", "apt-get install chromium; REQUIRE_BROWSER=1 turns this skip into a failure"},
}

func main() {
	verbose := flag.Bool("v", false, "print every line go test -v would print")
	flag.Parse()
	r := newReport(os.Stdout, *verbose)
	if err := r.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	if !r.summary() {
		os.Exit(1)
	}
}

type key struct{ pkg, test string }

type report struct {
	out                     io.Writer
	verbose                 bool
	pending                 map[key][]string // output of tests still running
	passed, failed, skipped int
	failedPkg               bool
	skips                   map[string][]string // reason -> tests
}

func newReport(out io.Writer, verbose bool) *report {
	return &report{out: out, verbose: verbose, pending: map[key][]string{}, skips: map[string][]string{}}
}

func (r *report) read(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Not an event (go test's own message before any package ran): show it as is.
			fmt.Fprintln(r.out, sc.Text())
			continue
		}
		r.handle(e)
	}
	return sc.Err()
}

func (r *report) handle(e event) {
	if e.Action == "build-output" || e.Action == "build-fail" {
		fmt.Fprint(r.out, e.Output)
		r.failedPkg = r.failedPkg || e.Action == "build-fail"
		return
	}
	if e.Test == "" {
		if e.Action == "fail" {
			r.failedPkg = true
		}
		// The package's own lines; go test -v's lone "PASS" is not shown by plain go test.
		if e.Action == "output" && (r.verbose || strings.TrimSpace(e.Output) != "PASS") {
			fmt.Fprint(r.out, e.Output)
		}
		return
	}
	k := key{e.Package, e.Test}
	switch e.Action {
	case "output":
		if r.verbose {
			fmt.Fprint(r.out, e.Output)
		}
		r.pending[k] = append(r.pending[k], e.Output) // a failure's output, a skip's reason
	case "pass":
		r.passed++
		delete(r.pending, k)
	case "fail":
		r.failed++
		for _, l := range r.pending[k] { // as plain go test shows a failure: no "=== RUN" lines
			if !r.verbose && !strings.HasPrefix(l, "=== ") {
				fmt.Fprint(r.out, l)
			}
		}
		delete(r.pending, k)
	case "skip":
		r.skipped++
		reason := skipReason(r.pending[k])
		r.skips[reason] = append(r.skips[reason], e.Package+" "+e.Test)
		delete(r.pending, k)
	}
}

// skipReason is the first line a skipped test logged, without its file:line prefix.
func skipReason(lines []string) string {
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		if i := strings.Index(l, ": "); i > 0 && strings.Contains(l[:i], ".go:") {
			l = l[i+2:]
		}
		return l
	}
	return "(no reason given)"
}

// summary prints the closing line and the skip banner; it reports whether everything passed.
func (r *report) summary() bool {
	fmt.Fprintf(r.out, "\n%d passed, %d failed, %d skipped\n", r.passed, r.failed, r.skipped)
	if r.skipped > 0 {
		reasons := make([]string, 0, len(r.skips))
		for reason := range r.skips {
			reasons = append(reasons, reason)
		}
		sort.Slice(reasons, func(i, j int) bool { return len(r.skips[reasons[i]]) > len(r.skips[reasons[j]]) })
		bar := strings.Repeat("!", 78)
		fmt.Fprintf(r.out, "%s\n!! %d TESTS WERE SKIPPED: this run is not the whole suite\n", bar, r.skipped)
		for _, reason := range reasons {
			tests := r.skips[reason]
			fmt.Fprintf(r.out, "!! %4d skipped: %s\n", len(tests), reason)
			for _, h := range howTo {
				if strings.Contains(reason, h.reason) {
					fmt.Fprintf(r.out, "!!        to run them: %s\n", h.how)
					break
				}
			}
		}
		fmt.Fprintln(r.out, bar)
	}
	return r.failed == 0 && !r.failedPkg
}
