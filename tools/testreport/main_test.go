package main

import (
	"strings"
	"testing"
)

// stream is `go test -json` of two packages: one with a passing test, a failing one and a
// MySQL test that skipped; one that does not build.
const stream = `{"Action":"start","Package":"p/a"}
{"Action":"output","Package":"p/a","Output":"mysqltest: SKIPPING MySQL tests: no server\n"}
{"Action":"run","Package":"p/a","Test":"TestOK"}
{"Action":"output","Package":"p/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"p/a","Test":"TestOK","Output":"    a_test.go:9: noise of a passing test\n"}
{"Action":"pass","Package":"p/a","Test":"TestOK"}
{"Action":"output","Package":"p/a","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"p/a","Test":"TestBad","Output":"    a_test.go:12: got 1, want 2\n"}
{"Action":"output","Package":"p/a","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"p/a","Test":"TestBad"}
{"Action":"output","Package":"p/a","Test":"TestDB","Output":"    mysqltest.go:72: MySQL unavailable: no server\n"}
{"Action":"output","Package":"p/a","Test":"TestDB","Output":"--- SKIP: TestDB (0.00s)\n"}
{"Action":"skip","Package":"p/a","Test":"TestDB"}
{"Action":"output","Package":"p/a","Output":"PASS\n"}
{"Action":"output","Package":"p/a","Output":"FAIL\tp/a\t0.01s\n"}
{"Action":"fail","Package":"p/a"}
{"ImportPath":"p/b","Action":"build-output","Output":"b.go:3:1: syntax error\n"}
{"ImportPath":"p/b","Action":"build-fail"}
`

func TestReport(t *testing.T) {
	var out strings.Builder
	r := newReport(&out, false)
	if err := r.read(strings.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	if r.summary() {
		t.Error("summary reported success for a run with a failed test")
	}
	got := out.String()
	for _, want := range []string{
		"mysqltest: SKIPPING MySQL tests: no server\n",
		"    a_test.go:12: got 1, want 2\n--- FAIL: TestBad (0.00s)\n",
		"FAIL\tp/a\t0.01s\n",
		"b.go:3:1: syntax error\n",
		"\n1 passed, 1 failed, 1 skipped\n",
		"1 TESTS WERE SKIPPED",
		"   1 skipped: MySQL unavailable: no server\n",
		"TEST_DATABASE_URL=",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, hidden := range []string{"noise of a passing test", "PASS\n", "=== RUN"} {
		if strings.Contains(got, hidden) {
			t.Errorf("output shows %q, which plain go test hides:\n%s", hidden, got)
		}
	}
}

func TestReportVerboseAndBuildFailure(t *testing.T) {
	var out strings.Builder
	r := newReport(&out, true)
	lines := strings.Split(stream, "\n")
	// The passing test, the skipped one and the package that does not build.
	if err := r.read(strings.NewReader(strings.Join(append(append(lines[2:6], lines[10:13]...), lines[16:]...), "\n"))); err != nil {
		t.Fatal(err)
	}
	if r.summary() {
		t.Error("summary reported success for a package that does not build")
	}
	got := out.String()
	for _, want := range []string{"noise of a passing test", "--- SKIP: TestDB", "\n1 passed, 0 failed, 1 skipped\n", "   1 skipped: MySQL unavailable: no server\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("verbose output lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "mysqltest.go:72") != 1 {
		t.Errorf("verbose output shows the skip's line other than once:\n%s", got)
	}
}
