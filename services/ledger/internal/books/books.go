// Package books is the ledger's domain: the chart of accounts and the
// posting rules that turn business events into balanced journal entries and
// open items. It knows nothing of storage or transport and takes no clock:
// every date comes from the event being booked.
//
// Accounts (SKR03, fixed so that stored events stay meaningful):
//
//	1400        receivables control account (Forderungen aus L+L); the sum of
//	            all debtor personal accounts
//	10000…      debtor personal accounts, one per debtor, assigned on first
//	            sight and never changed
//	8400 / 8300 revenue at 19 % / 7 % VAT
//	1776 / 1771 output VAT 19 % / 7 %
//
// Signs: a leg's amount is positive for a debit (Soll) and negative for a
// credit (Haben); every entry sums to zero per currency.
package books

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// SKR03 account numbers.
const (
	AccountReceivablesControl = "1400"
	AccountRevenue19          = "8400"
	AccountRevenue7           = "8300"
	AccountRevenueTaxFree     = "8200"
	AccountOutputVAT19        = "1776"
	AccountOutputVAT7         = "1771"
	// FirstDebtorAccount is the number of the first debtor personal account.
	FirstDebtorAccount = 10000
)

// DATEV tax keys (BU-Schlüssel) of revenue legs; the DATEV export needs them.
const (
	TaxKeyVAT19 = "3"
	TaxKeyVAT7  = "2"
)

// ErrUnsupportedRate means an invoice uses a VAT rate the chart has no
// revenue and output VAT accounts for.
var ErrUnsupportedRate = errors.New("no accounts for VAT rate")

// ErrUnbalanced means a journal entry does not sum to zero per currency.
var ErrUnbalanced = errors.New("journal entry does not balance")

// DebtorAccount formats the personal account number n.
func DebtorAccount(n int64) string { return strconv.FormatInt(n, 10) }

// Booking is what booking one invoice produces.
type Booking struct {
	Entry    *ledgerv1.JournalEntryPosted
	OpenItem *ledgerv1.OpenItemOpened
}

var namespace = uuid.MustParse("6b1d8e0c-2f4a-5d3e-8c7b-0a9f1e2d3c4b")

// DerivedID returns the id of the event of the given kind that the source
// event sourceID causes, so re-booking the same source yields the same ids.
func DerivedID(sourceID uuid.UUID, kind string) uuid.UUID {
	return uuid.NewSHA1(namespace, append(sourceID[:], kind...))
}

// BookInvoice posts an ingested invoice: debit the debtor's personal account
// with the gross amount, credit revenue and output VAT per rate, and open an
// item over the gross amount. sourceID is the id of the InvoiceIngested event.
func BookInvoice(sourceID uuid.UUID, inv *ingestionv1.InvoiceIngested, debtorAccount string) (Booking, error) {
	cur := inv.GetCurrency()
	gross := inv.GetGross().GetMinorUnits()
	entryID := DerivedID(sourceID, "journal-entry").String()
	legs := []*ledgerv1.JournalLeg{{
		Account:  debtorAccount,
		Amount:   &commonv1.Money{MinorUnits: gross, Currency: cur},
		DebtorId: inv.GetDebtorId(),
	}}
	for _, v := range inv.GetVat() {
		revenue, vat, key, err := accountsForRate(v.GetRateBp())
		if err != nil {
			return Booking{}, fmt.Errorf("invoice %s: %w", inv.GetInvoiceNumber(), err)
		}
		if n := v.GetNet().GetMinorUnits(); n != 0 {
			legs = append(legs, &ledgerv1.JournalLeg{Account: revenue, Amount: &commonv1.Money{MinorUnits: -n, Currency: cur}, TaxKey: key})
		}
		if t := v.GetVat().GetMinorUnits(); t != 0 {
			legs = append(legs, &ledgerv1.JournalLeg{Account: vat, Amount: &commonv1.Money{MinorUnits: -t, Currency: cur}})
		}
	}
	entry := &ledgerv1.JournalEntryPosted{
		Tenant:         inv.GetTenant(),
		EntryId:        entryID,
		EffectiveDate:  inv.GetIssueDate(),
		DocumentNumber: inv.GetInvoiceNumber(),
		Text:           "Rechnung " + inv.GetInvoiceNumber(),
		Legs:           legs,
		IdempotencyKey: "invoice:" + inv.GetInvoiceNumber(),
	}
	if err := CheckBalanced(entry); err != nil {
		return Booking{}, err
	}
	item := &ledgerv1.OpenItemOpened{
		Tenant:           inv.GetTenant(),
		OpenItemId:       DerivedID(sourceID, "open-item").String(),
		DebtorId:         inv.GetDebtorId(),
		DebtorAccount:    debtorAccount,
		Kind:             "invoice",
		DocumentNumber:   inv.GetInvoiceNumber(),
		OrderId:          inv.GetOrderId(),
		Amount:           &commonv1.Money{MinorUnits: gross, Currency: cur},
		DocumentDate:     inv.GetIssueDate(),
		DueDate:          inv.GetDueDate(),
		PaymentReference: inv.GetPaymentReference(),
		EntryId:          entryID,
	}
	return Booking{Entry: entry, OpenItem: item}, nil
}

func accountsForRate(bp int32) (revenue, vat, taxKey string, err error) {
	switch bp {
	case 1900:
		return AccountRevenue19, AccountOutputVAT19, TaxKeyVAT19, nil
	case 700:
		return AccountRevenue7, AccountOutputVAT7, TaxKeyVAT7, nil
	case 0:
		return AccountRevenueTaxFree, "", "", nil
	}
	return "", "", "", fmt.Errorf("%w %d.%02d %%", ErrUnsupportedRate, bp/100, bp%100)
}

// CheckBalanced returns ErrUnbalanced (wrapped) unless e has at least two
// legs and they sum to zero in every currency.
func CheckBalanced(e *ledgerv1.JournalEntryPosted) error {
	if len(e.GetLegs()) < 2 {
		return fmt.Errorf("entry %s: %w: %d legs", e.GetEntryId(), ErrUnbalanced, len(e.GetLegs()))
	}
	sums := map[string]int64{}
	for _, l := range e.GetLegs() {
		sums[l.GetAmount().GetCurrency()] += l.GetAmount().GetMinorUnits()
	}
	for cur, s := range sums {
		if s != 0 {
			return fmt.Errorf("entry %s: %w: %s legs sum to %d", e.GetEntryId(), ErrUnbalanced, cur, s)
		}
	}
	return nil
}
