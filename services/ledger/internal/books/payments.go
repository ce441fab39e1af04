package books

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/money"
)

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
		cleared, err := money.Sum(amt, disc, diff)
		if err != nil {
			return nil, overflow(fmt.Sprintf("allocations[%d]", i), err)
		}
		if cleared == 0 {
			return nil, &AllocationError{OpenItemID: id, Reason: "allocates nothing"}
		}
		open, seen := left[id]
		if !seen {
			open = b.openOf(it)
		}
		if cleared > open {
			return nil, &AllocationError{OpenItemID: id, Reason: fmt.Sprintf("allocates %s, only %s open", amountText(cleared, cur), amountText(open, cur))}
		}
		left[id] = open - cleared // 0 < cleared <= open
		if sum, err = money.Add(sum, amt); err != nil {
			return nil, overflow("allocations", err)
		}
		out = append(out, allocation{item: it, amount: amt, discount: disc, difference: diff, rule: "explicit"})
	}
	if sum > total {
		return nil, &AllocationError{Reason: fmt.Sprintf("allocations sum to %s, more than the %s paid", amountText(sum, cur), amountText(total, cur))}
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

// signedAmountOf is amountOf for an amount that may be negative but not
// zero.
func signedAmountOf(field string, m *commonv1.Money, cur string) (int64, error) {
	if m.GetMinorUnits() >= 0 {
		return amountOf(field, m, cur, false)
	}
	neg := &commonv1.Money{MinorUnits: -m.GetMinorUnits(), Currency: m.GetCurrency()}
	v, err := amountOf(field, neg, cur, false)
	return -v, err
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
		if fees, err = money.Add(fees, f.Minor); err != nil {
			return overflow("fees", err)
		}
	}
	if fees > p.amount {
		return invalid("fees", "%s, more than the %s paid", amountText(fees, p.cur), amountText(p.amount, p.cur))
	}
	credited := p.amount
	legs := []Leg{{Account: p.account, Currency: p.cur, Minor: p.amount - fees}}
	legs = append(legs, p.fees...)
	for _, a := range allocs {
		if a.discount > 0 {
			parts, err := splitVAT(a.item.VAT, a.discount, p.cur)
			if err != nil {
				return fmt.Errorf("cash discount on %s: %w", a.item.ID, err)
			}
			vl, err := b.vatLegs(parts, p.cur, p.date, false, 1, func(r rateAccounts) Logical { return r.discount }, "")
			if err != nil {
				return fmt.Errorf("cash discount on %s: %w", a.item.ID, err)
			}
			legs = append(legs, vl...)
		}
		if a.difference > 0 {
			parts, err := splitVAT(a.item.VAT, a.difference, p.cur)
			if err != nil {
				return fmt.Errorf("difference on %s: %w", a.item.ID, err)
			}
			vl, err := b.vatLegs(parts, p.cur, p.date, false, 1, func(r rateAccounts) Logical { return r.deduction }, "")
			if err != nil {
				return fmt.Errorf("difference on %s: %w", a.item.ID, err)
			}
			legs = append(legs, vl...)
		}
		if credited, err = money.Sum(credited, a.discount, a.difference); err != nil {
			return overflow("allocations", err)
		}
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
		b.openCredit(p.debtor, account, p.cur, rest, p.id, p.entryID, p.date, "")
	}
	return nil
}

// openCredit opens a credit balance (negative open item) of amount.
func (b *batch) openCredit(debtor, account, cur string, amount int64, doc, entryID string, date Date, credited string) {
	it := &OpenItem{
		ID: b.derive("credit", entryID, "open-item"), DebtorID: debtor, DebtorAccount: account, Kind: KindCreditBalance,
		DocumentNumber: doc, EntryID: entryID, Currency: cur, Amount: -amount, DocumentDate: date, DueDate: date,
		Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_CREDIT, SourceDocument: doc, CreditedItem: credited,
	}
	it.Claim = it.ID
	b.openItem(it)
}

// InvoiceItemID returns the id of the open item that invoice number opens
// for tenant (RegisterInvoice), so that a credit note or cancellation
// arriving with only the invoice's number can name it.
func InvoiceItemID(tenant, number string) string {
	return (&batch{l: &Ledger{tenant: tenant}}).derive("invoice", number, "open-item")
}

// PaymentEntryID returns the id of the journal entry that books payment
// paymentID of tenant, so that a return can find it.
func PaymentEntryID(tenant, paymentID string) string {
	return (&batch{l: &Ledger{tenant: tenant}}).derive("payment", paymentID, "entry")
}

// FeeKindMarketplaceReserve is the Fee kind of a marketplace's reserve in
// ApplyPayment: positive when the marketplace holds money back from the
// payout (debit MarketplaceReserve), negative when it releases a reserve
// held before (credit it). Every other kind is a positive charge on
// PaymentFees.
const FeeKindMarketplaceReserve = "marketplace-reserve"

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
			field := fmt.Sprintf("fees[%d].amount", i)
			if f.GetKind() == FeeKindMarketplaceReserve {
				v, err := signedAmountOf(field, f.GetAmount(), cur)
				if err != nil {
					return err
				}
				fees = append(fees, Leg{Account: b.account(MarketplaceReserve), Currency: cur, Minor: v})
				continue
			}
			v, err := amountOf(field, f.GetAmount(), cur, false)
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
// agency's clearing account (the receivable against the agency until its
// payout) receives the collection less its commission and the input VAT on
// it, the commission is an expense and the VAT deductible input VAT, costs
// and interest the agency recovered beyond the debtor's items are income
// without VAT, and the debtor is credited with the rest of the collection.
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
		inputVAT, err := amountOf("commission_input_vat", cmd.GetCommissionInputVat(), cur, true)
		if err != nil {
			return err
		}
		costs, err := amountOf("recovered_costs", cmd.GetRecoveredCosts(), cur, true)
		if err != nil {
			return err
		}
		interest, err := amountOf("recovered_interest", cmd.GetRecoveredInterest(), cur, true)
		if err != nil {
			return err
		}
		kept, err := money.Add(commission, inputVAT)
		if err != nil {
			return overflow("commission", err)
		}
		income, err := money.Add(costs, interest)
		if err != nil {
			return overflow("recovered", err)
		}
		if kept > amount {
			return invalid("commission", "%s with its input VAT, more than the %s collected", amountText(kept, cur), amountText(amount, cur))
		}
		if income > amount {
			return invalid("recovered_costs", "%s with recovered_interest, more than the %s collected", amountText(income, cur), amountText(amount, cur))
		}
		date, err := dateField("collected_date", cmd.GetCollectedDate())
		if err != nil {
			return err
		}
		account, err := b.chart().ClearingAccount(cmd.GetAgency())
		if err != nil {
			return err
		}
		// The debtor is credited with amount less the income; the clearing
		// account receives amount less commission and VAT. pay debits the
		// account with its amount less the fees, so the income goes in as
		// negative fees (credits) and the account's leg comes out right.
		fees := []Leg{{Account: b.account(CollectionCosts), Currency: cur, Minor: commission}}
		if inputVAT > 0 {
			fees = append(fees, Leg{Account: b.account(InputVAT), Currency: cur, Minor: inputVAT})
		}
		if costs > 0 {
			fees = append(fees, Leg{Account: b.account(ChargeIncome), Currency: cur, Minor: -costs})
		}
		if interest > 0 {
			fees = append(fees, Leg{Account: b.account(InterestIncome), Currency: cur, Minor: -interest})
		}
		return b.pay(payment{
			id: cmd.GetCollectionId(), debtor: cmd.GetDebtorId(), cur: cur, amount: amount - income, date: date, account: account,
			fees: fees, allocs: cmd.GetAllocations(),
			kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_AGENCY_COLLECTION, text: "Inkasso " + cmd.GetAgency(),
			entryID: b.derive("agency", cmd.GetCollectionId(), "entry"),
		})
	})
}
