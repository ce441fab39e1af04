package engine

// Collections tells the engine which end-to-end ids are the tenant's own
// SEPA direct debits (matching's sepa package records one per collection
// it submits). Implementations are safe for concurrent use.
type Collections interface {
	// Collected returns the open item the direct debit with end-to-end id
	// e2e collects, and false when the id is none of the tenant's debits.
	Collected(e2e string) (item string, ok bool)
}

// collection decides a receipt that carries the end-to-end id of one of
// the tenant's direct debits: it clears the item the debit collects with
// full confidence when the amount is exactly what is open on it. Anything
// else (the item paid meanwhile, another amount) is matched as any other
// payment.
func (m *matcher) collection() (Decision, bool) {
	c := m.e.r.Collections
	if c == nil || m.amount <= 0 {
		return Decision{}, false
	}
	id := e2e(m.p.EndToEndID)
	if id == "" {
		return Decision{}, false
	}
	item, ok := c.Collected(id)
	if !ok {
		return Decision{}, false
	}
	idx, ok := m.e.itemIdx[item]
	if !ok {
		return Decision{}, false
	}
	it := &m.e.items[idx]
	if it.removed || it.cur != m.cur || it.open != m.amount {
		return Decision{}, false
	}
	return Decision{Payment: m.p, Kind: Auto, Score: 100, Debtor: m.e.debtors[it.debtor].id,
		Allocations: []Allocation{{Item: item, Amount: m.amount}},
		Explanation: "end-to-end id " + id + " is the tenant's direct debit of " + m.itemNumber(idx) + ", amount as collected → 100"}, true
}
