package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// ambiguityMargin is how close (in points) another set's score may come to
// the best one's before the best is proposed rather than booked: where
// several item sets fit about equally, a person decides.
const ambiguityMargin = 5

// rank orders hypotheses best first: by score before capping at 100, then
// those whose items the text names all, fewer items, older items, and
// finally by items for a stable order.
func rank(a, b *hyp) int {
	if c := cmp.Compare(b.raw(), a.raw()); c != 0 {
		return c
	}
	if a.allRef != b.allRef {
		if a.allRef {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(len(a.items), len(b.items)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.due, b.due); c != 0 {
		return c
	}
	return cmp.Compare(a.key, b.key)
}

// raw is the score before it is capped at 100. A bonus for being the only
// fitting set counts only when the payer is identified as the debtor.
func (h *hyp) raw() int {
	bonus := h.bonus
	if h.debPts <= 0 && h.market != originMarket {
		bonus = 0
	}
	return h.refPts + h.debPts + h.amtPts + bonus + h.adjust
}

// trail ranks h, another reading of h.follow, right after it (gap+1
// points below).
func (m *matcher) trail(h *hyp, depth int) {
	f := h.follow
	if f.follow != nil && depth < 4 {
		m.trail(f, depth+1)
	}
	h.adjust = 0
	h.adjust = f.raw() - 1 - h.gap - h.raw()
	h.score = min(100, max(0, h.raw()))
}

func (m *matcher) decide() Decision {
	if m.partialHint() {
		// The text says it is a partial payment: a shortfall is no bank
		// fee, nor is the money more than the items ask.
		for _, h := range m.hyps {
			if h.fit.kind == fitFee || h.fit.kind == fitUnder {
				h.adjust = amountPoints[fitPartial] - amountPoints[h.fit.kind] - 2*ambiguityMargin
				if h.noAuto == "" {
					h.noAuto = "the text speaks of a partial payment"
				}
			}
		}
	}
	for _, h := range m.hyps {
		m.score(h)
	}
	for _, h := range m.hyps {
		if h.fit.kind < fitUnder || h.market != originItems {
			continue
		}
		within := false
		for _, o := range m.hyps {
			if o == h || o.debtor != h.debtor || !o.fit.kind.close() || h.allRef && m.leavesOutNamed(o) {
				// A set leaving out an item the text names clearly does
				// not stand against the named items.
				continue
			}
			if h.fit.kind == fitOver && !within && subset(h.items, o.items) {
				// More was paid than these items ask, and these items with
				// others fit exactly: the others are what the rest pays
				// (counted once, however many such sets there are).
				within = true
				h.amtPts -= 20
				h.score = min(100, max(0, h.raw()))
			}
			if h.noAuto == "" {
				h.noAuto = "another set of the debtor's items fits the amount"
			}
		}
		if h.noAuto == "" && h.fit.kind == fitOver && h.market == originItems {
			// More than the named items ask: the rest may be for items the
			// text does not (or, cut off, no longer) name.
			least := m.otherOpen(h)
			switch {
			case least == 0:
			case !h.allRef:
				h.noAuto = "the debtor has other open items the rest may be for"
			case m.mayName(h) != "":
				h.noAuto = "the rest may be for " + m.mayName(h) + ", which the text may name too"
			case m.cut || len(h.items) >= 3 && least <= h.fit.diff*m.sign:
				h.noAuto = "the rest could pay other open items of the debtor"
			}
		}
	}
	var twice []*hyp
	payer := payerKey(m.p)
	for _, h := range m.hyps {
		if h.market != originItems {
			continue
		}
		for _, a := range h.fit.allocs {
			for _, pp := range m.e.pending[a.item] {
				if pp.amount != m.amount || pp.payer != payer || pp.amount+a.amount <= m.e.items[a.item].open {
					// The item has room for both: an instalment, say.
					continue
				}
				what := "payment " + pp.id + " of the same amount was proposed for " + m.itemNumber(a.item)
				if h.noAuto == "" {
					h.noAuto = what + " (paid twice?)"
				}
				// Or it is that payment made twice: then it is the
				// debtor's credit balance.
				twice = append(twice, &hyp{debtor: h.debtor, market: originDuplicate, follow: h, refPts: h.refPts,
					named: "the same payer's " + what + ": paid twice?",
					fit:   fitResult{kind: fitOver, diff: m.amount, note: fmtAmount(m.amount, m.e.currencies[m.cur]) + " kept as credit balance"}})
			}
		}
	}
	for _, t := range twice {
		if kept, fresh := m.record(t); fresh {
			m.score(kept)
		}
	}
	for _, h := range m.hyps {
		if h.follow != nil {
			m.trail(h, 0)
		}
	}
	slices.SortStableFunc(m.hyps, rank)
	if len(m.hyps) == 0 || m.hyps[0].score < m.e.r.ProposeThreshold {
		return m.unmatched()
	}
	best := m.hyps[0]
	offer := int32(-1) // an item of another debtor to offer beside best
	if best.noAuto == "" && best.market == originItems && best.score >= m.e.r.AutoThreshold {
		best.noAuto, offer = m.pointsElsewhere(best)
	}
	rivals := 0
	for _, h := range m.hyps[1:] {
		if h.raw() >= best.raw()-ambiguityMargin {
			rivals++
		}
	}
	d := Decision{Payment: m.p, Kind: Proposed, Score: best.score}
	parts := m.explain(best)
	switch {
	case rivals > 0:
		d.Score = min(d.Score, m.e.r.AutoThreshold-1)
		if rivals == 1 {
			parts = append(parts, "but another item set fits as well")
		} else {
			parts = append(parts, fmt.Sprintf("but %d other item sets fit as well", rivals))
		}
	case best.noAuto != "":
		d.Score = min(d.Score, m.e.r.AutoThreshold-1)
		if !strings.Contains(best.fit.note, best.noAuto) {
			parts = append(parts, "not automatic: "+best.noAuto)
		}
	case best.score >= m.e.r.AutoThreshold:
		d.Kind = Auto
	}
	m.fill(&d.Debtor, &d.Allocations, &d.Difference, best)
	d.Explanation = strings.Join(parts, ", ") + fmt.Sprintf(" → %d", d.Score)
	if d.Kind == Auto {
		ev := m.evidence(best.debtor)
		name := strings.TrimSpace(m.p.CounterpartyName)
		if best.market == originItems && best.allRef && best.refPts >= 65 && ev.conflict == "" && (m.iban != "" || name != "") {
			d.Learned = &Learned{Debtor: d.Debtor, IBAN: m.iban, Name: name}
		}
		return d
	}
	alt := func(h *hyp) Proposal {
		p := Proposal{Score: min(h.score, d.Score)}
		m.fill(&p.Debtor, &p.Allocations, &p.Difference, h)
		p.Explanation = strings.Join(m.explain(h), ", ") + fmt.Sprintf(" → %d", p.Score)
		return p
	}
	var named *hyp
	for _, h := range m.hyps[1:] {
		if named == nil && h.namedOnly && h.debtor == best.debtor && !best.namedOnly && h.score > 0 {
			named = h
		}
		if len(d.Alternatives) == 4 {
			continue
		}
		if h.score <= 0 {
			continue
		}
		if h == named {
			named = nil
		}
		d.Alternatives = append(d.Alternatives, alt(h))
	}
	if named != nil {
		// The items the text names, alone, are always offered: where the
		// rest of a lump sum is a guess, a person may book what is sure.
		if len(d.Alternatives) == 4 {
			d.Alternatives = d.Alternatives[:3]
		}
		d.Alternatives = append(d.Alternatives, alt(named))
	}
	if offer < 0 && best.market == originItems && m.evidence(best.debtor).pts < weakPayerPoints {
		// The payer is not identified as best's debtor: the debtor it is
		// may owe the amount.
		offer = m.payerOwes(best)
	}
	if offer >= 0 && !slices.ContainsFunc(d.Alternatives, func(p Proposal) bool {
		return len(p.Allocations) == 1 && p.Allocations[0].Item == m.e.items[offer].id
	}) {
		// The other debtor's item of the amount the payer may have meant
		// comes first among the alternatives: the person deciding sees
		// both readings.
		it := &m.e.items[offer]
		p := Proposal{Score: max(0, d.Score-1), Debtor: m.e.debtors[it.debtor].id,
			Allocations: []Allocation{{Item: it.id, Amount: m.amount}},
			Explanation: m.itemNumber(offer) + " of debtor " + m.e.debtors[it.debtor].id + ", the payer's (" + m.evidence(it.debtor).why +
				"), asks the amount" + fmt.Sprintf(" → %d", max(0, d.Score-1))}
		d.Alternatives = append([]Proposal{p}, d.Alternatives[:min(len(d.Alternatives), 3)]...)
	}
	return d
}

// pointsElsewhere says why a payment that h would book automatically may
// belong to another debtor, "" when nothing does, and the other debtor's
// item to offer beside h when it is not among the hypotheses (-1 else). The text names an open
// item of another debtor clearly, at least as well as h's own items, and
// either h's items are named too but the money is more than they ask (one
// transfer for the invoices of two people) or that item fits the amount
// as well as h's (someone paying for a relative or a customer quotes the
// number, or a customer's typo is another debtor's invoice of the same
// amount: the signals cannot tell the two apart). Or the payer is not
// identified as h's debtor (at most sharing a name with it) but as
// another one, by IBAN, mandate, customer number or a name equal to the
// debtor's, who owes an item of exactly the amount whose number is one
// digit off the number that names h's item: a customer who mistyped their
// own invoice's number into another customer's (where h's item is named
// only in another form than printed, any number of that amount will do). A person decides those:
// the books would otherwise credit the wrong debtor. Another debtor's
// number that does not fit the amount, with h's items found otherwise, is
// a typo and no reason to stop; nor is a payer who shares a name with
// another debtor (people pay for each other, and names repeat: in a large
// ledger a namesake often owes the same catalogue price too).
func (m *matcher) pointsElsewhere(h *hyp) (why string, offer int32) {
	e := m.e
	own := qNone
	for _, hit := range m.hits {
		if slices.Contains(h.items, hit.item) {
			own = max(own, hit.q)
		}
	}
	for _, hit := range m.hits {
		it := &e.items[hit.item]
		if !hit.q.strong() || hit.q < own || it.debtor == h.debtor || it.removed {
			// Named less well than h's own items (a number read in
			// another form, where h's is printed as is): no rival.
			continue
		}
		if slices.ContainsFunc(m.custHits, func(c custHit) bool {
			return c.debtor == h.debtor && c.q.strong() && (strings.Contains(c.text, hit.text) || strings.Contains(hit.text, c.text))
		}) {
			// The text is h's debtor's customer number, whose digits
			// another debtor's document number happens to share.
			continue
		}
		// h's items named too, and money beyond them: the rest may be for
		// the other debtor's item (one transfer for two people).
		both := own.strong() && h.fit.kind == fitOver
		fits := slices.ContainsFunc(m.hyps, func(o *hyp) bool {
			return o.market == originItems && o.debtor == it.debtor && o.fit.kind.close() && slices.Contains(o.items, hit.item)
		})
		if both || fits {
			return "the text names " + m.itemNumber(hit.item) + " of debtor " + e.debtors[it.debtor].id + " too", -1
		}
	}
	if m.evidence(h.debtor).pts >= weakPayerPoints {
		return "", -1
	}
	for _, di := range m.otherPayers(h) {
		if ev := m.evidence(di); ev.conflict == "" && ev.pts >= identifiedPoints {
			if idx := m.mistypedFor(h, di, own < qExact); idx >= 0 {
				return "the payer is not debtor " + e.debtors[h.debtor].id + " but looks like debtor " + e.debtors[di].id + " (" + ev.why + ")", idx
			}
		}
	}
	return "", -1
}

// otherPayers returns the debtors other than h's that the payer may be:
// the candidates and the debtors named like the payer, each once, in that
// order.
func (m *matcher) otherPayers(h *hyp) []int32 {
	var out []int32
	for _, di := range append(slices.Clone(m.candidates()), m.nameSearch()...) {
		if di != h.debtor && !slices.Contains(out, di) {
			out = append(out, di)
		}
	}
	return out
}

// payerOwes returns the one open item, of exactly the payment's amount,
// of a debtor other than h's that the payer is identified as (IBAN,
// mandate, customer number, a name equal to the debtor's), -1 when there
// is none or more than one: a proposal naming another debtor's number
// then offers what the payer's own account says.
func (m *matcher) payerOwes(h *hyp) int32 {
	found := int32(-1)
	for _, di := range m.otherPayers(h) {
		if ev := m.evidence(di); ev.conflict != "" || ev.pts < identifiedPoints {
			continue
		}
		for _, idx := range m.e.debtors[di].items {
			if it := &m.e.items[idx]; !it.removed && it.cur == m.cur && it.open == m.amount {
				if found >= 0 {
					return -1
				}
				found = idx
			}
		}
	}
	return found
}

// weakPayerPoints is where the evidence that the payer is a debtor starts
// to count: a name like the debtor's (25); a shared surname or first name
// (8) does not. identifiedPoints is evidence that identifies the payer:
// an IBAN, a mandate, a customer number, a name equal to the debtor's.
const (
	weakPayerPoints  = 25
	identifiedPoints = 35
)

// mistypedFor returns an item debtor di owes of exactly the
// payment's amount whose number is one digit off (one substituted, or two
// neighbours swapped) a number the text names one of h's items by; or,
// with anyNumber (h's items are named only in another form than printed,
// a number of another document that happens to have the same digits,
// say), whose number is any; -1 when di owes none.
func (m *matcher) mistypedFor(h *hyp, di int32, anyNumber bool) int32 {
	for _, idx := range m.e.debtors[di].items {
		it := &m.e.items[idx]
		if it.removed || it.cur != m.cur || it.open != m.amount {
			continue
		}
		if anyNumber {
			return idx
		}
		owed := m.itemForms(idx)
		for _, hit := range m.hits {
			if !slices.Contains(h.items, hit.item) {
				continue
			}
			named := m.itemForms(hit.item)
			for a := range owed {
				for b := range named {
					if oneDigitOff(owed[a].digits, named[b].digits) {
						return idx
					}
				}
			}
		}
	}
	return -1
}

// oneDigitOff reports whether digit strings a and b, of one length (at
// least 5), differ in one digit or in two neighbouring digits swapped.
func oneDigitOff(a, b string) bool {
	if len(a) != len(b) || len(a) < 5 || a == b {
		return false
	}
	i := 0
	for a[i] == b[i] {
		i++
	}
	if a[i+1:] == b[i+1:] {
		return true
	}
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
}

// mayName returns the number of an open item of h's debtor beyond h's
// that the text names in any way, however weakly (a short form such as
// "/11781" after a full number), "" when none.
func (m *matcher) mayName(h *hyp) string {
	for _, hit := range m.hits {
		if it := &m.e.items[hit.item]; it.debtor == h.debtor && !it.removed && !slices.Contains(h.items, hit.item) {
			return m.itemNumber(hit.item)
		}
	}
	return ""
}

// leavesOutNamed reports whether h leaves out an open item of its debtor
// that a text names clearly.
func (m *matcher) leavesOutNamed(h *hyp) bool {
	for _, hit := range m.hits {
		if hit.q.strong() && m.e.items[hit.item].debtor == h.debtor && !slices.Contains(h.items, hit.item) {
			return true
		}
	}
	return false
}

// subset reports whether every element of a is in b.
func subset(a, b []int32) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// otherOpen returns the smallest open amount (signed like the payment) of
// h's debtor's items in the payment's currency beyond h's, 0 when there is
// none.
func (m *matcher) otherOpen(h *hyp) int64 {
	var least int64
	for _, idx := range m.e.debtors[h.debtor].items {
		it := &m.e.items[idx]
		if v := m.sign * it.open; !it.removed && it.cur == m.cur && v > 0 && !slices.Contains(h.items, idx) && (least == 0 || v < least) {
			least = v
		}
	}
	return least
}

// fill sets a decision's or proposal's debtor, allocations and difference
// from h.
func (m *matcher) fill(debtor *string, allocs *[]Allocation, diff **Difference, h *hyp) {
	*debtor = m.e.debtors[h.debtor].id
	var out []Allocation
	for _, a := range h.fit.allocs {
		out = append(out, Allocation{Item: m.e.items[a.item].id, Amount: a.amount})
	}
	*allocs = out
	if k := h.fit.diffKind(); k != "" && h.fit.diff != 0 {
		*diff = &Difference{Kind: k, Amount: h.fit.diff}
	}
}

// explain lists what a clerk needs to know of h: what named the items (or
// how they were found), how the amount fits, who the payer is.
func (m *matcher) explain(h *hyp) []string {
	var parts []string
	switch {
	case h.market != originItems:
		parts = append(parts, h.named)
		if h.bonusBy != "" && h.market == originDuplicate {
			parts = append(parts, h.bonusBy)
		}
	case h.refPart != "":
		parts = append(parts, h.refPart)
	case h.label != "":
		l := h.label
		if h.bonusBy != "" && h.debPts > 0 {
			l = h.bonusBy
		}
		if len(h.items) == 1 {
			l += " (" + m.itemNumber(h.items[0]) + ")"
		}
		parts = append(parts, l)
	}
	parts = append(parts, h.fit.note)
	if h.market != originMarket {
		ev := m.evidence(h.debtor)
		switch {
		case ev.why != "":
			parts = append(parts, ev.why)
		default:
			parts = append(parts, "payer not identified as debtor "+m.e.debtors[h.debtor].id)
		}
		if ev.conflict != "" {
			parts = append(parts, ev.conflict)
		}
	}
	return parts
}

// unmatched is the decision when nothing is worth proposing: it still
// names the debtor when the payer is identified, and says why nothing fits.
func (m *matcher) unmatched() Decision {
	e := m.e
	d := Decision{Payment: m.p, Kind: Unmatched}
	var parts []string
	amount := fmtAmount(m.amount, m.p.Amount.Currency)
	bestDeb, bestPts := int32(-1), 24
	for _, di := range m.candidates() {
		if ev := m.evidence(di); ev.pts > bestPts && ev.conflict == "" {
			bestDeb, bestPts = di, ev.pts
		}
	}
	if len(m.settled) > 0 {
		h := m.settled[0]
		parts = append(parts, m.itemNumber(h.item)+" in "+h.source+" is already paid (paid twice?)")
		if bestDeb < 0 {
			bestDeb = e.items[h.item].debtor
		}
	}
	if bestDeb >= 0 {
		d.Debtor = e.debtors[bestDeb].id
		parts = append(parts, m.evidence(bestDeb).why+", but no open item of the debtor fits "+amount)
	}
	if len(m.hyps) > 0 {
		best := m.hyps[0]
		d.Score = best.score
		guess := strings.Join(m.explain(best), ", ")
		parts = append(parts, fmt.Sprintf("best guess (%s) scores below %d", guess, e.r.ProposeThreshold))
	}
	if len(parts) == 0 {
		parts = append(parts, "no open item named in the text or fitting "+amount+", payer not known")
	}
	d.Explanation = strings.Join(parts, "; ") + fmt.Sprintf(" → %d", d.Score)
	return d
}
