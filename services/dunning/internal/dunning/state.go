package dunning

import "maps"

// Apply returns the state d leaves: the levels its notice reached, the
// date of the notice, the default facts it found, the day interest was
// charged to, the claims charged the lump sum, the items released, the
// items settled (their levels kept aside for a reopening) and whether the
// procedure ended. s is not changed; the maps of the result are new.
func (s State) Apply(d Decision) State {
	n := s.clone()
	for _, id := range d.Settled {
		if l, ok := n.Levels[id]; ok {
			n.Suspended[id] = l
			delete(n.Levels, id)
		}
	}
	if d.Ended {
		for id, l := range n.Levels {
			n.Suspended[id] = l
		}
		clear(n.Levels)
		n.Ended = true
		return n
	}
	for _, f := range d.Defaults {
		if _, ok := n.DefaultSince[f.Item]; !ok {
			n.DefaultSince[f.Item] = f
		}
	}
	if nt := d.Notice; nt != nil {
		n.Ended = false
		n.LastNotice = d.Date
		for _, it := range nt.Items {
			if it.Level > 0 {
				n.Levels[it.Item] = it.Level
				delete(n.Suspended, it.Item)
			}
		}
		for _, p := range nt.Interest {
			if u, ok := n.InterestUntil[p.Item]; !ok || p.To.After(u) {
				n.InterestUntil[p.Item] = p.To
			}
		}
	}
	for _, c := range d.Charges {
		if c.Kind == ChargeLumpSum {
			n.LumpSumCharged[c.Claim] = true
		}
	}
	for _, id := range d.Released {
		n.Released[id] = true
		n.Ended = false
	}
	return n
}

// Settle returns the state after item was settled by a payment or credit
// note: its level is kept aside for a reopening. Decide finds settled
// items itself (Decision.Settled); Settle is for a service that applies
// payments as they arrive.
func (s State) Settle(item string) State {
	n := s.clone()
	if l, ok := n.Levels[item]; ok {
		n.Suspended[item] = l
		delete(n.Levels, item)
	}
	return n
}

// Reopen returns the state after item was reopened (a returned direct
// debit): it goes back to the level it had when settled, and a procedure
// that ended starts again.
func (s State) Reopen(item string) State {
	n := s.clone()
	if l, ok := n.Suspended[item]; ok {
		n.Levels[item] = l
		delete(n.Suspended, item)
	}
	n.Ended = false
	return n
}

func (s State) clone() State {
	n := s
	n.Levels = cloneMap(s.Levels)
	n.LumpSumCharged = cloneMap(s.LumpSumCharged)
	n.DefaultSince = cloneMap(s.DefaultSince)
	n.InterestUntil = cloneMap(s.InterestUntil)
	n.Released = cloneMap(s.Released)
	n.Suspended = cloneMap(s.Suspended)
	return n
}

func cloneMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return maps.Clone(m)
}
