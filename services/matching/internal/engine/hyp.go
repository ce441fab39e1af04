package engine

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// hyp is one way to apply the payment: a debtor and a set of its items
// with their fit, and the points that make its score.
type hyp struct {
	debtor int32
	items  []int32
	fit    fitResult
	// label says how a set no text named was found, for the explanation.
	label string
	// named is set for a marketplace settlement: "" or how the text named it.
	market  int
	named   string
	bonus   int
	bonusBy string
	noAuto  string

	// namedOnly marks the items the texts name, alone: when they are part
	// of a larger set the amount fits, this is the proposal that leaves
	// the rest to a person (kept as credit, or the items paid in part).
	namedOnly bool
	// follow, when set, is the hypothesis this one is another reading of:
	// it is ranked gap+1 points below it (adjust makes it so).
	follow *hyp
	gap    int
	adjust int

	refPts, debPts, amtPts int
	refPart                string
	allRef                 bool
	score                  int
	key                    string
	due                    int64
}

// The origins of a hypothesis: a set of open items, a marketplace
// settlement, or a payment for items already paid (kept as credit).
const (
	originItems = iota
	originMarket
	originDuplicate
)

// maxCandidates is the most items of one debtor a subset search looks at.
const maxCandidates = 24

// collect builds the hypotheses: a marketplace payout's settlements, the
// candidate debtors' named and fitting items, and failing those the items
// whose open amount equals the payment.
func (m *matcher) collect() {
	if rule := m.marketplaceRule(); rule >= 0 {
		m.marketplaceHyps(rule)
	}
	tried := map[int32]bool{}
	try := func(di int32) {
		if !tried[di] && len(tried) < 8 {
			tried[di] = true
			m.buildFor(di)
		}
	}
	for _, di := range m.candidates() {
		try(di)
	}
	if !m.closeFit() && !m.nameDone && !m.strongHit() {
		for _, di := range m.nameSearch() {
			try(di)
		}
		for _, di := range m.remittanceSearch() {
			try(di)
		}
	}
	m.duplicate()
	if !m.closeFit() && len(m.hits) == 0 {
		if m.amountCount() <= 30 {
			for _, idx := range m.e.ofAmount(m.cur, m.amount, nil) {
				try(m.e.items[idx].debtor)
			}
		}
	}
}

// duplicate adds, for a payment whose text names an item that is already
// paid, the hypothesis that it pays it again: nothing to allocate, the
// whole amount kept as the debtor's credit balance.
func (m *matcher) duplicate() {
	e := m.e
	for _, hit := range m.settled {
		it := &e.items[hit.item]
		if m.sign < 0 || it.amount <= 0 || !hit.q.strong() && !(hit.q == qShort && it.amount == m.amount) {
			continue
		}
		cur := e.currencies[m.cur]
		h := &hyp{debtor: it.debtor, market: originDuplicate, refPts: 65, allRef: true,
			named: m.describeHit(hit) + " in " + hit.source + " is paid already",
			fit:   fitResult{kind: fitOver, diff: m.amount, note: fmtAmount(m.amount, cur) + " kept as credit balance (paid twice?)"}}
		if it.amount == m.amount {
			h.bonus, h.bonusBy = 25, "the amount it was paid with"
			h.fit.note = "same amount as the item, " + h.fit.note
		} else if m.closeFitOf(it.debtor) {
			// A paid invoice's number with another amount, where an open
			// item of the debtor fits the amount, is a transfer template
			// used again for the new invoice rather than money paid twice:
			// that item ranks above it.
			h.refPts = 40
		}
		m.record(h)
	}
	if len(m.settled) > 0 || m.sign < 0 {
		return
	}
	for _, h := range m.hits {
		if h.q.strong() {
			return
		}
	}
	for _, di := range m.candidates() {
		if !m.evidence(di).strong || m.closeFitOf(di) {
			// An open item of the debtor fitting the amount is likelier
			// paid than an earlier payment repeated.
			continue
		}
		for _, i := range e.byDebtorAmt[debtorAmount{di, m.amount}] {
			r := &e.paid[i]
			if r.kind != Auto && r.kind != Confirmed || r.reversed || r.p.Amount.Currency != e.currencies[m.cur] {
				continue
			}
			cleared := true
			for _, a := range r.allocs {
				if idx, ok := e.itemIdx[a.Item]; !ok || e.items[idx].open != 0 {
					cleared = false
				}
			}
			if !cleared {
				continue
			}
			h := &hyp{debtor: di, market: originDuplicate, refPts: 40,
				named: "same amount as payment " + r.p.ID + " of the debtor, which paid " + r.allocs[0].Item + " already",
				fit:   fitResult{kind: fitOver, diff: m.amount, note: fmtAmount(m.amount, e.currencies[m.cur]) + " kept as credit balance (paid twice?)"}}
			h.bonus = 25
			m.record(h)
		}
	}
}

// closeFitOf reports whether a hypothesis so far for debtor di fits
// closely.
func (m *matcher) closeFitOf(di int32) bool {
	for _, h := range m.hyps {
		if h.debtor == di && h.fit.kind.close() {
			return true
		}
	}
	return false
}

// closeFit reports whether some hypothesis so far fits closely.
func (m *matcher) closeFit() bool {
	for _, h := range m.hyps {
		if h.fit.kind.close() {
			return true
		}
	}
	return false
}

// buildFor adds the hypotheses for one debtor: the items the text names
// (together, each alone, subsets of them, and them plus other items when
// the payment is larger), then, unless the named items already fit, sets
// found from the debtor's open items by amount.
func (m *matcher) buildFor(di int32) {
	e := m.e
	d := &e.debtors[di]
	var pos, neg []int32
	big := len(d.items) > 200
	if !big {
		for _, idx := range d.items {
			it := &e.items[idx]
			if it.removed || it.cur != m.cur || it.open == 0 {
				continue
			}
			if m.sign*it.open > 0 {
				pos = append(pos, idx)
			} else {
				neg = append(neg, idx)
			}
		}
		slices.SortFunc(pos, func(a, b int32) int {
			ia, ib := &e.items[a], &e.items[b]
			if c := cmp.Compare(ia.due, ib.due); c != 0 {
				return c
			}
			if c := cmp.Compare(ia.issue, ib.issue); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
	}
	// An item issued after the payment's date is not what a payment
	// naming no item pays (the service does not know it yet then); it
	// stays a candidate only alone or named.
	issued := make([]int32, 0, len(pos))
	for _, idx := range pos {
		if it := &e.items[idx]; it.issue == noDay || m.day == noDay || it.issue <= m.day {
			issued = append(issued, idx)
		}
	}
	var refs []int32
	for _, h := range m.hits {
		if e.items[h.item].debtor == di {
			refs = append(refs, h.item)
		}
	}
	K := e.r.MaxSubsetSize
	if len(refs) > 0 {
		if len(refs) <= K {
			if h := m.add(di, refs, true, ""); h != nil {
				h.namedOnly = true
			}
		}
		if len(refs) > 1 {
			for _, idx := range refs {
				m.add(di, []int32{idx}, true, "")
			}
			var posRefs []int32
			for _, idx := range refs {
				if m.sign*e.items[idx].open > 0 {
					posRefs = append(posRefs, idx)
				}
			}
			if len(posRefs) > 2 {
				m.search(di, posRefs, nil, "")
			}
		}
		var sum int64
		for _, idx := range refs {
			sum = saturate(sum, m.sign*e.items[idx].open)
		}
		if sum > m.target && len(refs) < K {
			// Less than the named items ask: the payer may have deducted
			// a credit note of theirs, named or not.
			m.withCredits(di, refs, neg)
		}
		if sum < m.target && len(refs) < K && len(issued) > 0 {
			var others []int32
			for _, idx := range issued {
				if !slices.Contains(refs, idx) {
					others = append(others, idx)
				}
			}
			m.truncated = false
			start := len(m.hyps)
			m.search(di, others, refs, "with other open items of the debtor")
			var closeSets []*hyp
			for _, h := range m.hyps[start:] {
				if h.fit.kind.close() {
					closeSets = append(closeSets, h)
				}
			}
			if len(closeSets) == 1 && !m.truncated && len(others) <= 12 {
				closeSets[0].bonus, closeSets[0].bonusBy = 20, "the only open items completing the total"
			}
		}
	}
	if m.namedFit(di) {
		return
	}
	if big {
		for _, idx := range e.ofAmount(m.cur, m.amount, nil) {
			if e.items[idx].debtor == di {
				m.add(di, []int32{idx}, false, "open item of that amount")
			}
		}
		return
	}
	m.debtorWide(di, pos, issued, neg)
}

// maxCreditsTried bounds the credit items withCredits tries one by one.
const maxCreditsTried = 8

// withCredits adds the named items refs of debtor di with each of the
// debtor's credit items (neg: open amounts of the other sign) that brings
// them to the payment's amount, and with all of them together: a payer
// who nets a credit note against an invoice pays the difference.
func (m *matcher) withCredits(di int32, refs, neg []int32) {
	if len(neg) == 0 {
		return
	}
	for i, c := range neg {
		if i == maxCreditsTried {
			break
		}
		if !slices.Contains(refs, c) {
			m.add(di, append(slices.Clone(refs), c), false, "with the debtor's credit")
		}
	}
	if len(neg) > 1 && len(neg) <= maxCreditsTried && len(refs)+len(neg) <= m.e.r.MaxSubsetSize {
		all := slices.Clone(refs)
		for _, c := range neg {
			if !slices.Contains(all, c) {
				all = append(all, c)
			}
		}
		m.add(di, all, false, "with the debtor's credits")
	}
}

// namedFit reports whether a set of named items of the debtor fits closely
// or within the tolerances.
func (m *matcher) namedFit(di int32) bool {
	for _, h := range m.hyps {
		if h.debtor != di || h.market != originItems || h.fit.kind > fitFee {
			continue
		}
		all := true
		for _, idx := range h.items {
			if i, ok := m.hitIdx[idx]; !ok || m.hits[i].q == qTypo && h.fit.kind != fitExact {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

// debtorWide finds sets of the debtor's open items by amount alone: all of
// them, the oldest ones, single items and combinations. When exactly one
// set fits closely (and the search saw every combination), that
// uniqueness adds to its score.
func (m *matcher) debtorWide(di int32, pos, issued, neg []int32) {
	if len(pos) == 0 {
		return
	}
	start := len(m.hyps)
	K := m.e.r.MaxSubsetSize
	all := append(slices.Clone(issued), neg...)
	if len(all) > 1 && len(all) <= K {
		m.add(di, all, false, fmt.Sprintf("all %d open items of the debtor", len(all)))
	}
	for k := 1; k < len(issued) && k <= K; k++ {
		if r, ok := m.fit(issued[:k], false); ok && r.kind.close() {
			label := fmt.Sprintf("the %d oldest open items", k)
			if k == 1 {
				label = "the oldest open item"
			}
			m.addFit(di, issued[:k], r, label)
		}
	}
	for _, idx := range pos {
		if r, ok := m.fit([]int32{idx}, false); ok && r.kind != fitOver {
			m.addFit(di, []int32{idx}, r, "open item of that amount")
		}
	}
	truncatedBefore := m.truncated
	m.truncated = false
	if len(issued) > 1 {
		m.search(di, issued, nil, "")
	}
	complete := !m.truncated && len(issued) <= maxCandidates
	m.truncated = m.truncated || truncatedBefore
	var closeSets, discSets, feeSets []*hyp
	for _, h := range m.hyps[start:] {
		switch h.fit.kind {
		case fitExact, fitRounding:
			closeSets = append(closeSets, h)
		case fitDiscount:
			discSets = append(discSets, h)
		case fitFee, fitFX, fitUnder:
			feeSets = append(feeSets, h)
		}
	}
	natural := func(h *hyp) bool {
		return len(h.items) == 1 || strings.HasPrefix(h.label, "all ") || strings.HasPrefix(h.label, "the ")
	}
	switch {
	case !complete:
	case len(closeSets) == 1:
		h := closeSets[0]
		h.bonus, h.bonusBy = 0, "the only combination of that amount"
		if natural(h) || len(issued) <= 12 {
			h.bonus = 30
		}
		if natural(h) {
			h.bonusBy = "the only fitting set"
		}
		if len(h.items) == 1 {
			h.bonusBy = "the only open item of that amount"
		}
	case len(closeSets) > 1:
		if h, alone := m.earliestDue(closeSets); h != nil && alone {
			h.bonus = 10
			if m.evidence(di).strong {
				h.bonus = 30
			}
			h.bonusBy = fmt.Sprintf("the only one due of %d open items of that amount (§366 BGB)", len(closeSets))
		} else if h != nil {
			// Several are due (or none is): §366 would take the earliest
			// due, but which one the payer meant is a guess, so a person
			// decides. The earliest due is proposed first.
			h.bonus, h.bonusBy = 3, fmt.Sprintf("the earliest due of %d open items of that amount (§366 BGB)", len(closeSets))
			h.noAuto = fmt.Sprintf("%d open items of that amount, %s", len(closeSets), m.dueCount(closeSets))
		}
	case len(discSets) == 1:
		h := discSets[0]
		h.bonus, h.bonusBy = 0, "the only fitting set"
		if natural(h) || len(issued) <= 12 {
			h.bonus = 25
		}
	case len(discSets) == 0 && len(feeSets) == 1:
		feeSets[0].bonus, feeSets[0].bonusBy = 10, "the only fitting set"
	}
	if ev := m.evidence(di); !ev.strong && m.coincidence() > 0.01 {
		// Known by name only, and the amount is common: a payer of that
		// name may pay it for anything.
		for _, h := range m.hyps[start:] {
			h.bonus = min(h.bonus, 10)
		}
	}
	if len(closeSets) == 0 && len(discSets) == 0 {
		// A single item within the tolerances ranks above the readings;
		// a combination of several within them is as likely chance.
		var anchor *hyp
		for _, h := range feeSets {
			if m.partialHint() {
				// The text says partial: the readings are no second best.
				break
			}
			if len(h.items) == 1 && (anchor == nil || h.raw() > anchor.raw()) {
				anchor = h
			}
		}
		m.readings(di, issued, all, anchor)
	}
}

// partialWords are what payers write on a partial payment or instalment.
var partialWords = regexp.MustCompile(`(?i)\b(?:teilzahlung|teilbetrag|anzahlung|abschlag\w*|akonto|a\s?conto|rate|ratenzahlung|partial|part\s+payment|instal+ment)\b`)

// partialHint reports whether the remittance says the payment is a
// partial one.
func (m *matcher) partialHint() bool {
	if m.hint == 0 {
		m.hint = 1
		if partialWords.MatchString(m.p.Remittance) {
			m.hint = 2
		}
	}
	return m.hint == 2
}

// Readings are what a clerk would look at when the payer is known but no
// set of its items fits the amount: the payment applied by §366 (2) BGB
// (the items due first, the last partly, or all of them and the rest kept
// as credit), an item whose cash discount was deducted after its period
// (a partial payment), and single items paid in part or overpaid. They
// are proposals only, ranked below a single item that fits within the
// tolerances: a person decides.
const (
	// maxReadings is the most single-item readings of each kind (partial,
	// overpaid) one debtor gets.
	maxReadings = 4
	// readingBonus is the bonus of the first reading; the others get less.
	readingBonus = 20
	// nameOnlyReading is what the readings of a debtor known by name alone
	// score less: below the threshold of proposals.
	nameOnlyReading = 10
	// hintPoints is what a text speaking of a partial payment adds to the
	// partial readings and takes from the overpaid ones.
	hintPoints = 6
	// partShare is the least share of an item's open amount a partial
	// payment is taken to pay without other evidence: instalments and
	// payments short by a disputed part pay a good share of an item.
	partShare = 0.1
)

// readings records the readings of debtor di's open items pos (ordered by
// due date) and all (with its credit items). anchor, when set, is the
// best single item that fits within the tolerances: the readings then
// rank right below it, in their order.
func (m *matcher) readings(di int32, pos, all []int32, anchor *hyp) {
	e := m.e
	if len(pos) == 0 {
		return
	}
	type reading struct {
		h     *hyp
		bonus int
	}
	var got []reading
	add := func(S []int32, partial bool, label string, bonus int, noAuto string) {
		h := m.reading(di, S, partial, label, noAuto)
		if h == nil {
			return
		}
		for i := range got {
			if got[i].h == h {
				got[i].bonus = max(got[i].bonus, bonus)
				return
			}
		}
		got = append(got, reading{h, bonus})
	}
	const noAuto = "no set of the debtor's items fits the amount"
	var sum int64
	k := 0
	for k < len(pos) && sum < m.target {
		sum = saturate(sum, m.sign*e.items[pos[k]].open)
		k++
	}
	if sum > m.target {
		label := "the open items due first (§366 BGB)"
		if k == 1 {
			label = "the open item due first (§366 BGB)"
		}
		if len(pos) == 1 {
			label = "the only open item of the debtor"
		}
		add(pos[:k], true, label, readingBonus, noAuto)
	} else if sum < m.target {
		label := fmt.Sprintf("all %d open items of the debtor", len(all))
		if len(all) == 1 {
			label = "the only open item of the debtor"
		}
		add(all, false, label, readingBonus, "more than the debtor owes")
	}
	type single struct {
		idx   int32
		close float64
		prior int
	}
	var over, part []single
	payer := payerKey(m.p)
	for _, idx := range pos {
		it := &e.items[idx]
		v := m.sign * it.open
		switch {
		case v < m.target:
			over = append(over, single{idx: idx, close: float64(m.target-v) / float64(m.target)})
		case v > m.target:
			if late, n, _, _ := m.discount([]int32{idx}, false); n > 0 && abs(m.target+late-v) <= 1 {
				// The item's cash discount deducted after its period.
				add([]int32{idx}, true, "open item paid less its cash discount", readingBonus+2, "the cash discount period is over")
				continue
			}
			// An item the payer's earlier payment was proposed for, or one
			// paid in part already, is likelier paid on; so is one of which
			// the payment is a good share.
			s := single{idx: idx}
			for _, pp := range e.pending[idx] {
				if pp.payer == payer {
					s.prior += 4
				}
			}
			if it.open != it.amount {
				s.prior += 2
			}
			if float64(m.target) >= partShare*float64(v) {
				s.prior++
			}
			part = append(part, s)
		}
	}
	if len(pos) > 1 {
		slices.SortStableFunc(over, func(a, b single) int { return cmp.Compare(a.close, b.close) })
		slices.SortStableFunc(part, func(a, b single) int { return cmp.Compare(b.prior, a.prior) })
		hint := 0
		if m.partialHint() {
			hint = hintPoints
		}
		for i, s := range over[:min(len(over), maxReadings)] {
			add([]int32{s.idx}, false, "open item paid more than it asks", readingBonus-2-2*i-2*hint, noAuto)
		}
		for i, s := range part[:min(len(part), maxReadings)] {
			add([]int32{s.idx}, true, "open item paid in part", readingBonus-4-2*i+hint, noAuto)
		}
	}
	// The first ranks where a partial payment with readingBonus would,
	// the others right below it (or all below the anchor), in order.
	slices.SortStableFunc(got, func(a, b reading) int { return cmp.Compare(b.bonus, a.bonus) })
	for i, r := range got {
		r.h.bonus = 0
		switch {
		case anchor != nil:
			r.h.follow, r.h.gap = anchor, i
		case i == 0:
			r.h.bonus = readingBonus + amountPoints[fitPartial] - amountPoints[r.h.fit.kind]
			if !m.evidence(di).strong {
				// Known by name alone: many share a name, and nothing of
				// theirs fits; shown only next to better proposals.
				r.h.bonus -= nameOnlyReading
			}
		default:
			r.h.follow, r.h.gap = got[0].h, i-1
		}
	}
}

// reading records one reading and returns it, or returns nil when the
// amount fits its items otherwise than as a partial payment or an
// overpayment (then another rule has weighed it) or when the same
// allocations are recorded already with an item a text names.
func (m *matcher) reading(di int32, S []int32, allowPartial bool, label string, noAuto string) *hyp {
	r, ok := m.fit(S, allowPartial)
	if !ok || r.kind != fitPartial && r.kind != fitOver {
		return nil
	}
	kept, fresh := m.record(&hyp{debtor: di, items: slices.Clone(S), fit: r, label: label, bonusBy: label, noAuto: noAuto})
	if fresh {
		if len(S) == 1 {
			m.otherReading(kept)
		}
		return kept
	}
	for _, idx := range S {
		if _, named := m.hitIdx[idx]; named {
			// A named item's reading is weighed by its reference.
			return nil
		}
	}
	kept.label, kept.bonusBy, kept.follow = label, label, nil
	if kept.noAuto == "" {
		kept.noAuto = noAuto
	}
	return kept
}

// earliestDue returns, of sets that are each one item of the same open
// amount, the one due first (then issued first), nil when the sets differ
// otherwise or two tie. alone reports whether it is the only one due on
// the payment's date while the others are not due yet: a payment that
// names no item pays, by §366 (2) BGB, the claim due first, which is then
// no guess; the ledger allocates such a payment the same way. When several
// are due (or none is) the payer may have meant any of them.
func (m *matcher) earliestDue(sets []*hyp) (best *hyp, alone bool) {
	e := m.e
	tie := false
	due := 0
	for _, h := range sets {
		if len(h.items) != 1 || e.items[h.items[0]].open != e.items[sets[0].items[0]].open {
			return nil, false
		}
		if it := &e.items[h.items[0]]; it.due != noDay && m.day != noDay && it.due <= m.day {
			due++
		}
		if best == nil {
			best = h
			continue
		}
		a, b := &e.items[h.items[0]], &e.items[best.items[0]]
		switch {
		case a.due < b.due || (a.due == b.due && a.issue < b.issue):
			best, tie = h, false
		case a.due == b.due && a.issue == b.issue:
			tie = true
		}
	}
	if tie {
		return nil, false
	}
	return best, due == 1
}

// dueCount says how many of the one-item sets are due on the payment's
// date.
func (m *matcher) dueCount(sets []*hyp) string {
	due := 0
	for _, h := range sets {
		if it := &m.e.items[h.items[0]]; it.due != noDay && m.day != noDay && it.due <= m.day {
			due++
		}
	}
	switch due {
	case 0:
		return "none of them due yet"
	case len(sets):
		return "all of them due"
	}
	return fmt.Sprintf("%d of them due", due)
}

// add fits the items S and records the hypothesis; nil when they do not
// fit or the same allocations were recorded before.
func (m *matcher) add(di int32, S []int32, allowPartial bool, label string) *hyp {
	r, ok := m.fit(S, allowPartial)
	if !ok {
		return nil
	}
	return m.addFit(di, S, r, label)
}

// addFit records a fitted set; nil when the same allocations were
// recorded before.
func (m *matcher) addFit(di int32, S []int32, r fitResult, label string) *hyp {
	h := &hyp{debtor: di, items: slices.Clone(S), fit: r, label: label}
	if len(S) > 1 && r.kind == fitPartial {
		h.noAuto = "a partial payment of several items"
	}
	kept, fresh := m.record(h)
	if len(S) == 1 {
		m.otherReading(h)
	}
	if fresh {
		return kept
	}
	return nil
}

// otherReading records the other way to read a small shortfall on one
// item, as a proposal a person may prefer: a bank fee may be a partial
// payment and a partial payment's small rest a bank fee. It scores below
// the reading the tolerance gives, so it never decides a payment by itself.
func (m *matcher) otherReading(h *hyp) {
	e := m.e
	idx := h.items[0]
	short := m.sign*e.items[idx].open - m.target
	if short <= 0 || short > max(e.r.Tolerance.AbsoluteMinor, e.r.Tolerance.RoundingMinor) {
		return
	}
	cur := e.currencies[m.cur]
	alt := &hyp{debtor: h.debtor, items: h.items, label: h.label, bonus: -25, noAuto: "another reading of the shortfall"}
	switch h.fit.kind {
	case fitFee:
		alt.fit = fitResult{kind: fitPartial, open: h.fit.open, allocs: []alloc{{idx, m.amount}},
			note: "partial payment, " + fmtAmount(short, cur) + " stays open"}
	case fitPartial:
		alt.fit = fitResult{kind: fitFee, open: h.fit.open, allocs: []alloc{{idx, e.items[idx].open}}, diff: -m.sign * short,
			note: fmtAmount(short, cur) + " short, booked as bank fee"}
	default:
		return
	}
	switch ratio := short * 100 / h.fit.open; {
	case m.partialHint() && h.fit.kind == fitFee:
		// The text says it is a partial payment: that reading, and the fee
		// only proposed below it (see decide).
		alt.bonus, alt.noAuto = 0, ""
	case ratio > 15 && ratio <= 30:
		// Neither reading is clearly right: both are proposed.
		alt.follow = h
	}
	m.record(alt)
}

// record keeps h unless the same allocations are already there; it
// returns the hypothesis kept and whether it is h.
func (m *matcher) record(h *hyp) (*hyp, bool) {
	var b strings.Builder
	as := slices.Clone(h.fit.allocs)
	slices.SortFunc(as, func(a, b alloc) int { return cmp.Compare(a.item, b.item) })
	for _, a := range as {
		b.WriteString(strconv.Itoa(int(a.item)))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(a.amount, 10))
		b.WriteByte(' ')
	}
	b.WriteString(string(h.fit.diffKind()))
	if len(as) == 0 {
		b.WriteString(" debtor:" + strconv.Itoa(int(h.debtor)))
	}
	h.key = b.String()
	for _, a := range h.fit.allocs {
		h.due += int64(m.e.items[a.item].due)
	}
	if i, ok := m.keys[h.key]; ok {
		old := m.hyps[i]
		if h.market > old.market || (h.market == old.market && h.label == "" && old.label != "") {
			m.hyps[i] = h
			return h, true
		}
		return old, false
	}
	m.keys[h.key] = len(m.hyps)
	m.hyps = append(m.hyps, h)
	return h, true
}

// score sums a hypothesis's points: how well the text names its items, how
// surely the payer is its debtor, how the amount fits, and whether it is
// the only set that fits.
func (m *matcher) score(h *hyp) {
	if h.market != originMarket {
		h.debPts = m.evidence(h.debtor).pts
	}
	if h.market == originItems {
		h.refPts, h.refPart, h.allRef = m.refPoints(h)
	}
	h.amtPts = h.fit.points()
	if h.market == originDuplicate {
		h.amtPts = 0
	}
	h.score = min(100, max(0, h.raw()))
}

// refPoints is how well the texts name the items of h.
func (m *matcher) refPoints(h *hyp) (pts int, part string, all bool) {
	covered, minQ := 0, qStructured
	var names []string
	for _, idx := range h.items {
		i, ok := m.hitIdx[idx]
		if !ok {
			continue
		}
		hit := m.hits[i]
		if hit.q == qTypo && h.fit.kind != fitExact {
			continue
		}
		covered++
		minQ = min(minQ, hit.q)
		names = append(names, m.describeHit(hit))
	}
	n := len(h.items)
	switch {
	case covered == 0:
	case covered == n:
		all = true
		switch minQ {
		case qStructured:
			pts = 70
		case qExact, qNormalized:
			pts = 65
		case qCut, qTypo:
			pts = 50
		default:
			pts = 45
		}
	default:
		pts = 15
		if minQ.strong() {
			pts = 20
		}
		pts += 30 * covered / n
	}
	for _, hit := range m.hits {
		if hit.q.strong() && m.e.items[hit.item].debtor == h.debtor && !slices.Contains(h.items, hit.item) {
			pts -= 15
			break
		}
	}
	if covered > 0 {
		src := ""
		for _, idx := range h.items {
			if i, ok := m.hitIdx[idx]; ok {
				src = m.hits[i].source
				break
			}
		}
		if len(names) > 3 {
			names = append(names[:3], fmt.Sprintf("%d more", len(names)-3))
		}
		part = strings.Join(names, ", ") + " in " + src
		if covered < n {
			part += fmt.Sprintf(" (%d of %d items named)", covered, n)
		}
	}
	return pts, part, all
}

// describeHit says what the text said and which item that is.
func (m *matcher) describeHit(h refHit) string {
	number := m.itemNumber(h.item)
	switch h.q {
	case qTypo:
		return h.text + " read as " + number + " (one digit off, amount equal)"
	case qCut:
		return h.text + " (cut off) = " + number
	case qStructured, qExact:
		if strings.EqualFold(strings.Join(strings.Fields(h.text), ""), strings.Join(strings.Fields(number), "")) {
			return number
		}
	}
	if h.text == number {
		return number
	}
	return h.text + " = " + number
}

// search adds the combinations of cands (with forced always in) whose
// total fits the payment, exactly, with a cash discount or within the
// tolerances. It looks at no more than maxCandidates items (cands is
// ordered by priority) and a bounded number of nodes per payment.
func (m *matcher) search(di int32, cands, forced []int32, label string) {
	e := m.e
	K := e.r.MaxSubsetSize - len(forced)
	if K <= 0 {
		return
	}
	var fsum int64
	for _, idx := range forced {
		fsum = saturate(fsum, m.sign*e.items[idx].open)
	}
	a := m.target - fsum
	if a <= 0 {
		return
	}
	var c []int32
	for _, idx := range cands {
		if m.sign*e.items[idx].open > 0 && !slices.Contains(forced, idx) {
			c = append(c, idx)
		}
	}
	if len(c) > maxCandidates {
		c = c[:maxCandidates]
		m.truncated = true
	}
	if len(c) == 0 {
		return
	}
	tol := &e.r.Tolerance
	over := max(tol.RoundingMinor, e.r.feeLimit(a+tol.AbsoluteMinor), e.r.WriteOffLimitMinor)
	under := tol.RoundingMinor
	if e.currencies[m.cur] != e.r.HomeCurrency {
		fx := e.r.fxLimit(a)
		over, under = max(over, fx), max(under, fx)
	}
	vals := make([]int64, len(c))
	for i, idx := range c {
		vals[i] = m.sign * e.items[idx].open
	}
	// Among many items some combination is within a few cents of almost any
	// amount: a combination of more than a few candidates must fit exactly
	// or with a cash discount, not within a tolerance.
	loose := len(c) <= 10
	try := func(vals []int64, lo, hi int64) {
		sols, complete := subsetSums(vals, lo, hi, K, &m.budget, 24)
		if !complete {
			m.truncated = true
		}
		for _, mask := range sols {
			S := slices.Clone(forced)
			for i := range c {
				if mask&(1<<i) != 0 {
					S = append(S, c[i])
				}
			}
			r, ok := m.fit(S, false)
			if !ok || r.kind == fitOver || (!loose && len(S) > 1 && r.kind != fitExact && r.kind != fitDiscount) {
				continue
			}
			l := label
			if l == "" {
				l = fmt.Sprintf("%d open items found by their total", len(S))
			}
			m.addFit(di, S, r, l)
		}
	}
	if loose {
		try(vals, a-under, a+over)
	} else {
		try(vals, a, a)
	}
	discounted := func(idx int32) int64 {
		it := &e.items[idx]
		v := m.sign * it.open
		if it.discBP > 0 && it.until != noDay && m.day != noDay && m.day <= it.until+int32(e.r.CashDiscountGraceDays) && v > 0 {
			if x, err := mulDiv(v, int64(it.discBP)); err == nil && x > 0 {
				return v - x
			}
		}
		return v
	}
	disc := make([]int64, len(c))
	hasDisc := false
	for i, idx := range c {
		disc[i] = discounted(idx)
		hasDisc = hasDisc || disc[i] != vals[i]
	}
	ad := m.target
	for _, idx := range forced {
		if d := discounted(idx); d != m.sign*e.items[idx].open {
			hasDisc = true
		}
		ad -= discounted(idx)
	}
	if hasDisc && ad > 0 {
		slack := int64(min(K, len(c)+len(forced)))
		try(disc, ad-slack, ad+slack)
	}
}

// mulDiv is v * bp / 10000 rounded half away from zero.
func mulDiv(v, bp int64) (int64, error) {
	x := v / 10000 * bp
	r := v % 10000 * bp
	q := r / 10000
	if r%10000 >= 5000 {
		q++
	}
	return x + q, nil
}

// subsetSums returns bit masks of subsets of vals (all positive) with at
// most maxN members whose sum lies in [lo, hi], at most maxSols of them,
// visiting no more nodes than *budget allows (and using them up). complete
// is false when the budget or maxSols cut the search short. When the
// payment is more than half of all items together it searches the
// complement instead, which is the smaller search.
func subsetSums(vals []int64, lo, hi int64, maxN int, budget *int, maxSols int) (sols []uint64, complete bool) {
	n := len(vals)
	if n == 0 || n > 64 {
		return nil, n == 0
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(vals[b], vals[a]) })
	var total int64
	for _, v := range vals {
		total = saturate(total, v)
	}
	complement := lo > total/2 && n > 8
	minN := 0
	if complement {
		lo, hi = total-hi, total-lo
		minN, maxN = n-maxN, n
	}
	sorted := make([]int64, n)
	suffix := make([]int64, n+1)
	for i, o := range order {
		sorted[i] = vals[o]
	}
	for i := n - 1; i >= 0; i-- {
		suffix[i] = saturate(suffix[i+1], sorted[i])
	}
	complete = true
	var full uint64
	if n == 64 {
		full = ^uint64(0)
	} else {
		full = 1<<n - 1
	}
	var rec func(i int, sum int64, cnt int, mask uint64)
	rec = func(i int, sum int64, cnt int, mask uint64) {
		if !complete {
			return
		}
		if *budget <= 0 {
			complete = false
			return
		}
		*budget--
		if sum >= lo && sum <= hi && cnt >= minN && cnt > 0 {
			var out uint64
			for k := range n {
				if mask&(1<<k) != 0 {
					out |= 1 << order[k]
				}
			}
			if complement {
				out = ^out & full
			}
			if out != 0 {
				sols = append(sols, out)
				if len(sols) >= maxSols {
					complete = false
					return
				}
			}
		}
		if cnt == maxN {
			return
		}
		for j := i; j < n; j++ {
			if cnt+1+(n-j-1) < minN || sum+suffix[j] < lo {
				break
			}
			if sum+sorted[j] > hi {
				continue
			}
			rec(j+1, sum+sorted[j], cnt+1, mask|1<<j)
		}
	}
	if lo <= 0 && hi >= 0 && complement && minN <= 0 {
		// Every item: the empty complement.
		sols = append(sols, full)
	}
	rec(0, 0, 0, 0)
	return sols, complete
}
