package intake

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/transform"

	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement"
	"github.com/o2c-platform/o2c/libs/formats/camt"
	"github.com/o2c-platform/o2c/libs/formats/detect"
	"github.com/o2c-platform/o2c/libs/formats/mt940"
)

// StatementKind says what a statement is, and so which deduplication rule
// its transactions follow.
type StatementKind uint8

// The statement kinds.
const (
	// Final is an end-of-day statement (camt.053, MT940).
	Final StatementKind = iota + 1
	// Intraday is an intraday report (camt.052, MT942).
	Intraday
	// Notification is a debit/credit notification (camt.054).
	Notification
)

func (k StatementKind) String() string {
	switch k {
	case Final:
		return "final"
	case Intraday:
		return "intraday"
	case Notification:
		return "notification"
	}
	return "unknown"
}

// Balance is a booked balance of a statement: signed minor units (credit
// positive) and its date as written, YYYY-MM-DD or "".
type Balance struct {
	Amount int64
	Date   string
}

// Statement is one camt Stmt, Rpt or Ntfctn, or one MT940/MT942 statement,
// as the first pass read it completely.
type Statement struct {
	// Index is the 1-based position of the statement in the file.
	Index int
	Kind  StatementKind
	// ID is camt Stmt/Id (Rpt/Id, Ntfctn/Id) or MT940 :20:.
	ID string
	// Sequence is camt ElctrncSeqNb else LglSeqNb, or MT940 :28C:.
	Sequence string
	// Account is the IBAN (else the account id) upper case without spaces
	// (see StatementAccount); Written is the account as the file wrote it.
	Account, Written string
	// Currency is the statement's currency, "" when the file gives none.
	Currency string
	// Created is camt CreDtTm or MT942 :13D: as written.
	Created string
	// Opening and Closing are the booked balances, nil when absent.
	Opening, Closing *Balance
	// Line is the MT940 line of :20:, 0 for camt.
	Line int
	// Transactions counts the statement's transactions.
	Transactions int
}

// Date is the statement's own date: the closing balance's, else the
// opening balance's, else the creation date. It tells apart statements
// that banks give the same id and sequence every day (":20:STARTUMS",
// ":28C:0").
func (s *Statement) Date() string {
	switch {
	case s.Closing != nil && s.Closing.Date != "":
		return s.Closing.Date
	case s.Opening != nil && s.Opening.Date != "":
		return s.Opening.Date
	}
	return dateOf(s.Created)
}

// Key identifies the statement for BankStatementReceived.statement_key and
// the ledger: kind, account, id, sequence and date, each path-escaped and
// joined with "/".
func (s *Statement) Key() string {
	return joinKey(s.Kind.String(), s.Account, s.ID, s.Sequence, s.Date())
}

// Transaction is one bank transaction: a camt TxDtls (or an entry without
// details) or an MT940 entry, with the entry fields it needs.
type Transaction struct {
	// EntryIndex is the 1-based index of the entry in its statement,
	// TxIndex that of the transaction in its entry.
	EntryIndex, TxIndex int
	// Line is the MT940 :61: line, 0 for camt.
	Line int
	// Amount is signed minor units: credit positive.
	Amount   int64
	Currency string
	// EntryAmount is the signed amount of the whole entry.
	EntryAmount int64
	// BookingDate and ValueDate are YYYY-MM-DD or "".
	BookingDate, ValueDate string
	// Status is BOOK, PDNG, INFO, … as written ("BOOK" for MT940/MT942).
	Status   string
	Reversal bool
	// References.
	EndToEndID, MandateID, CreditorID  string
	BankReference, EntryReference      string
	TxID, InstructionID                string
	Remittance                         string
	CreditorReferences                 []string
	CounterpartyName, CounterpartyIBAN string
	CounterpartyBIC                    string
	ReturnReason                       string
	Charges                            int64
	BankTxCode, BookingText            string
	Fingerprint                        string
	// EntryBankReference is the entry's own bank reference (camt
	// Ntry/AcctSvcrRef), by which a camt.054 notification is linked to
	// the statement entry it details.
	EntryBankReference string
}

// Settlement is one settlement report's header with its totals, as the
// first pass read it completely.
type Settlement struct {
	// Index is the 1-based position of the settlement in the file.
	Index int
	settlement.Settlement
}

// itemKind says what a source yielded.
type itemKind uint8

const (
	itemStatement itemKind = iota + 1
	itemTransaction
	itemStatementEnd
	itemSettlement
	itemSettlementLine
	itemSettlementEnd
)

// item is one step of a source: a statement start or end (stmt), a
// transaction (tx, of the current statement), a settlement start or end
// (set) or a settlement line (line).
type item struct {
	kind itemKind
	stmt *Statement
	tx   *Transaction
	set  *Settlement
	line *settlement.Line
}

// source reads one file of a format as items.
type source interface {
	// next returns the next item, io.EOF after the last one, or a parser
	// error naming the position.
	next() (item, error)
	// format is the format and version read, e.g. "camt.053.001.08"; final
	// after io.EOF.
	format() string
	// warnings are the parser's.
	warnings() []string
}

// importable reports whether the import takes files of format f.
func importable(f detect.Format) bool {
	switch f {
	case detect.Camt, detect.MT940, detect.Settlement:
		return true
	}
	return false
}

// newSource returns a source for r read as format f. utf16 is the byte
// order mark's encoding (detect.UTF16) or "": camt reads UTF-16 itself,
// the others get the file converted to UTF-8. kind is the statement kind
// for MT940 files as an earlier pass found it (0 on the first pass: the
// reader knows a file is MT942 only once it has seen an MT942 tag).
func newSource(f detect.Format, r io.Reader, utf16 string, kind StatementKind) (source, error) {
	if utf16 != "" && f != detect.Camt {
		r = transform.NewReader(r, detect.UTF16Decoder(utf16))
	}
	switch f {
	case detect.Camt:
		return &camtSource{r: camt.NewReader(r)}, nil
	case detect.MT940:
		return &mt940Source{r: mt940.NewReader(r, mt940.Options{}), kind: kind}, nil
	case detect.Settlement:
		rd, err := settlement.NewReader(r)
		if err != nil {
			return nil, err
		}
		return &settlementSource{r: rd}, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedFormat, f)
}

// camtSource reads camt.052/053/054 with libs/formats/camt.
type camtSource struct {
	r       *camt.Reader
	stmt    *Statement
	index   int
	entries int
	queue   []Transaction
}

func (s *camtSource) format() string     { return s.r.Message() }
func (s *camtSource) warnings() []string { return s.r.Warnings() }

func (s *camtSource) next() (item, error) {
	for len(s.queue) == 0 {
		kind, err := s.r.Next()
		if err != nil {
			return item{}, err
		}
		st := s.r.Statement()
		switch kind {
		case camt.KindStatement:
			s.index++
			s.entries = 0
			s.stmt = camtStatement(s.index, s.r.Message(), st)
			return item{kind: itemStatement, stmt: s.stmt}, nil
		case camt.KindEntry:
			s.entries++
			s.queue = camtTransactions(s.r.Entry(), s.entries, s.queue[:0])
		case camt.KindStatementEnd:
			end := camtStatement(s.index, s.r.Message(), st)
			end.Transactions = s.stmt.Transactions
			s.stmt = end
			return item{kind: itemStatementEnd, stmt: end}, nil
		}
	}
	tx := s.queue[0]
	s.queue = s.queue[1:]
	s.stmt.Transactions++
	return item{kind: itemTransaction, tx: &tx}, nil
}

// camtKind maps a message name (camt.053.001.08) to its statement kind.
func camtKind(message string) StatementKind {
	switch {
	case strings.HasPrefix(message, "camt.052"):
		return Intraday
	case strings.HasPrefix(message, "camt.054"):
		return Notification
	}
	return Final
}

func camtStatement(index int, message string, st *camt.Statement) *Statement {
	s := &Statement{
		Index: index, Kind: camtKind(message), ID: st.ID, Sequence: st.Sequence,
		Account: StatementAccount(st.Account), Written: st.Account, Currency: st.Currency, Created: st.Created,
	}
	if st.OpeningBooked != nil {
		s.Opening = &Balance{Amount: st.OpeningBooked.Minor, Date: balanceDate(st.Balances, "OPBD", "PRCD")}
	}
	if st.ClosingBooked != nil {
		s.Closing = &Balance{Amount: st.ClosingBooked.Minor, Date: balanceDate(st.Balances, "CLBD", "ITBD")}
	}
	return s
}

// balanceDate returns the date of the first balance of the first type
// present.
func balanceDate(bs []camt.Balance, types ...string) string {
	for _, t := range types {
		for _, b := range bs {
			if b.Type == t {
				return b.Date
			}
		}
	}
	return ""
}

func camtTransactions(e *camt.Entry, entryIndex int, out []Transaction) []Transaction {
	for i := range e.Transactions {
		t := &e.Transactions[i]
		code := t.BankTxCode
		if code == "" {
			code = e.BankTxCode
		}
		ref := t.AcctSvcrRef
		if ref == "" {
			ref = e.AcctSvcrRef
		}
		charges := t.Charges
		if charges == 0 && len(e.Transactions) == 1 {
			charges = e.Charges
		}
		out = append(out, Transaction{
			EntryIndex: entryIndex, TxIndex: i + 1,
			Amount: t.Amount.Minor, Currency: t.Amount.Currency, EntryAmount: e.Amount.Minor,
			BookingDate: e.BookingDate, ValueDate: e.ValueDate, Status: e.Status, Reversal: e.Reversal,
			EndToEndID: t.EndToEndID, MandateID: t.MandateID, CreditorID: t.CreditorID,
			BankReference: ref, EntryReference: e.EntryRef, TxID: t.TxID, InstructionID: t.InstrID,
			Remittance: t.Remittance, CreditorReferences: slices.Clone(t.CreditorReferences),
			CounterpartyName: t.CounterpartyName, CounterpartyIBAN: t.CounterpartyIBAN, CounterpartyBIC: t.CounterpartyBIC,
			ReturnReason: t.ReturnReason, Charges: charges, BankTxCode: code, BookingText: e.BookingText,
			Fingerprint: t.Fingerprint(), EntryBankReference: e.AcctSvcrRef,
		})
	}
	return out
}

// mt940Source reads MT940 and MT942 with libs/formats/mt940.
type mt940Source struct {
	r     *mt940.Reader
	kind  StatementKind
	stmt  *Statement
	index int
	n     int
}

func (s *mt940Source) format() string     { return s.r.Format() }
func (s *mt940Source) warnings() []string { return s.r.Warnings() }

func (s *mt940Source) next() (item, error) {
	it, err := s.r.Next()
	if err != nil {
		return item{}, err
	}
	switch it.Kind {
	case mt940.KindStatementStart:
		s.index++
		s.n = 0
		s.stmt = s.statement(&it.Statement)
		return item{kind: itemStatement, stmt: s.stmt}, nil
	case mt940.KindEntry:
		s.n++
		s.stmt.Transactions++
		return item{kind: itemTransaction, tx: mt940Transaction(it.Entry, s.n)}, nil
	default:
		end := s.statement(&it.Statement)
		end.Transactions = s.stmt.Transactions
		s.stmt = end
		return item{kind: itemStatementEnd, stmt: end}, nil
	}
}

func (s *mt940Source) statement(st *mt940.Statement) *Statement {
	kind := s.kind
	if kind == 0 {
		kind = Final
		if s.r.Format() == "mt942" {
			kind = Intraday
		}
	}
	out := &Statement{
		Index: s.index, Kind: kind, ID: st.Reference, Sequence: st.Sequence,
		Account: StatementAccount(st.Account), Written: st.Account, Currency: st.Currency, Created: st.DateTime, Line: st.Line,
	}
	if st.Opening != nil {
		out.Opening = &Balance{Amount: st.Opening.Amount, Date: st.Opening.Date.String()}
	}
	if st.Closing != nil {
		out.Closing = &Balance{Amount: st.Closing.Amount, Date: st.Closing.Date.String()}
	}
	return out
}

func mt940Transaction(e *mt940.Entry, index int) *Transaction {
	d := &e.Details
	code := e.TypeCode
	if d.GVC != "" {
		code = d.GVC
	}
	return &Transaction{
		EntryIndex: index, TxIndex: 1, Line: e.Line,
		Amount: e.Amount, Currency: e.Currency, EntryAmount: e.Amount,
		BookingDate: e.BookingDate.String(), ValueDate: e.ValueDate.String(), Status: "BOOK", Reversal: e.Reversal,
		EndToEndID: d.EndToEndID, MandateID: d.MandateID, CreditorID: d.CreditorID,
		BankReference: e.BankReference, EntryReference: e.CustomerReference,
		Remittance: d.Remittance, CreditorReferences: slices.Clone(d.CreditorReferences),
		CounterpartyName: d.CounterpartyName, CounterpartyIBAN: d.CounterpartyIBAN, CounterpartyBIC: d.CounterpartyBIC,
		ReturnReason: d.ReturnReason, Charges: e.Charges, BankTxCode: code, BookingText: d.BookingText,
		Fingerprint: e.Fingerprint(), EntryBankReference: e.BankReference,
	}
}

// settlementSource reads Amazon settlement reports with
// libs/formats/amazon/settlement.
type settlementSource struct {
	r     *settlement.Reader
	cur   *Settlement
	hdr   *settlement.Settlement // the reader's, final at the settlement's end
	index int
	done  bool
}

func (s *settlementSource) format() string     { return string(s.r.Format()) }
func (s *settlementSource) warnings() []string { return s.r.Warnings() }

func (s *settlementSource) next() (item, error) {
	if s.cur == nil {
		if s.done {
			return item{}, io.EOF
		}
		h, err := s.r.NextSettlement()
		if errors.Is(err, io.EOF) {
			s.done = true
			return item{}, io.EOF
		}
		if err != nil {
			return item{}, err
		}
		s.index++
		s.hdr = h
		s.cur = &Settlement{Index: s.index, Settlement: *h}
		return item{kind: itemSettlement, set: s.cur}, nil
	}
	l, err := s.r.NextLine()
	if errors.Is(err, io.EOF) {
		end := s.cur
		// The reader's header is final now (LineCount, Sum).
		end.Settlement = *s.hdr
		s.cur = nil
		return item{kind: itemSettlementEnd, set: end}, nil
	}
	if err != nil {
		return item{}, err
	}
	return item{kind: itemSettlementLine, line: &l}, nil
}

// NormalizeAccount returns an account id (IBAN or other) as the import
// compares it: upper case without spaces.
func NormalizeAccount(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}

// StatementAccount returns the account of a statement as the import keys
// and configures it: NormalizeAccount, except that a German bank code and
// account number ("BLZ/Kontonummer": 8 digits, a slash, up to 10 digits),
// as German banks write MT940 :25:, becomes its IBAN, under which the
// tenant configures the account.
func StatementAccount(s string) string {
	s = NormalizeAccount(s)
	blz, num, ok := strings.Cut(s, "/")
	if !ok || len(blz) != 8 || len(num) == 0 || len(num) > 10 || !digits(blz) || !digits(num) {
		return s
	}
	bban := blz + strings.Repeat("0", 10-len(num)) + num
	// ISO 13616 check digits: 98 - (BBAN + "DE00" as digits, D=13 E=14) mod 97.
	mod := 0
	for _, c := range bban + "131400" {
		mod = (mod*10 + int(c-'0')) % 97
	}
	return fmt.Sprintf("DE%02d%s", 98-mod, bban)
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// dateOf returns the YYYY-MM-DD date at the start of a date-time as
// written, or "" when it does not start with one.
func dateOf(s string) string {
	if len(s) < 10 {
		return ""
	}
	if _, err := time.Parse("2006-01-02", s[:10]); err != nil {
		return ""
	}
	return s[:10]
}
