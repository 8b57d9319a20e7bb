package mysql

// KeptSnapshots is how many created orders the store keeps for Update (orderSnapshots).
func (s *OrdersStore) KeptSnapshots() int { return s.created.size() }

// KeepsSnapshots reports whether the store keeps created orders at all (not on TiDB).
func (s *OrdersStore) KeepsSnapshots() bool { return s.created != nil }

// size is how many snapshots are kept.
func (s *orderSnapshots) size() int {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}
