package repotest

import (
	"errors"
	"testing"
)

// countWins drains errc, the results of calls racing for one thing (closed by the caller),
// and returns how many succeeded. lost is the error a call that lost the race returns; any
// other error fails the test.
func countWins(t *testing.T, errc <-chan error, lost error) int {
	t.Helper()
	wins := 0
	for err := range errc {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, lost):
		default:
			t.Errorf("got error %v, want nil or %v", err, lost)
		}
	}
	return wins
}
