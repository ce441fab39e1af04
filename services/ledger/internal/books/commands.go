package books

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/o2c-platform/o2c/libs/money"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// maxAmount bounds every amount in a command (10^15 minor units, ten
// trillion euros) so that sums over any realistic number of legs cannot
// overflow int64.
const maxAmount = 1_000_000_000_000_000

// Open item kinds (OpenItemOpened.kind).
const (
	KindInvoice          = "invoice"
	KindOpeningBalance   = "opening_balance"
	KindCreditBalance    = "credit_balance"
	KindDunningFee       = "dunning_fee"
	KindDefaultInterest  = "default_interest"
	KindReturnedDebitFee = "returned_debit_fee"
)

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

// openItem emits OpenItemOpened and OpenItemClassified for it.
func (b *batch) openItem(it *OpenItem) {
	b.emit(&ledgerv1.OpenItemOpened{
		Tenant: b.l.tenant, OpenItemId: it.ID, DebtorId: it.DebtorID, DebtorAccount: it.DebtorAccount, Kind: it.Kind,
		DocumentNumber: it.DocumentNumber, OrderId: it.OrderID, Amount: &commonv1.Money{MinorUnits: it.Amount, Currency: it.Currency},
		DocumentDate: it.DocumentDate.Proto(), DueDate: it.DueDate.Proto(), PaymentReference: it.PaymentReference, EntryId: it.EntryID,
	})
	c := &ledgerv1.OpenItemClassified{
		Tenant: b.l.tenant, OpenItemId: it.ID, ClaimOpenItemId: it.Claim, Component: it.Component,
		Marketplace: it.Marketplace, BuyerReference: it.BuyerReference, Dunnable: it.Dunnable, SourceDocument: it.SourceDocument,
	}
	for _, v := range it.VAT {
		c.Vat = append(c.Vat, &ledgerv1.VatAmount{RateBp: v.RateBP, Net: &commonv1.Money{MinorUnits: v.Net, Currency: it.Currency}, Vat: &commonv1.Money{MinorUnits: v.Tax, Currency: it.Currency}})
	}
	b.emit(c)
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

func checkCurrency(cur string) error {
	if _, err := money.New(0, cur); err != nil {
		return invalid("currency", "%v", err)
	}
	return nil
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

// vatLines checks VAT lines against cur and gross and returns them.
func vatLines(lines []*ledgerv1.VatAmount, cur string, grossMsg *commonv1.Money) ([]VAT, int64, error) {
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
		if _, err := forRate(v.GetRateBp()); err != nil {
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
		out = append(out, VAT{RateBP: v.GetRateBp(), Net: net, Tax: tax})
		sum += net + tax
	}
	if sum != gross {
		return nil, 0, invalid("gross", "%d, but net and VAT sum to %d", gross, sum)
	}
	return out, gross, nil
}

// splitVAT divides amount of an item in proportion to its VAT lines (net and
// tax of every rate as weights, largest remainder), so that VAT follows the
// money. Items without VAT lines yield one tax-free part.
func splitVAT(vat []VAT, amount int64, cur string) []VAT {
	weights := make([]int64, 0, 2*len(vat))
	var total int64
	for _, v := range vat {
		weights = append(weights, v.Net, v.Tax)
		total += v.Net + v.Tax
	}
	if total == 0 {
		return []VAT{{RateBP: 0, Net: amount}}
	}
	parts, err := money.Amount{Minor: amount, Currency: cur}.Split(weights)
	if err != nil {
		return []VAT{{RateBP: 0, Net: amount}}
	}
	out := make([]VAT, len(vat))
	for i, v := range vat {
		out[i] = VAT{RateBP: v.RateBP, Net: parts[2*i].Minor, Tax: parts[2*i+1].Minor}
	}
	return out
}

// vatLegs returns, per VAT part, a net leg on the account pick chooses (with
// the rate's tax key) and a tax leg on output VAT; sign is +1 for debits.
func (b *batch) vatLegs(parts []VAT, cur string, sign int64, pick func(rateAccounts) Logical, netAccount Logical) []Leg {
	var legs []Leg
	for _, p := range parts {
		ra, err := forRate(p.RateBP)
		if err != nil {
			continue // rates were checked when the item was opened
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
	return legs
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

// RegisterInvoice books an invoice. debtorAccount is the personal account
// the caller assigned to a debtor the books have not seen (ignored when they
// know the debtor, and for marketplace orders, whose account comes from the
// chart). The new item consumes any credit balance of the debtor.
func (l *Ledger) RegisterInvoice(cmd *ledgerv1.RegisterInvoice, debtorAccount string, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		cur, num := cmd.GetCurrency(), cmd.GetInvoiceNumber()
		if err := checkCurrency(cur); err != nil {
			return err
		}
		if num == "" {
			return invalid("invoice_number", "missing")
		}
		debtor, buyer, mp := cmd.GetDebtorId(), "", cmd.GetMarketplace()
		var account string
		var err error
		if mp != "" {
			buyer, debtor = debtor, MarketplaceDebtorID(mp, cur)
			account, err = b.chart().MarketplaceDebtor(mp, cur)
		} else {
			account, err = b.debtorAccount(debtor, debtorAccount)
		}
		if err != nil {
			return err
		}
		vat, gross, err := vatLines(cmd.GetVat(), cur, cmd.GetGross())
		if err != nil {
			return err
		}
		issue, err := dateField("issue_date", cmd.GetIssueDate())
		if err != nil {
			return err
		}
		due, err := dateField("due_date", cmd.GetDueDate())
		if err != nil {
			return err
		}
		entryID := b.derive("invoice", num, "entry")
		legs := append([]Leg{{Account: account, Currency: cur, Minor: gross, DebtorID: debtor}},
			b.vatLegs(vat, cur, -1, func(r rateAccounts) Logical { return r.revenue }, "")...)
		if err := b.post(entryID, issue, num, "Rechnung "+num, legs); err != nil {
			return err
		}
		it := &OpenItem{
			ID: b.derive("invoice", num, "open-item"), DebtorID: debtor, DebtorAccount: account, Kind: KindInvoice,
			DocumentNumber: num, OrderID: cmd.GetOrderId(), PaymentReference: cmd.GetPaymentReference(), EntryID: entryID,
			Currency: cur, Amount: gross, DocumentDate: issue, DueDate: due,
			Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, VAT: vat,
			Marketplace: mp, BuyerReference: buyer, Dunnable: mp == "",
		}
		it.Claim = it.ID
		b.openItem(it)
		b.offsetCredits(it, issue)
		return nil
	})
}

// RecordOpeningBalance books an open item taken over from a previous system
// against the debtor opening balance account. A negative amount is a credit
// balance.
func (l *Ledger) RecordOpeningBalance(cmd *ledgerv1.RecordOpeningBalance, debtorAccount string, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		cur, doc := cmd.GetAmount().GetCurrency(), cmd.GetDocumentNumber()
		if err := checkCurrency(cur); err != nil {
			return err
		}
		if doc == "" {
			return invalid("document_number", "missing")
		}
		account, err := b.debtorAccount(cmd.GetDebtorId(), debtorAccount)
		if err != nil {
			return err
		}
		amount := cmd.GetAmount().GetMinorUnits()
		if amount == 0 || amount > maxAmount || amount < -maxAmount {
			return invalid("amount", "%d minor units", amount)
		}
		var vat []VAT
		if len(cmd.GetVat()) > 0 {
			if amount < 0 {
				return invalid("vat", "VAT lines on a credit balance")
			}
			if vat, _, err = vatLines(cmd.GetVat(), cur, cmd.GetAmount()); err != nil {
				return err
			}
		}
		docDate, err := dateField("document_date", cmd.GetDocumentDate())
		if err != nil {
			return err
		}
		due, err := dateField("due_date", cmd.GetDueDate())
		if err != nil {
			return err
		}
		booking, err := dateField("booking_date", cmd.GetBookingDate())
		if err != nil {
			return err
		}
		entryID := b.derive("opening", doc, "entry")
		if err := b.post(entryID, booking, doc, "Saldenvortrag "+doc, []Leg{
			{Account: account, Currency: cur, Minor: amount, DebtorID: cmd.GetDebtorId()},
			{Account: b.account(OpeningBalanceDebtors), Currency: cur, Minor: -amount},
		}); err != nil {
			return err
		}
		it := &OpenItem{
			ID: b.derive("opening", doc, "open-item"), DebtorID: cmd.GetDebtorId(), DebtorAccount: account, Kind: KindOpeningBalance,
			DocumentNumber: doc, PaymentReference: cmd.GetPaymentReference(), EntryID: entryID, Currency: cur, Amount: amount,
			DocumentDate: docDate, DueDate: due, Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, VAT: vat, Dunnable: true,
		}
		if amount < 0 {
			it.Component, it.Dunnable, it.SourceDocument = ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_CREDIT, false, doc
		}
		it.Claim = it.ID
		b.openItem(it)
		return nil
	})
}

// AssessCharge books a dunning fee, default interest or returned-debit fee
// and opens an item for it in the claim it names. Charges carry no VAT.
func (l *Ledger) AssessCharge(cmd *ledgerv1.AssessCharge, debtorAccount string, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		cur, doc := cmd.GetAmount().GetCurrency(), cmd.GetDocumentNumber()
		if err := checkCurrency(cur); err != nil {
			return err
		}
		if doc == "" {
			return invalid("document_number", "missing")
		}
		var kind string
		var comp ledgerv1.OpenItemComponent
		var income Logical
		switch cmd.GetKind() {
		case ledgerv1.ChargeKind_CHARGE_KIND_DUNNING_FEE:
			kind, comp, income = KindDunningFee, ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS, ChargeIncome
		case ledgerv1.ChargeKind_CHARGE_KIND_RETURNED_DEBIT_FEE:
			kind, comp, income = KindReturnedDebitFee, ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS, ChargeIncome
		case ledgerv1.ChargeKind_CHARGE_KIND_DEFAULT_INTEREST:
			kind, comp, income = KindDefaultInterest, ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_INTEREST, InterestIncome
		default:
			return invalid("kind", "%v", cmd.GetKind())
		}
		account, err := b.debtorAccount(cmd.GetDebtorId(), debtorAccount)
		if err != nil {
			return err
		}
		amount, err := amountOf("amount", cmd.GetAmount(), cur, false)
		if err != nil {
			return err
		}
		date, err := dateField("assessed_date", cmd.GetAssessedDate())
		if err != nil {
			return err
		}
		due, err := dateField("due_date", cmd.GetDueDate())
		if err != nil {
			return err
		}
		id := b.derive("charge", doc, "open-item")
		claim := id
		if c := cmd.GetClaimOpenItemId(); c != "" {
			ci, ok := b.item(c)
			if !ok {
				return fmt.Errorf("claim_open_item_id: %w %q", ErrUnknownOpenItem, c)
			}
			if ci.DebtorID != cmd.GetDebtorId() || ci.Currency != cur {
				return invalid("claim_open_item_id", "item %s belongs to debtor %s in %s", c, ci.DebtorID, ci.Currency)
			}
			claim = ci.Claim
		}
		entryID := b.derive("charge", doc, "entry")
		if err := b.post(entryID, date, doc, kind+" "+doc, []Leg{
			{Account: account, Currency: cur, Minor: amount, DebtorID: cmd.GetDebtorId()},
			{Account: b.account(income), Currency: cur, Minor: -amount},
		}); err != nil {
			return err
		}
		it := &OpenItem{
			ID: id, DebtorID: cmd.GetDebtorId(), DebtorAccount: account, Kind: kind, DocumentNumber: doc, EntryID: entryID,
			Currency: cur, Amount: amount, DocumentDate: date, DueDate: due, Claim: claim, Component: comp, Dunnable: true,
		}
		b.openItem(it)
		b.offsetCredits(it, date)
		return nil
	})
}

// allocation is the part of a payment or credit applied to one item.
type allocation struct {
	item                         *OpenItem
	amount, discount, difference int64
	rule                         string
}

// explicitAllocations validates the sender's allocations.
func (b *batch) explicitAllocations(debtor, cur string, total int64, in []*ledgerv1.Allocation) ([]allocation, error) {
	var out []allocation
	var sum int64
	left := map[string]int64{}
	for i, a := range in {
		id := a.GetOpenItemId()
		it, ok := b.item(id)
		if !ok {
			return nil, &AllocationError{OpenItemID: id, Reason: fmt.Sprintf("allocations[%d]: no such open item", i)}
		}
		if it.DebtorID != debtor || it.Currency != cur {
			return nil, &AllocationError{OpenItemID: id, Reason: fmt.Sprintf("belongs to debtor %s in %s, not %s in %s", it.DebtorID, it.Currency, debtor, cur)}
		}
		if it.Amount < 0 {
			return nil, &AllocationError{OpenItemID: id, Reason: "is a credit balance"}
		}
		amt, err := amountOf(fmt.Sprintf("allocations[%d].amount", i), a.GetAmount(), cur, true)
		if err != nil {
			return nil, err
		}
		disc, err := amountOf(fmt.Sprintf("allocations[%d].cash_discount", i), a.GetCashDiscount(), cur, true)
		if err != nil {
			return nil, err
		}
		diff, err := amountOf(fmt.Sprintf("allocations[%d].difference", i), a.GetDifference(), cur, true)
		if err != nil {
			return nil, err
		}
		if amt+disc+diff == 0 {
			return nil, &AllocationError{OpenItemID: id, Reason: "allocates nothing"}
		}
		open, seen := left[id]
		if !seen {
			open = b.openOf(it)
		}
		if amt+disc+diff > open {
			return nil, &AllocationError{OpenItemID: id, Reason: fmt.Sprintf("allocates %d, only %d open", amt+disc+diff, open)}
		}
		left[id] = open - amt - disc - diff
		sum += amt
		out = append(out, allocation{item: it, amount: amt, discount: disc, difference: diff, rule: "explicit"})
	}
	if sum > total {
		return nil, &AllocationError{Reason: fmt.Sprintf("allocations sum to %d, more than the %d paid", sum, total)}
	}
	return out, nil
}

// autoAllocations allocates total to the debtor's open debit items in the
// configured order.
func (b *batch) autoAllocations(debtor, cur string, total int64, named []string, date Date) []allocation {
	var cands []*OpenItem
	for _, it := range b.l.liveItems(debtor) {
		if it.DebtorID == debtor && it.Currency == cur && it.Amount > 0 && b.openOf(it) > 0 {
			cands = append(cands, it)
		}
	}
	order := b.l.cfg.Order
	sortForAllocation(cands, order, named, date, b.l.items)
	var out []allocation
	for _, it := range cands {
		if total == 0 {
			break
		}
		x := min(total, b.openOf(it))
		total -= x
		out = append(out, allocation{item: it, amount: x, rule: order.rule()})
	}
	return out
}

// sortForAllocation orders items for an allocation without instructions.
// Under OrderBGB items are grouped into claims (a principal with the charges
// assessed on it); claims are ordered by whether the payer named them
// (§366 (1)), whether they are due at the payment date, their due date, and
// their age (§366 (2)); within a claim costs come first, then interest, then
// the principal (§367 (1)). Ties fall to the document number and id.
func sortForAllocation(items []*OpenItem, order AllocationOrder, named []string, date Date, all map[string]*OpenItem) {
	type claimKey struct {
		named, notDue int
		due, doc      Date
	}
	keys := map[string]claimKey{}
	if order == OrderBGB {
		for _, it := range items {
			k, seen := keys[it.Claim]
			principal := all[it.Claim]
			if principal == nil {
				principal = it
			}
			if !seen {
				k = claimKey{named: 1, notDue: 0, due: principal.DueDate, doc: principal.DocumentDate}
				if principal.DueDate.Compare(date) > 0 {
					k.notDue = 1
				}
			}
			if slices.ContainsFunc(named, func(n string) bool {
				return n != "" && (n == it.PaymentReference || n == it.DocumentNumber || n == principal.PaymentReference || n == principal.DocumentNumber)
			}) {
				k.named = 0
			}
			keys[it.Claim] = k
		}
	}
	rank := func(c ledgerv1.OpenItemComponent) int {
		switch c {
		case ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS:
			return 0
		case ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_INTEREST:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(items, func(a, b *OpenItem) int {
		switch order {
		case OrderDueDate:
			return cmp.Or(a.DueDate.Compare(b.DueDate), a.DocumentDate.Compare(b.DocumentDate), cmp.Compare(a.DocumentNumber, b.DocumentNumber), cmp.Compare(a.ID, b.ID))
		case OrderDocumentDate:
			return cmp.Or(a.DocumentDate.Compare(b.DocumentDate), cmp.Compare(a.DocumentNumber, b.DocumentNumber), cmp.Compare(a.ID, b.ID))
		}
		ka, kb := keys[a.Claim], keys[b.Claim]
		return cmp.Or(
			cmp.Compare(ka.named, kb.named), cmp.Compare(ka.notDue, kb.notDue),
			ka.due.Compare(kb.due), ka.doc.Compare(kb.doc), cmp.Compare(a.Claim, b.Claim),
			cmp.Compare(rank(a.Component), rank(b.Component)),
			a.DueDate.Compare(b.DueDate), a.DocumentDate.Compare(b.DocumentDate),
			cmp.Compare(a.DocumentNumber, b.DocumentNumber), cmp.Compare(a.ID, b.ID),
		)
	})
}

// payment is what ApplyPayment and RecordAgencyCollection have in common.
type payment struct {
	id, debtor, cur, text string
	amount                int64
	date                  Date
	account               string
	fees                  []Leg
	allocs                []*ledgerv1.Allocation
	named                 []string
	kind                  ledgerv1.SettlementKind
	entryID               string
}

func (b *batch) pay(p payment) error {
	if p.id == "" {
		return invalid("payment id", "missing")
	}
	account, err := b.debtorAccount(p.debtor, "")
	if err != nil {
		return err
	}
	var allocs []allocation
	if len(p.allocs) > 0 {
		if allocs, err = b.explicitAllocations(p.debtor, p.cur, p.amount, p.allocs); err != nil {
			return err
		}
	} else {
		allocs = b.autoAllocations(p.debtor, p.cur, p.amount, p.named, p.date)
	}
	var fees int64
	for _, f := range p.fees {
		fees += f.Minor
	}
	if fees > p.amount {
		return invalid("fees", "%d, more than the %d paid", fees, p.amount)
	}
	credited := p.amount
	legs := []Leg{{Account: p.account, Currency: p.cur, Minor: p.amount - fees}}
	legs = append(legs, p.fees...)
	for _, a := range allocs {
		if a.discount > 0 {
			legs = append(legs, b.vatLegs(splitVAT(a.item.VAT, a.discount, p.cur), p.cur, 1, func(r rateAccounts) Logical { return r.discount }, "")...)
		}
		if a.difference > 0 {
			legs = append(legs, b.vatLegs(splitVAT(a.item.VAT, a.difference, p.cur), p.cur, 1, func(r rateAccounts) Logical { return r.deduction }, "")...)
		}
		credited += a.discount + a.difference
	}
	legs = append(legs, Leg{Account: account, Currency: p.cur, Minor: -credited, DebtorID: p.debtor})
	if err := b.post(p.entryID, p.date, p.id, p.text, legs); err != nil {
		return err
	}
	rest := p.amount
	for _, a := range allocs {
		if a.amount > 0 {
			b.settle(a.item, a.amount, p.kind, p.id, p.entryID, "", p.date, a.rule)
		}
		if a.discount > 0 {
			b.settle(a.item, a.discount, ledgerv1.SettlementKind_SETTLEMENT_KIND_CASH_DISCOUNT, p.id, p.entryID, "", p.date, a.rule)
		}
		if a.difference > 0 {
			b.settle(a.item, a.difference, ledgerv1.SettlementKind_SETTLEMENT_KIND_DIFFERENCE, p.id, p.entryID, "", p.date, a.rule)
		}
		rest -= a.amount
	}
	if rest > 0 {
		b.openCredit(p.debtor, account, p.cur, rest, p.id, p.entryID, p.date)
	}
	return nil
}

// openCredit opens a credit balance (negative open item) of amount.
func (b *batch) openCredit(debtor, account, cur string, amount int64, doc, entryID string, date Date) {
	it := &OpenItem{
		ID: b.derive("credit", entryID, "open-item"), DebtorID: debtor, DebtorAccount: account, Kind: KindCreditBalance,
		DocumentNumber: doc, EntryID: entryID, Currency: cur, Amount: -amount, DocumentDate: date, DueDate: date,
		Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_CREDIT, SourceDocument: doc,
	}
	it.Claim = it.ID
	b.openItem(it)
}

// PaymentEntryID returns the id of the journal entry that books payment
// paymentID of tenant, so that a return can find it.
func PaymentEntryID(tenant, paymentID string) string {
	return (&batch{l: &Ledger{tenant: tenant}}).derive("payment", paymentID, "entry")
}

// ApplyPayment books a payment and clears open items with it: exactly the
// allocations given, or, without any, in the configured order. What is not
// allocated becomes a credit balance.
func (l *Ledger) ApplyPayment(cmd *ledgerv1.ApplyPayment, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		cur := cmd.GetAmount().GetCurrency()
		if err := checkCurrency(cur); err != nil {
			return err
		}
		amount, err := amountOf("amount", cmd.GetAmount(), cur, false)
		if err != nil {
			return err
		}
		date, err := dateField("value_date", cmd.GetValueDate())
		if err != nil {
			return err
		}
		account, err := b.receivingAccount(cmd.GetIban(), cmd.GetClearingAccount())
		if err != nil {
			return err
		}
		var fees []Leg
		for i, f := range cmd.GetFees() {
			v, err := amountOf(fmt.Sprintf("fees[%d].amount", i), f.GetAmount(), cur, false)
			if err != nil {
				return err
			}
			fees = append(fees, Leg{Account: b.account(PaymentFees), Currency: cur, Minor: v})
		}
		return b.pay(payment{
			id: cmd.GetPaymentId(), debtor: cmd.GetDebtorId(), cur: cur, amount: amount, date: date, account: account,
			fees: fees, allocs: cmd.GetAllocations(), named: cmd.GetNamedReferences(),
			kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT, text: strings.TrimSpace("Zahlung " + cmd.GetRemittance()),
			entryID: b.derive("payment", cmd.GetPaymentId(), "entry"),
		})
	})
}

// RecordAgencyCollection books what a collection agency collected: the
// agency's clearing account receives the collection less its commission,
// the commission is an expense, the debtor is credited with the whole
// collection.
func (l *Ledger) RecordAgencyCollection(cmd *ledgerv1.RecordAgencyCollection, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		cur := cmd.GetCollected().GetCurrency()
		if err := checkCurrency(cur); err != nil {
			return err
		}
		amount, err := amountOf("collected", cmd.GetCollected(), cur, false)
		if err != nil {
			return err
		}
		commission, err := amountOf("commission", cmd.GetCommission(), cur, true)
		if err != nil {
			return err
		}
		date, err := dateField("collected_date", cmd.GetCollectedDate())
		if err != nil {
			return err
		}
		account, err := b.chart().ClearingAccount(cmd.GetAgency())
		if err != nil {
			return err
		}
		return b.pay(payment{
			id: cmd.GetCollectionId(), debtor: cmd.GetDebtorId(), cur: cur, amount: amount, date: date, account: account,
			fees: []Leg{{Account: b.account(CollectionCosts), Currency: cur, Minor: commission}}, allocs: cmd.GetAllocations(),
			kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_AGENCY_COLLECTION, text: "Inkasso " + cmd.GetAgency(),
			entryID: b.derive("agency", cmd.GetCollectionId(), "entry"),
		})
	})
}

// IssueCreditNote books a credit note: revenue and output VAT are reduced
// per rate as the credit note states, the debtor is credited. The credit
// clears the item it names (what exceeds its open amount becomes a credit
// balance) or, naming none, is allocated in the configured order.
func (l *Ledger) IssueCreditNote(cmd *ledgerv1.IssueCreditNote, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		cur, num, debtor := cmd.GetCurrency(), cmd.GetCreditNoteNumber(), cmd.GetDebtorId()
		if err := checkCurrency(cur); err != nil {
			return err
		}
		if num == "" {
			return invalid("credit_note_number", "missing")
		}
		account, err := b.debtorAccount(debtor, "")
		if err != nil {
			return err
		}
		vat, gross, err := vatLines(cmd.GetVat(), cur, cmd.GetGross())
		if err != nil {
			return err
		}
		date, err := dateField("issue_date", cmd.GetIssueDate())
		if err != nil {
			return err
		}
		var allocs []allocation
		if id := cmd.GetOpenItemId(); id != "" {
			it, ok := b.item(id)
			if !ok {
				return fmt.Errorf("open_item_id: %w %q", ErrUnknownOpenItem, id)
			}
			if it.DebtorID != debtor || it.Currency != cur || it.Amount < 0 {
				return &AllocationError{OpenItemID: id, Reason: fmt.Sprintf("is not a debit item of debtor %s in %s", debtor, cur)}
			}
			if x := min(gross, b.openOf(it)); x > 0 {
				allocs = []allocation{{item: it, amount: x, rule: "explicit"}}
			}
		} else {
			allocs = b.autoAllocations(debtor, cur, gross, nil, date)
		}
		entryID := b.derive("credit-note", num, "entry")
		legs := append(b.vatLegs(vat, cur, 1, func(r rateAccounts) Logical { return r.revenue }, ""),
			Leg{Account: account, Currency: cur, Minor: -gross, DebtorID: debtor})
		if err := b.post(entryID, date, num, "Gutschrift "+num, legs); err != nil {
			return err
		}
		rest := gross
		for _, a := range allocs {
			b.settle(a.item, a.amount, ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE, num, entryID, "", date, a.rule)
			rest -= a.amount
		}
		if rest > 0 {
			b.openCredit(debtor, account, cur, rest, num, entryID, date)
		}
		return nil
	})
}

// WriteOff writes off part or all of an open item. Bad-debt expense and the
// output VAT correction (§17 UStG) are split per rate in proportion to the
// item's VAT lines.
func (l *Ledger) WriteOff(cmd *ledgerv1.WriteOff, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		id := cmd.GetWriteOffId()
		if id == "" {
			return invalid("write_off_id", "missing")
		}
		it, ok := b.item(cmd.GetOpenItemId())
		if !ok {
			return fmt.Errorf("open_item_id: %w %q", ErrUnknownOpenItem, cmd.GetOpenItemId())
		}
		amount, err := amountOf("amount", cmd.GetAmount(), it.Currency, false)
		if err != nil {
			return err
		}
		if open := b.openOf(it); it.Amount < 0 || amount > open {
			return fmt.Errorf("%w: write off %d of item %s, %d open", ErrExceedsOpen, amount, it.ID, open)
		}
		date, err := dateField("write_off_date", cmd.GetWriteOffDate())
		if err != nil {
			return err
		}
		entryID := b.derive("write-off", id, "entry")
		legs := append(b.vatLegs(splitVAT(it.VAT, amount, it.Currency), it.Currency, 1, func(r rateAccounts) Logical { return r.badDebt }, ""),
			Leg{Account: it.DebtorAccount, Currency: it.Currency, Minor: -amount, DebtorID: it.DebtorID})
		if err := b.post(entryID, date, id, strings.TrimSpace("Abschreibung "+it.DocumentNumber+" "+cmd.GetReason()), legs); err != nil {
			return err
		}
		b.settle(it, amount, ledgerv1.SettlementKind_SETTLEMENT_KIND_WRITE_OFF, id, entryID, "", date, "explicit")
		return nil
	})
}

// RecoverWrittenOff books money received on a written-off item: recovery
// income and output VAT per rate in proportion to the item's VAT lines,
// reversing the §17 UStG correction for what was received.
func (l *Ledger) RecoverWrittenOff(cmd *ledgerv1.RecoverWrittenOff, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		id := cmd.GetRecoveryId()
		if id == "" {
			return invalid("recovery_id", "missing")
		}
		it, ok := b.item(cmd.GetOpenItemId())
		if !ok {
			return fmt.Errorf("open_item_id: %w %q", ErrUnknownOpenItem, cmd.GetOpenItemId())
		}
		amount, err := amountOf("amount", cmd.GetAmount(), it.Currency, false)
		if err != nil {
			return err
		}
		if left := it.WrittenOff() - it.Recovered; amount > left {
			return fmt.Errorf("%w: recover %d of item %s, %d written off and not recovered", ErrExceedsOpen, amount, it.ID, left)
		}
		date, err := dateField("value_date", cmd.GetValueDate())
		if err != nil {
			return err
		}
		account, err := b.receivingAccount(cmd.GetIban(), cmd.GetClearingAccount())
		if err != nil {
			return err
		}
		entryID := b.derive("recovery", id, "entry")
		legs := append([]Leg{{Account: account, Currency: it.Currency, Minor: amount}},
			b.vatLegs(splitVAT(it.VAT, amount, it.Currency), it.Currency, -1, nil, BadDebtRecovery)...)
		if err := b.post(entryID, date, id, "Eingang abgeschriebene Forderung "+it.DocumentNumber, legs); err != nil {
			return err
		}
		b.emit(&ledgerv1.WriteOffRecovered{Tenant: b.l.tenant, OpenItemId: it.ID, Amount: &commonv1.Money{MinorUnits: amount, Currency: it.Currency}, EntryId: entryID})
		return nil
	})
}

// PayOutCreditBalance pays (part of) a credit balance back to the debtor.
func (l *Ledger) PayOutCreditBalance(cmd *ledgerv1.PayOutCreditBalance, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		id := cmd.GetPayoutId()
		if id == "" {
			return invalid("payout_id", "missing")
		}
		it, ok := b.item(cmd.GetOpenItemId())
		if !ok {
			return fmt.Errorf("open_item_id: %w %q", ErrUnknownOpenItem, cmd.GetOpenItemId())
		}
		if it.DebtorID != cmd.GetDebtorId() {
			return invalid("debtor_id", "item %s belongs to debtor %s", it.ID, it.DebtorID)
		}
		amount, err := amountOf("amount", cmd.GetAmount(), it.Currency, false)
		if err != nil {
			return err
		}
		if credit := -b.openOf(it); amount > credit {
			return fmt.Errorf("%w: pay out %d of item %s, credit is %d", ErrExceedsOpen, amount, it.ID, credit)
		}
		date, err := dateField("payout_date", cmd.GetPayoutDate())
		if err != nil {
			return err
		}
		bank, err := b.chart().Bank(cmd.GetIban())
		if err != nil {
			return err
		}
		entryID := b.derive("payout", id, "entry")
		if err := b.post(entryID, date, id, "Auszahlung Guthaben "+it.DocumentNumber, []Leg{
			{Account: it.DebtorAccount, Currency: it.Currency, Minor: amount, DebtorID: it.DebtorID},
			{Account: bank, Currency: it.Currency, Minor: -amount},
		}); err != nil {
			return err
		}
		b.settle(it, -amount, ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYOUT, id, entryID, "", date, "explicit")
		return nil
	})
}

// reversalDate dates a reversal: on preferred when its period is open,
// else on the recording date, moved to the first day of the next open
// period while the recording date's period is closed.
func (b *batch) reversalDate(preferred Date) Date {
	if !b.l.closed[preferred.Period()] {
		return preferred
	}
	d := b.recordingDate()
	if d.Compare(preferred) < 0 {
		d = preferred
	}
	for i := 0; b.l.closed[d.Period()] && i < 12*200; i++ {
		d = d.Period().Next().First()
	}
	return d
}

// reverse posts the reversal of orig and undoes its effect on open items.
func (b *batch) reverse(orig *Entry, preferred Date, reason string) error {
	if orig.ReversedBy != "" || orig.Reverses != "" {
		return fmt.Errorf("%w: %s", ErrAlreadyReversed, orig.ID)
	}
	revID := b.derive("reversal", orig.ID, "entry")
	legs := make([]Leg, len(orig.Legs))
	for i, g := range orig.Legs {
		legs[i] = g
		legs[i].Minor = -g.Minor
	}
	// Check first, then emit: the entry, the link, then the open items.
	opened := b.l.byEntry[orig.ID]
	var debtors []string
	for _, g := range orig.Legs {
		if g.DebtorID != "" && !slices.Contains(debtors, g.DebtorID) {
			debtors = append(debtors, g.DebtorID)
		}
	}
	for _, id := range opened {
		it := b.l.items[id]
		for _, s := range it.Settlements {
			if !s.Undone && s.Kind != ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_OFFSET {
				return fmt.Errorf("%w: item %s (%s) has a %s settlement %s", ErrItemSettled, it.ID, it.DocumentNumber, s.Kind, s.Document)
			}
		}
	}
	for _, id := range itemsOf(b.l, debtors) {
		it := b.l.items[id]
		var undone int64
		for _, s := range it.Settlements {
			if !s.Undone && s.EntryID == orig.ID && s.Kind == ledgerv1.SettlementKind_SETTLEMENT_KIND_WRITE_OFF {
				undone += s.Amount
			}
		}
		if undone > 0 && it.WrittenOff()-undone < it.Recovered {
			return fmt.Errorf("%w: item %s was recovered after the write-off", ErrItemSettled, it.ID)
		}
	}
	text := strings.TrimSpace("Storno " + orig.Text)
	if err := b.post(revID, b.reversalDate(preferred), orig.DocumentNumber, text, legs); err != nil {
		return err
	}
	b.emit(&ledgerv1.JournalEntryReversed{Tenant: b.l.tenant, OriginalEntryId: orig.ID, ReversalEntryId: revID, Reason: reason})
	for _, id := range itemsOf(b.l, debtors) {
		it := b.l.items[id]
		for _, s := range it.Settlements {
			if !s.Undone && s.EntryID == orig.ID {
				b.undo(it, s, revID, reason)
			}
		}
	}
	date := DateAt(b.o.Now)
	for _, id := range opened {
		it := b.l.items[id]
		for _, s := range it.Settlements {
			if !s.Undone && s.Kind == ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_OFFSET {
				b.undoOffset(s, revID, reason)
			}
		}
		if open := b.openOf(it); open != 0 {
			b.settle(it, open, ledgerv1.SettlementKind_SETTLEMENT_KIND_REVERSAL, orig.DocumentNumber, revID, "", date, "reversal")
		}
	}
	return nil
}

// ReverseEntry reverses a journal entry (Storno). The reversal is dated on
// the original's date when that period is open, else on the recording date
// or the first day of the next open period. Items the entry opened are
// cancelled (credit offsets on them are undone); settlements it made are
// reopened.
func (l *Ledger) ReverseEntry(cmd *ledgerv1.ReverseEntry, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		orig, ok := l.entries[cmd.GetEntryId()]
		if !ok {
			return fmt.Errorf("%w %q", ErrUnknownEntry, cmd.GetEntryId())
		}
		return b.reverse(orig, orig.EffectiveDate, cmp.Or(cmd.GetReason(), "reversal"))
	})
}

// ReturnPayment books a returned direct debit or chargeback: it reverses the
// payment on the return date (or per the closed-period rule) and reopens
// exactly what the payment cleared, including what a credit balance it
// created has cleared since. A bank fee is booked as an expense on the
// account that had received the payment.
func (l *Ledger) ReturnPayment(cmd *ledgerv1.ReturnPayment, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		var reason string
		switch cmd.GetKind() {
		case ledgerv1.ReturnKind_RETURN_KIND_RETURNED_DEBIT:
			reason = "returned debit"
		case ledgerv1.ReturnKind_RETURN_KIND_CHARGEBACK:
			reason = "chargeback"
		default:
			return invalid("kind", "%v", cmd.GetKind())
		}
		orig, ok := l.entries[b.derive("payment", cmd.GetPaymentId(), "entry")]
		if !ok {
			return fmt.Errorf("payment %q: %w", cmd.GetPaymentId(), ErrUnknownEntry)
		}
		date, err := dateField("return_date", cmd.GetReturnDate())
		if err != nil {
			return err
		}
		if err := b.reverse(orig, date, reason); err != nil {
			return err
		}
		cur := orig.Legs[0].Currency
		fee, err := amountOf("bank_fee", cmd.GetBankFee(), cur, true)
		if err != nil || fee == 0 {
			return err
		}
		return b.post(b.derive("return-fee", cmd.GetPaymentId(), "entry"), b.reversalDate(date), cmd.GetPaymentId(), "Gebühr "+reason, []Leg{
			{Account: b.account(PaymentFees), Currency: cur, Minor: fee},
			{Account: orig.Legs[0].Account, Currency: cur, Minor: -fee},
		})
	})
}

func (b *batch) period(year, month int32) (Period, error) {
	if month < 1 || month > 12 || year < 1 || year > 9999 {
		return Period{}, invalid("month", "%d-%d is not a period", year, month)
	}
	if !slices.Contains(b.l.cfg.PeriodActors, b.o.Actor) {
		return Period{}, fmt.Errorf("%w to close or reopen periods: %q", ErrNotAuthorised, b.o.Actor)
	}
	return Period{int(year), time.Month(month)}, nil
}

// ClosePeriod closes a month. Only actors in Config.PeriodActors may close;
// a reason is required.
func (l *Ledger) ClosePeriod(cmd *ledgerv1.ClosePeriod, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		p, err := b.period(cmd.GetYear(), cmd.GetMonth())
		if err != nil {
			return err
		}
		if cmd.GetReason() == "" {
			return invalid("reason", "missing")
		}
		if l.closed[p] {
			return fmt.Errorf("%w: %s is closed", ErrPeriodState, p)
		}
		b.emit(&ledgerv1.PeriodClosed{Tenant: l.tenant, Year: cmd.GetYear(), Month: cmd.GetMonth(), Actor: o.Actor, Reason: cmd.GetReason(), ClosedAt: timestamppb.New(o.Now)})
		return nil
	})
}

// ReopenPeriod reopens a closed month. Only actors in Config.PeriodActors
// may reopen; a reason is required.
func (l *Ledger) ReopenPeriod(cmd *ledgerv1.ReopenPeriod, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		p, err := b.period(cmd.GetYear(), cmd.GetMonth())
		if err != nil {
			return err
		}
		if cmd.GetReason() == "" {
			return invalid("reason", "missing")
		}
		if !l.closed[p] {
			return fmt.Errorf("%w: %s is open", ErrPeriodState, p)
		}
		b.emit(&ledgerv1.PeriodReopened{Tenant: l.tenant, Year: cmd.GetYear(), Month: cmd.GetMonth(), Actor: o.Actor, Reason: cmd.GetReason(), ReopenedAt: timestamppb.New(o.Now)})
		return nil
	})
}

// itemsOf returns the ids of the items of debtors, in order of opening per
// debtor.
func itemsOf(l *Ledger, debtors []string) []string {
	var ids []string
	for _, d := range debtors {
		ids = append(ids, l.byDebtor[d]...)
	}
	return ids
}
