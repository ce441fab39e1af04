// Package camt reads ISO 20022 bank-to-customer cash management messages:
// camt.052 account reports, camt.053 statements and camt.054 debit/credit
// notifications, every version from 001.01 to 001.13.
//
// A Reader streams a message: Next yields the start of each statement
// (report, notification) with its header and balances, then each entry with
// its transactions as soon as the entry's closing tag is read, then the end
// of the statement with its balance check. Only one entry is held at a
// time, so a file of any size is read in constant memory.
//
// Text encodings: UTF-8 (with or without a byte order mark), ISO-8859-1,
// ISO-8859-15, Windows-1252, ISO-8859-2 and Windows-1250 as the XML
// declaration names them, and UTF-16
// in either byte order when the file starts with its byte order mark.
// Undeclared text that is not valid UTF-8 is read as Windows-1252, with a
// warning.
//
// Amounts are int64 minor units of their ISO 4217 currency, parsed from the
// decimal text without floating point; an amount with more decimals than
// the currency has is rounded half-even and its text kept in Amount.Exact.
// Signs follow the account holder: CRDT is positive, DBIT negative. For a
// reversal (RvslInd true) the sign still follows CdtDbtInd as written: a
// reversed debit is booked as a CRDT and comes out positive, because that
// is the direction the money moved on the account.
//
// Memory is bounded by the largest single entry plus one map entry per
// booking without a bank reference (AcctSvcrRef) in the current statement,
// which Fingerprint needs to number otherwise identical bookings. A single
// XML token may not exceed 16 MiB (ErrTokenTooLarge) and elements may not
// nest deeper than MaxDepth levels (ErrTooDeep); real camt nests fewer
// than 15.
//
// Speed: encoding/xml allocates per token and resolves namespaces, which
// caps it far below the 50 MB/s goal, so the package has its own Tokenizer
// (checked against encoding/xml by a differential fuzz test). What limits
// the Reader now is not scanning (bytes.IndexByte over a large buffer) but
// the work per element, some 60 per entry: the tokenizer (about two
// fifths of the time, most of it start and end tags) and building the
// small per-entry tree (a cached name lookup per element). An entry's text becomes one string, its fields
// substrings of it, so an entry costs about nine allocations; its two
// SHA-256 fingerprints cost about a tenth of the time.
// docs/performance.md has the figures.
package camt

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Kind says what the Reader has just read.
type Kind uint8

// The kinds of items a Reader yields, in document order: for each
// statement one KindStatement, zero or more KindEntry, one
// KindStatementEnd.
const (
	KindStatement Kind = iota + 1
	KindEntry
	KindStatementEnd
)

// Balance check results, see Statement.BalanceCheck.
const (
	CheckOK         = "ok"
	CheckMismatch   = "mismatch"
	CheckIncomplete = "incomplete"
)

// Balance is one Bal element of a statement.
type Balance struct {
	// Type is Tp/CdOrPrtry/Cd (OPBD, CLBD, PRCD, ITBD, OPAV, CLAV, …) or,
	// failing that, the proprietary type as written.
	Type string
	// Amount is signed: CRDT positive, DBIT negative; a balance without
	// CdtDbtInd is read as a credit (with a warning).
	Amount Amount
	// Date is the balance date, YYYY-MM-DD as written, "" if absent.
	Date string
}

// Statement is one Stmt (camt.053), Rpt (camt.052) or Ntfctn (camt.054).
type Statement struct {
	// Index is the 1-based position of the statement in the message.
	Index int
	// ID is Stmt/Id (Rpt/Id, Ntfctn/Id).
	ID string
	// Sequence is ElctrncSeqNb, else LglSeqNb, else "".
	Sequence string
	// Account is Acct/Id/IBAN, else Acct/Id/Othr/Id.
	Account string
	// Currency is Acct/Ccy, else the currency of the first balance, else
	// (known at KindStatementEnd) that of the first entry.
	Currency string
	// Created is CreDtTm as written.
	Created string
	// Balances lists every Bal in document order.
	Balances []Balance
	// OpeningBooked is OPBD, else PRCD; nil when neither is present.
	OpeningBooked *Amount
	// ClosingBooked is CLBD, else ITBD; nil when neither is present.
	ClosingBooked *Amount

	// The fields below are complete only at KindStatementEnd.

	// Entries counts the statement's entries.
	Entries int
	// BookedSum is the sum of the signed amounts of the booked entries
	// (status BOOK or none); pending and information-only entries are not
	// part of the booked balance.
	BookedSum int64
	// BalanceCheck is CheckOK when OpeningBooked + BookedSum equals
	// ClosingBooked, CheckMismatch when not (or when currencies differ),
	// CheckIncomplete when a booked balance is missing.
	BalanceCheck string

	sumOverflow bool
	mixedCcy    bool
	weak        map[[32]byte]int
}

// Entry is one Ntry: one booking on the account.
type Entry struct {
	// Amount is signed: CRDT positive, DBIT negative (also for reversals,
	// see the package comment).
	Amount Amount
	// CreditDebit is CdtDbtInd as written: "CRDT" or "DBIT".
	CreditDebit string
	// Reversal is RvslInd.
	Reversal bool
	// Status is Sts or Sts/Cd (Sts/Prtry when proprietary): BOOK, PDNG,
	// INFO, …
	Status string
	// BookingDate and ValueDate are YYYY-MM-DD as written in Dt or DtTm,
	// offsets dropped; "" when absent.
	BookingDate, ValueDate string
	// EntryRef is NtryRef; AcctSvcrRef the bank's reference.
	EntryRef, AcctSvcrRef string
	// BankTxCode is Domn/Cd/Fmly/Cd/SubFmlyCd as "PMNT/RDDT/ESDD", else
	// Prtry/Cd; from the entry, else from its first transaction.
	BankTxCode string
	// BookingText is AddtlNtryInf.
	BookingText string
	// Charges is the sum of the entry-level Chrgs amounts, in minor units.
	Charges int64
	// Transactions has one element per TxDtls; an entry without TxDtls
	// gets one built from the entry itself.
	Transactions []Transaction

	fingerprint string
}

// Fingerprint identifies the booking independently of the message it came
// in: the same booking seen in an intraday camt.052 and in the end-of-day
// camt.053 has the same fingerprint. It is built from the account,
// currency, signed amount, value date (else booking date), the bank's
// reference and, per transaction, end-to-end id, remittance and
// counterparty IBAN, plus an occurrence number among otherwise identical
// bookings without a bank reference in the same statement. It does not
// depend on message type, statement id, sequence or status.
func (e *Entry) Fingerprint() string { return e.fingerprint }

// ProprietaryRef is one Refs/Prtry reference.
type ProprietaryRef struct {
	Type, Ref string
}

// Transaction is one TxDtls of an entry.
type Transaction struct {
	// Amount is signed: the TxDtls CdtDbtInd when given, else the entry's.
	// It is TxDtls/Amt, else AmtDtls/TxAmt/Amt, else the entry amount.
	Amount Amount
	// CreditDebit is the transaction's direction, "CRDT" or "DBIT".
	CreditDebit string
	// References from Refs; EndToEndID, MandateID and CreditorID fall back
	// to the DK keywords EREF:, MREF: and CRED: in the remittance text.
	EndToEndID, MandateID, CreditorID string
	AcctSvcrRef, TxID, InstrID        string
	ProprietaryRefs                   []ProprietaryRef
	// Remittance is every RmtInf/Ustrd joined without separator.
	Remittance string
	// CreditorReferences are the Strd/CdtrRefInf/Ref values in order.
	CreditorReferences []string
	// Counterparty is the debtor of a credit, the creditor of a debit;
	// IBAN and BIC fall back to the DK keywords IBAN: and BIC:.
	CounterpartyName, CounterpartyIBAN, CounterpartyBIC string
	// ReturnReason is RtrInf/Rsn/Cd, else RtrInf/Rsn/Prtry.
	ReturnReason string
	// Charges is the sum of the Chrgs amounts in minor units (positive).
	Charges int64
	// BankTxCode is the transaction-level bank transaction code.
	BankTxCode string

	fingerprint string
	// fp holds what the fingerprint hashes where the reading of the
	// transaction has improved since fingerprints were first issued: the
	// amount, end-to-end id and counterparty IBAN as the first reading
	// took them. A booking keeps its fingerprint whichever version read
	// it, so an intraday report read before an upgrade and the final
	// statement read after it still name the booking once.
	fp fingerprintInputs
}

// fingerprintInputs are the inputs of Transaction.fp.
type fingerprintInputs struct {
	amount     int64
	endToEndID string
	iban       string
}

// Fingerprint identifies the transaction the way Entry.Fingerprint
// identifies the entry: its entry's identity plus the transaction's signed
// amount, references, remittance and counterparty IBAN, and an occurrence
// number among identical transactions of the entry.
func (t *Transaction) Fingerprint() string { return t.fingerprint }

// placeholder reports reference values that identify nothing.
func placeholder(s string) bool {
	switch s {
	case "", "NOTPROVIDED", "NONREF", "NONE", "N/A":
		return true
	}
	return false
}

// hasher builds fingerprints from length-prefixed fields.
type hasher struct{ buf []byte }

func (h *hasher) add(s string) {
	h.buf = strconv.AppendInt(h.buf, int64(len(s)), 10)
	h.buf = append(h.buf, ':')
	h.buf = append(h.buf, s...)
}

// addInt adds the decimal text of v, as add(strconv.FormatInt(v, 10))
// would.
func (h *hasher) addInt(v int64) {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], v, 10)
	h.buf = strconv.AppendInt(h.buf, int64(len(d)), 10)
	h.buf = append(h.buf, ':')
	h.buf = append(h.buf, d...)
}

func (h *hasher) sum() [32]byte { return sha256.Sum256(h.buf) }

func fingerprintHex(s [32]byte) string { return hex.EncodeToString(s[:16]) }
