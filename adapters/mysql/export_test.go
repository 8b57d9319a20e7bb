package mysql

// KeptSnapshots is how many created orders the store keeps for Update (orderSnapshots).
func (s *OrdersStore) KeptSnapshots() int { return s.created.size() }
