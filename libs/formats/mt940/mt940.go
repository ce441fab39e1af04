// Package mt940 reads SWIFT MT940 customer statements and MT942 interim
// transaction reports as a stream of statement starts, entries and statement
// ends, in constant memory whatever the size of the file.
//
// A Reader splits a file into statements on the :20: tag and yields every
// entry (a :61: statement line together with the :86: that follows it) as
// soon as the next tag shows that the entry is complete. It understands the
// layouts that banks actually send: SWIFT blocks, bank header and trailer
// lines, control characters, CRLF/CR/LF line ends, German structured :86:
// with ?-subfields and SEPA keywords, Dutch slash tags, and free text.
//
// Amounts are int64 minor units of the ISO 4217 currency (never floating
// point), signed from the account holder's point of view: credits are
// positive, debits negative, a reversal of a credit (RC) is negative and a
// reversal of a debit (RD) positive.
//
// Speed: lines are split and checked for printable ASCII without copying,
// and each field becomes one string that the entry's fields are substrings
// of; those strings, the purpose and name, and the fingerprints are cut
// from shared 16 KB chunks, so an entry costs well under one allocation.
// What limits the Reader now is the work per entry: reading the structured
// :86: into Details (about a third of the time), the fingerprint (about a
// fifth, most of it its two SHA-256 hashes), and the Entry itself (576
// bytes, allocated in batches, that the collector must clear and scan).
// Options.CheckOnly skips the first two for a pass that only checks a
// file. docs/performance.md has the figures.
package mt940

import (
	"fmt"
	"strings"
)

// Date is a calendar date as written in the file. A zero Date means the file
// did not give one.
type Date struct {
	Year, Month, Day int
}

// IsZero reports whether the date is absent.
func (d Date) IsZero() bool { return d == Date{} }

// String formats the date as YYYY-MM-DD, or returns "" for a zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Balance is one of the balance tags :60F:, :60M:, :62F:, :62M:, :64: or :65:.
type Balance struct {
	// Tag is the tag without colons, e.g. "60F" or "62M".
	Tag  string
	Date Date
	// Currency is the ISO 4217 code written in the balance.
	Currency string
	// Amount is in minor units; a D (debit) balance is negative.
	Amount int64
	// Exact is the amount text as written when it had more decimals than
	// the currency allows and Amount was rounded half-even; else "".
	Exact string
}

// Summary is an MT942 :90D: or :90C: line: the number and sum of the debit
// or credit entries of the report.
type Summary struct {
	Count    int
	Currency string
	// Amount is in minor units and always positive, as written.
	Amount int64
}

// Balance check results, as in the o2c parse contract.
const (
	CheckOK         = "ok"
	CheckMismatch   = "mismatch"
	CheckIncomplete = "incomplete"
)

// Statement is one MT940 statement or MT942 report: everything from a :20:
// to the next :20: or the end of the file. Fields that come after the
// entries (closing balances, statement-level :86:, the balance check) are
// only final in the Item of kind KindStatementEnd.
type Statement struct {
	// Line is the line number of the :20: tag.
	Line int
	// Reference is :20:, the transaction reference number.
	Reference string
	// RelatedReference is :21:.
	RelatedReference string
	// Account is :25: as written, or the account identification of
	// :25:'s option P (:25P:), minus a trailing currency code when the bank
	// appended one (see AccountCurrency).
	Account string
	// AccountBIC is the identifier code (BIC) of the account servicing
	// institution that :25P: gives after the account, else "".
	AccountBIC string
	// AccountCurrency is the currency code the bank appended to :25:
	// ("NL10BUNQ2290325473 EUR", "…/HUF", "NL69INGB0123456789EUR"), else "".
	AccountCurrency string
	// Sequence is :28C: (or :28:) as written, e.g. "00004/00001".
	Sequence string
	// Currency is the statement currency: the opening balance's, else the
	// one appended to :25:, else the :34F: floor limit's, else the closing
	// balance's.
	Currency string
	// Opening is :60F: or :60M:; nil when absent.
	Opening *Balance
	// Closing is :62F: or :62M:; nil when absent.
	Closing *Balance
	// Available is :64:; nil when absent.
	Available *Balance
	// Forward lists the :65: forward available balances (at most
	// maxForward; more are reported as a warning).
	Forward []Balance
	// Info is the statement-level :86: text (an :86: that follows no :61:,
	// e.g. after :60F: or after :62F:), lines joined with "\n".
	Info string
	// DateTime is MT942 :13D: as written.
	DateTime string
	// FloorLimit is MT942 :34F: as written (the first one when there are two).
	FloorLimit string
	// Debits and Credits are MT942 :90D: and :90C:; nil when absent.
	Debits, Credits *Summary
	// Entries is the number of entries read so far.
	Entries int
	// Sum is the signed sum of the entries read so far, in minor units.
	Sum int64
	// BalanceCheck is CheckOK, CheckMismatch or CheckIncomplete; set when
	// the statement ends.
	BalanceCheck string
}

// Entry is one :61: statement line with the :86: that belongs to it.
type Entry struct {
	// Line is the line number of the :61: tag.
	Line int
	// ValueDate is the value date (YYMMDD in the file).
	ValueDate Date
	// EntryDate is the optional entry (booking) date, its year taken from
	// the value date across the year end; zero when absent.
	EntryDate Date
	// BookingDate is EntryDate when given, else ValueDate.
	BookingDate Date
	// Mark is the debit/credit mark as written: "C", "D", "RC" or "RD".
	Mark string
	// FundsCode is the optional funds-code letter after the mark (German
	// banks write "R", the third letter of EUR), else "".
	FundsCode string
	// Reversal is true for RC and RD.
	Reversal bool
	// Amount is signed minor units: C and RD positive, D and RC negative.
	Amount int64
	// AmountExact is the amount text as written when it had more decimals
	// than the currency allows and Amount was rounded half-even; else "".
	AmountExact string
	// Currency is the statement currency.
	Currency string
	// TypeCode is the transaction type identification, e.g. "NTRF", "FMSC".
	TypeCode string
	// CustomerReference is the reference for the account owner ("NONREF").
	CustomerReference string
	// BankReference is the account servicing institution's reference (after
	// "//"), else "".
	BankReference string
	// Supplementary is the optional supplementary-details line of :61:.
	Supplementary string
	// Info is the :86: text, unwrapped: structured :86: with its line breaks
	// removed, free text with wrapped lines joined (see unwrapFree).
	Info string
	// Details is what was understood from :86:.
	Details Details
	// Charges is the sum of /CHGS/ amounts in the entry's currency (minor
	// units, positive), from the supplementary details, else from :86:.
	Charges int64

	fingerprint string
}

// Fingerprint returns a stable identity for the booking: the same for the
// same booking whether it is read from an MT942 intraday report or from the
// later MT940 statement, and different for two bookings that differ in any
// of account, currency, signed amount, value date, booking date, bank or
// customer reference, end-to-end id, purpose or counterparty. Two bookings
// equal in all of these within one statement are told apart by their order
// of occurrence. It does not depend on the statement reference, :28C: or the
// message type.
func (e *Entry) Fingerprint() string { return e.fingerprint }

// Details is what was understood from an entry's :86: field.
type Details struct {
	// Dialect is "structured" (German ?-subfields, or > as separator),
	// "slash" (Dutch /TAG/value), "free" (anything else) or "" (no :86:).
	Dialect string
	// GVC is the 3-digit Geschäftsvorfallcode of a structured :86:.
	GVC string
	// BookingText is ?00, or the transaction type /TRTP/ (slash).
	BookingText string
	// PrimaNota is ?10.
	PrimaNota string
	// Purpose is ?20-?29 and ?60-?63 joined with no separator (structured),
	// the /REMI/ text, or its structured reference (slash), or the whole
	// text (free).
	Purpose string
	// Remittance is, when SEPA keywords are present, the SVWZ+ value (else
	// the purpose text before the first keyword) together with any text
	// that overran a reference, in the order written; "" for a slash
	// /REMI/ that holds only a structured reference; else Purpose.
	Remittance string
	// EndToEndID is EREF+ or /EREF/ ("NOTPROVIDED" is dropped). EREF+,
	// KREF+, MREF+ and CRED+ are at most 35 characters: a later subfield
	// continues one only while it stays within them, and text without a
	// keyword beyond that (a return's "MTLG:" message) is remittance.
	EndToEndID string
	// CustomerRef is KREF+.
	CustomerRef string
	// MandateID is MREF+ or /MARF/.
	MandateID string
	// CreditorID is CRED+ or /CSID/.
	CreditorID string
	// UltimateParty is ABWA+ (abweichender Auftraggeber) or ABWE+, or the
	// name of /ULTD/, /ULTC/ or /ULTB/.
	UltimateParty string
	// CounterpartyName is ?32 and ?33 joined, or /NAME/ (also after
	// /ORDP// or /BENM//), or the name in /CNTP/.
	CounterpartyName string
	// CounterpartyIBAN is ?31 (or ?38, IBAN+, /IBAN/) when it has the shape
	// of an IBAN.
	CounterpartyIBAN string
	// CounterpartyAccount is ?31 when it is not an IBAN (a national account).
	CounterpartyAccount string
	// CounterpartyBIC is ?30 (or BIC+, /BIC/) when it has the shape of a BIC.
	CounterpartyBIC string
	// CounterpartyBankCode is ?30 when it is not a BIC (e.g. a German BLZ).
	CounterpartyBankCode string
	// ReturnCode is ?34 (Textschlüsselergänzung) as written.
	ReturnCode string
	// ReturnReason is the ISO 20022 return reason: /RTRN/ as written, or
	// ?34 mapped by returnReason.
	ReturnReason string
	// CreditorReferences lists structured creditor references: /CDTRREF/,
	// /REMI/STRD/issuer/reference, or an ISO 11649 RF reference that makes
	// up the whole remittance.
	CreditorReferences []string
}

// Kind tells what an Item carries.
type Kind int

// The kinds of Item, in the order they occur for one statement: one
// KindStatementStart, any number of KindEntry, one KindStatementEnd.
const (
	KindStatementStart Kind = iota + 1
	KindEntry
	KindStatementEnd
)

// Item is one step of the stream returned by Reader.Next.
type Item struct {
	Kind Kind
	// Statement is a snapshot of the statement: the header fields for
	// KindStatementStart, everything for KindStatementEnd, and the header
	// for KindEntry.
	Statement Statement
	// Entry is set for KindEntry.
	Entry *Entry
}

// SyntaxError is returned when the file cannot be read as MT940/MT942. It
// names the line and what was wrong there.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

func syntaxErrorf(line int, format string, args ...any) error {
	return &SyntaxError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// normalizeAccount is the account as used in fingerprints: upper case with
// spaces removed.
func normalizeAccount(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, " ", ""))
}
