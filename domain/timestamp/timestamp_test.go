package timestamp_test

import (
	"testing"
	"time"

	"github.com/b2b-backoffice/backoffice/domain/timestamp"
)

func TestOfIsUTCToTheMicrosecond(t *testing.T) {
	t.Parallel()
	in := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	got := timestamp.Of(in)
	want := time.Date(2026, 11, 27, 9, 0, 0, 123456000, time.UTC)
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("got %v, want %v", got, want)
	}
	if again := timestamp.Of(got); again != got {
		t.Fatalf("Of is not idempotent: got %v, want %v", again, got)
	}
}
