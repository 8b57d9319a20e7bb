package benchstat

import (
	"slices"
	"testing"
	"time"
)

func TestFields(t *testing.T) {
	var l Latencies
	if got := l.Fields(); len(got) != 0 {
		t.Fatalf("empty: %v", got)
	}
	for i := 100; i >= 1; i-- {
		l.Add("create", time.Duration(i)*time.Millisecond)
	}
	l.Add("confirm", 1500*time.Microsecond)
	want := []string{
		"confirm_p50_ms=1.50", "confirm_p95_ms=1.50", "confirm_p99_ms=1.50",
		"create_p50_ms=50.00", "create_p95_ms=95.00", "create_p99_ms=99.00",
	}
	if got := l.Fields(); !slices.Equal(got, want) {
		t.Fatalf("Fields() = %v, want %v", got, want)
	}
}

func TestPercentile(t *testing.T) {
	if got := Percentile(nil, .5); got != 0 {
		t.Fatalf("empty: %v", got)
	}
	d := []time.Duration{1, 2, 3, 4}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0, 1}, {.5, 2}, {.99, 3}, {1, 4}} {
		if got := Percentile(d, c.p); got != c.want {
			t.Errorf("Percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
}
