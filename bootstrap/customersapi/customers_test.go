package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// purgeOnce is a LoginPurger that deletes n rows, then stops its job.
type purgeOnce struct {
	n     int64
	calls int
	at    time.Time
	stop  context.CancelFunc
}

func (p *purgeOnce) Purge(_ context.Context, now time.Time) (int64, error) {
	p.calls++
	p.at = now
	p.stop()
	return p.n, nil
}

// TestPurgeLoginFailures: the job purges at once (then every interval), with the current
// time, and logs what it deleted.
func TestPurgeLoginFailures(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	p := &purgeOnce{n: 3, stop: cancel}
	var out bytes.Buffer
	before := time.Now()
	PurgeLoginFailures(ctx, p, slog.New(slog.NewTextHandler(&out, nil)), time.Hour)
	if p.calls != 1 || p.at.Before(before.Add(-time.Second)) || p.at.Location() != time.UTC {
		t.Fatalf("got %d purges at %v, want one at once, now in UTC", p.calls, p.at)
	}
	if !strings.Contains(out.String(), `msg="purged login failures" count=3`) {
		t.Fatalf("got log %q, want the count purged", out.String())
	}
}
