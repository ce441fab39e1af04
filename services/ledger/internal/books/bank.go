package books

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
)

// StatementBalance is a bank statement's closing balance as the books
// recorded it (StatementBalanceRecorded).
type StatementBalance struct {
	StatementKey   string
	IBAN           string
	Account        string
	Currency       string
	Closing        int64
	ClosingDate    Date
	OpeningEntryID string
	// HasOpening says whether the statement carried an opening balance,
	// OpeningDate its date.
	HasOpening  bool
	OpeningDate Date
	// Sequence is the statement's sequence as the bank wrote it.
	Sequence string
}

// start is the first day a statement covers: its opening balance's date,
// else its closing date.
func (s StatementBalance) start() Date {
	if s.HasOpening {
		return s.OpeningDate
	}
	return s.ClosingDate
}

// AccountHistory is what a decision on one stream cannot see: whether a
// G/L account has lines in any stream, and the effective date of the
// earliest (Postings.FirstPosting).
type AccountHistory struct {
	Posted bool
	First  Date
}

// bankAccount returns the G/L account of iban and checks that currency is
// the bank account's, where the tenants file names it.
func (b *batch) bankAccount(iban, currency, field string) (string, error) {
	if iban == "" {
		return "", invalid("iban", "missing")
	}
	account, err := b.chart().Bank(iban)
	if err != nil {
		return "", err
	}
	if want, ok := b.chart().BankCurrencies[NormalIBAN(iban)]; ok && want != currency {
		return "", invalid(field, "currency %q, but bank account %s is kept in %s", currency, NormalIBAN(iban), want)
	}
	return account, nil
}

// signedAmount checks a signed amount: an ISO 4217 currency and at most
// maxAmount in size; zero only when zeroOK.
func signedAmount(field string, m *commonv1.Money, zeroOK bool) (int64, string, error) {
	if m == nil {
		return 0, "", invalid(field, "missing")
	}
	cur := m.GetCurrency()
	if err := checkCurrency(cur); err != nil {
		return 0, "", invalid(field+".currency", "%q is not an ISO 4217 currency", cur)
	}
	v := m.GetMinorUnits()
	switch {
	case v == 0 && !zeroOK:
		return 0, "", invalid(field, "zero")
	case v > maxAmount || v < -maxAmount:
		return 0, "", invalid(field, "%d minor units is more than the ledger accepts", v)
	}
	return v, cur, nil
}

// RecordBankTransaction books one transaction of a tenant's bank account:
// the bank's G/L account (by IBAN) with the signed amount, the counter
// account with its negation, effective on the booking date. The counter is
// the unidentified receipts clearing account (either sign: a receipt or
// its return), the G/L account of the tenant's outgoing rule the command
// names (debits only; the account comes from the tenants file, never from
// the command), the unidentified payments clearing account (debits only),
// or the G/L account of the tenant's incoming rule the command names
// (credits only: a collection agency's payout against its clearing
// account, say). The transaction id is the entry's document number; a second
// booking of it under another key fails with ErrDuplicateDocument.
func (l *Ledger) RecordBankTransaction(cmd *ledgerv1.RecordBankTransaction, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		id := cmd.GetTransactionId()
		if id == "" {
			return invalid("transaction_id", "missing")
		}
		amount, cur, err := signedAmount("amount", cmd.GetAmount(), false)
		if err != nil {
			return err
		}
		bank, err := b.bankAccount(cmd.GetIban(), cur, "amount")
		if err != nil {
			return err
		}
		booking, err := dateField("booking_date", cmd.GetBookingDate())
		if err != nil {
			return err
		}
		if cmd.GetValueDate() != nil {
			if _, err := dateField("value_date", cmd.GetValueDate()); err != nil {
				return err
			}
		}
		ruled := cmd.GetCounter() == ledgerv1.BankCounter_BANK_COUNTER_OUTGOING_RULE || cmd.GetCounter() == ledgerv1.BankCounter_BANK_COUNTER_INCOMING_RULE
		if cmd.GetRule() != "" && !ruled {
			return invalid("rule", "%q given, but only an outgoing or incoming rule counter names a rule", cmd.GetRule())
		}
		var counter, text string
		switch cmd.GetCounter() {
		case ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_RECEIPTS:
			counter, err = b.chart().ClearingAccount(string(UnidentifiedReceipts))
			text = "Zahlungseingang"
			if amount < 0 {
				text = "Rückbuchung"
			}
		case ledgerv1.BankCounter_BANK_COUNTER_OUTGOING_RULE:
			if cmd.GetRule() == "" {
				return invalid("rule", "missing for an outgoing rule counter")
			}
			counter, err = b.chart().OutgoingRule(cmd.GetRule())
			text = "Zahlungsausgang " + cmd.GetRule()
		case ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_PAYMENTS:
			counter, err = b.chart().ClearingAccount(string(UnidentifiedPayments))
			text = "Zahlungsausgang"
		case ledgerv1.BankCounter_BANK_COUNTER_INCOMING_RULE:
			if cmd.GetRule() == "" {
				return invalid("rule", "missing for an incoming rule counter")
			}
			counter, err = b.chart().IncomingRule(cmd.GetRule())
			text = "Zahlungseingang " + cmd.GetRule()
		default:
			return invalid("counter", "%v", cmd.GetCounter())
		}
		if err != nil {
			return err
		}
		switch cmd.GetCounter() {
		case ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_RECEIPTS:
		case ledgerv1.BankCounter_BANK_COUNTER_INCOMING_RULE:
			if amount < 0 {
				return invalid("amount", "%s is a debit, but %v takes credits only", amountText(amount, cur), cmd.GetCounter())
			}
		default:
			if amount > 0 {
				return invalid("amount", "%s is a credit, but %v takes debits only", amountText(amount, cur), cmd.GetCounter())
			}
		}
		return b.post(b.derive("bank-transaction", id, "entry"), booking, id, strings.TrimSpace(text+" "+cmd.GetText()), []Leg{
			{Account: bank, Currency: cur, Minor: amount},
			{Account: counter, Currency: cur, Minor: -amount},
		})
	})
}

// RecordStatementBalance records a bank statement's closing balance
// (StatementBalanceRecorded), which the reconciliation compares with the
// bank account's balance of every line effective on or before the closing
// date.
//
// The opening balance rule: the earliest statement recorded for an IBAN
// that carries an opening balance books it, bank account against the
// opening balance account (OpeningBalanceAccounts), effective on the
// opening date, when history says the bank's G/L account has no line in
// the statement's currency effective before that date. The books then
// start where the bank does. Earliest is by date, not by arrival (and on
// one day by the statements' sequence numbers): a statement whose opening
// date is before the first day of every statement recorded for the IBAN
// (imports out of order, or a retried import that arrives after the next
// day's) books its opening balance and reverses the opening entry a
// later statement booked, whose opening balance
// already contains this statement's transactions
// (StatementBalanceRecorded.replaced_opening_entry_id). A statement
// recorded after an earlier one, or one for an account that has earlier
// lines (booked by hand, or from an earlier import), books no opening
// balance: the books already hold that history, and any difference shows
// in the reconciliation instead of being papered over. A zero opening
// balance books nothing. The same statement key recorded under another
// idempotency key fails with ErrDuplicateDocument.
func (l *Ledger) RecordStatementBalance(cmd *ledgerv1.RecordStatementBalance, history AccountHistory, o Origin) ([]proto.Message, error) {
	return l.decide(cmd, cmd.GetTenant(), cmd.GetIdempotencyKey(), o, func(b *batch) error {
		key := cmd.GetStatementKey()
		if key == "" {
			return invalid("statement_key", "missing")
		}
		if _, dup := l.statements[key]; dup {
			return fmt.Errorf("%w: statement %s", ErrDuplicateDocument, key)
		}
		closing, cur, err := signedAmount("closing_balance", cmd.GetClosingBalance(), true)
		if err != nil {
			return err
		}
		bank, err := b.bankAccount(cmd.GetIban(), cur, "closing_balance")
		if err != nil {
			return err
		}
		closingDate, err := dateField("closing_date", cmd.GetClosingDate())
		if err != nil {
			return err
		}
		iban := NormalIBAN(cmd.GetIban())
		rec := &ledgerv1.StatementBalanceRecorded{
			Tenant: l.tenant, StatementKey: key, Iban: iban, Account: bank,
			ClosingBalance: &commonv1.Money{MinorUnits: closing, Currency: cur}, ClosingDate: closingDate.Proto(),
			StatementId: cmd.GetStatementId(), Sequence: cmd.GetSequence(),
		}
		if m := cmd.GetOpeningBalance(); m != nil {
			opening, ocur, err := signedAmount("opening_balance", m, true)
			if err != nil {
				return err
			}
			if ocur != cur {
				return invalid("opening_balance", "currency %q, the closing balance's is %q", ocur, cur)
			}
			openingDate, err := dateField("opening_date", cmd.GetOpeningDate())
			if err != nil {
				return err
			}
			if openingDate.Compare(closingDate) > 0 {
				return invalid("opening_date", "%s is after the closing date %s", openingDate, closingDate)
			}
			rec.OpeningBalance, rec.OpeningDate = &commonv1.Money{MinorUnits: opening, Currency: cur}, openingDate.Proto()
			earliest, replaced := l.openingStatement(iban, cur, openingDate, cmd.GetSequence())
			earlier := history.Posted && history.First.Compare(openingDate) < 0
			if earliest && !earlier && opening != 0 {
				id := b.derive("bank-opening", iban, "entry")
				if replaced != nil {
					// The first statement's id stays that of the first
					// opening entry; a replacement's is its statement's.
					id = b.derive("bank-opening", iban, key, "entry")
					if err := b.reverse(replaced, replaced.EffectiveDate, "opening balance of the earlier statement "+cmp.Or(cmd.GetStatementId(), key)); err != nil {
						return err
					}
					rec.ReplacedOpeningEntryId = replaced.ID
				}
				doc := cmp.Or(cmd.GetStatementId(), key)
				if err := b.post(id, openingDate, doc, "Saldenvortrag Bank "+iban, []Leg{
					{Account: bank, Currency: cur, Minor: opening},
					{Account: b.account(OpeningBalanceAccounts), Currency: cur, Minor: -opening},
				}); err != nil {
					return err
				}
				rec.OpeningEntryId = id
			}
		} else if cmd.GetOpeningDate() != nil {
			return invalid("opening_date", "given without an opening balance")
		}
		b.emit(rec)
		return nil
	})
}

// Statements returns the statement balances the books recorded, in order
// of recording.
func (l *Ledger) Statements() []StatementBalance {
	out := make([]StatementBalance, 0, len(l.statementOrder))
	for _, k := range l.statementOrder {
		out = append(out, l.statements[k])
	}
	return out
}

// openingStatement says whether a statement of iban opening on date in
// currency cur, with sequence seq, would be the earliest the books
// recorded for the IBAN: its date is before the first day of every
// statement recorded in cur, or the same day with a lower sequence number
// (several statements a day). When it is, replaced is the opening entry a
// later statement booked and no one reversed (nil when none did).
func (l *Ledger) openingStatement(iban, cur string, date Date, seq string) (earliest bool, replaced *Entry) {
	for _, s := range l.statements {
		if s.IBAN != iban || s.Currency != cur {
			continue
		}
		if c := s.start().Compare(date); c < 0 || c == 0 && !sequenceBefore(seq, s.Sequence) {
			return false, nil
		}
		if en, ok := l.entries[s.OpeningEntryID]; ok && en.ReversedBy == "" {
			replaced = en
		}
	}
	return true, replaced
}

// sequenceBefore reports whether statement sequence a comes before b:
// both are numbers, or both numbers separated by "/" alike (MT940's
// statement number/sequence number, "00002/001"), compared number by
// number. Sequences of different forms (a camt and an MT940 statement)
// or any other form compare as not before.
func sequenceBefore(a, b string) bool {
	x, ok1 := sequenceNumbers(a)
	y, ok2 := sequenceNumbers(b)
	return ok1 && ok2 && len(x) == len(y) && slices.Compare(x, y) < 0
}

func sequenceNumbers(s string) ([]uint64, bool) {
	if s == "" {
		return nil, false
	}
	var out []uint64
	for part := range strings.SplitSeq(s, "/") {
		n, err := strconv.ParseUint(part, 10, 64)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

func (l *Ledger) applyStatement(e *ledgerv1.StatementBalanceRecorded) error {
	if _, dup := l.statements[e.GetStatementKey()]; dup {
		return fmt.Errorf("%w: statement %s recorded twice", ErrInconsistentEvent, e.GetStatementKey())
	}
	l.statements[e.GetStatementKey()] = StatementBalance{
		StatementKey: e.GetStatementKey(), IBAN: e.GetIban(), Account: e.GetAccount(),
		Currency: e.GetClosingBalance().GetCurrency(), Closing: e.GetClosingBalance().GetMinorUnits(),
		ClosingDate: DateOf(e.GetClosingDate()), OpeningEntryID: e.GetOpeningEntryId(),
		HasOpening: e.GetOpeningBalance() != nil, OpeningDate: DateOf(e.GetOpeningDate()), Sequence: e.GetSequence(),
	}
	l.statementOrder = append(l.statementOrder, e.GetStatementKey())
	return nil
}

// Log is an event store's ordered log, as *eventstore.Store and
// *memstore.Store read it: up to limit events after a cursor, and the
// cursor to read on from.
type Log interface {
	ReadAll(ctx context.Context, after es.Cursor, limit int) ([]es.Event, es.Cursor, error)
}

// LogPostings is a Postings that reads the whole log of the ledger's
// events for every question, for tests and in-process runs on memstore.
// It passes the contract suite (directorytest.RunPostings) that the
// service's, which reads a read model instead, passes.
type LogPostings struct {
	Log Log
}

// FirstPosting implements Postings.
func (p LogPostings) FirstPosting(ctx context.Context, tenant, account, currency string) (Date, bool, error) {
	var first Date
	found := false
	var after es.Cursor
	for {
		evs, next, err := p.Log.ReadAll(ctx, after, 1000)
		if err != nil {
			return Date{}, false, fmt.Errorf("first line on %s: %w", account, err)
		}
		for _, ev := range evs {
			e, ok := ev.Payload.(*ledgerv1.JournalEntryPosted)
			if !ok || ev.Stream.Tenant != tenant {
				continue
			}
			for _, g := range e.GetLegs() {
				if g.GetAccount() != account || g.GetAmount().GetCurrency() != currency {
					continue
				}
				if d := DateOf(e.GetEffectiveDate()); !found || d.Compare(first) < 0 {
					first, found = d, true
				}
			}
		}
		if len(evs) == 0 {
			return first, found, nil
		}
		after = next
	}
}
