package httpkit_test

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/adapters/httperr"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// FuzzDecodeCursor: any string either decodes to a positive id that re-encodes to itself, or
// is an invalid-request error; never a panic.
func FuzzDecodeCursor(f *testing.F) {
	for _, s := range []string{"", "djE6MQ", httpkit.EncodeCursor(1), httpkit.EncodeCursor(1 << 62), "djE6LTE", "%", "djE6OTk5OTk5OTk5OTk5OTk5OTk5OTk5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := httpkit.DecodeCursor(s)
		if err != nil {
			if errs.KindOf(err) != errs.KindInvalid {
				t.Fatalf("cursor %q: got %v, want an invalid-request error", s, err)
			}
			return
		}
		if id <= 0 {
			t.Fatalf("cursor %q decoded to non-positive id %d", s, id)
		}
	})
}

// FuzzDecode: any body gives nil or a classified client error (400/413), never a panic or an
// unclassified error that would become a 500; a body accepted is valid UTF-8.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"name":"a","qty":1}`, `{"qty":1e400}`, `{"qty":-1}`, `{"name":null}`, `[]`, `"x"`, `{"name":"\u0000"}`, `{`, ``, `{"a":1}`, "{\"name\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := jsonRequest(bytes.NewReader(b))
		var dst body
		err := httpkit.Decode(r, &dst)
		if err == nil {
			if !utf8.Valid(b) {
				t.Fatalf("body %q: accepted invalid UTF-8", b)
			}
			return
		}
		switch errs.KindOf(err) {
		case errs.KindInvalid, httperr.KindTooLarge:
		default:
			t.Fatalf("body %q: got unclassified error %v", b, err)
		}
	})
}
