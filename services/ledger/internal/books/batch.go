package books

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/o2c-platform/o2c/libs/money"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// maxAmount bounds every amount in a command: money.MaxAbs, 10^15 minor
// units (ten trillion euros). Sums of amounts are overflow-checked all the
// same, since the number of lines or allocations of a command is not.
const maxAmount = money.MaxAbs

// batch collects the events of one command while it is decided. open and
// fresh track what the command itself changed, so later steps of the same
// command see it; the Ledger is not touched.
type batch struct {
	l        *Ledger
	o        Origin
	key      string
	events   []proto.Message
	entryIDs []string
	open     map[string]int64
	fresh    map[string]*OpenItem
	undone   map[string]bool
	seq      int
}

// decide runs body for a command and prefixes its events with
// CommandAccepted. A retry (same key, same content hash) returns no events
// and no error.
func (l *Ledger) decide(cmd proto.Message, tenant, key string, o Origin, body func(*batch) error) ([]proto.Message, error) {
	name := string(cmd.ProtoReflect().Descriptor().Name())
	if cmd != l.checked {
		if err := CheckStorable(cmd); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := checkDebtorIDs(cmd); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if key == "" {
		return nil, fmt.Errorf("%s: %w", name, invalid("idempotency_key", "missing"))
	}
	if tenant != l.tenant {
		return nil, fmt.Errorf("%s %s: %w", name, key, invalid("tenant", "%q, these are the books of %q", tenant, l.tenant))
	}
	h := ContentHash(cmd)
	if prev, ok := l.keys[key]; ok {
		if prev == h {
			return nil, nil
		}
		return nil, fmt.Errorf("%s %s: %w", name, key, ErrIdempotencyConflict)
	}
	b := &batch{l: l, o: o, key: key, open: map[string]int64{}, fresh: map[string]*OpenItem{}, undone: map[string]bool{}}
	if err := body(b); err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, key, err)
	}
	acc := &ledgerv1.CommandAccepted{
		Tenant: l.tenant, IdempotencyKey: key, ContentHash: h,
		Command: string(cmd.ProtoReflect().Descriptor().FullName()), Actor: o.Actor,
		RecordedAt: timestamppb.New(o.Now), EntryIds: b.entryIDs,
	}
	return append([]proto.Message{acc}, b.events...), nil
}

// derive returns a stable id for one thing a document causes.
func (b *batch) derive(parts ...string) string {
	return uuid.NewSHA1(namespace, []byte(b.l.tenant+"\x00"+strings.Join(parts, "\x00"))).String()
}

func (b *batch) emit(ev proto.Message) { b.events = append(b.events, ev) }

func (b *batch) item(id string) (*OpenItem, bool) {
	if it, ok := b.fresh[id]; ok {
		return it, true
	}
	it, ok := b.l.items[id]
	return it, ok
}

func (b *batch) openOf(it *OpenItem) int64 {
	if v, ok := b.open[it.ID]; ok {
		return v
	}
	return b.l.openAmt[it.ID]
}

func (b *batch) chart() Chart { return b.l.cfg.Chart }

func (b *batch) account(l Logical) string {
	a, err := b.chart().Account(l)
	if err != nil {
		// Every logical account has a standard number; an empty override
		// falls back to it, so this cannot happen.
		return string(l)
	}
	return a
}

func (b *batch) recordingDate() Date { return DateAt(b.o.Now) }

// post validates and emits a journal entry. Zero legs are dropped.
func (b *batch) post(id string, date Date, doc, text string, legs []Leg) error {
	if !date.Valid() {
		return invalid("date", "%s is not a calendar date", date)
	}
	if b.l.closed[date.Period()] {
		return &PeriodClosedError{Period: date.Period(), Date: date}
	}
	if _, dup := b.l.entries[id]; dup || slices.Contains(b.entryIDs, id) {
		return fmt.Errorf("%w: %s", ErrDuplicateDocument, doc)
	}
	e := &ledgerv1.JournalEntryPosted{
		Tenant: b.l.tenant, EntryId: id, EffectiveDate: date.Proto(), DocumentNumber: doc, Text: text, IdempotencyKey: b.key,
	}
	for _, g := range legs {
		if g.Minor == 0 {
			continue
		}
		e.Legs = append(e.Legs, &ledgerv1.JournalLeg{
			Account: g.Account, Amount: &commonv1.Money{MinorUnits: g.Minor, Currency: g.Currency}, DebtorId: g.DebtorID, TaxKey: g.TaxKey,
		})
	}
	if err := CheckBalanced(e); err != nil {
		return err
	}
	b.emit(e)
	b.entryIDs = append(b.entryIDs, id)
	return nil
}

// openItem emits OpenItemOpened for it, with its classification inside
// (older streams hold the classification as a separate OpenItemClassified
// after the opening; Apply reads both alike).
func (b *batch) openItem(it *OpenItem) {
	c := &ledgerv1.OpenItemClassified{
		Tenant: b.l.tenant, OpenItemId: it.ID, ClaimOpenItemId: it.Claim, Component: it.Component,
		Marketplace: it.Marketplace, BuyerReference: it.BuyerReference, Dunnable: it.Dunnable, SourceDocument: it.SourceDocument,
	}
	for _, v := range it.VAT {
		c.Vat = append(c.Vat, v.proto(it.Currency))
	}
	b.emit(&ledgerv1.OpenItemOpened{
		Tenant: b.l.tenant, OpenItemId: it.ID, DebtorId: it.DebtorID, DebtorAccount: it.DebtorAccount, Kind: it.Kind,
		DocumentNumber: it.DocumentNumber, OrderId: it.OrderID, Amount: &commonv1.Money{MinorUnits: it.Amount, Currency: it.Currency},
		DocumentDate: it.DocumentDate.Proto(), DueDate: it.DueDate.Proto(), PaymentReference: it.PaymentReference, EntryId: it.EntryID,
		Classification: c, CreditedOpenItemId: it.CreditedItem,
	})
	b.fresh[it.ID] = it
	b.open[it.ID] = it.Amount
}

// settle emits a settlement of amount (with the item's sign) on it.
func (b *batch) settle(it *OpenItem, amount int64, kind ledgerv1.SettlementKind, doc, entryID, other string, date Date, rule string) {
	b.seq++
	open := b.openOf(it) - amount
	b.open[it.ID] = open
	b.emit(&ledgerv1.OpenItemCleared{
		Tenant: b.l.tenant, OpenItemId: it.ID, DebtorId: it.DebtorID,
		Settlements: []*ledgerv1.Settlement{{
			SettlementId: b.derive(b.key, "settlement", strconv.Itoa(b.seq)), OpenItemId: it.ID,
			Amount: &commonv1.Money{MinorUnits: amount, Currency: it.Currency}, Kind: kind, Document: doc,
			EntryId: entryID, CreditItemId: other, Date: date.Proto(), Actor: b.o.Actor, Rule: rule,
		}},
		OpenAmount: &commonv1.Money{MinorUnits: open, Currency: it.Currency},
	})
}

// undo emits the reopening of settlement s of it, once per batch.
func (b *batch) undo(it *OpenItem, s Settlement, entryID, reason string) {
	if b.undone[s.ID] {
		return
	}
	b.undone[s.ID] = true
	open := b.openOf(it) + s.Amount
	b.open[it.ID] = open
	b.emit(&ledgerv1.OpenItemReopened{
		Tenant: b.l.tenant, OpenItemId: it.ID, DebtorId: it.DebtorID, SettlementIds: []string{s.ID},
		Amount:     &commonv1.Money{MinorUnits: s.Amount, Currency: it.Currency},
		OpenAmount: &commonv1.Money{MinorUnits: open, Currency: it.Currency}, EntryId: entryID, Reason: reason,
	})
}

// undoOffset undoes a credit offset on both items it touched.
func (b *batch) undoOffset(s Settlement, entryID, reason string) {
	for _, id := range []string{s.ItemID, s.CreditItemID} {
		it, ok := b.l.items[id]
		if !ok {
			continue
		}
		for _, t := range it.Settlements {
			if !t.Undone && t.Kind == ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_OFFSET && t.Document == s.Document {
				b.undo(it, t, entryID, reason)
			}
		}
	}
}

// offsetCredits lets a new debit item consume the debtor's credit balances
// in the same currency, oldest first. Both sit on the same personal
// account, so no entry is posted.
func (b *batch) offsetCredits(debit *OpenItem, date Date) {
	// Most debtors have no credit open: the running sums say so without
	// a look at each item. An item this decision changed counts with its
	// amount here (b.open); the loop below takes only the debtor's items
	// the books held before it.
	credit := false
	if s := b.l.sums[customerKey(debit.DebtorID, debit.Currency)]; s != nil && s.credits > 0 {
		credit = true
	}
	for id, amt := range b.open {
		if credit {
			break
		}
		if it := b.l.items[id]; amt < 0 && it != nil && it.DebtorID == debit.DebtorID && it.Currency == debit.Currency {
			credit = true
		}
	}
	if !credit {
		return
	}
	for _, cr := range b.l.liveItems(debit.DebtorID) {
		left := b.openOf(debit)
		if left <= 0 {
			return
		}
		if cr.DebtorID != debit.DebtorID || cr.Currency != debit.Currency {
			continue
		}
		avail := -b.openOf(cr)
		if avail <= 0 {
			continue
		}
		x := min(left, avail)
		pair := "offset:" + b.derive(b.key, "offset", debit.ID, cr.ID)
		b.settle(debit, x, ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_OFFSET, pair, "", cr.ID, date, "credit-offset")
		b.settle(cr, -x, ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_OFFSET, pair, "", debit.ID, date, "credit-offset")
	}
}

// debtorAccount returns the personal account of a debtor: the one the books
// know, else the one the caller assigned.
func (b *batch) debtorAccount(debtorID, assigned string) (string, error) {
	if debtorID == "" {
		return "", invalid("debtor_id", "missing")
	}
	if a, ok := b.l.debtors[debtorID]; ok {
		return a, nil
	}
	if assigned == "" {
		return "", fmt.Errorf("%w %q", ErrUnknownDebtor, debtorID)
	}
	if strings.Trim(assigned, "0123456789") != "" {
		return "", invalid("debtor account", "%q is not an account number", assigned)
	}
	return assigned, nil
}

// newDebtorAccount is debtorAccount for a command that may open the
// debtor's account: a marketplace debtor the books have not booked yet
// takes the account the chart names for it (Ledger.PersonalAccount), so
// that its one personal account is that one, and the caller assigns none.
func (b *batch) newDebtorAccount(debtorID, assigned string) (string, error) {
	if debtorID != "" {
		if a, ok := b.l.PersonalAccount(debtorID); ok {
			return a, nil
		}
	}
	return b.debtorAccount(debtorID, assigned)
}

func checkCurrency(cur string) error {
	if _, err := money.New(0, cur); err != nil {
		return invalid("currency", "%v", err)
	}
	return nil
}

// amountText writes minor units of cur as a clerk reads them: "119.00 EUR".
func amountText(minor int64, cur string) string {
	exp, ok := money.Exponent(cur)
	if !ok {
		return fmt.Sprintf("%d minor units of %q", minor, cur)
	}
	return money.FormatMinor(minor, exp) + " " + cur
}

// amountOf checks m against cur and the sign rules: positive, or zero or
// absent when zeroOK.
func amountOf(field string, m *commonv1.Money, cur string, zeroOK bool) (int64, error) {
	if m == nil || m.GetMinorUnits() == 0 && m.GetCurrency() == "" {
		if zeroOK {
			return 0, nil
		}
		return 0, invalid(field, "missing")
	}
	if m.GetCurrency() != cur {
		return 0, invalid(field, "currency %q, want %q", m.GetCurrency(), cur)
	}
	v := m.GetMinorUnits()
	switch {
	case v < 0:
		return 0, invalid(field, "negative (%d)", v)
	case v == 0 && !zeroOK:
		return 0, invalid(field, "zero")
	case v > maxAmount:
		return 0, invalid(field, "%d minor units is more than the ledger accepts", v)
	}
	return v, nil
}

func dateField(field string, d *commonv1.Date) (Date, error) {
	v := DateOf(d)
	if d == nil || !v.Valid() {
		return Date{}, invalid(field, "%v is not a calendar date", v)
	}
	return v, nil
}

// vatLines checks VAT lines against cur and gross, and each line's tax key
// with mapped (see suppliedOn and correctedOn), and returns them.
func vatLines(lines []*ledgerv1.VatAmount, cur string, grossMsg *commonv1.Money, mapped func(VAT) error) ([]VAT, int64, error) {
	gross, err := amountOf("gross", grossMsg, cur, false)
	if err != nil {
		return nil, 0, err
	}
	if len(lines) == 0 {
		return nil, 0, invalid("vat", "no VAT lines")
	}
	var out []VAT
	var sum int64
	for i, v := range lines {
		if err := mapped(vatOf(v, 0, 0)); err != nil {
			return nil, 0, fmt.Errorf("vat[%d]: %w", i, err)
		}
		net, err := amountOf(fmt.Sprintf("vat[%d].net", i), v.GetNet(), cur, true)
		if err != nil {
			return nil, 0, err
		}
		tax, err := amountOf(fmt.Sprintf("vat[%d].vat", i), v.GetVat(), cur, true)
		if err != nil {
			return nil, 0, err
		}
		if v.GetRateBp() == 0 && tax != 0 {
			return nil, 0, invalid(fmt.Sprintf("vat[%d].vat", i), "VAT at rate 0")
		}
		out = append(out, vatOf(v, net, tax))
		if sum, err = money.Sum(sum, net, tax); err != nil {
			return nil, 0, overflow("vat", err)
		}
	}
	if sum != gross {
		return nil, 0, invalid("gross", "%s, but net and VAT sum to %s", amountText(gross, cur), amountText(sum, cur))
	}
	return out, gross, nil
}

// splitVAT divides amount of an item in proportion to its VAT lines (net and
// tax of every rate as weights, largest remainder), so that VAT follows the
// money. Items without VAT lines yield one tax-free part. Lines that cannot
// carry a proportional split (a negative net or tax, lines that sum to
// zero or beyond int64, an amount beyond maxAmount) fail with ErrVATSplit in
// an *InvalidCommandError: the amount is never booked as tax-free instead.
func splitVAT(vat []VAT, amount int64, cur string) ([]VAT, error) {
	if len(vat) == 0 {
		return []VAT{{RateBP: 0, Net: amount}}, nil
	}
	fail := func(format string, args ...any) ([]VAT, error) {
		return nil, &InvalidCommandError{Field: "amount", Err: ErrVATSplit,
			Reason: amountText(amount, cur) + " cannot be split over the item's VAT lines: " + fmt.Sprintf(format, args...)}
	}
	if !money.InBounds(amount) {
		return fail("beyond %d minor units", maxAmount)
	}
	weights := make([]int64, 0, 2*len(vat))
	var total int64
	for i, v := range vat {
		if v.Net < 0 || v.Tax < 0 {
			return fail("line %d (rate %d) is negative", i, v.RateBP)
		}
		weights = append(weights, v.Net, v.Tax)
		var err error
		if total, err = money.Sum(total, v.Net, v.Tax); err != nil {
			return fail("the lines sum beyond int64")
		}
	}
	if total == 0 {
		return fail("the lines carry no amount")
	}
	parts, err := money.Amount{Minor: amount, Currency: cur}.Split(weights)
	if err != nil {
		return fail("%v", err)
	}
	out := make([]VAT, len(vat))
	for i, v := range vat {
		out[i] = VAT{RateBP: v.RateBP, Net: parts[2*i].Minor, Tax: parts[2*i+1].Minor, Country: v.Country, Treatment: v.Treatment}
	}
	return out, nil
}

// vatLegs returns, per VAT part, a net leg on the account pick chooses (with
// the key's tax key) and a tax leg on output VAT; sign is +1 for debits.
// The accounts are those of a supply on date for an invoice (supply set),
// else of a correction booked on date. It fails with ErrUnsupportedRate
// when the chart does not map a part's key; keys are checked when a
// document is accepted, so for an open item's parts only a tax table
// changed since can cause that.
func (b *batch) vatLegs(parts []VAT, cur string, date Date, supply bool, sign int64, pick func(rateAccounts) Logical, netAccount Logical) ([]Leg, error) {
	var legs []Leg
	for _, p := range parts {
		ra, err := b.chart().correction(p.Key(), date)
		if supply {
			ra, err = b.chart().supply(p.Key(), date)
		}
		if err != nil {
			return nil, err
		}
		acc := netAccount
		if pick != nil {
			acc = pick(ra)
		}
		legs = append(legs, Leg{Account: b.account(acc), Currency: cur, Minor: sign * p.Net, TaxKey: ra.taxKey})
		if p.Tax != 0 {
			legs = append(legs, Leg{Account: b.account(ra.vat), Currency: cur, Minor: sign * p.Tax})
		}
	}
	return legs, nil
}

// receivingAccount returns the bank (by IBAN) or clearing account.
func (b *batch) receivingAccount(iban, clearing string) (string, error) {
	switch {
	case iban != "" && clearing != "":
		return "", invalid("iban", "both iban and clearing_account are set")
	case iban != "":
		return b.chart().Bank(iban)
	case clearing != "":
		return b.chart().ClearingAccount(clearing)
	}
	return "", invalid("iban", "neither iban nor clearing_account is set")
}
