package main

import (
	"strings"
	"testing"
)

const readme = "# T\n\n## Walkthrough with curl\n\n1. Step:\n\n   ```sh\n   curl -s -i http://127.0.0.1:3001/x \\\n     -H 'A: b'\n   # HTTP/1.1 201 Created\n   # {\"id\":1,...}\n   TOKEN=$(echo t)\n   ```\n\n## Next\n\n```sh\nnot a step\n```\n"

func TestParse(t *testing.T) {
	steps, err := parse(readme, "## Walkthrough with curl")
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].command != "curl -s -i http://127.0.0.1:3001/x  -H 'A: b'" ||
		strings.Join(steps[0].expected, "|") != `HTTP/1.1 201 Created|{"id":1,...}` || steps[0].line != 8 ||
		steps[1].command != "TOKEN=$(echo t)" || len(steps[1].expected) != 0 {
		t.Fatalf("got %+v", steps)
	}
	if _, err := parse(readme, "## Missing"); err == nil {
		t.Error("a missing section: got no error")
	}
}

func TestCompare(t *testing.T) {
	out := "HTTP/1.1 201 Created\r\nLocation: /x/1\r\n\r\n{\"id\":1,\"name\":\"a\"}\n"
	for _, c := range []struct {
		expected []string
		ok       bool
	}{
		{[]string{"HTTP/1.1 201 Created", `{"id":1,...}`}, true},
		{[]string{"Location: /x/1"}, true},
		{[]string{`{"id":1,...}`, "HTTP/1.1 201 Created"}, false}, // out of order
		{[]string{`{"id":2,...}`}, false},
		{[]string{`{"id":1`}, false}, // a whole line, not a prefix
		{[]string{"HTTP/1.1 200 OK"}, false},
	} {
		if got := compare(c.expected, out); (got == "") != c.ok {
			t.Errorf("compare(%q): got %q, want ok=%v", c.expected, got, c.ok)
		}
	}
}
