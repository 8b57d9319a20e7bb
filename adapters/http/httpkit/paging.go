package httpkit

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/b2b-backoffice/backoffice/application/paging"
	"github.com/b2b-backoffice/backoffice/domain/errs"
)

const cursorPrefix = "v1:"

// EncodeCursor makes the opaque next_cursor for a keyset id.
func EncodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(id, 10)))
}

// DecodeCursor reads a cursor made by EncodeCursor; anything else is KindInvalid.
func DecodeCursor(s string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(raw), cursorPrefix) {
		return 0, errs.Invalid("cursor is invalid")
	}
	id, err := strconv.ParseInt(string(raw[len(cursorPrefix):]), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalid("cursor is invalid")
	}
	return id, nil
}

// PageRequest reads limit and cursor from the query string.
func PageRequest(r *http.Request) (paging.Request, error) {
	q := r.URL.Query()
	limit := 0
	if s := q.Get("limit"); s != "" || q.Has("limit") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > paging.MaxLimit {
			return paging.Request{}, errs.Invalid("limit must be an integer between 1 and %d", paging.MaxLimit)
		}
		limit = n
	}
	var after int64
	if c := q.Get("cursor"); c != "" {
		id, err := DecodeCursor(c)
		if err != nil {
			return paging.Request{}, err
		}
		after = id
	}
	return paging.NewRequest(limit, after)
}

// WritePage writes a page with items already mapped to their JSON shape.
func WritePage[T any](w http.ResponseWriter, req paging.Request, items []T, hasMore bool, next int64) {
	body, err := EncodePage(req, items, hasMore, next)
	writeEncoded(w, http.StatusOK, body, err)
}

// EncodePage is the body WritePage writes.
func EncodePage[T any](req paging.Request, items []T, hasMore bool, next int64) ([]byte, error) {
	p := Pagination{Limit: req.Limit, HasMore: hasMore}
	if hasMore {
		c := EncodeCursor(next)
		p.NextCursor = &c
	}
	if items == nil {
		items = []T{}
	}
	return json.Marshal(listEnvelope{Data: items, Pagination: p})
}

// PathID reads a positive integer id, decimal digits only, from a path variable value;
// anything else ("abc", "-1", "+1", "1e3", beyond int64) is KindInvalid, so that
// "/customers/abc" is a 400 and never a 500.
func PathID(s string) (int64, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, errs.Invalid("id must be a positive integer")
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalid("id must be a positive integer")
	}
	return id, nil
}
