package intake

import (
	"errors"
	"fmt"
	"io"

	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement"
	"github.com/o2c-platform/o2c/libs/formats/detect"
	"github.com/o2c-platform/o2c/libs/tenants"
)

// Scan is what the first pass over a file found: everything the import
// must know before it emits anything. It holds one small value per
// statement and settlement, never per transaction.
type Scan struct {
	// Family is the detected (or declared) format family.
	Family detect.Format
	// UTF16 is the byte order mark's encoding, "" for none.
	UTF16 string
	// Format is the format and version read, e.g. "camt.053.001.08",
	// "mt942", "amazon-settlement-flat-v2".
	Format string
	// Statements and Settlements in file order, complete.
	Statements  []Statement
	Settlements []Settlement
	// Transactions counts the bank transactions, Entries the statement
	// entries they belong to (a camt Ntry with all its TxDtls, an MT940
	// :61:), Lines the settlement lines.
	Transactions, Entries, Lines int
	// Warnings are the parser's.
	Warnings []string
}

// kind is the statement kind of an MT940 file as the whole file showed
// it, 0 for other formats.
func (s *Scan) kind() StatementKind {
	if s.Family != detect.MT940 {
		return 0
	}
	if s.Format == "mt942" {
		return Intraday
	}
	return Final
}

// ScanFile reads the whole of r as format family f (pass 1) in constant
// memory. A file the parser cannot read returns an error wrapping
// ErrUnreadable and the parser's error (with its line or element path);
// the Scan then holds what was read before it.
func ScanFile(f detect.Format, utf16 string, r io.Reader) (*Scan, error) {
	return scanFile(f, utf16, r, nil)
}

// scanFile is ScanFile reporting to progress, when set, as it reads (see
// Request.Progress).
func scanFile(f detect.Format, utf16 string, r io.Reader, progress func(Progress)) (*Scan, error) {
	sc := &Scan{Family: f, UTF16: utf16}
	report := func() {
		if progress != nil {
			progress(Progress{Phase: Checking, Entries: sc.Entries + sc.Lines})
		}
	}
	report()
	src, err := newSource(f, r, utf16, 0)
	if err != nil {
		return sc, unreadable(f, err)
	}
	for {
		it, err := src.next()
		sc.Format = src.format()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			sc.Warnings = src.warnings()
			return sc, unreadable(f, err)
		}
		switch it.kind {
		case itemTransaction:
			if err := checkText(it.tx); err != nil {
				sc.Warnings = src.warnings()
				return sc, unreadable(f, err)
			}
			sc.Transactions++
			if isEntry(it) {
				sc.Entries++
			}
		case itemStatementEnd:
			if err := checkStatementText(it.stmt); err != nil {
				sc.Warnings = src.warnings()
				return sc, unreadable(f, err)
			}
			sc.Statements = append(sc.Statements, *it.stmt)
		case itemSettlementLine:
			if err := checkLineText(it.line); err != nil {
				sc.Warnings = src.warnings()
				return sc, unreadable(f, err)
			}
			sc.Lines++
		case itemSettlementEnd:
			sc.Settlements = append(sc.Settlements, *it.set)
		}
		if isEntry(it) && (sc.Entries+sc.Lines)%ProgressEvery == 0 {
			report()
		}
	}
	report()
	sc.Warnings = src.warnings()
	if k := sc.kind(); k != 0 {
		for i := range sc.Statements {
			sc.Statements[i].Kind = k
		}
	}
	if len(sc.Statements) == 0 && len(sc.Settlements) == 0 {
		return sc, fmt.Errorf("%w: the %s file holds no statement", ErrUnreadable, sc.Format)
	}
	return sc, nil
}

// MaxTransactionText is the most bytes of text (references, remittance,
// names, codes) one transaction may carry. A SEPA remittance has 140
// characters, a camt entry's additional information 500; a transaction
// with megabytes of text would become an event NATS does not carry, and
// the relay would stop on it.
const MaxTransactionText = 64 << 10

// checkText refuses a transaction whose text is longer than
// MaxTransactionText, naming its entry and where it is.
func checkText(t *Transaction) error {
	n := len(t.Currency) + len(t.BookingDate) + len(t.ValueDate) + len(t.Status) + len(t.EndToEndID) + len(t.MandateID) +
		len(t.CreditorID) + len(t.BankReference) + len(t.EntryReference) + len(t.TxID) + len(t.InstructionID) + len(t.Remittance) +
		len(t.CounterpartyName) + len(t.CounterpartyIBAN) + len(t.CounterpartyBIC) + len(t.ReturnReason) + len(t.BankTxCode) +
		len(t.BookingText) + len(t.Fingerprint) + len(t.EntryBankReference)
	for _, r := range t.CreditorReferences {
		n += len(r)
	}
	where := fmt.Sprintf("entry %d, transaction %d", t.EntryIndex, t.TxIndex)
	if t.Line > 0 {
		where = fmt.Sprintf("line %d", t.Line)
	}
	if n > MaxTransactionText {
		return fmt.Errorf("%s: %d bytes of text (remittance %d), more than the %d a transaction may carry", where, n, len(t.Remittance), MaxTransactionText)
	}
	fields := []struct{ name, v string }{{"end-to-end id", t.EndToEndID}, {"mandate id", t.MandateID}, {"creditor id", t.CreditorID},
		{"bank reference", t.BankReference}, {"entry reference", t.EntryReference}, {"transaction id", t.TxID},
		{"instruction id", t.InstructionID}, {"counterparty name", t.CounterpartyName}, {"counterparty IBAN", t.CounterpartyIBAN},
		{"counterparty BIC", t.CounterpartyBIC}, {"return reason", t.ReturnReason}, {"bank transaction code", t.BankTxCode},
		{"booking text", t.BookingText}, {"entry's bank reference", t.EntryBankReference}}
	for _, r := range t.CreditorReferences {
		fields = append(fields, struct{ name, v string }{"creditor reference", r})
	}
	for _, f := range fields {
		if len(f.v) > MaxReferenceText {
			return fmt.Errorf("%s: %s of %d bytes, more than the %d a reference or name may have", where, f.name, len(f.v), MaxReferenceText)
		}
	}
	return nil
}

// MaxReferenceText is the most bytes one reference, code or name of a
// transaction may have (a SEPA reference has 35 characters, a name 140):
// they are matched on and indexed, and PostgreSQL's index rows hold 8 KiB.
const MaxReferenceText = 1000

// MaxStatementText is the most bytes a statement's identification (id,
// sequence, account, currency, creation time) may have together: they
// key the import's rows and travel in every event of the statement; a
// camt Stmt/Id has at most 35 characters.
const MaxStatementText = 1000

// checkStatementText refuses a statement whose identification is longer
// than MaxStatementText, naming the statement by its position.
func checkStatementText(st *Statement) error {
	n := len(st.ID) + len(st.Sequence) + len(st.Account) + len(st.Written) + len(st.Currency) + len(st.Created)
	if n <= MaxStatementText {
		return nil
	}
	where := fmt.Sprintf("statement %d", st.Index)
	if st.Line > 0 {
		where += fmt.Sprintf(" (line %d)", st.Line)
	}
	return fmt.Errorf("%s: identification of %d bytes (id %d), more than the %d a statement may have", where, n, len(st.ID), MaxStatementText)
}

// MaxSettlementLineText is the most bytes of text one settlement line may
// carry. LinesPerEvent lines travel in one event, which must stay below
// NATS's 1 MiB; Amazon's lines carry a few hundred bytes.
const MaxSettlementLineText = 1500

// checkLineText refuses a settlement line with more than
// MaxSettlementLineText bytes of text, naming its line.
func checkLineText(l *settlement.Line) error {
	n := len(l.TransactionType) + len(l.OrderID) + len(l.MerchantOrderID) + len(l.AdjustmentID) + len(l.ShipmentID) +
		len(l.Marketplace) + len(l.SKU) + len(l.AmountType) + len(l.AmountDescription) + len(l.Currency) + len(l.AmountExact) +
		len(l.PostedDate)
	if n <= MaxSettlementLineText {
		return nil
	}
	return fmt.Errorf("line %d: %d bytes of text, more than the %d a settlement line may carry", l.Line, n, MaxSettlementLineText)
}

// isEntry reports whether it starts an entry as Progress counts them: the
// first transaction of a statement entry, or a settlement line.
func isEntry(it item) bool {
	return (it.kind == itemTransaction && it.tx.TxIndex == 1) || it.kind == itemSettlementLine
}

func unreadable(f detect.Format, err error) error {
	if errors.Is(err, ErrUnsupportedFormat) {
		return err
	}
	return fmt.Errorf("%w as %s: %w", ErrUnreadable, f, err)
}

// CheckAccounts returns an error wrapping ErrUnknownAccount for the first
// statement whose account the tenant has not configured in bank.accounts,
// or ErrCurrencyMismatch for one whose currency differs from the
// configured account's; both name the account and the statement.
func (s *Scan) CheckAccounts(t tenants.Tenant) error {
	for i := range s.Statements {
		st := &s.Statements[i]
		acc, ok := t.BankAccount(st.Account)
		if !ok {
			written := ""
			if NormalizeAccount(st.Written) != st.Account {
				written = fmt.Sprintf(" (written %q)", st.Written)
			}
			return fmt.Errorf("%w: statement %s (number %d in the file) is for account %q%s, which is not in tenant %s's bank.accounts",
				ErrUnknownAccount, describe(st), st.Index, st.Account, written, t.ID)
		}
		if st.Currency != "" && st.Currency != acc.Currency {
			return fmt.Errorf("%w: statement %s (number %d in the file) for account %s is in %s, the account is configured in %s",
				ErrCurrencyMismatch, describe(st), st.Index, st.Account, st.Currency, acc.Currency)
		}
	}
	return nil
}

// describe names a statement for people: its id and sequence.
func describe(s *Statement) string {
	d := fmt.Sprintf("%q", s.ID)
	if s.Sequence != "" {
		d += " sequence " + s.Sequence
	}
	if s.Line > 0 {
		d += fmt.Sprintf(" (line %d)", s.Line)
	}
	return d
}
