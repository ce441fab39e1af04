// Package opening reads the opening-balance file a merchant loads when it
// moves its open items to o2c (`o2c ledger load-opening FILE`).
//
// The file lists the items still open in the previous system, one per row,
// as CSV (a header row naming the columns, UTF-8, in any column order) or as
// JSON Lines (one JSON object per line with the same names as keys).
// Columns:
//
//	debtor_id          required  the debtor's id (the shop's customer id)
//	document_number    required  invoice or document number in the old system, unique per debtor
//	document_date      required  YYYY-MM-DD, or DD.MM.YYYY as German Excel writes it
//	due_date           required  the same
//	currency           required  ISO 4217 code, e.g. EUR
//	amount             required  amount still open as a decimal ("1234.56"); negative
//	                             for a credit balance; more decimals than the currency
//	                             has is an error, never rounded
//	payment_reference  optional  reference the debtor quotes when paying
//	vat_rate_bp        optional  VAT rate of the item in basis points (1900 = 19 %)
//	vat_amount         optional  VAT contained in the open amount, decimal; with vat_rate_bp
//	                             (the rest of the amount is the net at that rate)
//
// CSV columns are separated by commas, semicolons or tabs: the separator is
// the one that splits the header line into the known column names. German
// Excel saves "CSV" with semicolons and a decimal comma, so in a file
// separated by semicolons or tabs an amount may use either a comma or a dot
// as its decimal separator ("119,00" or "119.00"); in a comma-separated file
// only a dot. Thousands separators are refused in both ("1.234,56" is an
// error, never read as 1.23456 or 123456), and so is text that is not UTF-8
// (Excel's plain "CSV" is Windows-1252: save as "CSV UTF-8").
//
// Every row becomes one RecordOpeningBalance command whose idempotency key is
// "opening:<debtor_id>:<document_number>", so loading the same file twice
// books it once, and loading a row that changed since it was booked fails
// (the ledger keeps the first content of a key). Read checks the whole file
// before anything is sent: an error names the line and the column. What is
// booked already is compared with the file by Differences.
package opening

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/money"
)

// Error is a problem with one row of the file.
type Error struct {
	Line   int
	Column string
	Err    error
}

func (e *Error) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d, column %s: %v", e.Line, e.Column, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

var (
	required = []string{"debtor_id", "document_number", "document_date", "due_date", "currency", "amount"}
	optional = []string{"payment_reference", "vat_rate_bp", "vat_amount"}
)

// Item is one row of the file as the command that books it.
type Item struct {
	// Line is the row's line in the file (1 is the CSV header).
	Line    int
	Command *ledgerv1.RecordOpeningBalance
}

// String names the item for messages: "line 7 (debtor K-1, RE-1001)".
func (it Item) String() string {
	return fmt.Sprintf("line %d (debtor %s, %s)", it.Line, it.Command.GetDebtorId(), it.Command.GetDocumentNumber())
}

// File is a checked opening-balance file.
type File struct {
	Items []Item
	// Warnings name rows that are valid but look wrong: a document dated
	// after the booking date.
	Warnings []string
}

// Read parses the whole file (CSV or JSON Lines, detected from the first
// non-blank byte: '{' means JSON Lines) into commands for tenant, booked on
// bookingDate. It returns every row's error, not just the first (at most
// 100), so a file can be fixed in one go.
func Read(r io.Reader, tenant string, bookingDate *commonv1.Date) (*File, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := firstByte(br)
	if err == io.EOF {
		return nil, errors.New("the file is empty")
	}
	if err != nil {
		return nil, err
	}
	var (
		rows  []row
		comma = ','
	)
	if first == '{' {
		rows, err = readJSONLines(br)
	} else {
		rows, comma, err = readCSV(br)
	}
	if err != nil {
		return nil, err
	}
	var (
		out  = &File{}
		errs []error
		seen = map[string]int{}
	)
	for _, rw := range rows {
		cmd, rowErrs := rw.command(tenant, bookingDate, comma != ',')
		if len(rowErrs) == 0 {
			if prev, dup := seen[cmd.GetIdempotencyKey()]; dup {
				rowErrs = append(rowErrs, &Error{Line: rw.line, Column: "document_number",
					Err: fmt.Errorf("debtor %s document %s is already on line %d", cmd.GetDebtorId(), cmd.GetDocumentNumber(), prev)})
			}
			seen[cmd.GetIdempotencyKey()] = rw.line
		}
		errs = append(errs, rowErrs...)
		if len(errs) >= 100 {
			errs = append(errs, errors.New("more errors left out"))
			break
		}
		it := Item{Line: rw.line, Command: cmd}
		if doc := cmd.GetDocumentDate(); len(rowErrs) == 0 && dateLess(bookingDate, doc) {
			out.Warnings = append(out.Warnings, fmt.Sprintf("%s: the document date %s is after the booking date %s, so the item is booked before it was issued; is --booking-date right?",
				it, formatDate(doc), formatDate(bookingDate)))
		}
		out.Items = append(out.Items, it)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out.Items) == 0 {
		return nil, errors.New("the file has no rows")
	}
	return out, nil
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = br.ReadByte()
			continue
		case 0xEF: // UTF-8 byte order mark
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				_, _ = br.Discard(3)
				continue
			}
		}
		return b[0], nil
	}
}

// row is one item with its fields by column name.
type row struct {
	line   int
	fields map[string]string
}

// delimiters are the column separators a CSV file may use, by name.
var delimiters = []struct {
	comma rune
	name  string
}{{',', "commas"}, {';', "semicolons"}, {'\t', "tabs"}}

// detectDelimiter returns the separator that splits the header line into
// the most known column names, preferring the comma on a tie (and when the
// header line is longer than the reader's buffer).
func detectDelimiter(br *bufio.Reader) rune {
	head, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	best, bestKnown := ',', 0
	for _, d := range delimiters {
		known := 0
		for _, name := range strings.Split(string(head), string(d.comma)) {
			name = strings.ToLower(strings.Trim(strings.TrimSpace(name), `"`))
			if slicesContains(required, name) || slicesContains(optional, name) {
				known++
			}
		}
		if known > bestKnown {
			best, bestKnown = d.comma, known
		}
	}
	return best
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// maxLineBytes bounds one line of an opening balances file, CSV or JSON
// Lines: a row has a few hundred bytes, and a file without line breaks (a
// wrong argument) must not be read whole into memory.
const maxLineBytes = 1 << 20

// lineLimit reads r and fails once a line grows beyond max bytes.
type lineLimit struct {
	r    io.Reader
	max  int
	line int // bytes since the last '\n'
	no   int // lines completed
	err  error
}

func (l *lineLimit) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			l.line, l.no = 0, l.no+1
			continue
		}
		if l.line++; l.line > l.max {
			l.err = fmt.Errorf("line %d longer than %d bytes", l.no+1, l.max)
			return 0, l.err
		}
	}
	return n, err
}

func readCSV(br *bufio.Reader) ([]row, rune, error) {
	comma := detectDelimiter(br)
	cr := csv.NewReader(&lineLimit{r: br, max: maxLineBytes})
	cr.Comma = comma
	// Leading space is trimmed below; encoding/csv's own trimming would
	// swallow empty fields between tabs.
	cr.TrimLeadingSpace = comma != '\t'
	header, err := cr.Read()
	if err != nil {
		return nil, comma, fmt.Errorf("line 1: cannot read the header: %w", err)
	}
	index := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		if _, dup := index[name]; dup {
			return nil, comma, fmt.Errorf("line 1: column %q appears twice", name)
		}
		index[name] = i
	}
	for _, name := range required {
		if _, ok := index[name]; !ok {
			return nil, comma, fmt.Errorf("line 1: the header lacks the required column %q (it has %s); the header must name the columns %s, separated by commas, semicolons or tabs",
				name, quoteAll(header), strings.Join(required, ", "))
		}
	}
	var rows []row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, comma, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, comma, fmt.Errorf("CSV: %w", err)
		}
		f := make(map[string]string, len(index))
		for name, i := range index {
			if i < len(rec) {
				f[name] = strings.TrimSpace(rec[i])
			}
		}
		rows = append(rows, row{line: line, fields: f})
	}
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func readJSONLines(r io.Reader) ([]row, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	var rows []row
	line := 1
	for ; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			return nil, &Error{Line: line, Err: fmt.Errorf("not a JSON object: %w", err)}
		}
		f := make(map[string]string, len(obj))
		for k, v := range obj {
			switch v := v.(type) {
			case string:
				f[strings.ToLower(k)] = strings.TrimSpace(v)
			case json.Number:
				f[strings.ToLower(k)] = v.String()
			case nil:
			default:
				return nil, &Error{Line: line, Column: k, Err: fmt.Errorf("want a string or a number, got %T", v)}
			}
		}
		rows = append(rows, row{line: line, fields: f})
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, &Error{Line: line, Err: fmt.Errorf("longer than %d bytes", maxLineBytes)}
	} else if err != nil {
		return nil, fmt.Errorf("JSON Lines: %w", err)
	}
	return rows, nil
}

// command turns a row into a command, collecting every problem. With
// decimalComma (a file separated by semicolons or tabs) an amount may use a
// comma as its decimal separator.
func (rw row) command(tenant string, bookingDate *commonv1.Date, decimalComma bool) (*ledgerv1.RecordOpeningBalance, []error) {
	var errs []error
	bad := func(col string, err error) { errs = append(errs, &Error{Line: rw.line, Column: col, Err: err}) }
	for _, col := range append(append([]string(nil), required...), optional...) {
		if v := rw.fields[col]; !utf8.ValidString(v) {
			bad(col, fmt.Errorf("%q is not UTF-8 text: save the file as CSV UTF-8 (Excel's plain CSV is Windows-1252)", v))
			rw.fields[col] = strings.ToValidUTF8(v, "\uFFFD")
		}
	}
	get := func(col string) string {
		v := rw.fields[col]
		if v == "" {
			for _, r := range required {
				if r == col {
					bad(col, errors.New("required"))
				}
			}
		}
		return v
	}
	date := func(col string) *commonv1.Date {
		v := get(col)
		if v == "" {
			return nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			t, err = time.Parse("02.01.2006", v)
		}
		if err != nil {
			bad(col, fmt.Errorf("%q is not a date YYYY-MM-DD (or DD.MM.YYYY)", v))
			return nil
		}
		return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
	}
	amount := func(col, cur string) (int64, bool) {
		v := get(col)
		if v == "" || cur == "" {
			return 0, false
		}
		dots, commas := strings.Count(v, "."), strings.Count(v, ",")
		switch {
		case dots+commas > 1:
			bad(col, fmt.Errorf("%q: write the amount without thousands separators, with one decimal separator", v))
			return 0, false
		case commas == 1 && !decimalComma:
			bad(col, fmt.Errorf("%q: in a comma-separated file write decimals with a dot, without thousands separators", v))
			return 0, false
		}
		minor, rounded, err := money.ParseDecimal(v, cur)
		if err != nil {
			bad(col, err)
			return 0, false
		}
		if rounded {
			msg := fmt.Sprintf("%q has more decimals than %s allows", v, cur)
			if decimalComma && dots == 1 {
				msg += " (write the amount without thousands separators)"
			}
			bad(col, errors.New(msg))
			return 0, false
		}
		return minor, true
	}
	cmd := &ledgerv1.RecordOpeningBalance{
		Tenant:           tenant,
		DebtorId:         get("debtor_id"),
		DocumentNumber:   get("document_number"),
		DocumentDate:     date("document_date"),
		DueDate:          date("due_date"),
		BookingDate:      bookingDate,
		PaymentReference: rw.fields["payment_reference"],
	}
	cur := strings.ToUpper(get("currency"))
	if cur != "" {
		if _, ok := money.Exponent(cur); !ok {
			bad("currency", fmt.Errorf("%q is not an ISO 4217 currency", cur))
			cur = ""
		}
	}
	if minor, ok := amount("amount", cur); ok {
		if minor == 0 {
			bad("amount", errors.New("an open item of zero is not open"))
		}
		cmd.Amount = &commonv1.Money{MinorUnits: minor, Currency: cur}
	}
	if rate := rw.fields["vat_rate_bp"]; rate != "" {
		bp, err := strconv.ParseInt(rate, 10, 32)
		if err != nil || bp < 0 || bp > 10000 {
			bad("vat_rate_bp", fmt.Errorf("%q is not a rate in basis points (1900 = 19 %%)", rate))
		} else if vat, ok := amount("vat_amount", cur); ok && cmd.GetAmount() != nil {
			net := cmd.GetAmount().GetMinorUnits() - vat
			cmd.Vat = []*ledgerv1.VatAmount{{RateBp: int32(bp),
				Net: &commonv1.Money{MinorUnits: net, Currency: cur}, Vat: &commonv1.Money{MinorUnits: vat, Currency: cur}}}
		} else if rw.fields["vat_amount"] == "" {
			bad("vat_amount", errors.New("required with vat_rate_bp"))
		}
	}
	if cmd.GetDueDate() != nil && cmd.GetDocumentDate() != nil && dateLess(cmd.GetDueDate(), cmd.GetDocumentDate()) {
		bad("due_date", errors.New("before the document date"))
	}
	cmd.IdempotencyKey = "opening:" + cmd.GetDebtorId() + ":" + cmd.GetDocumentNumber()
	return cmd, errs
}

func dateLess(a, b *commonv1.Date) bool {
	return a.GetYear()*10000+a.GetMonth()*100+a.GetDay() < b.GetYear()*10000+b.GetMonth()*100+b.GetDay()
}

func formatDate(d *commonv1.Date) string {
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}
