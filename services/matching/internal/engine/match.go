package engine

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/o2c-platform/o2c/libs/money"
)

// matcher is the work of one Match call.
type matcher struct {
	e      *Engine
	p      Payment
	amount int64 // signed, as paid
	sign   int64 // 1 for money received, -1 for money out
	target int64 // sign * amount: what the items must add up to, positive
	cur    uint16
	day    int32
	payer  nameInfo
	iban   string

	hits     []refHit
	hitIdx   map[int32]int
	settled  []refHit
	settle   []string // settlement ids (full forms) named in the text
	custHits []custHit
	ev       map[int32]*debtorEv

	nameDone  bool
	nameCands []int32
	// remName is a name the remittance gives (see remittanceName).
	remParsed, remDone bool
	remName            nameInfo
	remCands           []int32
	cands              []int32
	// nameTwins counts the debtors whose name equals the payer's.
	nameTwins int
	// hint caches partialHint (0 unknown, 1 no, 2 yes).
	hint uint8

	// cut is set when a text looks cut off by the bank.
	cut       bool
	hyps      []*hyp
	keys      map[string]int
	budget    int
	truncated bool
	forms     map[int32]*[3]forms
	one       [1]int32
}

// refHit is an open item a text names.
type refHit struct {
	item   int32
	q      quality
	text   string
	source string
	pos    int
}

// custHit is a debtor whose customer number a text names.
type custHit struct {
	debtor int32
	q      quality
	text   string
}

// searchBudget bounds the subset-search nodes one payment may visit.
const searchBudget = 60000

// Match decides what payment p pays: the debtor, the open items and
// amounts, the difference, a score and a one-line explanation. It changes
// nothing; Apply books the decision, and must be called (in input order)
// before the next payment is matched against the same items.
func (e *Engine) Match(p Payment) Decision {
	m := &matcher{
		e: e, p: p, amount: p.Amount.Minor, sign: 1,
		day: dayOf(p.date()), payer: parseName(p.CounterpartyName), iban: normIBAN(p.CounterpartyIBAN),
		hitIdx: map[int32]int{}, ev: map[int32]*debtorEv{}, keys: map[string]int{}, budget: searchBudget,
		forms: map[int32]*[3]forms{},
	}
	if reason := m.invalid(); reason != "" {
		return Decision{Payment: p, Kind: Unmatched, Explanation: reason}
	}
	e.internName(&m.payer)
	if m.amount < 0 {
		m.sign = -1
	}
	m.target = m.sign * m.amount
	cur, ok := e.curIdx[p.Amount.Currency]
	if !ok {
		return Decision{Payment: p, Kind: Unmatched,
			Explanation: "no open item is in " + p.Amount.Currency + " → 0"}
	}
	m.cur = cur
	if d, ok := m.collection(); ok {
		return d
	}
	if m.isReturn() {
		return m.matchReturn()
	}
	m.findRefs()
	m.collect()
	return m.decide()
}

// invalid says why a payment cannot be matched at all, "" when it can.
func (m *matcher) invalid() string {
	switch {
	case !knownCurrency(m.p.Amount.Currency):
		return "currency " + m.p.Amount.Currency + " is not an ISO 4217 currency → 0"
	case !money.InBounds(m.amount) || m.amount == math.MinInt64:
		return "amount beyond what o2c books → 0"
	case m.amount == 0:
		return "amount zero: nothing to apply → 0"
	}
	return ""
}

// itemForms returns the forms of an item's document number, order id and
// payment reference.
func (m *matcher) itemForms(idx int32) *[3]forms {
	if f, ok := m.forms[idx]; ok {
		return f
	}
	it := &m.e.items[idx]
	var f [3]forms
	var buf [16]atom
	for k, s := range [...]string{it.doc, it.order, it.ref} {
		if s != "" {
			f[k] = formsOf(atomize(s, buf[:0]))
		}
	}
	m.forms[idx] = &f
	return &f
}

// itemNumber is the number a clerk knows an item by.
func (m *matcher) itemNumber(idx int32) string {
	it := &m.e.items[idx]
	for _, s := range [...]string{it.doc, it.order, it.ref} {
		if s != "" {
			return s
		}
	}
	return it.id
}

type source struct {
	name, text string
	whole      bool
}

func (m *matcher) sources() []source {
	src := []source{{name: "remittance", text: m.p.Remittance}}
	if id := e2e(m.p.EndToEndID); id != "" {
		src = append(src, source{name: "end-to-end id", text: id, whole: true})
	}
	for _, cr := range m.p.CreditorReferences {
		if strings.TrimSpace(cr) != "" {
			src = append(src, source{name: "creditor reference", text: cr, whole: true})
		}
	}
	return src
}

// findRefs looks for the open items and customer numbers the payment's
// texts name.
func (m *matcher) findRefs() {
	srcs := m.sources()
	var atoms []atom
	var texts []string
	for _, src := range srcs {
		if strings.TrimSpace(src.text) == "" {
			continue
		}
		if src.whole {
			f := formsOf(atomize(src.text, atoms[:0]))
			structured := validRF(f.full) || validQRR(f.digits)
			f.each(func(form string) {
				m.lookup(form, f.joined(form), strings.TrimSpace(src.text), src.name, structured || form == f.full)
			})
		}
		// A machine-made id (end-to-end id, creditor reference) has no
		// date glued to it: its digits are not split.
		texts = searchTexts(src.text, !src.whole, texts[:0])
		for _, variant := range texts {
			atoms = atomize(variant, atoms[:0])
			starts := atomStarts(variant, atoms)
			dates := dateSpans(variant)
			windows(atoms, func(w window) {
				if inSpans(dates, starts[w.i], atoms[w.j].end) {
					return
				}
				text := variant[starts[w.i]:atoms[w.j].end]
				structured := (atoms[w.i].s == "RF" && validRF(w.forms.full)) || (len(w.forms.digits) == 27 && validQRR(w.forms.digits))
				w.forms.each(func(form string) {
					joined := w.forms.joined(form) && !spacedDigits(variant, atoms[w.i:w.j+1])
					m.lookup(form, joined, text, src.name, structured && form == w.forms.full || structured && form == w.forms.digits)
					m.lookupCustomer(form, text)
				})
			})
		}
		for _, re := range m.e.r.numberPatterns {
			for _, found := range re.FindAllString(strings.ToUpper(src.text), 8) {
				f := formsOf(atomize(found, atoms[:0]))
				f.each(func(form string) { m.lookup(form, f.joined(form), found, src.name, false) })
			}
		}
	}
	for _, src := range srcs {
		if truncated(utf8.RuneCountInString(src.text)) && !m.endsWithHit(src.text) {
			m.cut = true
		}
	}
	if !m.strongHit() {
		m.findCut(srcs)
	}
	if !m.strongHit() || !m.exactHit() {
		m.findTypos(srcs)
	}
}

// endsWithHit reports whether text ends with a number a text names
// clearly: then a text of a length banks cut at is whole all the same.
func (m *matcher) endsWithHit(text string) bool {
	text = strings.TrimSpace(text)
	for _, h := range m.hits {
		if h.q.strong() && strings.HasSuffix(text, h.text) {
			return true
		}
	}
	for _, h := range m.settled {
		if h.q.strong() && strings.HasSuffix(text, h.text) {
			return true
		}
	}
	return false
}

// atomStarts returns the byte offset where each atom starts.
func atomStarts(s string, atoms []atom) []int {
	out := make([]int, len(atoms))
	for i, a := range atoms {
		out[i] = a.end - len(a.s)
	}
	return out
}

// strongHit reports whether a text names an item (open or paid) clearly.
func (m *matcher) strongHit() bool {
	for _, h := range m.hits {
		if h.q.strong() {
			return true
		}
	}
	for _, h := range m.settled {
		if h.q.strong() {
			return true
		}
	}
	return false
}

// exactHit reports whether a text names an item whose open amount the
// payment equals.
func (m *matcher) exactHit() bool {
	for _, h := range m.hits {
		if m.e.items[h.item].open == m.amount {
			return true
		}
	}
	return false
}

// bigPosting is the number of items above which a number form is no
// longer taken as naming items, unless they form one settlement.
const bigPosting = 40

func (m *matcher) lookup(form string, joined bool, text, src string, structured bool) {
	e := m.e
	ids := e.refs.get(e.hash(form), m.one[:0])
	if len(ids) > bigPosting {
		if !slices.Contains(m.settle, form) {
			m.settle = append(m.settle, form)
		}
		return
	}
	for _, idx := range ids {
		it := &e.items[idx]
		if it.removed {
			continue
		}
		f := m.itemForms(idx)
		q := qNone
		for k := range f {
			q = max(q, f[k].compare(form, joined))
		}
		if q == qNone {
			continue
		}
		if structured && (form == f[2].full || form == f[2].digits) {
			q = qStructured
		}
		m.addHit(refHit{item: idx, q: q, text: text, source: src})
	}
}

func (m *matcher) addHit(h refHit) {
	it := &m.e.items[h.item]
	if it.cur != m.cur {
		return
	}
	if it.open == 0 {
		for k := range m.settled {
			if m.settled[k].item == h.item {
				if h.q > m.settled[k].q {
					m.settled[k] = h
				}
				return
			}
		}
		m.settled = append(m.settled, h)
		return
	}
	if i, ok := m.hitIdx[h.item]; ok {
		if h.q > m.hits[i].q {
			h.pos = m.hits[i].pos
			m.hits[i] = h
		}
		return
	}
	h.pos = len(m.hits)
	m.hitIdx[h.item] = len(m.hits)
	m.hits = append(m.hits, h)
}

func (m *matcher) lookupCustomer(form, text string) {
	e := m.e
	var buf [1]int32
	for _, di := range e.custs.get(e.hash(form), buf[:0]) {
		q := formsOf(atomize(e.debtors[di].cust, nil)).compare(form, false)
		if q == qNone {
			continue
		}
		found := false
		for k := range m.custHits {
			if m.custHits[k].debtor == di {
				found = true
				if q > m.custHits[k].q {
					m.custHits[k].q, m.custHits[k].text = q, text
				}
			}
		}
		if !found {
			m.custHits = append(m.custHits, custHit{debtor: di, q: q, text: text})
		}
	}
}

// findCut looks for a number cut off at the end of a text the bank
// truncated: the text's last characters as the start of an item's number.
func (m *matcher) findCut(srcs []source) {
	for _, src := range srcs {
		text := strings.TrimRight(src.text, " ")
		if !truncated(utf8.RuneCountInString(src.text)) || text == "" || !isAlnum(text[len(text)-1]) {
			continue
		}
		m.cut = true
		atoms := atomize(text, nil)
		starts := atomStarts(text, atoms)
		last := len(atoms) - 1
		for i := max(0, last-4); i <= last; i++ {
			if !windowStart(atoms[i]) {
				continue
			}
			f := formsOf(atoms[i:])
			found := false
			for k, form := range [...]string{f.full, f.digits} {
				if len(form) < 5 {
					continue
				}
				from := starts[i]
				if k == 1 {
					// The digits matched: quote them from the first digit.
					for j := i; j <= last; j++ {
						if atoms[j].digit {
							from = starts[j]
							break
						}
					}
				}
				ids := m.e.prefix.query(form, 5, nil)
				if len(ids) == 0 || len(ids) > 5 {
					continue
				}
				for _, idx := range ids {
					if m.e.items[idx].removed {
						continue
					}
					fs := m.itemForms(idx)
					for k := range fs {
						if (len(fs[k].full) > len(form) && strings.HasPrefix(fs[k].full, form)) ||
							(len(fs[k].digits) > len(form) && strings.HasPrefix(fs[k].digits, form)) {
							m.addHit(refHit{item: idx, q: qCut, text: text[from:] + "…", source: src.name})
							found = true
							break
						}
					}
				}
			}
			if found {
				break
			}
		}
	}
}

func isAlnum(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }

// typoLengths are the digit counts of the items' document numbers common
// enough (at least 5 % of them) to search for with one digit mistyped.
func (m *matcher) typoLengths() map[int]bool {
	out := map[int]bool{}
	for n, c := range m.e.digitLens {
		if n >= 5 && c*20 >= m.e.numbered {
			out[n] = true
		}
	}
	return out
}

// findTypos looks for numbers of the items' shape with one digit
// substituted or two neighbouring digits swapped. Such a hit counts only
// when the amount agrees exactly (see hypotheses).
func (m *matcher) findTypos(srcs []source) {
	lens := m.typoLengths()
	tried := 0
	var typos []refHit
	defer func() {
		// Several items one digit away with the amount: none is named.
		if len(typos) <= 2 {
			for _, h := range typos {
				m.addHit(h)
			}
		}
	}()
	for _, src := range srcs {
		atoms := atomize(src.text, nil)
		starts := atomStarts(src.text, atoms)
		windows(atoms, func(w window) {
			d := w.forms.digits
			if tried >= 8 || (!atoms[w.i].digit && !atoms[w.i+1].digit) {
				return
			}
			ok := lens[len(d)]
			for _, re := range m.e.r.numberPatterns {
				if loc := re.FindStringIndex(w.forms.full); loc != nil && loc[0] == 0 && loc[1] == len(w.forms.full) {
					ok = true
				}
			}
			if !ok {
				return
			}
			tried++
			text := src.text[starts[w.i]:atoms[w.j].end]
			b := []byte(d)
			try := func() {
				v := string(b)
				for _, idx := range m.e.refs.get(m.e.hash(v), m.one[:0]) {
					if m.e.items[idx].removed {
						continue
					}
					fs := m.itemForms(idx)
					for k := range fs {
						if fs[k].digits == v {
							if it := &m.e.items[idx]; it.cur == m.cur && it.open == m.amount {
								typos = append(typos, refHit{item: idx, q: qTypo, text: text, source: src.name})
							}
							break
						}
					}
				}
			}
			for i := range b {
				orig := b[i]
				for c := byte('0'); c <= '9'; c++ {
					if c != orig {
						b[i] = c
						try()
					}
				}
				b[i] = orig
				if i+1 < len(b) && b[i] != b[i+1] {
					b[i], b[i+1] = b[i+1], b[i]
					try()
					b[i], b[i+1] = b[i+1], b[i]
				}
			}
		})
	}
}

// debtorEv is what identifies a debtor as the payer, in points.
type debtorEv struct {
	pts      int
	why      string
	strong   bool
	conflict string
	sim      float64
}

func (m *matcher) evidence(di int32) *debtorEv {
	if ev, ok := m.ev[di]; ok {
		return ev
	}
	e := m.e
	d := &e.debtors[di]
	ev := &debtorEv{}
	strongN := 0
	consider := func(pts int, why string, strong bool) {
		if strong {
			strongN++
			ev.strong = true
		}
		if pts > ev.pts {
			ev.pts, ev.why = pts, why
		}
	}
	if r := e.ibans[m.iban]; m.iban != "" && r != nil {
		if ds := r.debtors(); len(ds) < 3 {
			switch {
			case slices.Contains(r.master, di):
				consider(35, "payer IBAN known for debtor "+d.id, true)
			case slices.ContainsFunc(r.learned, func(l learnedDebtor) bool { return l.debtor == di }):
				consider(35, "payer IBAN confirmed for debtor "+d.id+" before", true)
			case len(ds) > 0:
				ev.conflict = "payer IBAN belongs to debtor " + e.debtors[ds[0]].id
			}
		}
	}
	if mid := strings.TrimSpace(m.p.MandateID); mid != "" && slices.Contains(e.mandates[mid], di) {
		consider(35, "mandate "+mid+" of debtor "+d.id, true)
	}
	for _, c := range m.custHits {
		if c.debtor != di {
			continue
		}
		if c.q.strong() {
			consider(35, "customer number "+c.text+" of debtor "+d.id+" in remittance", true)
		} else {
			consider(15, "customer number "+c.text+" of debtor "+d.id+" in remittance", false)
		}
	}
	if len(m.payer.tokens) > 0 {
		key := m.payer.key()
		for _, a := range d.aliases {
			if a.key() == key {
				consider(35, "payer name confirmed for debtor "+d.id+" before", false)
			}
		}
		ev.sim = nameSimilarity(m.payer, d.master, e.nameWeight)
		for _, a := range d.aliases {
			ev.sim = max(ev.sim, nameSimilarity(m.payer, a, e.nameWeight))
		}
		switch s := ev.sim; {
		case s >= 0.95:
			consider(35, "payer name equals debtor "+d.id+"'s", false)
		case s >= 0.85:
			consider(25, "payer name like debtor "+d.id+"'s", false)
		case s >= 0.7:
			consider(18, "payer name similar to debtor "+d.id+"'s", false)
		case s >= 0.45:
			consider(8, "payer name shares a name with debtor "+d.id+"'s", false)
		}
	}
	if rn := m.remittanceName(); len(rn.tokens) > 0 && !ev.strong {
		// A name in the remittance is the debtor's: someone paying for
		// the debtor, or the debtor from another account. It counts a
		// little less than the payer's own name.
		switch s := nameSimilarity(rn, d.master, e.nameWeight); {
		case s >= 0.95:
			consider(30, "name "+strings.Join(rn.tokens, " ")+" in the remittance is debtor "+d.id+"'s", false)
		case s >= 0.85:
			consider(22, "name "+strings.Join(rn.tokens, " ")+" in the remittance like debtor "+d.id+"'s", false)
		}
	}
	if strongN >= 2 {
		ev.pts += 5
	}
	if ev.conflict != "" {
		if ev.sim >= 0.7 || ev.strong {
			ev.pts -= 10
		} else {
			ev.pts -= 25
		}
	}
	m.ev[di] = ev
	return ev
}

// nameSearch finds the debtors whose names are most like the payer's.
func (m *matcher) nameSearch() []int32 {
	if m.nameDone {
		return m.nameCands
	}
	m.nameDone = true
	m.nameCands = m.searchNames(m.payer, &m.nameTwins)
	return m.nameCands
}

// remittanceSearch finds the debtors whose names are most like a name the
// remittance gives (a spouse, parent or company paying for the debtor
// often writes the debtor's name there).
func (m *matcher) remittanceSearch() []int32 {
	if m.remDone {
		return m.remCands
	}
	m.remDone = true
	if n := m.remittanceName(); len(n.tokens) > 0 {
		m.remCands = m.searchNames(n, nil)
	}
	return m.remCands
}

// remittanceName is the longest run of words in the remittance that are
// all words of debtors' names (and no word payers write anyway), when it
// has at least two; empty otherwise.
func (m *matcher) remittanceName() nameInfo {
	if m.remParsed {
		return m.remName
	}
	m.remParsed = true
	words := parseName(m.p.Remittance).tokens
	best, run := []string(nil), []string(nil)
	for _, w := range words {
		if _, known := m.e.tokens[w]; known && len(w) >= 2 && !remittanceWords[w] && !isDigit(w[0]) {
			run = append(run, w)
			if len(run) > len(best) {
				best = run
			}
			continue
		}
		run = nil
	}
	if len(best) >= 2 {
		m.remName = nameInfo{tokens: best}
		m.e.internName(&m.remName)
	}
	return m.remName
}

// remittanceWords are words of remittance texts that a company's name may
// have too; they do not make a name.
var remittanceWords = toSet("rechnung", "rechnungen", "rg", "re", "nr", "zahlung", "danke", "kunde", "kd", "kundennr",
	"bestellung", "online", "ueberweisung", "uberweisung", "avis", "ausgleich", "offener", "posten", "sammelzahlung",
	"rate", "teilzahlung", "vom", "ihre", "ihr", "an", "order", "auftrag", "beleg", "referenz", "datum", "uhr", "abzgl",
	"skonto", "verwendungszweck", "gutschrift", "miete", "mieter", "invoice", "payment", "for", "fur", "the", "service")

// searchNames finds the debtors whose names are most like n, through the
// index of name tokens (rarest token first); twins, when set, counts the
// debtors whose name equals n.
func (m *matcher) searchNames(n nameInfo, twins *int) []int32 {
	e := m.e
	var ids []int32
	for _, id := range n.ids {
		if id >= 0 && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.SortFunc(ids, func(a, b int32) int { return cmp.Compare(len(e.tokDebtors[a]), len(e.tokDebtors[b])) })
	// A rare token's debtors are all scored; for common tokens only the
	// debtors that have the two rarest (first name and surname, say).
	const few = 400
	var pool []int32
	l0 := e.tokDebtors[ids[0]]
	switch {
	case len(l0) <= few:
		pool = append(pool, l0...)
		if len(ids) > 1 && len(e.tokDebtors[ids[1]]) <= few {
			pool = append(pool, e.tokDebtors[ids[1]]...)
		}
	case len(ids) > 1 && len(l0) <= 20000:
		in := make(map[int32]bool, len(l0))
		for _, di := range l0 {
			in[di] = true
		}
		for _, di := range e.tokDebtors[ids[1]] {
			if in[di] {
				pool = append(pool, di)
			}
		}
	}
	type cand struct {
		d     int32
		sim   float64
		tier  int
		owes  int
		legal bool
	}
	var cands []cand
	seen := make(map[int32]bool, len(pool))
	for _, di := range pool {
		if seen[di] {
			continue
		}
		seen[di] = true
		d := &e.debtors[di]
		s := nameSimilarity(n, d.master, e.nameWeight)
		for _, a := range d.aliases {
			s = max(s, nameSimilarity(n, a, e.nameWeight))
		}
		if s >= 0.45 {
			cands = append(cands, cand{d: di, sim: s, tier: nameTier(s), owes: m.owes(di, false),
				legal: n.legal != 0 && n.legal == d.master.legal})
		}
		if s >= 0.95 && twins != nil {
			*twins++
		}
	}
	// Of debtors whose names are alike as far as the evidence goes (the
	// same tier of points), those with an item (or, for the best tier,
	// a few items) the amount pays come first: among many people of one
	// name, the one who owes it; then a company of the payer's legal form.
	top := 0
	for _, c := range cands {
		top = max(top, c.tier)
	}
	searched := 0
	for i := range cands {
		if c := &cands[i]; c.tier == top && c.owes == 0 && searched < maxOwesSearch {
			searched++
			c.owes = m.owes(c.d, true)
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if c := cmp.Compare(b.tier, a.tier); c != 0 {
			return c
		}
		if c := cmp.Compare(b.owes, a.owes); c != 0 {
			return c
		}
		if a.legal != b.legal {
			if a.legal {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.sim, a.sim); c != 0 {
			return c
		}
		return cmp.Compare(a.d, b.d)
	})
	var out []int32
	for i := 0; i < len(cands) && i < 5; i++ {
		out = append(out, cands[i].d)
	}
	return out
}

// nameTier is the tier of points a name similarity earns in evidence.
func nameTier(sim float64) int {
	switch {
	case sim >= 0.95:
		return 4
	case sim >= 0.85:
		return 3
	case sim >= 0.7:
		return 2
	case sim >= 0.45:
		return 1
	}
	return 0
}

// maxOwesSearch is the most namesakes per payment whose open items are
// searched for a combination of the amount, and owesBudget the nodes of
// each search.
const (
	maxOwesSearch = 24
	owesBudget    = 3000
)

// owes says whether debtor di owes what the payment pays: 3 when an open
// item in its currency takes the amount exactly, 2 when one takes it
// within the bank-fee tolerance, 1 when (combos set) a few of its items
// add up to it exactly or less their cash discounts, 0 otherwise.
func (m *matcher) owes(di int32, combos bool) int {
	e := m.e
	d := &e.debtors[di]
	if len(d.items) > 200 {
		return 0
	}
	var vals, disc []int64
	level := 0
	for _, idx := range d.items {
		it := &e.items[idx]
		if it.removed || it.cur != m.cur {
			continue
		}
		v := m.sign * it.open
		if v == m.target {
			return 3
		}
		if v > m.target && v-m.target <= e.r.feeLimit(v) {
			level = 2
		}
		if combos && v > 0 && v < m.target && len(vals) < maxCandidates {
			vals = append(vals, v)
			disc = append(disc, v-m.discountOf(idx))
		}
	}
	if level > 0 || len(vals) < 2 {
		return level
	}
	budget := owesBudget
	if sols, _ := subsetSums(vals, m.target, m.target, e.r.MaxSubsetSize, &budget, 1); len(sols) > 0 {
		return 1
	}
	slack := int64(min(e.r.MaxSubsetSize, len(vals)))
	if sols, _ := subsetSums(disc, m.target-slack, m.target+slack, e.r.MaxSubsetSize, &budget, 1); len(sols) > 0 {
		return 1
	}
	return 0
}

// discountOf is the cash discount an item offers a payment on its date, 0
// when none.
func (m *matcher) discountOf(idx int32) int64 {
	e := m.e
	it := &e.items[idx]
	v := m.sign * it.open
	if it.discBP > 0 && it.until != noDay && m.day != noDay && m.day <= it.until+int32(e.r.CashDiscountGraceDays) && v > 0 {
		if x, err := mulDiv(v, int64(it.discBP)); err == nil && x > 0 {
			return x
		}
	}
	return 0
}

// coincidence is how many debtors would, by chance, have an open item of
// the payment's amount and a name like the payer's: the debtors with the
// payer's name times the share of debtors with an item of that amount. A
// payer identified by name alone is taken for the debtor without a person
// only when that is small.
func (m *matcher) coincidence() float64 {
	return float64(max(1, m.nameTwins)) * float64(m.amountCount()) / float64(max(1, len(m.e.debtors)))
}

// amountCount is how many items are open with the payment's amount.
func (m *matcher) amountCount() int {
	return int(m.e.amountN[amountKey(m.cur, m.amount)])
}

// candidates returns the debtors worth trying, most evident first: by
// payer IBAN, mandate, customer number, the named items' debtors, and by
// name when nothing else identifies one.
func (m *matcher) candidates() []int32 {
	if m.cands == nil {
		m.cands = m.findCandidates()
	}
	return m.cands
}

func (m *matcher) findCandidates() []int32 {
	e := m.e
	out := []int32{}
	add := func(di int32) {
		if !slices.Contains(out, di) {
			out = append(out, di)
		}
	}
	if r := e.ibans[m.iban]; m.iban != "" && r != nil {
		if ds := r.debtors(); len(ds) < 3 {
			for _, di := range ds {
				add(di)
			}
		}
	}
	if mid := strings.TrimSpace(m.p.MandateID); mid != "" {
		for _, di := range e.mandates[mid] {
			add(di)
		}
	}
	for _, c := range m.custHits {
		add(c.debtor)
	}
	identified := len(out) > 0
	for _, h := range m.hits {
		add(e.items[h.item].debtor)
	}
	if !identified && !m.strongHit() {
		for _, di := range m.nameSearch() {
			add(di)
		}
		for _, di := range m.remittanceSearch() {
			add(di)
		}
	}
	return out
}
