package httpkit

import (
	"errors"
	"io"
	"net/http"
)

// DiscardBody reads and drops the body of a route that takes none (confirm, cancel), so
// that the contract's 1 MiB limit holds there too: a body over it is ErrBodyTooLarge (413),
// anything up to it is ignored. A read error other than the limit means the client went
// away; it is not reported, since nobody is left to read the answer.
func DiscardBody(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if r.ContentLength > MaxBodyBytes {
		return ErrBodyTooLarge
	}
	_, err := io.Copy(io.Discard, http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return ErrBodyTooLarge
	}
	return nil
}
