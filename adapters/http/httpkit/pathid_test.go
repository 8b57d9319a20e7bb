package httpkit_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// FuzzPathID: an id is accepted exactly when it is decimal digits naming 1..MaxInt64 (the
// specs' "^[0-9]+$", positive); anything else is an invalid-request error, never a panic.
func FuzzPathID(f *testing.F) {
	for _, s := range []string{"1", "01", "0", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x1", "abc", "", "١",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999", "00000000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := httpkit.PathID(s)
		digits := s != "" && strings.Trim(s, "0123456789") == ""
		want, perr := strconv.ParseUint(s, 10, 64)
		valid := digits && perr == nil && want >= 1 && want <= math.MaxInt64
		if !valid {
			if err == nil || errs.KindOf(err) != errs.KindInvalid {
				t.Fatalf("PathID(%q) = %d, %v; want an invalid-request error", s, id, err)
			}
			return
		}
		if err != nil || uint64(id) != want {
			t.Fatalf("PathID(%q) = %d, %v; want %d", s, id, err, want)
		}
	})
}
