package engine

import (
	"fmt"
	"slices"
)

// marketplaceRule returns the marketplace whose payer patterns the payment
// matches (payer name or remittance), or -1.
func (m *matcher) marketplaceRule() int {
	if m.sign < 0 {
		return -1
	}
	for k, mr := range m.e.r.marketplaces {
		for _, re := range mr.patterns {
			if re.MatchString(m.p.CounterpartyName) || re.MatchString(m.p.Remittance) {
				return k
			}
		}
	}
	return -1
}

// marketplaceHyps proposes the settlements a marketplace payout pays: the
// one whose id the text names, else those whose open items total the
// payout (the latest before the booking date first). A settlement's items
// are the marketplace debtor's open items with that settlement id as
// payment reference: orders positive, refunds and fees negative credit
// items.
func (m *matcher) marketplaceHyps(rule int) {
	e := m.e
	payer := e.r.marketplaces[rule].channel
	debtors := e.mpDebtors[rule]
	named := slices.Clone(m.settle)
	for _, h := range m.hits {
		it := &e.items[h.item]
		if it.ref != "" && slices.Contains(debtors, it.debtor) {
			f := formsOf(atomize(it.ref, nil)).full
			if !slices.Contains(named, f) {
				named = append(named, f)
			}
		}
	}
	seen := map[*group]bool{}
	for _, id := range named {
		for _, di := range debtors {
			if g := e.groups[groupKey{debtor: di, ref: id}]; g != nil && g.cur == m.cur && !seen[g] {
				seen[g] = true
				m.addSettlement(g, payer, true, 0)
			}
		}
	}
	var equal []*group
	for _, di := range debtors {
		for _, g := range e.debtorGroups[di] {
			if g.cur == m.cur && g.open == m.amount && !seen[g] {
				equal = append(equal, g)
			}
		}
	}
	for _, g := range equal {
		bonus := 0
		if len(equal) == 1 {
			bonus = 30
		}
		if g.latest != noDay && m.day != noDay && g.latest <= m.day && m.day-g.latest <= 45 {
			bonus += 5
		}
		m.addSettlement(g, payer, false, bonus)
	}
}

// addSettlement records the hypothesis that the payout pays settlement g.
func (m *matcher) addSettlement(g *group, payer string, named bool, bonus int) {
	e := m.e
	var S []int32
	for _, idx := range g.items {
		if it := &e.items[idx]; !it.removed && it.open != 0 {
			S = append(S, idx)
		}
	}
	if len(S) == 0 {
		return
	}
	r, ok := m.fit(S, true)
	if !ok {
		return
	}
	h := &hyp{debtor: g.key.debtor, items: S, fit: r, market: originMarket, debPts: 30, bonus: bonus}
	what := fmt.Sprintf("settlement %s (%d open items)", e.items[S[0]].ref, len(S))
	if named {
		h.refPts, h.allRef = 65, true
		h.named = "payout from " + payer + " naming " + what
	} else {
		h.named = "payout from " + payer + " equal to " + what
		if bonus >= 30 {
			h.named += ", the only settlement of that total"
		}
	}
	if r.kind == fitPartial || r.kind == fitOver {
		h.noAuto = "the payout does not equal the settlement"
	}
	m.record(h)
}
