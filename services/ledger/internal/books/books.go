// Package books is the ledger's domain: the chart of accounts and the
// posting rules that turn commands into balanced journal entries, open items
// and settlements. It knows nothing of storage or transport and takes no
// clock: the recorded time and the actor come in an Origin, every other date
// from the command.
//
// # Commands in, events out
//
// A Ledger is one tenant's books, built only by Apply from stored events.
// Its command methods (RegisterInvoice, ApplyPayment, IssueCreditNote,
// AssessCharge, WriteOff, RecoverWrittenOff, RecordAgencyCollection,
// ReturnPayment, ReverseEntry, PayOutCreditBalance, RecordOpeningBalance,
// RecordBankTransaction, RecordStatementBalance, ClosePeriod, ReopenPeriod,
// and MergeOut/MergeIn for the two sides of MergeDebtor) read the books and return the events the
// command causes, or a typed error; they change nothing. The caller appends
// the events and applies them. Every command's events start with
// CommandAccepted, which records its idempotency key and ContentHash: the
// same command again returns no events, a different one under the same key
// fails with ErrIdempotencyConflict. Event ids (entries, items) are derived
// from the tenant and the business document (invoice number, payment id,
// ...), so a document is booked at most once even under two keys
// (ErrDuplicateDocument).
//
// # Accounts
//
// The Chart maps o2c's logical accounts to SKR03 (default) or SKR04 numbers
// and to the merchant's own numbers; see Chart and DebtorRange for the
// numbering of debtor personal accounts. The SKR03 accounts fixed by the
// first ledger events stay:
//
//	1400        receivables control account (Forderungen aus L+L); the sum of
//	            all debtor personal accounts
//	10000…      debtor personal accounts, one per debtor, assigned on first
//	            sight and never changed
//	8400 / 8300 revenue at 19 % / 7 % VAT
//	1776 / 1771 output VAT 19 % / 7 %
//
// Legs on a personal account carry the debtor id; the control account is
// never posted directly but is the roll-up of the personal accounts
// (ControlAccount), as in DATEV, where personal accounts are a subledger.
// Orders a marketplace collects are receivables against the marketplace:
// their items sit on the marketplace's debtor (MarketplaceDebtorID, one per
// marketplace and currency) with the buyer as a reference only, and are
// never dunned. Every debtor has one personal account: a marketplace
// debtor's is the one the chart names for it (Chart.Marketplaces), else a
// number from the debtor range like any debtor's. A merge (MergeDebtor)
// moves a duplicate's open items to the survivor once: a debtor merged
// away is neither merged again nor a merge target, and a marketplace
// debtor is never merged (CheckMergeable).
//
// Signs: a leg's amount is positive for a debit (Soll) and negative for a
// credit (Haben); every entry sums to zero per currency. An open item's
// amount is positive for a claim and negative for a credit balance.
//
// # The bank side
//
// Every transaction of a tenant's bank account is booked as the bank booked
// it (RecordBankTransaction): the bank account against the unidentified
// receipts clearing account, the G/L account of one of the tenant's
// outgoing rules, or the unidentified payments clearing account. Matching
// moves a receipt on to the debtor with ApplyPayment from the clearing
// account "unidentified-receipts" (and back with ReturnPayment), so the
// bank account holds exactly the bank's transactions and reconciles with
// each statement's closing balance (RecordStatementBalance, which also
// books the opening balance of an account's first statement; see there).
// Bank transactions and statements touch no debtor: each transaction has
// a stream of its own (StreamTypeBankTransaction), each bank account one
// for its statements (StreamTypeBankStatements).
//
// # Open items and settlements
//
// Invoices, charges and opening balances open items; payments, credit
// notes, cash discounts, differences, write-offs and payouts clear them
// through Settlement records, and a new claim consumes the debtor's credit
// balances (a credit offset, no entry: both sides are on the same personal
// account). A return, chargeback or reversal undoes exactly the settlements
// its entry made, including offsets of a credit balance it created. Per
// debtor and currency the open amounts always sum to the personal account
// balance (Check, CheckOpenItems).
//
// # Streams
//
// Every command of this package touches at most one debtor: its entry has
// at most one personal-account leg and its settlements are all on that
// debtor's items. A decision reads only that debtor's items (plus the closed
// periods), so the service can keep the events of each tenant and debtor in
// their own stream and append with the expected version of that stream:
// unrelated debtors post in parallel, a command and its events stay atomic,
// and two decisions for the same debtor cannot both succeed on a stale
// view. Bank, clearing, revenue and VAT accounts are projections summed over
// all streams, never streams themselves, so a hot clearing account (one
// Amazon account receiving every payout line) serialises nothing. Period
// closes belong in one stream per tenant; a close is effective for commands
// decided after it is stored.
//
// # Command service
//
// Commander is the load -> decide -> append loop around the Ledger: it
// loads a command's debtor stream (StreamTypeDebtor) and the tenant's
// period stream (StreamTypePeriods) from an EventStore, lets the Ledger
// decide, and appends with the version it read, deciding again when
// another command for the stream was stored first (ErrContended after
// several losses). A Directory finds the debtor of a command that names
// only an open item, entry or payment, and assigns debtor account numbers.
// Which stream a command is decided on and which Ledger method decides it
// is one table (table.go); NewCommand makes a command's message from its
// full name. Both ports have PostgreSQL implementations elsewhere and run
// on memstore in tests. Manual journal entries (PostJournalEntry) keep a
// stream each (StreamTypeEntry) and go through JournalEntry and CheckOpen,
// the same checks and the same closed periods as every other booking.
//
// # Limits
//
// Every balance and check is per currency; foreign-exchange revaluation is
// out of scope. Periods are calendar months.
package books

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/google/uuid"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/money"
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

// ErrUnsupportedRate means a document uses a tax key (country, VAT rate,
// treatment) the chart's tax table does not map: an invoice on its issue
// date, a correction on any date. The wrapped *tax.UnmappedError names the
// key and the date.
var ErrUnsupportedRate = errors.New("unsupported VAT rate or tax treatment")

// ErrUnbalanced means a journal entry does not sum to zero per currency.
var ErrUnbalanced = errors.New("journal entry does not balance")

// DebtorAccount formats the personal account number n.
func DebtorAccount(n int64) string { return strconv.FormatInt(n, 10) }

var namespace = uuid.MustParse("6b1d8e0c-2f4a-5d3e-8c7b-0a9f1e2d3c4b")

// DerivedID returns the id of the event of the given kind that the source
// event sourceID causes, so re-booking the same source yields the same ids.
func DerivedID(sourceID uuid.UUID, kind string) uuid.UUID {
	return nameID(namespace, string(sourceID[:]), kind)
}

// nameID returns uuid.NewSHA1(space, the concatenation of parts), hashed
// from one buffer on the stack instead of a hash object and its sum on the
// heap (ids are derived for every entry and event).
func nameID(space uuid.UUID, parts ...string) uuid.UUID {
	var arr [256]byte
	buf := append(arr[:0], space[:]...)
	for _, p := range parts {
		buf = append(buf, p...)
	}
	sum := sha1.Sum(buf)
	var id uuid.UUID
	copy(id[:], sum[:])
	id[6] = (id[6] & 0x0f) | 0x50 // version 5
	id[8] = (id[8] & 0x3f) | 0x80 // RFC 4122 variant
	return id
}

// CheckBalanced returns ErrUnbalanced (wrapped) unless e has at least two
// legs and they sum to zero in every currency.
func CheckBalanced(e *ledgerv1.JournalEntryPosted) error {
	if len(e.GetLegs()) < 2 {
		return fmt.Errorf("entry %s: %w: %d legs", e.GetEntryId(), ErrUnbalanced, len(e.GetLegs()))
	}
	// An entry has few currencies: a short list, not a map.
	type sum struct {
		cur string
		s   int64
	}
	var arr [4]sum
	sums := arr[:0]
	for _, l := range e.GetLegs() {
		cur := l.GetAmount().GetCurrency()
		i := slices.IndexFunc(sums, func(x sum) bool { return x.cur == cur })
		if i < 0 {
			sums, i = append(sums, sum{cur: cur}), len(sums)
		}
		s, err := money.Add(sums[i].s, l.GetAmount().GetMinorUnits())
		if err != nil {
			return fmt.Errorf("entry %s: %w: %s legs: %w", e.GetEntryId(), ErrUnbalanced, cur, err)
		}
		sums[i].s = s
	}
	for _, x := range sums {
		if x.s != 0 {
			return fmt.Errorf("entry %s: %w: %s legs sum to %d", e.GetEntryId(), ErrUnbalanced, x.cur, x.s)
		}
	}
	return nil
}
