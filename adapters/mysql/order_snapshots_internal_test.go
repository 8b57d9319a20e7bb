package mysql

import (
	"testing"

	"github.com/b2b-backoffice/backoffice/domain/order"
)

// TestOrderSnapshotsKeepTheNewestUpToTheirBound: beyond max the oldest go first; take
// removes what it returns; ids already taken do not count against the bound.
func TestOrderSnapshotsKeepTheNewestUpToTheirBound(t *testing.T) {
	t.Parallel()
	s := newOrderSnapshots(3)
	for id := int64(1); id <= 5; id++ {
		s.add([]order.Snapshot{{ID: id, Status: order.Created}})
	}
	if s.size() != 3 {
		t.Fatalf("kept %d, want 3", s.size())
	}
	for id, want := range map[int64]bool{1: false, 2: false, 3: true, 4: true, 5: true} {
		if _, ok := s.take(id); ok != want {
			t.Errorf("take(%d): %v, want %v", id, ok, want)
		}
	}
	if _, ok := s.take(4); ok || s.size() != 0 {
		t.Errorf("taken twice, or left behind: size %d", s.size())
	}
	for id := int64(10); id < 10+20; id++ { // taken at once: the queue of ids must not grow without bound
		s.add([]order.Snapshot{{ID: id}})
		s.take(id)
	}
	if len(s.order) > 2*s.max {
		t.Errorf("%d ids queued for %d kept", len(s.order), s.size())
	}
	var none *orderSnapshots
	if _, ok := none.take(1); ok {
		t.Error("a nil store gave a snapshot")
	}
	none.add([]order.Snapshot{{ID: 1}})
}
