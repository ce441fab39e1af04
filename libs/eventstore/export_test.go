package eventstore

// RecentHits returns the number of events the ordered read of s took from
// the events s committed lately instead of from the table.
func (s *Store) RecentHits() int64 { return s.recent.hits.Load() }
