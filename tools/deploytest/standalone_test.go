package deploytest_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRepositoryStandsAlone checks that no tracked file refers to something outside the
// repository that a clone does not have: a sibling folder of notes, or an absolute path of the
// machine it was written on. The rules a user relies on live in the README and the OpenAPI
// documents.
func TestRepositoryStandsAlone(t *testing.T) {
	t.Parallel()
	// Spelled in two parts so that this file does not name them itself.
	forbidden := []string{"../" + "shared", "/" + "work/", "shared/" + "contract"}
	out, err := exec.Command("git", "-C", repoFile(t, "."), "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v (the test needs the repository's git metadata)", err)
	}
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	if len(files) < 50 {
		t.Fatalf("git ls-files listed %d files: not this repository?", len(files))
	}
	for _, name := range files {
		b, err := os.ReadFile(repoFile(t, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree, not yet in the index
		} else if err != nil {
			t.Fatal(err)
		}
		for _, f := range forbidden {
			if i := bytes.Index(b, []byte(f)); i >= 0 {
				line := 1 + bytes.Count(b[:i], []byte("\n"))
				t.Errorf("%s:%d refers to %q, outside the repository", name, line, f)
			}
		}
	}
}
