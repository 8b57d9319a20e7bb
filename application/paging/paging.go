// Package paging is the keyset pagination every list use case shares: a page is "up to
// Limit items after the item with id After" in the list's own order, so concurrent inserts
// never make a page skip or repeat an item.
package paging

import "github.com/b2b-backoffice/backoffice/domain/errs"

// Limits of a page, from the contract.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Request asks for one page. After is 0 for the first page.
type Request struct {
	Limit int
	After int64
}

// NewRequest validates a page request; limit 0 means the default.
func NewRequest(limit int, after int64) (Request, error) {
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 1 || limit > MaxLimit {
		return Request{}, errs.Invalid("limit must be between 1 and %d", MaxLimit)
	}
	if after < 0 {
		return Request{}, errs.Invalid("cursor is invalid")
	}
	return Request{Limit: limit, After: after}, nil
}

// Page is one page of results. Next is the id to pass as After for the next page, valid
// only when HasMore.
type Page[T any] struct {
	Items   []T
	HasMore bool
	Next    int64
}

// Cut builds a page from up to Limit+1 items fetched in list order: the extra item, when
// present, only tells that there is more. id returns an item's keyset id.
func Cut[T any](items []T, req Request, id func(T) int64) Page[T] {
	p := Page[T]{Items: items}
	if len(items) > req.Limit {
		p.Items = items[:req.Limit]
		p.HasMore = true
		p.Next = id(p.Items[len(p.Items)-1])
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return p
}
