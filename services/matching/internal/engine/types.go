package engine

import (
	"time"

	"github.com/o2c-platform/o2c/libs/money"
)

// Payment is one incoming bank transaction as the bank reported it.
// Positive amounts are money received; a negative amount is money out (a
// returned direct debit, a chargeback, a refund).
type Payment struct {
	ID     string
	Amount money.Amount
	// BookingDate decides whether a cash discount may still be taken;
	// ValueDate stands in when it is zero.
	BookingDate, ValueDate time.Time
	// Remittance is the unstructured remittance text as the bank gave it,
	// wrappers (SVWZ+, EREF+ ...) included.
	Remittance         string
	EndToEndID         string
	MandateID          string
	CreditorReferences []string
	CounterpartyName   string
	CounterpartyIBAN   string
	// ReturnReason is the ISO 20022 return reason (AC04, MD06, MS03 ...)
	// of a returned direct debit or transfer, empty otherwise.
	ReturnReason string
	// BankTxCode is the bank transaction code (PMNT/RDDT/ESDD, or an MT940
	// GVC); some codes say the transaction is a reversal
	// (Config.ReversalCodes).
	BankTxCode string
}

// date is the day the payment counts for: the booking date, else the value
// date.
func (p Payment) date() time.Time {
	if !p.BookingDate.IsZero() {
		return p.BookingDate
	}
	return p.ValueDate
}

// ItemKind is what an open item is.
type ItemKind string

// The kinds of open item.
const (
	ItemInvoice  ItemKind = "invoice"
	ItemFee      ItemKind = "fee"
	ItemInterest ItemKind = "interest"
	// ItemCredit is a credit balance (a credit note, a marketplace refund or
	// fee): its amounts are negative.
	ItemCredit ItemKind = "credit"
)

// CashDiscount is an item's Skonto term: the debtor may deduct PercentBP
// basis points of the open amount when paying on or before Until (plus the
// tenant's grace days).
type CashDiscount struct {
	Until     time.Time
	PercentBP int32
}

// OpenItem is a receivable (or credit balance) of a debtor that a payment
// may clear. Amount is the original amount, signed from the merchant's view
// (receivable positive); Open is what is still open of it, in the same
// currency.
type OpenItem struct {
	ID     string
	Debtor string
	Kind   ItemKind
	// DocumentNumber, OrderID and PaymentReference are the numbers a payer
	// may quote: the invoice number as printed, the shop or marketplace
	// order id, and the reference printed for the payer (an RF creditor
	// reference, a Swiss QR reference, a marketplace settlement id ...).
	DocumentNumber   string
	OrderID          string
	PaymentReference string
	Amount           money.Amount
	Open             int64
	IssueDate        time.Time
	DueDate          time.Time
	CashDiscount     *CashDiscount
	// Channel is "shop", a marketplace ("amazon") or another provider.
	Channel string
}

// Debtor is a debtor's master data as far as matching uses it.
type Debtor struct {
	ID             string
	Name           string
	IBANs          []string
	MandateIDs     []string
	CustomerNumber string
	// Business is true for a business debtor. False means a consumer or
	// unknown: then a return charge passed on never exceeds what the bank
	// charged (§309 No. 5 BGB).
	Business bool
	// Erased is set when ingestion erased the debtor's personal data (its
	// name, IBANs and mandates are empty then).
	Erased bool
}

// Confirmation is an earlier payment a person (or the ledger) confirmed for
// a debtor: the history the engine learns the payer's IBAN and name from.
type Confirmation struct {
	Payment Payment
	Debtor  string
}

// Kind is what a decision says should happen with a payment.
type Kind string

// The kinds of decision.
const (
	// Auto: the engine would book this without a person.
	Auto Kind = "auto"
	// Proposed: the best proposal, for a person to confirm.
	Proposed Kind = "proposed"
	// Unmatched: no proposal worth showing.
	Unmatched Kind = "unmatched"
	// Confirmed is never returned by Match: the service sets it on a
	// decision a person confirmed or made, so that Apply books it like an
	// automatic one.
	Confirmed Kind = "confirmed"
)

// DifferenceKind is what the money between the payment and its
// allocations is.
type DifferenceKind string

// The kinds of difference.
const (
	DiffCashDiscount DifferenceKind = "cash_discount"
	DiffBankFee      DifferenceKind = "bank_fee"
	DiffUnderpayment DifferenceKind = "underpayment"
	DiffOverpayment  DifferenceKind = "overpayment"
	DiffRounding     DifferenceKind = "rounding"
	DiffFX           DifferenceKind = "fx"
)

// Allocation is an amount of a payment applied to one open item, in minor
// units of the payment's currency. It is negative when a return reopens
// what a payment cleared, or when it uses up a credit item.
type Allocation struct {
	Item   string
	Amount int64
}

// Difference is the money of a payment not allocated to items: booked away
// (cash discount, bank fee, rounding, FX, a written-off underpayment; then
// negative when less was paid) or kept as a credit balance (overpayment,
// positive). Allocations plus the difference equal the payment amount.
type Difference struct {
	Kind   DifferenceKind
	Amount int64
}

// Proposal is one way to apply a payment: its debtor, the allocations and
// the difference, with its score (0-100) and why.
type Proposal struct {
	Score       int
	Debtor      string
	Allocations []Allocation
	Difference  *Difference
	Explanation string
}

// Decision is what the engine decided for one payment. For every decision
// with allocations, the sum of the allocations plus Difference.Amount is
// the payment's amount exactly, and every allocation fits what was open on
// its item when the decision was made.
type Decision struct {
	Payment Payment
	Kind    Kind
	// Score is 0-100; Kind is Auto only when it reaches the tenant's auto
	// threshold and nothing else fits as well.
	Score int
	// Debtor is the debtor the payment is for, "" when unknown; an
	// unmatched decision may still name one.
	Debtor      string
	Allocations []Allocation
	Difference  *Difference
	// Reverses is the id of the earlier payment a return undoes, "" for
	// any other payment.
	Reverses string
	// Alternatives are the next-best proposals, best first, at most four.
	Alternatives []Proposal
	// Explanation is one line a clerk understands: what was found where
	// and why this score.
	Explanation string
	// ReturnCharge is, for a return whose bank netted a charge, the part of
	// that charge the tenant's rule passes on to the debtor (never more
	// than the bank's charge for a consumer); 0 otherwise.
	ReturnCharge int64
	// Learned is what this decision teaches the engine when it is applied
	// as an automatic one, nil when nothing. See Learned.
	Learned *Learned
}

// Learned is a payer fact an automatic decision teaches: payments from
// this payer (IBAN, name) are the debtor's. Match sets it only on an
// automatic decision whose items the texts name, all of them, by a
// validated creditor reference or their number as printed or normalised
// (not a cut or mistyped one), for a payer whose IBAN is no other
// debtor's; and only when the payment has a payer IBAN or name. Apply of
// that decision learns it, as Learn does for a payment a person confirmed:
// later payments from that IBAN or name without a reference are the
// debtor's. An engine built again from its open items does not know it
// unless it is given as a Confirmation (history) or taught through Learn;
// an automatic decision that is undone (unmatched, returned) should be
// forgotten as a confirmed one is.
type Learned struct {
	Debtor string
	// IBAN is the payer's IBAN, upper case without spaces, "" when the
	// payment has none.
	IBAN string
	// Name is the payer's name as the bank gave it, "" when none.
	Name string
}
