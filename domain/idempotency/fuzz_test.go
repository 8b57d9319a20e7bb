package idempotency_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/domain/idempotency"
)

// validKey is the rule ParseKey enforces, written out independently: 1..255 bytes, each
// printable ASCII (0x20..0x7E).
func validKey(s string) bool {
	if len(s) == 0 || len(s) > idempotency.MaxKeyLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// FuzzParseKey: any string is either a key that reads back unchanged, or ErrInvalidKey with
// the zero key; never a panic, never another error.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"", "a", "order-1:confirm", " ", "~", strings.Repeat("k", 255), strings.Repeat("k", 256),
		"tab\t", "\x00", "\x7f", "caf\u00e9", "\xff\xfe", "k\r\nX-Injected: 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := idempotency.ParseKey(s)
		if validKey(s) {
			if err != nil || k.String() != s || k.IsZero() {
				t.Fatalf("ParseKey(%q) = %q, %v; want the key itself", s, k, err)
			}
			return
		}
		if !errors.Is(err, idempotency.ErrInvalidKey) || !k.IsZero() {
			t.Fatalf("ParseKey(%q) = %q, %v; want the zero key and ErrInvalidKey", s, k, err)
		}
	})
}

// FuzzPick: the values of the two key headers (split on a NUL here, so the fuzzer can vary
// their number) give no key when there are none, the common key when they all agree and it
// is valid, and ErrInvalidKey otherwise.
func FuzzPick(f *testing.F) {
	for _, s := range []string{"", "k", "k\x00k", "k\x00K", "\x00", "k\x00", "a\x00a\x00a", "a\x00a\x00b", "\x01", strings.Repeat("k", 256)} {
		f.Add(s, s == "")
	}
	f.Fuzz(func(t *testing.T, joined string, none bool) {
		var values []string
		if !none {
			values = strings.Split(joined, "\x00")
		}
		k, present, err := idempotency.Pick(values)
		if len(values) == 0 {
			if present || err != nil || !k.IsZero() {
				t.Fatalf("Pick(%q) = %q, %v, %v; want no key", values, k, present, err)
			}
			return
		}
		if !present {
			t.Fatalf("Pick(%q): got present false, want true", values)
		}
		agree := true
		for _, v := range values {
			agree = agree && v == values[0]
		}
		if agree && validKey(values[0]) {
			if err != nil || k.String() != values[0] {
				t.Fatalf("Pick(%q) = %q, %v; want %q", values, k, err, values[0])
			}
			return
		}
		if !errors.Is(err, idempotency.ErrInvalidKey) || !k.IsZero() {
			t.Fatalf("Pick(%q) = %q, %v; want the zero key and ErrInvalidKey", values, k, err)
		}
	})
}
