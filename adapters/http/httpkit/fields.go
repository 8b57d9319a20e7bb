package httpkit

import (
	"encoding/json"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/errs"
)

// Time writes a time as every answer does: RFC 3339 in UTC with the stored precision
// (microseconds at most), so that a created_at copied into a from/to filter, of this service
// or another, selects that very instant.
func Time(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Optional is a field of a request body that may be absent, null or a value, which a partial
// update must tell apart. The zero value is "absent".
type Optional[T any] struct {
	// Set is true when the field was present, null included.
	Set bool
	// Null is true when it was null; Value is then T's zero value.
	Null  bool
	Value T
}

// UnmarshalJSON implements json.Unmarshaler; it runs only for a field that is present.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// Ptr is the field's value, nil when absent; null is refused (KindInvalid naming field).
func (o Optional[T]) Ptr(field string) (*T, error) {
	if o.Null {
		return nil, errs.Invalid("%s must not be null", field)
	}
	if !o.Set {
		return nil, nil
	}
	v := o.Value
	return &v, nil
}
