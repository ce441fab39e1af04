package books

import (
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"

	"github.com/o2c-platform/o2c/libs/debtor"
)

// Status facts for the shops (package o2c.status.v1) are derived here from
// the ledger's own bookings. The Commander appends them to the debtor's
// stream together with the events of the command that made them true, in
// the same atomic append, so a fact is stored exactly when it becomes true
// and never for a command replayed under its idempotency key (that decides
// no events). Apply remembers the last fact per invoice and per debtor and
// currency, and a fact is only stored when it differs from the last one:
// PreviousStatus is always the status the shop was told before.
//
// An invoice's status follows its open item (an item of KindInvoice):
//
//	OPEN            nothing settled
//	PARTLY_PAID     something settled, something open
//	WRITTEN_OFF     nothing open, part of it written off
//	CANCELLED       nothing open, settled by credit notes, discounts or a
//	                reversal without any payment
//	CREDIT_BALANCE  nothing open, and the payment that settled it left a
//	                credit balance (it stays so until the item changes)
//	PAID            nothing open otherwise
//
// An invoice a debtor merge moved away gets no fact on the duplicate's side:
// the survivor's books open it again (a new item, the same invoice number)
// and publish it as the survivor's, so the shop's last word on the invoice
// names its new debtor and its true status, never CANCELLED.
//
// Marketplace debtors are the ledger's own and get no customer status;
// their invoice items do get invoice status.

// customerKey keys the last customer status fact of a debtor and currency.
func customerKey(debtorID, currency string) string { return debtorID + "\x00" + currency }

// invoiceFigures are an invoice item's amounts by how they were settled;
// merged is what a debtor merge moved to the survivor.
type invoiceFigures struct {
	open, paid, credited, writtenOff, merged int64
}

func figuresOf(it *OpenItem) invoiceFigures {
	f := invoiceFigures{open: it.Open()}
	for _, s := range it.Settlements {
		if s.Undone {
			continue
		}
		switch s.Kind {
		case ledgerv1.SettlementKind_SETTLEMENT_KIND_WRITE_OFF:
			f.writtenOff += s.Amount
		case ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE, ledgerv1.SettlementKind_SETTLEMENT_KIND_CASH_DISCOUNT,
			ledgerv1.SettlementKind_SETTLEMENT_KIND_DIFFERENCE, ledgerv1.SettlementKind_SETTLEMENT_KIND_REVERSAL:
			f.credited += s.Amount
		case ledgerv1.SettlementKind_SETTLEMENT_KIND_MERGE:
			// Moved to another debtor: neither paid nor credited here.
			f.merged += s.Amount
		default:
			f.paid += s.Amount
		}
	}
	return f
}

// invoiceStatusOf returns the status of an invoice with figures f; overpaid
// says that the decision at hand settled it and left a credit balance, and
// prev is the status published last.
func invoiceStatusOf(amount int64, f invoiceFigures, overpaid bool, prev statusv1.InvoiceStatus) statusv1.InvoiceStatus {
	switch {
	case f.open != 0 && f.open == amount:
		return statusv1.InvoiceStatus_INVOICE_STATUS_OPEN
	case f.open != 0:
		return statusv1.InvoiceStatus_INVOICE_STATUS_PARTLY_PAID
	case f.writtenOff != 0:
		return statusv1.InvoiceStatus_INVOICE_STATUS_WRITTEN_OFF
	case f.paid == 0:
		return statusv1.InvoiceStatus_INVOICE_STATUS_CANCELLED
	case overpaid, prev == statusv1.InvoiceStatus_INVOICE_STATUS_CREDIT_BALANCE:
		return statusv1.InvoiceStatus_INVOICE_STATUS_CREDIT_BALANCE
	}
	return statusv1.InvoiceStatus_INVOICE_STATUS_PAID
}

func statusMoney(minor int64, currency string) *commonv1.Money {
	return &commonv1.Money{MinorUnits: minor, Currency: currency}
}

// StatusFacts applies the events a command decided to l and returns the
// status facts they make true: an InvoiceStatusChanged for every invoice
// item whose status or figures changed, then a CustomerStatusChanged for
// every debtor and currency whose open total or credit balance changed, in
// a deterministic order. l must be the books the command was decided on;
// afterwards they include decided (and not the facts: apply those too to
// use l further). now is the recorded time of the command.
func (l *Ledger) StatusFacts(decided []proto.Message, now time.Time) ([]proto.Message, error) {
	if err := l.Apply(decided...); err != nil {
		return nil, err
	}
	var touched []string
	credit := map[string]int64{} // credit balance opened per debtor and currency
	seen := map[string]bool{}
	touch := func(id string) {
		if !seen[id] {
			seen[id] = true
			touched = append(touched, id)
		}
	}
	for _, ev := range decided {
		switch e := ev.(type) {
		case *ledgerv1.OpenItemOpened:
			touch(e.GetOpenItemId())
			if e.GetKind() == KindCreditBalance {
				credit[customerKey(e.GetDebtorId(), e.GetAmount().GetCurrency())] -= e.GetAmount().GetMinorUnits()
			}
		case *ledgerv1.OpenItemClassified:
			touch(e.GetOpenItemId())
		case *ledgerv1.OpenItemCleared:
			touch(e.GetOpenItemId())
		case *ledgerv1.OpenItemReopened:
			touch(e.GetOpenItemId())
		}
	}
	at := timestamppb.New(now)
	var facts []proto.Message
	var customers []string
	for _, id := range touched {
		it, ok := l.items[id]
		if !ok {
			continue
		}
		key := customerKey(it.DebtorID, it.Currency)
		if !slices.Contains(customers, key) {
			customers = append(customers, key)
		}
		if it.Kind != KindInvoice {
			continue
		}
		f := figuresOf(it)
		if f.open == 0 && f.merged != 0 {
			// Moved away by a debtor merge: the survivor's books publish the
			// invoice under its new debtor, and the shop must not read the
			// move as a cancellation.
			continue
		}
		prev, published := l.invoiceStatus[id]
		overpaid := f.open == 0 && credit[key] > 0
		st := invoiceStatusOf(it.Amount, f, overpaid, prev.status)
		fact := &statusv1.InvoiceStatusChanged{
			Tenant: l.tenant, InvoiceNumber: it.DocumentNumber, DebtorId: it.DebtorID, OpenItemId: id,
			Status: st, PreviousStatus: prev.status,
			Amount: statusMoney(it.Amount, it.Currency), Open: statusMoney(f.open, it.Currency), Paid: statusMoney(f.paid, it.Currency),
			Credited: statusMoney(f.credited, it.Currency), WrittenOff: statusMoney(f.writtenOff, it.Currency),
			DueDate: it.DueDate.Proto(), ChangedAt: at,
		}
		switch {
		case overpaid:
			fact.CreditBalance = statusMoney(credit[key], it.Currency)
		case st == statusv1.InvoiceStatus_INVOICE_STATUS_CREDIT_BALANCE && prev.hasCredit:
			fact.CreditBalance = statusMoney(prev.creditBalance, prev.creditCurrency)
		}
		if published && prev.same(fact) {
			continue
		}
		facts = append(facts, fact)
	}
	for _, key := range customers {
		debtorID, currency := splitCustomerKey(key)
		if debtor.Reserved(debtorID) {
			continue
		}
		fact := l.customerStatusOf(debtorID, currency, at)
		prev := l.customerStatus[key]
		if prev == nil && fact.GetOpen().GetMinorUnits() == 0 && fact.GetCreditBalance().GetMinorUnits() == 0 {
			continue
		}
		if prev != nil && prev.GetOpen().GetMinorUnits() == fact.GetOpen().GetMinorUnits() &&
			prev.GetCreditBalance().GetMinorUnits() == fact.GetCreditBalance().GetMinorUnits() &&
			prev.GetOpenInvoices() == fact.GetOpenInvoices() {
			continue
		}
		facts = append(facts, fact)
	}
	return facts, nil
}

func splitCustomerKey(key string) (debtorID, currency string) {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == 0 {
			return key[:i], key[i+1:]
		}
	}
	return key, ""
}

// lastInvoice is the last status fact published for an invoice, as much
// of it as the next one is compared with or takes over: plain values, not
// the message, which with its six money fields was a large part of the
// cached books the garbage collector marks.
type lastInvoice struct {
	status                           statusv1.InvoiceStatus
	open, paid, credited, writtenOff int64
	creditBalance                    int64
	hasCredit                        bool
	creditCurrency                   string
}

func lastInvoiceOf(e *statusv1.InvoiceStatusChanged) lastInvoice {
	return lastInvoice{
		status: e.GetStatus(), open: e.GetOpen().GetMinorUnits(), paid: e.GetPaid().GetMinorUnits(),
		credited: e.GetCredited().GetMinorUnits(), writtenOff: e.GetWrittenOff().GetMinorUnits(),
		creditBalance: e.GetCreditBalance().GetMinorUnits(), hasCredit: e.GetCreditBalance() != nil,
		creditCurrency: e.GetCreditBalance().GetCurrency(),
	}
}

// same reports whether b tells the shop nothing a did not.
func (a lastInvoice) same(b *statusv1.InvoiceStatusChanged) bool {
	return a.status == b.GetStatus() && a.open == b.GetOpen().GetMinorUnits() &&
		a.paid == b.GetPaid().GetMinorUnits() &&
		a.credited == b.GetCredited().GetMinorUnits() &&
		a.writtenOff == b.GetWrittenOff().GetMinorUnits()
}

// customerStatusOf is the debtor's open items in currency, from the
// running sums (see Ledger.sums).
func (l *Ledger) customerStatusOf(debtorID, currency string, at *timestamppb.Timestamp) *statusv1.CustomerStatusChanged {
	var sums openSums
	if s := l.sums[customerKey(debtorID, currency)]; s != nil {
		sums = *s
	}
	return &statusv1.CustomerStatusChanged{
		Tenant: l.tenant, DebtorId: debtorID, Open: statusMoney(sums.open, currency), CreditBalance: statusMoney(sums.credit, currency),
		OpenInvoices: sums.invoices, ChangedAt: at,
	}
}
