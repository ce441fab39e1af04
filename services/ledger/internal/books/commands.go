package books

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// Open item kinds (OpenItemOpened.kind).
const (
	KindInvoice          = "invoice"
	KindOpeningBalance   = "opening_balance"
	KindCreditBalance    = "credit_balance"
	KindDunningFee       = "dunning_fee"
	KindDefaultInterest  = "default_interest"
	KindReturnedDebitFee = "returned_debit_fee"
)

// RegisterInvoice books an invoice. debtorAccount is the personal account
// the caller assigned to a debtor the books have not seen (ignored when they
// know the debtor, and for a marketplace order whose marketplace the chart
// names an account for: see Ledger.PersonalAccount). The new item consumes
// any credit balance of the debtor.
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
		if mp != "" {
			buyer, debtor = debtor, MarketplaceDebtorID(mp, cur)
		}
		// A marketplace the chart names no account for gets a personal
		// account like any debtor, assigned by the caller.
		account, err := b.newDebtorAccount(debtor, debtorAccount)
		if err != nil {
			return err
		}
		issue, err := dateField("issue_date", cmd.GetIssueDate())
		if err != nil {
			return err
		}
		vat, gross, err := vatLines(cmd.GetVat(), cur, cmd.GetGross(), b.suppliedOn(issue))
		if err != nil {
			return err
		}
		due, err := dateField("due_date", cmd.GetDueDate())
		if err != nil {
			return err
		}
		entryID := b.derive("invoice", num, "entry")
		revenue, err := b.vatLegs(vat, cur, issue, true, -1, func(r rateAccounts) Logical { return r.revenue }, "")
		if err != nil {
			return err
		}
		legs := append([]Leg{{Account: account, Currency: cur, Minor: gross, DebtorID: debtor}}, revenue...)
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
		account, err := b.newDebtorAccount(cmd.GetDebtorId(), debtorAccount)
		if err != nil {
			return err
		}
		amount := cmd.GetAmount().GetMinorUnits()
		if amount == 0 || amount > maxAmount || amount < -maxAmount {
			return invalid("amount", "%d minor units", amount)
		}
		docDate, err := dateField("document_date", cmd.GetDocumentDate())
		if err != nil {
			return err
		}
		var vat []VAT
		if len(cmd.GetVat()) > 0 {
			if amount < 0 {
				return invalid("vat", "VAT lines on a credit balance")
			}
			if vat, _, err = vatLines(cmd.GetVat(), cur, cmd.GetAmount(), b.correctedOn(docDate)); err != nil {
				return err
			}
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
		account, err := b.newDebtorAccount(cmd.GetDebtorId(), debtorAccount)
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
		date, err := dateField("issue_date", cmd.GetIssueDate())
		if err != nil {
			return err
		}
		vat, gross, err := vatLines(cmd.GetVat(), cur, cmd.GetGross(), b.correctedOn(date))
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
		legs, err := b.vatLegs(vat, cur, date, false, 1, func(r rateAccounts) Logical { return r.revenue }, "")
		if err != nil {
			return err
		}
		legs = append(legs, Leg{Account: account, Currency: cur, Minor: -gross, DebtorID: debtor})
		if err := b.post(entryID, date, num, "Gutschrift "+num, legs); err != nil {
			return err
		}
		rest := gross
		for _, a := range allocs {
			b.settle(a.item, a.amount, ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE, num, entryID, "", date, a.rule)
			rest -= a.amount
		}
		if rest > 0 {
			b.openCredit(debtor, account, cur, rest, num, entryID, date, cmd.GetOpenItemId())
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
			return fmt.Errorf("%w: write off %s of item %s, %s open", ErrExceedsOpen, amountText(amount, it.Currency), it.ID, amountText(open, it.Currency))
		}
		date, err := dateField("write_off_date", cmd.GetWriteOffDate())
		if err != nil {
			return err
		}
		entryID := b.derive("write-off", id, "entry")
		parts, err := splitVAT(it.VAT, amount, it.Currency)
		if err != nil {
			return err
		}
		legs, err := b.vatLegs(parts, it.Currency, date, false, 1, func(r rateAccounts) Logical { return r.badDebt }, "")
		if err != nil {
			return err
		}
		legs = append(legs, Leg{Account: it.DebtorAccount, Currency: it.Currency, Minor: -amount, DebtorID: it.DebtorID})
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
			return fmt.Errorf("%w: recover %s of item %s, %s written off and not recovered", ErrExceedsOpen, amountText(amount, it.Currency), it.ID, amountText(left, it.Currency))
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
		parts, err := splitVAT(it.VAT, amount, it.Currency)
		if err != nil {
			return err
		}
		recovered, err := b.vatLegs(parts, it.Currency, date, false, -1, nil, BadDebtRecovery)
		if err != nil {
			return err
		}
		legs := append([]Leg{{Account: account, Currency: it.Currency, Minor: amount}}, recovered...)
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
			return fmt.Errorf("%w: pay out %s of item %s, credit is %s", ErrExceedsOpen, amountText(amount, it.Currency), it.ID, amountText(credit, it.Currency))
		}
		date, err := dateField("payout_date", cmd.GetPayoutDate())
		if err != nil {
			return err
		}
		bank, err := b.receivingAccount(cmd.GetIban(), cmd.GetClearingAccount())
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
