// Package matchbench is the matching benchmark with ground truth: a
// generator of open items, debtors, history and payments with the noise real
// payers and banks produce, the truth of what each payment pays, and a scorer
// that compares the decisions of `o2c match` (shared/contracts/o2c-match.md)
// with that truth and checks each decision against the contract's
// arithmetic and open-amount rules.
//
// The generator is deterministic: the same seed and scenario give the same
// bytes. A scenario's noise mix is fixed once committed, so that figures
// measured at different times compare; new situations go into new scenarios.
package matchbench

import (
	"errors"

	"github.com/o2c-platform/o2c/libs/fault"
)

var (
	// ErrUnknownScenario means the scenario name is not one of Scenarios.
	ErrUnknownScenario = errors.New("unknown scenario")
	// ErrBadInput means a truth, decisions or input file could not be read:
	// a line is not the JSON the contract describes.
	ErrBadInput = errors.New("unreadable benchmark input")
	// ErrMismatch means the decisions do not belong to the truth: a payment
	// is missing, repeated or unknown, or out of input order.
	ErrMismatch = errors.New("decisions do not match the truth")
)

// Errors classifies the package's sentinel errors.
var Errors = fault.Table{
	{Err: ErrUnknownScenario, Class: fault.Invalid},
	{Err: ErrBadInput, Class: fault.Invalid},
	{Err: ErrMismatch, Class: fault.Invalid},
}

// Item is one line of ITEMS.jsonl: an open item as the contract describes
// it. Amounts are signed minor units of Currency, receivables positive.
type Item struct {
	ID               string        `json:"id"`
	Debtor           string        `json:"debtor"`
	Kind             string        `json:"kind"`
	DocumentNumber   string        `json:"document_number"`
	OrderID          string        `json:"order_id,omitempty"`
	PaymentReference string        `json:"payment_reference"`
	AmountMinor      int64         `json:"amount_minor"`
	OpenMinor        int64         `json:"open_minor"`
	Currency         string        `json:"currency"`
	IssueDate        string        `json:"issue_date"`
	DueDate          string        `json:"due_date"`
	CashDiscount     *CashDiscount `json:"cash_discount,omitempty"`
	Channel          string        `json:"channel"`
}

// CashDiscount is an item's Skonto term: PercentBP basis points of the item
// may be deducted when paying on or before Until.
type CashDiscount struct {
	Until     string `json:"until"`
	PercentBP int64  `json:"percent_bp"`
}

// Debtor is one line of DEBTORS.jsonl, the master data of a debtor.
type Debtor struct {
	Debtor         string   `json:"debtor"`
	Name           string   `json:"name"`
	IBANs          []string `json:"ibans"`
	MandateIDs     []string `json:"mandate_ids"`
	CustomerNumber string   `json:"customer_number"`
}

// Payment is one line of PAYMENTS.jsonl: a bank transaction, positive when
// money was received. ConfirmedDebtor is set in HISTORY.jsonl only.
type Payment struct {
	ID                 string   `json:"id"`
	AmountMinor        int64    `json:"amount_minor"`
	Currency           string   `json:"currency"`
	BookingDate        string   `json:"booking_date"`
	ValueDate          string   `json:"value_date"`
	Remittance         string   `json:"remittance"`
	EndToEndID         string   `json:"end_to_end_id"`
	MandateID          string   `json:"mandate_id"`
	CreditorReferences []string `json:"creditor_references"`
	CounterpartyName   string   `json:"counterparty_name"`
	CounterpartyIBAN   string   `json:"counterparty_iban"`
	ReturnReason       string   `json:"return_reason"`
	BankTxCode         string   `json:"bank_tx_code"`
	ConfirmedDebtor    string   `json:"confirmed_debtor,omitempty"`
}

// Allocation is an amount of a payment applied to an open item, in minor
// units; negative when a return reopens what an earlier payment cleared.
type Allocation struct {
	OpenItem    string `json:"open_item"`
	AmountMinor int64  `json:"amount_minor"`
}

// Difference is the part of a payment booked away or kept as a credit
// balance: Kind is cash_discount, bank_fee, underpayment, overpayment,
// rounding or fx; AmountMinor is negative when less was paid than allocated.
type Difference struct {
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor"`
}

// The values of Truth.Match.
const (
	// MatchItems means the payment pays (or, for a return, reopens) the
	// open items in Allocations.
	MatchItems = "items"
	// MatchDebtor means the payment is the debtor's but pays no open item
	// (a duplicate payment): all of it is a credit balance (overpayment).
	MatchDebtor = "debtor"
	// MatchNone means the payment belongs to nobody among the debtors.
	MatchNone = "none"
)

// Truth is one line of truth.jsonl: what a payment really pays. Allocations
// plus Difference equal the payment's amount, as in a decision.
type Truth struct {
	Payment     string       `json:"payment"`
	Match       string       `json:"match"`
	Debtor      *string      `json:"debtor"`
	Allocations []Allocation `json:"allocations"`
	Difference  *Difference  `json:"difference"`
	Reverses    *string      `json:"reverses"`
	// Situation names what happened (exact, bank_fee, cash_discount, …),
	// for the scorer's breakdown.
	Situation string `json:"situation"`
	// Noise lists what payer and bank did to the payment's data.
	Noise []string `json:"noise"`
}

// Decision is one line of DECISIONS.jsonl as `o2c match` writes it.
type Decision struct {
	Payment      string        `json:"payment"`
	Decision     string        `json:"decision"`
	Score        int           `json:"score"`
	Debtor       *string       `json:"debtor"`
	Allocations  []Allocation  `json:"allocations"`
	Difference   *Difference   `json:"difference"`
	Reverses     *string       `json:"reverses"`
	Alternatives []Alternative `json:"alternatives"`
	Explanation  string        `json:"explanation"`
}

// Alternative is a next-best proposal of a decision.
type Alternative struct {
	Score       int          `json:"score"`
	Allocations []Allocation `json:"allocations"`
	Difference  *Difference  `json:"difference"`
}
