// Package timestamp is the one form in which the domain stamps times: every store keeps
// them at microsecond precision (MySQL's DATETIME(6)), so an entity stamped with Of reads
// back equal to what was written, from memory and MySQL alike.
package timestamp

import "time"

// Of returns t in UTC, truncated to the microsecond.
func Of(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
