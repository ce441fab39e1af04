package books

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"
)

// Date is a calendar date without a time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf converts a proto date; a nil date is the zero Date.
func DateOf(d *commonv1.Date) Date {
	return Date{Year: int(d.GetYear()), Month: time.Month(d.GetMonth()), Day: int(d.GetDay())}
}

// DateAt returns the calendar date of t in t's location.
func DateAt(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// Proto returns d as a proto date.
func (d Date) Proto() *commonv1.Date {
	return &commonv1.Date{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

// Valid reports whether d is a real calendar date in the years 1-9999.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 {
		return false
	}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return t.Year() == d.Year && t.Month() == d.Month && t.Day() == d.Day
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	a, b := d.Year*10000+int(d.Month)*100+d.Day, e.Year*10000+int(e.Month)*100+e.Day
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Period returns the accounting period (month) d falls in.
func (d Date) Period() Period { return Period{d.Year, d.Month} }

// Period is an accounting period. Periods are calendar months; a fiscal year
// that does not start in January still closes month by month.
type Period struct {
	Year  int
	Month time.Month
}

// String formats p as YYYY-MM.
func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month)) }

// First returns the first day of p.
func (p Period) First() Date { return Date{p.Year, p.Month, 1} }

// Next returns the period after p.
func (p Period) Next() Period {
	if p.Month == time.December {
		return Period{p.Year + 1, time.January}
	}
	return Period{p.Year, p.Month + 1}
}

// Leg is one line of a journal entry: Minor is positive for a debit (Soll)
// and negative for a credit (Haben). DebtorID is set exactly on legs of
// debtor personal accounts.
type Leg struct {
	Account  string
	Currency string
	Minor    int64
	DebtorID string
	TaxKey   string
}

// Entry is a journal entry as the ledger keeps it.
type Entry struct {
	ID             string
	EffectiveDate  Date
	RecordedAt     time.Time
	DocumentNumber string
	Text           string
	IdempotencyKey string
	Legs           []Leg
	// Reverses is the entry this one reverses; ReversedBy the reversal of
	// this one. At most one of them is set.
	Reverses, ReversedBy string
}

// VAT is the part of an amount with one tax key. Country and Treatment
// complete the key in the contracts' compact form: "" is tax.Home and
// TAX_TREATMENT_UNSPECIFIED is domestic, so a domestic German part looks as
// it did before the key had them (use Key for the full key).
type VAT struct {
	RateBP    int32
	Net, Tax  int64
	Country   string
	Treatment shopv1.TaxTreatment
}

// Settlement is one clearing record on an open item (see the proto message
// of the same name). Amount has the sign of the item. An undone settlement
// (reopened by a return or reversal) no longer counts.
type Settlement struct {
	ID           string
	ItemID       string
	Amount       int64
	Kind         ledgerv1.SettlementKind
	Document     string
	EntryID      string
	CreditItemID string
	Date         Date
	Actor        string
	Rule         string
	Undone       bool
}

// OpenItem is an open item (Offener Posten) with its settlement history.
// Amount is positive for a debit item and negative for a credit balance;
// the open amount is Amount less the live settlements.
type OpenItem struct {
	ID               string
	DebtorID         string
	DebtorAccount    string
	Kind             string
	DocumentNumber   string
	OrderID          string
	PaymentReference string
	EntryID          string
	Currency         string
	Amount           int64
	DocumentDate     Date
	DueDate          Date
	Claim            string
	Component        ledgerv1.OpenItemComponent
	VAT              []VAT
	Marketplace      string
	BuyerReference   string
	Dunnable         bool
	SourceDocument   string
	// CreditedItem is, for a credit balance a credit note opened beyond
	// the open amount of the item it names, that item.
	CreditedItem string
	Settlements  []Settlement
	// Recovered is what was received on the item after it was written off.
	Recovered int64
}

// Open returns the amount still open.
func (it *OpenItem) Open() int64 {
	open := it.Amount
	for _, s := range it.Settlements {
		if !s.Undone {
			open -= s.Amount
		}
	}
	return open
}

// WrittenOff returns the amount written off and not reopened.
func (it *OpenItem) WrittenOff() int64 {
	var w int64
	for _, s := range it.Settlements {
		if !s.Undone && s.Kind == ledgerv1.SettlementKind_SETTLEMENT_KIND_WRITE_OFF {
			w += s.Amount
		}
	}
	return w
}

// AllocationOrder is how the ledger allocates a payment or credit that comes
// without allocations.
type AllocationOrder int

// Allocation orders. The default follows §366 (2) and §367 (1) BGB for
// consumers and businesses alike: claims the payer named first, then claims
// already due before those not yet due, each by due date, then the oldest
// (document date); within a claim costs, then interest, then principal.
const (
	OrderBGB AllocationOrder = iota
	// OrderDueDate clears items by due date only, ignoring named claims and
	// components.
	OrderDueDate
	// OrderDocumentDate clears the oldest document first.
	OrderDocumentDate
)

func (o AllocationOrder) rule() string {
	switch o {
	case OrderDueDate:
		return "due-date"
	case OrderDocumentDate:
		return "document-date"
	}
	return "bgb366"
}

// Config is a tenant's ledger configuration.
type Config struct {
	// Chart is the tenant's chart of accounts.
	Chart Chart
	// PeriodActors are the actors allowed to close and reopen periods.
	PeriodActors []string
	// Order allocates payments and credits that come without allocations.
	Order AllocationOrder
}

// Origin is who sends a command and when the ledger decides it. Now is the
// recorded time of every entry; its calendar date (in Now's location) is the
// recording date used to date reversals in closed periods.
type Origin struct {
	Actor string
	Now   time.Time
}

// Ledger is the state of one tenant's books, built only by Apply from the
// events the ledger emitted. Its command methods read it and return the
// events a command causes, or an error; they never change it, so the caller
// stores the events and then applies them. A Ledger is not safe for
// concurrent use.
type Ledger struct {
	tenant  string
	cfg     Config
	entries map[string]*Entry
	items   map[string]*OpenItem
	// itemOrder and byDebtor list item ids in order of opening, for
	// deterministic iteration.
	itemOrder []string
	keys      map[string]string
	recorded  map[string]time.Time
	closed    map[Period]bool
	debtors   map[string]string
	byEntry   map[string][]string
	byDebtor  map[string][]string
	recovery  map[string]recovery
	// openAmt caches each item's open amount; live lists per debtor the
	// items that were open when last looked at (a superset of the open
	// ones, compacted by liveItems), inLive says who is on it, and seq is
	// each item's position in order of opening.
	openAmt map[string]int64
	// sums are running sums of the debtors' open amounts per debtor and
	// currency (customerKey), kept with openAmt by setOpen, so that a
	// customer's status and the look for credits to offset cost the same
	// for a debtor with 200 items as with 2.
	sums   map[string]*openSums
	live   map[string][]string
	inLive map[string]bool
	seq    map[string]int
	// mergedInto maps a debtor merged away to its merge; acceptedAt is
	// the recorded time of the last command applied, which dates a merge
	// that moved nothing.
	mergedInto map[string]merger
	acceptedAt time.Time
	// invoiceStatus is the last status fact published per invoice item,
	// customerStatus per debtor and currency (customerKey); see status.go.
	invoiceStatus  map[string]lastInvoice
	customerStatus map[string]*statusv1.CustomerStatusChanged
	// statements are the bank statement balances recorded, by statement
	// key, in statementOrder.
	statements     map[string]StatementBalance
	statementOrder []string
	// checked is the command a Commander ran CheckStorable on and is
	// deciding now (see decideChecked): the command method does not check
	// it a second time. It is nil outside such a call.
	checked proto.Message
}

// merger is a merge as the books of either debtor remember it: the debtor
// merged into and the merge date.
type merger struct {
	into string
	date Date
}

type recovery struct {
	item   string
	amount int64
}

// New returns the empty books of tenant.
func New(tenant string, cfg Config) *Ledger {
	return &Ledger{
		tenant:   tenant,
		cfg:      cfg,
		entries:  map[string]*Entry{},
		items:    map[string]*OpenItem{},
		keys:     map[string]string{},
		recorded: map[string]time.Time{},
		closed:   map[Period]bool{},
		debtors:  map[string]string{},
		byEntry:  map[string][]string{},
		byDebtor: map[string][]string{},
		openAmt:  map[string]int64{},
		sums:     map[string]*openSums{},
		live:     map[string][]string{},
		inLive:   map[string]bool{},
		seq:      map[string]int{},
		recovery: map[string]recovery{},

		invoiceStatus:  map[string]lastInvoice{},
		customerStatus: map[string]*statusv1.CustomerStatusChanged{},

		mergedInto: map[string]merger{},

		statements: map[string]StatementBalance{},
	}
}

// ErrUnknownEvent means Apply was given a message that is not a ledger event.
var ErrUnknownEvent = errors.New("not a ledger event")

// ErrInconsistentEvent means an event refers to an entry or item the books
// do not hold, or repeats one they hold: the event stream is corrupt or out
// of order.
var ErrInconsistentEvent = errors.New("event does not fit the books")

// Apply folds events into the books, in order.
func (l *Ledger) Apply(events ...proto.Message) error {
	for i, ev := range events {
		if err := l.apply(ev); err != nil {
			return fmt.Errorf("apply event %d (%s): %w", i, ev.ProtoReflect().Descriptor().Name(), err)
		}
	}
	return nil
}

func (l *Ledger) apply(ev proto.Message) error {
	switch e := ev.(type) {
	case *ledgerv1.CommandAccepted:
		l.keys[e.GetIdempotencyKey()] = e.GetContentHash()
		l.acceptedAt = e.GetRecordedAt().AsTime()
		for _, id := range e.GetEntryIds() {
			l.recorded[id] = e.GetRecordedAt().AsTime()
		}
	case *ledgerv1.JournalEntryPosted:
		if _, dup := l.entries[e.GetEntryId()]; dup {
			return fmt.Errorf("%w: entry %s posted twice", ErrInconsistentEvent, e.GetEntryId())
		}
		en := &Entry{
			ID: e.GetEntryId(), EffectiveDate: DateOf(e.GetEffectiveDate()), RecordedAt: l.recorded[e.GetEntryId()],
			DocumentNumber: e.GetDocumentNumber(), Text: e.GetText(), IdempotencyKey: e.GetIdempotencyKey(),
		}
		for _, g := range e.GetLegs() {
			en.Legs = append(en.Legs, Leg{Account: g.GetAccount(), Currency: g.GetAmount().GetCurrency(), Minor: g.GetAmount().GetMinorUnits(), DebtorID: g.GetDebtorId(), TaxKey: g.GetTaxKey()})
			if g.GetDebtorId() != "" {
				l.debtors[g.GetDebtorId()] = g.GetAccount()
			}
		}
		l.entries[en.ID] = en
	case *ledgerv1.OpenItemOpened:
		if _, dup := l.items[e.GetOpenItemId()]; dup {
			return fmt.Errorf("%w: open item %s opened twice", ErrInconsistentEvent, e.GetOpenItemId())
		}
		it := &OpenItem{
			ID: e.GetOpenItemId(), DebtorID: e.GetDebtorId(), DebtorAccount: e.GetDebtorAccount(), Kind: e.GetKind(),
			DocumentNumber: e.GetDocumentNumber(), OrderID: e.GetOrderId(), PaymentReference: e.GetPaymentReference(),
			EntryID: e.GetEntryId(), Currency: e.GetAmount().GetCurrency(), Amount: e.GetAmount().GetMinorUnits(),
			DocumentDate: DateOf(e.GetDocumentDate()), DueDate: DateOf(e.GetDueDate()), CreditedItem: e.GetCreditedOpenItemId(),
			Claim: e.GetOpenItemId(), Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, Dunnable: true,
		}
		l.items[it.ID] = it
		l.itemOrder = append(l.itemOrder, it.ID)
		l.byEntry[it.EntryID] = append(l.byEntry[it.EntryID], it.ID)
		l.byDebtor[it.DebtorID] = append(l.byDebtor[it.DebtorID], it.ID)
		l.seq[it.ID] = len(l.itemOrder)
		l.setOpen(it, it.Amount)
		l.markLive(it)
		l.debtors[it.DebtorID] = it.DebtorAccount
		if c := e.GetClassification(); c != nil {
			classifyItem(it, c)
		}
	case *ledgerv1.OpenItemClassified:
		it, ok := l.items[e.GetOpenItemId()]
		if !ok {
			return fmt.Errorf("%w: classify unknown open item %s", ErrInconsistentEvent, e.GetOpenItemId())
		}
		classifyItem(it, e)
	case *ledgerv1.OpenItemCleared:
		it, ok := l.items[e.GetOpenItemId()]
		if !ok {
			return fmt.Errorf("%w: clear unknown open item %s", ErrInconsistentEvent, e.GetOpenItemId())
		}
		for _, s := range e.GetSettlements() {
			it.Settlements = append(it.Settlements, Settlement{
				ID: s.GetSettlementId(), ItemID: it.ID, Amount: s.GetAmount().GetMinorUnits(), Kind: s.GetKind(),
				Document: s.GetDocument(), EntryID: s.GetEntryId(), CreditItemID: s.GetCreditItemId(), Date: DateOf(s.GetDate()),
				Actor: s.GetActor(), Rule: s.GetRule(),
			})
			l.setOpen(it, l.openAmt[it.ID]-s.GetAmount().GetMinorUnits())
		}
	case *ledgerv1.OpenItemReopened:
		it, ok := l.items[e.GetOpenItemId()]
		if !ok {
			return fmt.Errorf("%w: reopen unknown open item %s", ErrInconsistentEvent, e.GetOpenItemId())
		}
		for _, id := range e.GetSettlementIds() {
			i := slices.IndexFunc(it.Settlements, func(s Settlement) bool { return s.ID == id })
			if i < 0 {
				return fmt.Errorf("%w: reopen unknown settlement %s on %s", ErrInconsistentEvent, id, it.ID)
			}
			if !it.Settlements[i].Undone {
				it.Settlements[i].Undone = true
				l.setOpen(it, l.openAmt[it.ID]+it.Settlements[i].Amount)
			}
		}
		l.markLive(it)
	case *ledgerv1.JournalEntryReversed:
		orig, ok1 := l.entries[e.GetOriginalEntryId()]
		rev, ok2 := l.entries[e.GetReversalEntryId()]
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: reversal %s of %s", ErrInconsistentEvent, e.GetReversalEntryId(), e.GetOriginalEntryId())
		}
		orig.ReversedBy, rev.Reverses = rev.ID, orig.ID
		if r, ok := l.recovery[orig.ID]; ok {
			l.items[r.item].Recovered -= r.amount
		}
	case *ledgerv1.WriteOffRecovered:
		it, ok := l.items[e.GetOpenItemId()]
		if !ok {
			return fmt.Errorf("%w: recovery on unknown open item %s", ErrInconsistentEvent, e.GetOpenItemId())
		}
		it.Recovered += e.GetAmount().GetMinorUnits()
		l.recovery[e.GetEntryId()] = recovery{it.ID, e.GetAmount().GetMinorUnits()}
	case *ledgerv1.PeriodClosed:
		l.closed[Period{int(e.GetYear()), time.Month(e.GetMonth())}] = true
	case *ledgerv1.PeriodReopened:
		delete(l.closed, Period{int(e.GetYear()), time.Month(e.GetMonth())})
	case *ledgerv1.DebtorMerged:
		if e.GetDebtorId() != e.GetIntoDebtorId() {
			// The merge entry is dated on the merge date; a merge that
			// moved nothing has none and is dated when it was recorded.
			m := merger{into: e.GetIntoDebtorId(), date: DateAt(l.acceptedAt)}
			if en, ok := l.entries[e.GetEntryId()]; ok {
				m.date = en.EffectiveDate
			}
			if _, seen := l.mergedInto[e.GetDebtorId()]; !seen {
				l.mergedInto[e.GetDebtorId()] = m
			}
		}
	case *ledgerv1.StatementBalanceRecorded:
		return l.applyStatement(e)
	case *statusv1.InvoiceStatusChanged:
		l.invoiceStatus[e.GetOpenItemId()] = lastInvoiceOf(e)
	case *statusv1.CustomerStatusChanged:
		l.customerStatus[customerKey(e.GetDebtorId(), e.GetOpen().GetCurrency())] = e
	default:
		return fmt.Errorf("%w: %s", ErrUnknownEvent, ev.ProtoReflect().Descriptor().FullName())
	}
	return nil
}

// openSums are the running sums of a debtor's open items in one
// currency.
type openSums struct {
	// open is the sum of the positive open amounts, credit that of the
	// negative ones, as a positive number.
	open, credit int64
	// invoices counts the invoices with a positive open amount, credits
	// the items with a negative one.
	invoices, credits int32
}

// count adds (sign 1) or removes (sign -1) an item with open amount amt.
// The sums wrap like the loop over the items they replace would; an
// item's amount and every settlement were checked for overflow when they
// were decided.
func (s *openSums) count(it *OpenItem, amt int64, sign int64) {
	switch {
	case amt > 0:
		s.open += sign * amt
		if it.Kind == KindInvoice {
			s.invoices += int32(sign)
		}
	case amt < 0:
		s.credit -= sign * amt
		s.credits += int32(sign)
	}
}

// setOpen sets the item's open amount and keeps its debtor's sums.
func (l *Ledger) setOpen(it *OpenItem, amt int64) {
	key := customerKey(it.DebtorID, it.Currency)
	s := l.sums[key]
	if s == nil {
		s = &openSums{}
		l.sums[key] = s
	}
	s.count(it, l.openAmt[it.ID], -1)
	l.openAmt[it.ID] = amt
	s.count(it, amt, 1)
}

func (l *Ledger) markLive(it *OpenItem) {
	if !l.inLive[it.ID] && l.openAmt[it.ID] != 0 {
		l.inLive[it.ID] = true
		l.live[it.DebtorID] = append(l.live[it.DebtorID], it.ID)
	}
}

// liveItems returns the debtor's items with a non-zero open amount in order
// of opening, dropping settled ones from the cache as it goes.
func (l *Ledger) liveItems(debtor string) []*OpenItem {
	ids := l.live[debtor]
	kept := ids[:0]
	var out []*OpenItem
	for _, id := range ids {
		if l.openAmt[id] == 0 {
			delete(l.inLive, id)
			continue
		}
		kept = append(kept, id)
		out = append(out, l.items[id])
	}
	l.live[debtor] = kept
	slices.SortFunc(out, func(a, b *OpenItem) int { return l.seq[a.ID] - l.seq[b.ID] })
	return out
}

// Item returns a copy of the open item with the given id.
func (l *Ledger) Item(id string) (OpenItem, bool) {
	it, ok := l.items[id]
	if !ok {
		return OpenItem{}, false
	}
	return copyItem(it), true
}

func copyItem(it *OpenItem) OpenItem {
	c := *it
	c.VAT = slices.Clone(it.VAT)
	c.Settlements = slices.Clone(it.Settlements)
	return c
}

// Items returns copies of every open item, settled or not, in order of
// opening.
func (l *Ledger) Items() []OpenItem {
	out := make([]OpenItem, 0, len(l.itemOrder))
	for _, id := range l.itemOrder {
		out = append(out, copyItem(l.items[id]))
	}
	return out
}

// Entry returns a copy of the journal entry with the given id.
func (l *Ledger) Entry(id string) (Entry, bool) {
	e, ok := l.entries[id]
	if !ok {
		return Entry{}, false
	}
	c := *e
	c.Legs = slices.Clone(e.Legs)
	return c, true
}

// Entries returns copies of every journal entry, ordered by id.
func (l *Ledger) Entries() []Entry {
	ids := make([]string, 0, len(l.entries))
	for id := range l.entries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]Entry, 0, len(ids))
	for _, id := range ids {
		e, _ := l.Entry(id)
		out = append(out, e)
	}
	return out
}

// DebtorAccountOf returns the personal account of a debtor the books know.
func (l *Ledger) DebtorAccountOf(debtorID string) (string, bool) {
	a, ok := l.debtors[debtorID]
	return a, ok
}

// PersonalAccount returns the personal account a debtor's bookings go to:
// the one the books hold them on, or, for a marketplace debtor they have
// not booked yet, the one the chart names for its marketplace and currency
// (Chart.Marketplaces). It reports false when the debtor needs a number
// from the debtor range (Directory.DebtorAccount). A debtor has one
// personal account for good: a marketplace debtor first booked without a
// configured account keeps the number it got.
func (l *Ledger) PersonalAccount(debtorID string) (string, bool) {
	if a, ok := l.debtors[debtorID]; ok {
		return a, true
	}
	if mp, cur, ok := MarketplaceOf(debtorID); ok {
		if a, err := l.cfg.Chart.MarketplaceDebtor(mp, cur); err == nil {
			return a, true
		}
	}
	return "", false
}

// Closed reports whether period p is closed.
func (l *Ledger) Closed(p Period) bool { return l.closed[p] }

// classifyItem sets the item's claim, component, VAT, marketplace, buyer,
// dunning flag and source document from c, which is either a separate
// OpenItemClassified (older streams) or the OpenItemOpened's own
// classification: both mean the same.
func classifyItem(it *OpenItem, c *ledgerv1.OpenItemClassified) {
	if c.GetClaimOpenItemId() != "" {
		it.Claim = c.GetClaimOpenItemId()
	}
	if c.GetComponent() != ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_UNSPECIFIED {
		it.Component = c.GetComponent()
	}
	it.VAT = nil
	for _, v := range c.GetVat() {
		it.VAT = append(it.VAT, vatOf(v, v.GetNet().GetMinorUnits(), v.GetVat().GetMinorUnits()))
	}
	it.Marketplace, it.BuyerReference, it.Dunnable, it.SourceDocument = c.GetMarketplace(), c.GetBuyerReference(), c.GetDunnable(), c.GetSourceDocument()
}
