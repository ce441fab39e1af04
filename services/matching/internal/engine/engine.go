package engine

import (
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"

	"github.com/o2c-platform/o2c/libs/money"
)

// Engine holds a tenant's open items, debtors and what it learned, indexed
// for matching: by debtor, by every normalised spelling of the items'
// numbers, by payer IBAN, mandate, customer number, name token and open
// amount. Match reads it; Apply, AddItem, RemoveItem, AddDebtor and Learn
// change it. An Engine is not safe for concurrent use.
type Engine struct {
	r    rules
	seed maphash.Seed

	items   []itemRec
	itemIdx map[string]int32
	debtors []debtorRec
	debIdx  map[string]int32

	currencies []string
	curIdx     map[string]uint16
	channels   []string
	chanIdx    map[string]uint16
	// mpChannel[c] is the marketplace rule index of channel c, or -1.
	mpChannel []int
	// mpDebtors[rule] are the debtors with items of that marketplace.
	mpDebtors [][]int32

	refs    bulkIndex // number forms -> items
	amounts bulkIndex // (currency, open amount) -> items
	// amountN counts the items open with each (currency, amount) key.
	amountN  map[uint64]int32
	custs    postings // customer number forms -> debtors
	ibans    map[string]*ibanRec
	mandates map[string][]int32
	// tokens numbers the name tokens; tokDebtors[id] are the debtors whose
	// name (or a learned payer name) has the token, tokW its cached weight.
	tokens     map[string]int32
	tokDebtors [][]int32
	tokW       []tokWeight
	prefix     prefixIndex

	// digitLens counts the items' document numbers by the length of their
	// digits; typo search looks for numbers of the common lengths.
	digitLens map[int]int
	numbered  int

	groups       map[groupKey]*group
	debtorGroups map[int32][]*group

	// pending lists, per item, the payments whose proposal (not booked)
	// allocates to it: another payment for the item is not booked
	// automatically until a person decides.
	pending map[int32][]pendingPay

	paid    []paidRec
	paidIdx map[string]int32
	byMand  map[string][]int32
	byE2E   map[string][]int32
	byIBAN  map[string][]int32
	// byDebtorAmt lists the payments booked for a debtor by amount.
	byDebtorAmt map[debtorAmount][]int32
}

type debtorAmount struct {
	debtor int32
	amount int64
}

type itemRec struct {
	id                string
	doc, order, ref   string
	amount, open      int64
	initialOpen       int64
	debtor            int32
	issue, due, until int32
	discBP            int32
	cur, channel      uint16
	removed           bool
}

type debtorRec struct {
	id       string
	name     string
	master   nameInfo
	aliases  []nameInfo
	ibans    []string
	mandates []string
	cust     string
	business bool
	items    []int32
}

// ibanRec is what is known of a payer IBAN: the debtors whose master data
// list it and the debtors it was confirmed for, how often.
type ibanRec struct {
	master  []int32
	learned []learnedDebtor
}

type learnedDebtor struct {
	debtor int32
	n      int32
}

// debtors returns the distinct debtors known for the IBAN.
func (r *ibanRec) debtors() []int32 {
	out := append([]int32(nil), r.master...)
	for _, l := range r.learned {
		if !slices.Contains(out, l.debtor) {
			out = append(out, l.debtor)
		}
	}
	return out
}

// groupKey names a marketplace settlement: the open items of one debtor
// with the same payment reference (the settlement id).
type groupKey struct {
	debtor int32
	ref    string
}

type group struct {
	key    groupKey
	items  []int32
	open   int64
	latest int32
	cur    uint16
}

// pendingPay is a payment whose proposal allocates to an item.
type pendingPay struct {
	id     string
	amount int64
	payer  string
}

// paidRec is a payment decided in this engine's life, kept so that a later
// return can find it.
type paidRec struct {
	p        Payment
	kind     Kind
	debtor   string
	allocs   []Allocation
	diff     *Difference
	reversed bool
}

// New builds an engine over the open items, debtors and confirmed history
// of one tenant. Debtors named only by items are created without master
// data. It fails on an invalid configuration, item or debtor, naming it.
func New(cfg Config, items []OpenItem, debtors []Debtor, history []Confirmation) (*Engine, error) {
	r, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	// A debtor has a few items: without master data, about a fifth as
	// many debtors as items are made room for.
	nDebtors := max(len(debtors), len(items)/5)
	e := &Engine{
		r:            r,
		seed:         maphash.MakeSeed(),
		itemIdx:      make(map[string]int32, len(items)),
		debIdx:       make(map[string]int32, nDebtors),
		curIdx:       map[string]uint16{},
		chanIdx:      map[string]uint16{},
		mpDebtors:    make([][]int32, len(r.marketplaces)),
		refs:         newBulkIndex(len(items) * formsPerItem),
		amounts:      newBulkIndex(len(items)),
		amountN:      make(map[uint64]int32, len(items)/2),
		custs:        newPostings(len(debtors)),
		ibans:        make(map[string]*ibanRec, len(debtors)),
		mandates:     map[string][]int32{},
		tokens:       map[string]int32{},
		digitLens:    map[int]int{},
		groups:       map[groupKey]*group{},
		debtorGroups: map[int32][]*group{},
		paidIdx:      map[string]int32{},
		pending:      map[int32][]pendingPay{},
		byMand:       map[string][]int32{},
		byE2E:        map[string][]int32{},
		byIBAN:       map[string][]int32{},
		byDebtorAmt:  map[debtorAmount][]int32{},
	}
	e.items = make([]itemRec, 0, len(items))
	e.debtors = make([]debtorRec, 0, nDebtors)
	e.prefix.entries = make([]prefixEntry, 0, len(items)*2)
	for i, d := range debtors {
		if err := e.AddDebtor(d); err != nil {
			return nil, fmt.Errorf("debtor %d (%s): %w", i+1, d.ID, err)
		}
	}
	// Each debtor's item list is cut from one array, sized by a first
	// pass, instead of growing a small slice per debtor.
	dis := make([]int32, len(items))
	for i, it := range items {
		dis[i] = -1
		if strings.TrimSpace(it.Debtor) != "" {
			dis[i] = e.debtor(it.Debtor)
		}
	}
	counts := make([]int32, len(e.debtors))
	for _, di := range dis {
		if di >= 0 {
			counts[di]++
		}
	}
	backing := make([]int32, len(items))
	off := int32(0)
	for di, c := range counts {
		if d := &e.debtors[di]; c > 0 && len(d.items) == 0 {
			d.items = backing[off:off:min(off+c, int32(len(backing)))]
			off += c
		}
	}
	for i, it := range items {
		if err := e.addItem(it, dis[i]); err != nil {
			return nil, fmt.Errorf("open item %d (%s): %w", i+1, it.ID, err)
		}
	}
	e.refs.build()
	e.amounts.build()
	for _, h := range history {
		e.Learn(h.Payment, h.Debtor)
	}
	return e, nil
}

func (e *Engine) hash(s string) uint64 { return maphash.String(e.seed, s) }

// formsPerItem is about how many distinct number forms an item is indexed
// under (document number, order id and payment reference together).
const formsPerItem = 5

// Grow makes room for about items more open items, so that adding them one
// by one (as `o2c match` streams its file) does not rebuild the indexes as
// they grow. It is only a hint; it changes nothing that Match sees.
func (e *Engine) Grow(items int) {
	if items <= 0 || len(e.items) > 0 {
		return
	}
	e.items = make([]itemRec, 0, items)
	e.itemIdx = make(map[string]int32, items)
	e.refs = newBulkIndex(items * formsPerItem)
	e.amounts = newBulkIndex(items)
	e.amountN = make(map[uint64]int32, items/2)
	e.prefix.entries = make([]prefixEntry, 0, items*2)
}

func (e *Engine) currency(code string) uint16 {
	if i, ok := e.curIdx[code]; ok {
		return i
	}
	i := uint16(len(e.currencies))
	e.currencies = append(e.currencies, code)
	e.curIdx[code] = i
	return i
}

func (e *Engine) channel(name string) uint16 {
	if i, ok := e.chanIdx[name]; ok {
		return i
	}
	i := uint16(len(e.channels))
	e.channels = append(e.channels, name)
	e.chanIdx[name] = i
	rule := -1
	for k, m := range e.r.marketplaces {
		if strings.EqualFold(m.channel, name) {
			rule = k
		}
	}
	e.mpChannel = append(e.mpChannel, rule)
	return i
}

// debtor returns the index of debtor id, creating an empty one.
func (e *Engine) debtor(id string) int32 {
	if i, ok := e.debIdx[id]; ok {
		return i
	}
	i := int32(len(e.debtors))
	e.debtors = append(e.debtors, debtorRec{id: id})
	e.debIdx[id] = i
	return i
}

// AddDebtor adds a debtor's master data, or replaces what was known of it
// (its learned IBANs and names stay).
func (e *Engine) AddDebtor(d Debtor) error {
	if strings.TrimSpace(d.ID) == "" {
		return fieldErr(ErrInvalidDebtor, "debtor", "empty")
	}
	di := e.debtor(d.ID)
	rec := &e.debtors[di]
	for _, id := range rec.master.ids {
		if id >= 0 {
			e.tokDebtors[id] = deleteID(e.tokDebtors[id], di)
		}
	}
	for _, iban := range rec.ibans {
		if r := e.ibans[iban]; r != nil {
			r.master = deleteID(r.master, di)
		}
	}
	for _, m := range rec.mandates {
		e.mandates[m] = deleteID(e.mandates[m], di)
	}
	if rec.cust != "" {
		formsOf(atomize(rec.cust, nil)).each(func(f string) { e.custs.remove(e.hash(f), di) })
	}
	rec.name, rec.master, rec.business = d.Name, parseName(d.Name), d.Business
	rec.ibans, rec.mandates, rec.cust = nil, nil, strings.TrimSpace(d.CustomerNumber)
	e.indexName(di, &rec.master)
	for _, raw := range d.IBANs {
		iban := normIBAN(raw)
		if iban == "" || slices.Contains(rec.ibans, iban) {
			continue
		}
		rec.ibans = append(rec.ibans, iban)
		r := e.ibans[iban]
		if r == nil {
			r = &ibanRec{}
			e.ibans[iban] = r
		}
		r.master = append(r.master, di)
	}
	for _, raw := range d.MandateIDs {
		m := strings.TrimSpace(raw)
		if m == "" || slices.Contains(rec.mandates, m) {
			continue
		}
		rec.mandates = append(rec.mandates, m)
		e.mandates[m] = append(e.mandates[m], di)
	}
	if rec.cust != "" {
		formsOf(atomize(rec.cust, nil)).each(func(f string) { e.custs.add(e.hash(f), di) })
	}
	return nil
}

// indexName numbers n's tokens (adding new ones) and lists debtor di
// under each.
func (e *Engine) indexName(di int32, n *nameInfo) {
	n.ids = n.ids[:0]
	for _, t := range n.tokens {
		if len(t) < 2 {
			n.ids = append(n.ids, -1)
			continue
		}
		id, ok := e.tokens[t]
		if !ok {
			id = int32(len(e.tokDebtors))
			e.tokens[t] = id
			e.tokDebtors = append(e.tokDebtors, nil)
			e.tokW = append(e.tokW, tokWeight{})
		}
		n.ids = append(n.ids, id)
		list := e.tokDebtors[id]
		if len(list) == 0 || list[len(list)-1] != di && (len(list) > 64 || !slices.Contains(list, di)) {
			e.tokDebtors[id] = append(list, di)
		}
	}
}

// internName numbers a payer's name tokens without adding any.
func (e *Engine) internName(n *nameInfo) {
	n.ids = n.ids[:0]
	for _, t := range n.tokens {
		id, ok := e.tokens[t]
		if !ok || len(t) < 2 {
			id = -1
		}
		n.ids = append(n.ids, id)
	}
}

// tokWeight is a token's weight as computed for a number of debtors.
type tokWeight struct {
	w float64
	n int32
}

// nameWeight weighs a name token by its rarity among the debtors' names:
// 1 + ln((debtors+1)/(debtors with the token+1)).
func (e *Engine) nameWeight(id int32) float64 {
	n := int32(len(e.debtors))
	if id < 0 {
		return 1 + math.Log(float64(n+1))
	}
	tw := &e.tokW[id]
	if tw.n != n || tw.w == 0 {
		tw.w = 1 + math.Log(float64(n+1)/float64(len(e.tokDebtors[id])+1))
		tw.n = n
	}
	return tw.w
}

func deleteID(s []int32, v int32) []int32 {
	if i := slices.Index(s, v); i >= 0 {
		return slices.Delete(s, i, i+1)
	}
	return s
}

// normIBAN upper-cases an IBAN and drops its spaces.
func normIBAN(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// AddItem adds an open item. Its numbers, amount and debtor are indexed at
// once.
func (e *Engine) AddItem(it OpenItem) error {
	return e.addItem(it, -1)
}

// addItem is AddItem with the item's debtor index when known (di >= 0).
func (e *Engine) addItem(it OpenItem, di int32) error {
	switch {
	case strings.TrimSpace(it.ID) == "":
		return fieldErr(ErrInvalidItem, "id", "empty")
	case strings.TrimSpace(it.Debtor) == "":
		return fieldErr(ErrInvalidItem, "debtor", "empty")
	case !knownCurrency(it.Amount.Currency):
		return fieldErr(ErrInvalidItem, "currency", "%q is not an ISO 4217 currency", it.Amount.Currency)
	case !money.InBounds(it.Amount.Minor):
		return fieldErr(ErrInvalidItem, "amount_minor", "%d is beyond ±%d", it.Amount.Minor, money.MaxAbs)
	case !money.InBounds(it.Open):
		return fieldErr(ErrInvalidItem, "open_minor", "%d is beyond ±%d", it.Open, money.MaxAbs)
	}
	switch it.Kind {
	case "", ItemInvoice, ItemFee, ItemInterest, ItemCredit:
	default:
		return fieldErr(ErrInvalidItem, "kind", "%q is not one of invoice, fee, interest, credit", it.Kind)
	}
	if it.CashDiscount != nil && (it.CashDiscount.PercentBP < 0 || it.CashDiscount.PercentBP > 10000) {
		return fieldErr(ErrInvalidItem, "cash_discount.percent_bp", "%d is not between 0 and 10000", it.CashDiscount.PercentBP)
	}
	if _, dup := e.itemIdx[it.ID]; dup {
		return fmt.Errorf("%w: %s", ErrDuplicateItem, it.ID)
	}
	if di < 0 {
		di = e.debtor(it.Debtor)
	}
	rec := itemRec{
		amount: it.Amount.Minor, open: it.Open, initialOpen: it.Open,
		debtor: di, issue: dayOf(it.IssueDate), due: dayOf(it.DueDate), until: noDay,
		cur: e.currency(it.Amount.Currency), channel: e.channel(it.Channel),
	}
	rec.id, rec.doc, rec.order, rec.ref = packNumbers(it.ID, strings.TrimSpace(it.DocumentNumber),
		strings.TrimSpace(it.OrderID), strings.TrimSpace(it.PaymentReference))
	if it.CashDiscount != nil && it.CashDiscount.PercentBP > 0 && !it.CashDiscount.Until.IsZero() {
		rec.until, rec.discBP = dayOf(it.CashDiscount.Until), it.CashDiscount.PercentBP
	}
	idx := int32(len(e.items))
	e.items = append(e.items, rec)
	e.itemIdx[rec.id] = idx
	d := &e.debtors[rec.debtor]
	d.items = append(d.items, idx)
	e.indexNumbers(idx, true)
	if rec.open != 0 {
		e.addAmount(rec.cur, rec.open, idx)
	}
	if rule := e.mpChannel[rec.channel]; rule >= 0 {
		if !slices.Contains(e.mpDebtors[rule], rec.debtor) {
			e.mpDebtors[rule] = append(e.mpDebtors[rule], rec.debtor)
		}
		if rec.ref != "" {
			e.addToGroup(idx)
		}
	}
	return nil
}

// packNumbers copies an item's id and numbers into one string (one
// allocation a million items do not each need four of) and returns them as
// parts of it; equal numbers (a reference printed as the document number)
// share their bytes.
func packNumbers(id, doc, order, ref string) (string, string, string, string) {
	n := len(id) + len(doc)
	if order != doc {
		n += len(order)
	}
	if ref != doc && ref != order {
		n += len(ref)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(id)
	b.WriteString(doc)
	if order != doc {
		b.WriteString(order)
	}
	if ref != doc && ref != order {
		b.WriteString(ref)
	}
	all := b.String()
	at := len(id)
	id, doc = all[:at], all[at:at+len(doc)]
	at += len(doc)
	if order == doc {
		order = doc
	} else {
		order = all[at : at+len(order)]
		at += len(order)
	}
	switch ref {
	case doc:
		ref = doc
	case order:
		ref = order
	default:
		ref = all[at : at+len(ref)]
	}
	return id, doc, order, ref
}

// indexNumbers adds (or removes) the item's number forms to the reference
// and prefix indexes. A form two of its numbers share (a payment reference
// equal to the document number) is indexed once.
func (e *Engine) indexNumbers(idx int32, add bool) {
	it := &e.items[idx]
	var buf [16]atom
	var seen [21]string
	n := 0
	for k, s := range [...]string{it.doc, it.order, it.ref} {
		if s == "" || k > 0 && s == it.doc || k == 2 && s == it.order {
			continue
		}
		f := formsOf(atomize(s, buf[:0]))
		f.each(func(form string) {
			for _, x := range seen[:n] {
				if x == form {
					return
				}
			}
			if n < len(seen) {
				seen[n] = form
				n++
			}
			if add {
				e.refs.add(e.hash(form), idx)
			} else {
				e.refs.remove(e.hash(form), idx)
			}
		})
		if !add {
			continue
		}
		if len(f.full) >= minForm {
			e.prefix.add(f.full, idx)
		}
		if len(f.digits) >= minForm && f.digits != f.full {
			e.prefix.add(f.digits, idx)
		}
		if k == 0 && len(f.digits) >= minForm {
			e.digitLens[len(f.digits)]++
			e.numbered++
		}
	}
}

func (e *Engine) addToGroup(idx int32) {
	it := &e.items[idx]
	k := groupKey{debtor: it.debtor, ref: formsOf(atomize(it.ref, nil)).full}
	g := e.groups[k]
	if g == nil {
		g = &group{key: k, latest: noDay, cur: it.cur}
		e.groups[k] = g
		e.debtorGroups[it.debtor] = append(e.debtorGroups[it.debtor], g)
	}
	g.items = append(g.items, idx)
	g.open = saturate(g.open, it.open)
	g.latest = max(g.latest, it.issue)
}

func (e *Engine) groupOf(idx int32) *group {
	it := &e.items[idx]
	if e.mpChannel[it.channel] < 0 || it.ref == "" {
		return nil
	}
	return e.groups[groupKey{debtor: it.debtor, ref: formsOf(atomize(it.ref, nil)).full}]
}

// saturate adds without overflow; group totals are only compared with
// payment amounts, which are within ±money.MaxAbs.
func saturate(a, b int64) int64 {
	s, err := money.Add(a, b)
	if err != nil {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return s
}

// RemoveItem forgets an open item (the ledger closed or cancelled it). It
// is a no-op for an unknown id.
func (e *Engine) RemoveItem(id string) {
	idx, ok := e.itemIdx[id]
	if !ok {
		return
	}
	it := &e.items[idx]
	if it.removed {
		return
	}
	e.indexNumbers(idx, false)
	if it.open != 0 {
		e.removeAmount(it.cur, it.open, idx)
	}
	if g := e.groupOf(idx); g != nil {
		g.items = deleteID(g.items, idx)
		g.open = saturate(g.open, -it.open)
	}
	d := &e.debtors[it.debtor]
	d.items = deleteID(d.items, idx)
	it.removed = true
	delete(e.itemIdx, id)
}

// setOpen changes an item's open amount, keeping the indexes right.
func (e *Engine) setOpen(idx int32, open int64) {
	it := &e.items[idx]
	if it.open == open {
		return
	}
	if it.open != 0 {
		e.removeAmount(it.cur, it.open, idx)
	}
	if g := e.groupOf(idx); g != nil {
		g.open = saturate(g.open, open-it.open)
	}
	it.open = open
	if open != 0 {
		e.addAmount(it.cur, open, idx)
	}
}

// Learn records that payment p was confirmed for debtor: the payer's IBAN
// and name point to that debtor from now on. A payer IBAN is learned for
// at most a few debtors; one used by many (a payment service's) stops
// identifying anyone.
func (e *Engine) Learn(p Payment, debtor string) {
	if strings.TrimSpace(debtor) == "" {
		return
	}
	di := e.debtor(debtor)
	if iban := normIBAN(p.CounterpartyIBAN); iban != "" {
		r := e.ibans[iban]
		if r == nil {
			r = &ibanRec{}
			e.ibans[iban] = r
		}
		found := false
		for k := range r.learned {
			if r.learned[k].debtor == di {
				r.learned[k].n++
				found = true
			}
		}
		if !found {
			r.learned = append(r.learned, learnedDebtor{debtor: di, n: 1})
		}
	}
	n := parseName(p.CounterpartyName)
	if len(n.tokens) == 0 {
		return
	}
	d := &e.debtors[di]
	key := n.key()
	if d.master.key() == key {
		return
	}
	for _, a := range d.aliases {
		if a.key() == key {
			return
		}
	}
	if len(d.aliases) < 8 {
		e.indexName(di, &n)
		d.aliases = append(d.aliases, n)
	}
}

// Apply books a decision into the engine's state: an automatic or
// confirmed decision consumes (or, for a return, reopens) the open amounts
// it allocates, an automatic one teaches what its Learned says, and every
// decided payment is remembered so that a later return can find it. A
// decision that does not add up (ErrUnbalanced) or does not fit the open
// amounts (ErrExceedsOpen, ErrUnknownItem) changes nothing.
func (e *Engine) Apply(d Decision) error {
	p := d.Payment
	if len(d.Allocations) > 0 {
		parts := make([]int64, 0, len(d.Allocations)+1)
		for _, a := range d.Allocations {
			parts = append(parts, a.Amount)
		}
		if d.Difference != nil {
			parts = append(parts, d.Difference.Amount)
		}
		sum, err := money.Sum(parts...)
		if err != nil || sum != p.Amount.Minor {
			return fmt.Errorf("payment %s: %w", p.ID, ErrUnbalanced)
		}
	}
	book := d.Kind == Auto || d.Kind == Confirmed
	if book {
		next := map[int32]int64{}
		for _, a := range d.Allocations {
			idx, ok := e.itemIdx[a.Item]
			if !ok {
				return fmt.Errorf("payment %s: %w: %s", p.ID, ErrUnknownItem, a.Item)
			}
			it := &e.items[idx]
			if e.currencies[it.cur] != p.Amount.Currency {
				return fmt.Errorf("payment %s in %s to item %s in %s: %w", p.ID, p.Amount.Currency, a.Item, e.currencies[it.cur], ErrExceedsOpen)
			}
			open, ok := next[idx]
			if !ok {
				open = it.open
			}
			after, err := money.Sub(open, a.Amount)
			if err != nil || !within(after, it) {
				return fmt.Errorf("payment %s allocates %d to item %s with %d open: %w", p.ID, a.Amount, a.Item, open, ErrExceedsOpen)
			}
			next[idx] = after
		}
		for idx, open := range next {
			e.setOpen(idx, open)
		}
		if d.Reverses != "" {
			if i, ok := e.paidIdx[d.Reverses]; ok {
				e.paid[i].reversed = true
			}
		}
		if l := d.Learned; d.Kind == Auto && l != nil && l.Debtor != "" {
			e.Learn(Payment{CounterpartyIBAN: l.IBAN, CounterpartyName: l.Name}, l.Debtor)
		}
	}
	if d.Kind == Proposed {
		for _, a := range d.Allocations {
			if idx, ok := e.itemIdx[a.Item]; ok && len(e.pending[idx]) < 4 {
				e.pending[idx] = append(e.pending[idx], pendingPay{id: p.ID, amount: p.Amount.Minor, payer: payerKey(p)})
			}
		}
	}
	if p.Amount.Minor > 0 && p.ID != "" {
		if _, seen := e.paidIdx[p.ID]; !seen {
			e.remember(d)
		}
	}
	return nil
}

// within reports whether open is a possible open amount of it: between
// zero and its original amount (or what was open at first, if more).
func within(open int64, it *itemRec) bool {
	bound := it.amount
	if abs(it.initialOpen) > abs(bound) {
		bound = it.initialOpen
	}
	if bound >= 0 {
		return open >= 0 && open <= bound
	}
	return open <= 0 && open >= bound
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func (e *Engine) remember(d Decision) {
	p := d.Payment
	i := int32(len(e.paid))
	rec := paidRec{p: p, kind: d.Kind, debtor: d.Debtor, diff: d.Difference}
	if d.Kind == Auto || d.Kind == Confirmed {
		rec.allocs = slices.Clone(d.Allocations)
	}
	e.paid = append(e.paid, rec)
	e.paidIdx[p.ID] = i
	if m := strings.TrimSpace(p.MandateID); m != "" {
		e.byMand[m] = append(e.byMand[m], i)
	}
	if id := e2e(p.EndToEndID); id != "" {
		e.byE2E[id] = append(e.byE2E[id], i)
	}
	if iban := normIBAN(p.CounterpartyIBAN); iban != "" {
		e.byIBAN[iban] = append(e.byIBAN[iban], i)
	}
	if di, ok := e.debIdx[d.Debtor]; ok && len(rec.allocs) > 0 {
		k := debtorAmount{di, p.Amount.Minor}
		e.byDebtorAmt[k] = append(e.byDebtorAmt[k], i)
	}
}

// payerKey identifies who paid: the IBAN, else the name as parsed.
func payerKey(p Payment) string {
	if iban := normIBAN(p.CounterpartyIBAN); iban != "" {
		return iban
	}
	return parseName(p.CounterpartyName).key()
}

// e2e returns an end-to-end id worth comparing, "" for none or
// NOTPROVIDED.
func e2e(s string) string {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "NOTPROVIDED") {
		return ""
	}
	return s
}

// addAmount indexes item idx as open with minor in currency cur.
func (e *Engine) addAmount(cur uint16, minor int64, idx int32) {
	k := amountKey(cur, minor)
	e.amounts.add(k, idx)
	e.amountN[k]++
}

// removeAmount takes item idx off the open amount minor in cur.
func (e *Engine) removeAmount(cur uint16, minor int64, idx int32) {
	k := amountKey(cur, minor)
	e.amounts.remove(k, idx)
	if e.amountN[k]--; e.amountN[k] <= 0 {
		delete(e.amountN, k)
	}
}

// ofAmount appends to buf[:0] the items in currency cur with open amount
// minor.
func (e *Engine) ofAmount(cur uint16, minor int64, buf []int32) []int32 {
	got := e.amounts.get(amountKey(cur, minor), buf)
	out := got[:0]
	for _, idx := range got {
		if it := &e.items[idx]; !it.removed && it.cur == cur && it.open == minor {
			out = append(out, idx)
		}
	}
	return out
}

// Open returns what is still open on an item, and whether the engine holds
// it.
func (e *Engine) Open(id string) (int64, bool) {
	idx, ok := e.itemIdx[id]
	if !ok {
		return 0, false
	}
	return e.items[idx].open, true
}
