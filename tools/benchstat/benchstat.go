// Package benchstat is what tools/loadtest (the services over HTTP) and
// tools/sqlbench (their bare-SQL ceiling) share, so that their figures compare: the load
// loop (Run), the latencies per kind, the "BENCH key=value ..." line and its parser, the
// start handshake, and how an order picks its products. It uses only the standard library,
// so that loadtest keeps doing so too.
package benchstat

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Latencies collects durations per request kind. The zero value is ready to use and safe
// for concurrent use.
type Latencies struct {
	mu sync.Mutex
	by map[string][]time.Duration
}

// Add records one duration of kind.
func (l *Latencies) Add(kind string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.by == nil {
		l.by = map[string][]time.Duration{}
	}
	l.by[kind] = append(l.by[kind], d)
}

// Fields are kind_pNN_ms=.. for every kind in name order and p50, p95, p99, in
// milliseconds with two decimals.
func (l *Latencies) Fields() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	kinds := make([]string, 0, len(l.by))
	for k := range l.by {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var out []string
	for _, k := range kinds {
		d := l.by[k]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		for _, p := range []struct {
			name string
			q    float64
		}{{"p50", .50}, {"p95", .95}, {"p99", .99}} {
			out = append(out, fmt.Sprintf("%s_%s_ms=%.2f", k, p.name, float64(Percentile(d, p.q).Microseconds())/1000))
		}
	}
	return out
}

// Percentile is the element at rank p (0..1) of sorted, rounding the index down; 0 for an
// empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(float64(len(sorted)-1)*p)]
}
