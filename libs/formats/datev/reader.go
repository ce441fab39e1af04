package datev

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Booking is one line of a Buchungsstapel. Amounts are int64 hundredths of
// the currency unit: DATEV writes every amount with two decimals whatever
// the currency, so for EUR they are cents. Dates are kept as written.
type Booking struct {
	// Amount is the Umsatz, always positive; DebitCredit gives the direction.
	Amount int64
	// DebitCredit is the Soll/Haben-Kennzeichen, "S" or "H"; it applies to
	// Account.
	DebitCredit string
	// Currency is the WKZ Umsatz; empty means the header's WKZ.
	Currency string
	// Rate is the Kurs as written (decimal comma, e.g. "1,240402"), empty
	// when the booking is not in a foreign currency.
	Rate string
	// BaseAmount is the Basis-Umsatz in hundredths of BaseCurrency, 0 when
	// absent.
	BaseAmount int64
	// BaseCurrency is the WKZ Basis-Umsatz.
	BaseCurrency string
	// Account is the Konto, digits as written.
	Account string
	// ContraAccount is the Gegenkonto (ohne BU-Schlüssel), digits as written.
	ContraAccount string
	// TaxKey is the BU-Schlüssel (tax and correction key) as written.
	TaxKey string
	// DocumentDate is the Belegdatum as written: TTMM, day then month, no year.
	DocumentDate string
	// DocumentField1 is Belegfeld 1, the invoice number that open-item
	// matching uses.
	DocumentField1 string
	// DocumentField2 is Belegfeld 2.
	DocumentField2 string
	// Discount is the Skonto in hundredths of the booking currency, 0 when
	// absent.
	Discount int64
	// Text is the Buchungstext.
	Text string
	// CostCenter1 and CostCenter2 are KOST1 and KOST2.
	CostCenter1, CostCenter2 string
	// ServiceDate is the Leistungsdatum as written, TTMMJJJJ.
	ServiceDate string
	// DueDate is the Fälligkeit as written, TTMMJJJJ.
	DueDate string
	// SEPAMandateReference is the SEPA-Mandatsreferenz.
	SEPAMandateReference string
	// GeneralReversal is the Generalumkehr (GU) flag.
	GeneralReversal bool
}

// bookingField is a Booking field that the reader maps from a column.
type bookingField int

const (
	fAmount bookingField = iota
	fDebitCredit
	fCurrency
	fRate
	fBaseAmount
	fBaseCurrency
	fAccount
	fContraAccount
	fTaxKey
	fDocumentDate
	fDocumentField1
	fDocumentField2
	fDiscount
	fText
	fCostCenter1
	fCostCenter2
	fServiceDate
	fDueDate
	fSEPAMandate
	fGeneralReversal
	numBookingFields
)

// bookingFieldAliases lists, per field, the column names that mean it, in
// canonical form (see canonicalColumn). The names vary between format
// versions and writers ("Umsatz (ohne Soll/Haben-Kz)" or "Umsatz",
// "Gegenkonto (ohne BU-Schlüssel)" or "Gegenkonto", …).
var bookingFieldAliases = [numBookingFields][]string{
	fAmount:          {"umsatzohnesollhabenkz", "umsatz"},
	fDebitCredit:     {"sollhabenkennzeichen", "sollhabenkz"},
	fCurrency:        {"wkzumsatz"},
	fRate:            {"kurs"},
	fBaseAmount:      {"basisumsatz"},
	fBaseCurrency:    {"wkzbasisumsatz"},
	fAccount:         {"konto", "kontonummer"},
	fContraAccount:   {"gegenkontoohnebuschluessel", "gegenkonto"},
	fTaxKey:          {"buschluessel"},
	fDocumentDate:    {"belegdatum"},
	fDocumentField1:  {"belegfeld1"},
	fDocumentField2:  {"belegfeld2"},
	fDiscount:        {"skonto"},
	fText:            {"buchungstext"},
	fCostCenter1:     {"kost1kostenstelle", "kost1"},
	fCostCenter2:     {"kost2kostenstelle", "kost2"},
	fServiceDate:     {"leistungsdatum"},
	fDueDate:         {"faelligkeit"},
	fSEPAMandate:     {"sepamandatsreferenz"},
	fGeneralReversal: {"generalumkehrgu", "generalumkehr"},
}

// requiredBookingFields are the columns without which no booking can be read.
var requiredBookingFields = []bookingField{fAmount, fDebitCredit, fAccount, fContraAccount, fDocumentDate}

// canonicalColumn folds a column name for matching: lower case, umlauts
// spelled out (ü = ue), everything but letters and digits dropped.
func canonicalColumn(name string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			sb.WriteRune(r)
		case r == 'ä':
			sb.WriteString("ae")
		case r == 'ö':
			sb.WriteString("oe")
		case r == 'ü':
			sb.WriteString("ue")
		case r == 'ß':
			sb.WriteString("ss")
		}
	}
	return sb.String()
}

// Encoding names what the reader decoded the file as.
type Encoding string

// The encodings the reader tells apart.
const (
	// EncodingASCII: no byte above 0x7F, so the question never came up.
	EncodingASCII Encoding = "ASCII"
	// EncodingUTF8BOM: UTF-8 announced by a byte order mark.
	EncodingUTF8BOM Encoding = "UTF-8 with BOM"
	// EncodingUTF8: no BOM, but the first line with non-ASCII bytes was
	// valid UTF-8.
	EncodingUTF8 Encoding = "UTF-8"
	// EncodingWindows1252: the default when the first line with non-ASCII
	// bytes is not valid UTF-8. ISO-8859-1 files read the same, except that
	// 0x80-0x9F (C1 controls there, never used in text) decode to Windows-1252's
	// characters.
	EncodingWindows1252 Encoding = "Windows-1252"
)

const (
	// maxLineBytes bounds the memory one line may take.
	maxLineBytes = 1 << 20
	// maxWarnings bounds the warnings kept; later ones are only counted.
	maxWarnings = 50
)

// Reader reads an EXTF file one record at a time, in constant memory. Line 1
// (the header) and line 2 (the column names) are read by NewReader; the
// records follow from line 3. Columns are found by name, never by position,
// so every format version reads (7 to 13 are known; others are read by name
// with a warning). Empty lines are skipped.
type Reader struct {
	br      *bufio.Reader
	line    int
	enc     Encoding
	decided bool
	header  Header
	columns []string
	index   [numBookingFields]int
	// debtorIndex locates the Debtor fields of a category 16 file.
	debtorIndex [numDebtorFields]int
	warnings    []string
	dropped     int
	records     int
	buf         []byte
	fields      []string
	repaired    []int
	lfWarned    bool
	wideWarn    bool
}

// NewReader reads the header and the column names from r and returns a
// Reader positioned at the first record. It fails with a *ParseError when
// line 1 is not an EXTF header or line 2 is missing, and, for a booking
// batch, when a column a booking needs (Umsatz, Soll/Haben-Kennzeichen,
// Konto, Gegenkonto, Belegdatum) is not among the names.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, 64<<10), enc: EncodingASCII}
	if bom, err := rd.br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = rd.br.Discard(3)
		rd.enc, rd.decided = EncodingUTF8BOM, true
	}
	line, err := rd.readLine()
	if err == io.EOF {
		return nil, &ParseError{Line: 1, Msg: "the file is empty; want an EXTF header"}
	}
	if err != nil {
		return nil, err
	}
	f, err := rd.split(line, nil)
	if err != nil {
		return nil, err
	}
	h, err := parseHeader(f, rd.line)
	if err != nil {
		return nil, err
	}
	rd.header = h
	if h.Version != 700 && h.Version != 510 {
		rd.warn("line 1: header version %d is neither 700 nor 510; read like 700", h.Version)
	}

	line, err = rd.readLine()
	if err == io.EOF {
		return nil, &ParseError{Line: 2, Msg: "the column names are missing (the file ends after the header)"}
	}
	if err != nil {
		return nil, err
	}
	cols, err := rd.split(line, nil)
	if err != nil {
		return nil, err
	}
	rd.columns = append([]string(nil), cols...)

	if h.Category == 16 {
		rd.debtorIndex = indexDebtorColumns(rd.columns)
	}
	if h.Category != 21 {
		name := h.FormatName
		if name == "" {
			name = categoryName(h.Category)
		}
		rd.warn("category %d (%s) is not a booking batch", h.Category, name)
		return rd, nil
	}
	if h.FormatVersion < 7 || h.FormatVersion > 13 {
		rd.warn("line 1: Buchungsstapel format version %d is outside the known 7 to 13; columns are read by name", h.FormatVersion)
	}
	for i := range rd.index {
		rd.index[i] = -1
	}
	for i, c := range rd.columns {
		canon := canonicalColumn(c)
		for fld, aliases := range bookingFieldAliases {
			for _, a := range aliases {
				if canon == a && rd.index[fld] < 0 {
					rd.index[fld] = i
				}
			}
		}
	}
	for _, fld := range requiredBookingFields {
		if rd.index[fld] < 0 {
			return nil, &ParseError{Line: rd.line, Column: requiredColumnName[fld],
				Msg: fmt.Sprintf("a booking batch needs this column; it is not among the %d column names", len(rd.columns))}
		}
	}
	return rd, nil
}

// requiredColumnName is the DATEV name of each required column, for messages.
var requiredColumnName = map[bookingField]string{
	fAmount:        "Umsatz (ohne Soll/Haben-Kz)",
	fDebitCredit:   "Soll/Haben-Kennzeichen",
	fAccount:       "Konto",
	fContraAccount: "Gegenkonto (ohne BU-Schlüssel)",
	fDocumentDate:  "Belegdatum",
}

// Header returns line 1.
func (r *Reader) Header() Header { return r.header }

// Columns returns the column names of line 2.
func (r *Reader) Columns() []string { return r.columns }

// Line returns the line number of the record last returned.
func (r *Reader) Line() int { return r.line }

// Records returns how many records (non-empty lines after line 2) have been
// read so far.
func (r *Reader) Records() int { return r.records }

// Encoding returns how the file has been decoded so far.
func (r *Reader) Encoding() Encoding { return r.enc }

// Warnings returns everything odd that did not stop reading, each naming
// its line. At most 50 are kept; a last one counts the rest.
func (r *Reader) Warnings() []string {
	if r.dropped == 0 {
		return r.warnings
	}
	return append(r.warnings[:len(r.warnings):len(r.warnings)], fmt.Sprintf("%d more warnings not shown", r.dropped))
}

func (r *Reader) warn(format string, a ...any) {
	if len(r.warnings) >= maxWarnings {
		r.dropped++
		return
	}
	r.warnings = append(r.warnings, fmt.Sprintf(format, a...))
}

// NextRecord returns the fields of the next record, whatever the category.
// The slice is valid until the next call. It returns io.EOF after the last
// record.
func (r *Reader) NextRecord() ([]string, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if line == "" {
			continue
		}
		f, err := r.split(line, r.columns)
		if err != nil {
			return nil, err
		}
		r.records++
		if len(f) > len(r.columns) && !r.wideWarn {
			r.wideWarn = true
			r.warn("line %d: %d fields but only %d column names; the extra fields are ignored", r.line, len(f), len(r.columns))
		}
		return f, nil
	}
}

// Next returns the next booking, io.EOF after the last one, and
// ErrNotBookingBatch when the file is not a Buchungsstapel. A booking that
// cannot be read (an amount that is not a DATEV amount, a Soll/Haben other
// than S or H, an account that is not a number) is a *ParseError naming the
// line and column; oddities DATEV would still have to judge (a Belegdatum
// that is no TTMM date, an account longer than the account length allows)
// are warnings.
func (r *Reader) Next() (Booking, error) {
	if r.header.Category != 21 {
		return Booking{}, ErrNotBookingBatch
	}
	f, err := r.NextRecord()
	if err != nil {
		return Booking{}, err
	}
	return r.booking(f)
}

func (r *Reader) booking(f []string) (Booking, error) {
	get := func(fld bookingField) string {
		i := r.index[fld]
		if i < 0 || i >= len(f) {
			return ""
		}
		return f[i]
	}
	fail := func(fld bookingField, format string, a ...any) error {
		return &ParseError{Line: r.line, Column: r.columns[r.index[fld]], Msg: fmt.Sprintf(format, a...)}
	}
	col := func(fld bookingField) string { return r.columns[r.index[fld]] }
	amount := func(fld bookingField, required bool) (int64, error) {
		s := get(fld)
		if s == "" {
			if required {
				return 0, fail(fld, "is empty")
			}
			return 0, nil
		}
		v, msg := parseAmount(s)
		if msg != "" {
			return 0, fail(fld, "%q %s", s, msg)
		}
		return v, nil
	}

	var b Booking
	var err error
	if b.Amount, err = amount(fAmount, true); err != nil {
		return b, err
	}
	switch s := get(fDebitCredit); s {
	case "S", "H":
		b.DebitCredit = s
	default:
		return b, fail(fDebitCredit, "%q is neither \"S\" nor \"H\"", s)
	}
	b.Currency = get(fCurrency)
	if b.Currency != "" && !isCurrencyCode(b.Currency) {
		r.warn("line %d, column %q: %q is not an ISO 4217 currency code", r.line, col(fCurrency), b.Currency)
	}
	b.Rate = get(fRate)
	if b.Rate != "" && !isDecimalComma(b.Rate) {
		return b, fail(fRate, "%q is not a number with decimal comma", b.Rate)
	}
	if b.BaseAmount, err = amount(fBaseAmount, false); err != nil {
		return b, err
	}
	b.BaseCurrency = get(fBaseCurrency)
	for _, fld := range []bookingField{fAccount, fContraAccount} {
		s := get(fld)
		if s == "" {
			return b, fail(fld, "is empty")
		}
		if len(s) > 18 || !allDigits(s) {
			return b, fail(fld, "%q is not an account number (digits only)", s)
		}
		if l := r.header.AccountLength; l > 0 && len(s) > l+1 {
			r.warn("line %d, column %q: account %s has more than %d digits (account length %d, plus one for personal accounts)", r.line, col(fld), s, l+1, l)
		}
	}
	b.Account, b.ContraAccount = get(fAccount), get(fContraAccount)
	b.TaxKey = get(fTaxKey)
	if b.TaxKey != "" && (len(b.TaxKey) > 4 || !allDigits(b.TaxKey)) {
		r.warn("line %d, column %q: %q is not a BU-Schlüssel of 1 to 4 digits", r.line, col(fTaxKey), b.TaxKey)
	}
	b.DocumentDate = get(fDocumentDate)
	if !validDDMM(b.DocumentDate) {
		r.warn("line %d, column %q: %q is not a date TTMM", r.line, col(fDocumentDate), b.DocumentDate)
	}
	b.DocumentField1 = get(fDocumentField1)
	b.DocumentField2 = get(fDocumentField2)
	if b.Discount, err = amount(fDiscount, false); err != nil {
		return b, err
	}
	b.Text = get(fText)
	b.CostCenter1 = get(fCostCenter1)
	b.CostCenter2 = get(fCostCenter2)
	b.ServiceDate = get(fServiceDate)
	b.DueDate = get(fDueDate)
	b.SEPAMandateReference = get(fSEPAMandate)
	switch s := get(fGeneralReversal); s {
	case "", "0":
	case "1":
		b.GeneralReversal = true
	default:
		r.warn("line %d, column %q: %q is not 0 or 1; read as 0", r.line, col(fGeneralReversal), s)
	}
	return b, nil
}

// parseAmount reads a DATEV amount: digits, optionally a decimal comma and
// one or two decimals ("5950,00", "64083", "1,5"), into hundredths. It
// returns a message saying what is wrong, or "".
func parseAmount(s string) (int64, string) {
	intPart, frac, hasComma := strings.Cut(s, ",")
	if intPart == "" || !allDigits(intPart) || (hasComma && (frac == "" || !allDigits(frac))) {
		return 0, "is not an amount (digits with an optional decimal comma, no sign, no thousands separator)"
	}
	if len(frac) > 2 {
		return 0, "has more than two decimals"
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > 15 {
		return 0, "is too large"
	}
	var v int64
	for i := 0; i < len(intPart); i++ {
		v = v*10 + int64(intPart[i]-'0')
	}
	v *= 100
	switch len(frac) {
	case 1:
		v += int64(frac[0]-'0') * 10
	case 2:
		v += int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	return v, ""
}

// formatAmount writes hundredths with a decimal comma and two decimals.
func formatAmount(v int64) string {
	return fmt.Sprintf("%d,%02d", v/100, v%100)
}

// isDecimalComma reports whether s is digits with an optional decimal comma.
func isDecimalComma(s string) bool {
	i, f, ok := strings.Cut(s, ",")
	return i != "" && allDigits(i) && (!ok || (f != "" && allDigits(f)))
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// readLine returns the next physical line without its CR LF (or LF),
// decoded to UTF-8, and io.EOF at the end of the input.
func (r *Reader) readLine() (string, error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.buf = append(r.buf, chunk...)
		if len(r.buf) > maxLineBytes {
			return "", &ParseError{Line: r.line + 1, Msg: fmt.Sprintf("the line is longer than %d bytes", maxLineBytes)}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(r.buf) == 0 {
				return "", io.EOF
			}
			break
		}
		if err != nil {
			return "", &ParseError{Line: r.line + 1, Msg: "cannot read the file", Err: err}
		}
		break
	}
	r.line++
	b := r.buf
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		} else if !r.lfWarned {
			r.lfWarned = true
			r.warn("line %d: ends with LF instead of the CR LF DATEV requires", r.line)
		}
	} else if n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return r.decode(b), nil
}

// decode turns one line into UTF-8. Without a BOM the encoding is decided
// at the first line with a byte above 0x7F: UTF-8 if that line is valid
// UTF-8, Windows-1252 otherwise. A later line that is not valid UTF-8 in a
// UTF-8 file is read as Windows-1252, with a warning.
func (r *Reader) decode(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	if !r.decided {
		r.decided = true
		if utf8.Valid(b) {
			r.enc = EncodingUTF8
		} else {
			r.enc = EncodingWindows1252
		}
	}
	if r.enc == EncodingWindows1252 {
		return decodeCP1252(b)
	}
	if utf8.Valid(b) {
		return string(b)
	}
	r.warn("line %d: not valid UTF-8 although the file is; read as Windows-1252", r.line)
	return decodeCP1252(b)
}

// split splits a line into fields, turning a quoting error into a
// *ParseError and tolerated quotes into warnings. names name the fields for
// messages (nil on line 1, which uses the header field names).
func (r *Reader) split(line string, names []string) ([]string, error) {
	var bad int
	r.fields, r.repaired, bad = splitFields(line, r.fields, r.repaired)
	name := func(i int) string {
		if names == nil {
			if r.line == 1 {
				return headerFieldName(i)
			}
			return fmt.Sprintf("field %d", i+1)
		}
		if i < len(names) {
			return names[i]
		}
		return fmt.Sprintf("field %d", i+1)
	}
	if bad >= 0 {
		return nil, &ParseError{Line: r.line, Column: name(bad), Msg: "quoted text is not closed before the end of the line (DATEV text may not contain line breaks)"}
	}
	for _, i := range r.repaired {
		r.warn("line %d, column %q: unescaped double quote inside the text, read literally", r.line, name(i))
	}
	return r.fields, nil
}
