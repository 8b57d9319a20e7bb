package mysql

// KeptSnapshots is how many created orders the store keeps for Update (orderSnapshots).
func (s *OrdersStore) KeptSnapshots() int { return s.created.size() }

// KeepsSnapshots reports whether the store keeps created orders at all (not on TiDB).
func (s *OrdersStore) KeepsSnapshots() bool { return !s.d.tidb }
