package httpkit_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
)

// chunked hides the length of a body, as a chunked upload does.
type chunked struct{ io.Reader }

func TestDiscardBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		req  func() *http.Request
		want error
	}{
		{"no body", func() *http.Request { return httptest.NewRequest(http.MethodPost, "/", nil) }, nil},
		{"small body", func() *http.Request { return httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"x":1}`)) }, nil},
		{"exactly 1 MiB", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", httpkit.MaxBodyBytes)))
		}, nil},
		{"declared over 1 MiB", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x"))
			r.ContentLength = httpkit.MaxBodyBytes + 1
			return r
		}, httpkit.ErrBodyTooLarge},
		{"chunked over 1 MiB", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", chunked{strings.NewReader(strings.Repeat("x", httpkit.MaxBodyBytes+1))})
			r.ContentLength = -1
			return r
		}, httpkit.ErrBodyTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := httpkit.DiscardBody(tc.req()); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
