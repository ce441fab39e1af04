package datev

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Writer writes a Buchungsstapel, format version 13 under header version
// 700, in Windows-1252 with CR LF line ends. It checks every value against
// the rules listed in the package documentation before writing anything of
// a booking, and reports a broken rule as a *FieldError; a booking that
// fails is not written and the Writer stays usable.
type Writer struct {
	w      *bufio.Writer
	h      Header
	from   time.Time
	to     time.Time
	record int
	fields [len(columnsV13)]string
	line   []byte
	err    error
}

// NewWriter checks h and writes the header line and the column names to w.
// Marker, Version, Category, FormatName and FormatVersion may be left zero;
// the writer always writes "EXTF", 700, 21, "Buchungsstapel" and 13, and
// rejects other values. A zero BookingType is written as 1
// (Finanzbuchführung).
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if h.BookingType == 0 {
		h.BookingType = 1
	}
	from, to, err := checkHeader(&h)
	if err != nil {
		return nil, err
	}
	wr := &Writer{w: bufio.NewWriter(w), h: h, from: from, to: to}

	locked := "0"
	if h.Locked {
		locked = "1"
	}
	header := []string{
		`"EXTF"`, "700", "21", `"Buchungsstapel"`, "13", h.CreatedAt, "",
		quote(h.Origin), quote(h.ExportedBy), `""`,
		strconv.Itoa(h.Consultant), strconv.Itoa(h.Client), h.FiscalYearStart,
		strconv.Itoa(h.AccountLength), h.PeriodFrom, h.PeriodTo,
		quote(h.Description), quote(h.Dictation), strconv.Itoa(h.BookingType),
		strconv.Itoa(h.AccountingPurpose), locked, quote(h.Currency),
		"", `""`, "", "", quote(h.ChartOfAccounts), "", "", `""`, quote(h.ApplicationInfo),
	}
	line, _, _ := encodeCP1252(nil, strings.Join(header, ";")+"\r\n")
	names := make([]string, len(columnsV13))
	for i, c := range columnsV13 {
		names[i] = c.name
	}
	line, _, _ = encodeCP1252(line, strings.Join(names, ";")+"\r\n")
	if _, err := wr.w.Write(line); err != nil {
		return nil, fmt.Errorf("write DATEV header: %w", err)
	}
	return wr, nil
}

// Write checks b and writes it as one line.
func (w *Writer) Write(b Booking) error {
	if w.err != nil {
		return w.err
	}
	w.record++
	if err := w.fill(b); err != nil {
		return err
	}
	var ferr *FieldError
	if w.line, ferr, w.err = writeRecord(w.w, w.line, w.record, w.fields[:], columnsV13[:]); ferr != nil {
		return ferr
	}
	if w.err != nil {
		w.err = fmt.Errorf("write DATEV booking %d: %w", w.record, w.err)
	}
	return w.err
}

// writeRecord writes fields, the values of cols, as record's line to w:
// separated by semicolons, text columns quoted, Windows-1252 encoded, CRLF
// ended; line is the buffer to reuse and is returned for the next record.
// A value that Windows-1252 cannot encode is a *FieldError (the writers'
// fill checked every text already: a safety net) and nothing is written;
// else err is w's.
func writeRecord(w *bufio.Writer, line []byte, record int, fields []string, cols []column) (_ []byte, _ *FieldError, err error) {
	line = line[:0]
	for i, v := range fields {
		if i > 0 {
			line = append(line, ';')
		}
		if cols[i].text {
			v = quote(v)
		}
		var bad rune
		var ok bool
		if line, bad, ok = encodeCP1252(line, v); !ok {
			return line, &FieldError{Record: record, Field: cols[i].name, Value: v, Reason: cp1252Reason(bad)}, nil
		}
	}
	line = append(line, '\r', '\n')
	_, err = w.Write(line)
	return line, nil, err
}

// Flush writes buffered lines to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("flush DATEV file: %w", err)
	}
	return w.err
}

// fill checks b and puts its values into w.fields.
func (w *Writer) fill(b Booking) error {
	for i := range w.fields {
		w.fields[i] = ""
	}
	bad := func(col int, value, format string, a ...any) error {
		return &FieldError{Record: w.record, Field: columnsV13[col].name, Value: value, Reason: fmt.Sprintf(format, a...)}
	}
	amount := func(col int, v int64, maxIntDigits int, required bool) error {
		switch {
		case v == 0 && !required:
			return nil
		case v <= 0:
			return bad(col, strconv.FormatInt(v, 10), "must be positive (the direction is given by S/H)")
		case v/100 >= pow10(maxIntDigits):
			return bad(col, formatAmount(v), "has more than %d digits before the decimal comma", maxIntDigits)
		}
		w.fields[col] = formatAmount(v)
		return nil
	}
	text := func(col int, v string, maxLen int) error {
		if reason := checkText(v, maxLen); reason != "" {
			return bad(col, v, "%s", reason)
		}
		w.fields[col] = v
		return nil
	}

	if err := amount(colAmount, b.Amount, 10, true); err != nil {
		return err
	}
	if b.DebitCredit != "S" && b.DebitCredit != "H" {
		return bad(colDebitCredit, b.DebitCredit, `must be "S" or "H"`)
	}
	w.fields[colDebitCredit] = b.DebitCredit
	if b.Currency != "" && !isCurrencyCode(b.Currency) {
		return bad(colCurrency, b.Currency, "must be an ISO 4217 code of three capital letters, or empty for the header's currency")
	}
	w.fields[colCurrency] = b.Currency

	foreign := b.Rate != "" || b.BaseAmount != 0 || b.BaseCurrency != ""
	if foreign {
		if !validRate(b.Rate) {
			return bad(colRate, b.Rate, "must be a positive rate of 1 to 4 digits (no leading zero unless below 1), a decimal comma and 2 to 6 decimals, given together with Basis-Umsatz and WKZ Basis-Umsatz")
		}
		if b.BaseAmount <= 0 {
			return bad(colBaseAmount, strconv.FormatInt(b.BaseAmount, 10), "must be positive when Kurs is given")
		}
		if !isCurrencyCode(b.BaseCurrency) {
			return bad(colBaseCurrency, b.BaseCurrency, "must be an ISO 4217 code when Kurs and Basis-Umsatz are given")
		}
		w.fields[colRate] = b.Rate
		if err := amount(colBaseAmount, b.BaseAmount, 10, true); err != nil {
			return err
		}
		w.fields[colBaseCurrency] = b.BaseCurrency
	}

	for _, a := range []struct {
		col int
		v   string
	}{{colAccount, b.Account}, {colContraAccount, b.ContraAccount}} {
		max := w.h.AccountLength + 1
		if a.v == "" || !allDigits(a.v) || len(a.v) > max || strings.Trim(a.v, "0") == "" {
			return bad(a.col, a.v, "must be 1 to %d digits, not all zeros (account length %d, one more for personal accounts)", max, w.h.AccountLength)
		}
		w.fields[a.col] = a.v
	}
	if b.TaxKey != "" && (len(b.TaxKey) > 4 || !allDigits(b.TaxKey)) {
		return bad(colTaxKey, b.TaxKey, "must be 1 to 4 digits or empty")
	}
	w.fields[colTaxKey] = b.TaxKey
	if !w.inPeriod(b.DocumentDate) {
		return bad(colDocumentDate, b.DocumentDate, "must be a date TTMM (day, then month) within the header's period %s to %s", w.h.PeriodFrom, w.h.PeriodTo)
	}
	w.fields[colDocumentDate] = b.DocumentDate
	if reason := checkDocumentField(b.DocumentField1, 36); reason != "" {
		return bad(colDocumentField1, b.DocumentField1, "%s", reason)
	}
	w.fields[colDocumentField1] = b.DocumentField1
	if reason := checkDocumentField(b.DocumentField2, 12); reason != "" {
		return bad(colDocumentField2, b.DocumentField2, "%s", reason)
	}
	w.fields[colDocumentField2] = b.DocumentField2
	if err := amount(colDiscount, b.Discount, 8, false); err != nil {
		return err
	}
	for _, t := range []struct {
		col int
		v   string
		max int
	}{
		{colText, b.Text, 60},
		{colCostCenter1, b.CostCenter1, 36},
		{colCostCenter2, b.CostCenter2, 36},
		{colSEPAMandate, b.SEPAMandateReference, 35},
	} {
		if err := text(t.col, t.v, t.max); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		col int
		v   string
	}{{colServiceDate, b.ServiceDate}, {colDueDate, b.DueDate}} {
		if d.v == "" {
			continue
		}
		if _, ok := parseDDMMYYYY(d.v); !ok {
			return bad(d.col, d.v, "must be a date TTMMJJJJ or empty")
		}
		w.fields[d.col] = d.v
	}
	w.fields[colLocked] = "0"
	if w.h.Locked {
		w.fields[colLocked] = "1"
	}
	w.fields[colGeneralReversal] = "0"
	if b.GeneralReversal {
		w.fields[colGeneralReversal] = "1"
	}
	return nil
}

// inPeriod reports whether ddmm is a date TTMM that falls within the
// header's period in one of the period's years.
func (w *Writer) inPeriod(ddmm string) bool {
	if !validDDMM(ddmm) {
		return false
	}
	for y := w.from.Year(); y <= w.to.Year(); y++ {
		d, ok := parseDDMMYYYY(ddmm + strconv.Itoa(y))
		if ok && !d.Before(w.from) && !d.After(w.to) {
			return true
		}
	}
	return false
}

// checkHeader checks the header rules and returns the period.
func checkHeader(h *Header) (from, to time.Time, err error) {
	bad := func(field, value, format string, a ...any) error {
		return &FieldError{Field: field, Value: value, Reason: fmt.Sprintf(format, a...)}
	}
	itoa := strconv.Itoa
	switch {
	case h.Marker != "" && h.Marker != "EXTF":
		return from, to, bad("Kennzeichen", h.Marker, `the writer writes "EXTF" only`)
	case h.Version != 0 && h.Version != 700:
		return from, to, bad("Versionsnummer", itoa(h.Version), "the writer writes header version 700 only")
	case h.Category != 0 && h.Category != 21:
		return from, to, bad("Formatkategorie", itoa(h.Category), "the writer writes category 21 (Buchungsstapel) only")
	case h.FormatName != "" && h.FormatName != "Buchungsstapel":
		return from, to, bad("Formatname", h.FormatName, `the writer writes "Buchungsstapel" only`)
	case h.FormatVersion != 0 && h.FormatVersion != 13:
		return from, to, bad("Formatversion", itoa(h.FormatVersion), "the writer writes format version 13 only")
	}
	if len(h.CreatedAt) != 17 || !allDigits(h.CreatedAt) {
		return from, to, bad("Erzeugt am", h.CreatedAt, "must be YYYYMMDDHHMMSSmmm")
	}
	if _, err := time.Parse("20060102150405", h.CreatedAt[:14]); err != nil {
		return from, to, bad("Erzeugt am", h.CreatedAt, "must be YYYYMMDDHHMMSSmmm")
	}
	if h.Origin != "" && (len(h.Origin) != 2 || !isAlnum(h.Origin)) {
		return from, to, bad("Herkunft", h.Origin, "must be two letters or digits, or empty")
	}
	if h.Consultant < 1001 || h.Consultant > 9999999 {
		return from, to, bad("Beraternummer", itoa(h.Consultant), "must be 1001 to 9999999")
	}
	if h.Client < 1 || h.Client > 99999 {
		return from, to, bad("Mandantennummer", itoa(h.Client), "must be 1 to 99999")
	}
	fy, ok := parseYYYYMMDD(h.FiscalYearStart)
	if !ok {
		return from, to, bad("WJ-Beginn", h.FiscalYearStart, "must be a date YYYYMMDD")
	}
	if h.AccountLength < 4 || h.AccountLength > 8 {
		return from, to, bad("Sachkontenlänge", itoa(h.AccountLength), "must be 4 to 8")
	}
	if from, ok = parseYYYYMMDD(h.PeriodFrom); !ok {
		return from, to, bad("Datum vom", h.PeriodFrom, "must be a date YYYYMMDD")
	}
	if to, ok = parseYYYYMMDD(h.PeriodTo); !ok {
		return from, to, bad("Datum bis", h.PeriodTo, "must be a date YYYYMMDD")
	}
	if from.Before(fy) || !from.Before(fy.AddDate(1, 0, 0)) {
		return from, to, bad("Datum vom", h.PeriodFrom, "must lie in the fiscal year starting %s", h.FiscalYearStart)
	}
	if to.Before(from) || !to.Before(fy.AddDate(1, 0, 0)) {
		return from, to, bad("Datum bis", h.PeriodTo, "must lie between Datum vom %s and the end of the fiscal year starting %s", h.PeriodFrom, h.FiscalYearStart)
	}
	if h.Dictation != "" && (len(h.Dictation) > 2 || !isAlnum(h.Dictation) || strings.ContainsAny(h.Dictation, "0123456789")) {
		return from, to, bad("Diktatkürzel", h.Dictation, "must be one or two letters, or empty")
	}
	if h.BookingType != 1 && h.BookingType != 2 {
		return from, to, bad("Buchungstyp", itoa(h.BookingType), "must be 1 (Finanzbuchführung) or 2 (Jahresabschluss)")
	}
	switch h.AccountingPurpose {
	case 0, 30, 40, 50, 64:
	default:
		return from, to, bad("Rechnungslegungszweck", itoa(h.AccountingPurpose), "must be 0, 30, 40, 50 or 64")
	}
	if !isCurrencyCode(h.Currency) {
		return from, to, bad("WKZ", h.Currency, "must be an ISO 4217 code of three capital letters")
	}
	if h.ChartOfAccounts != "" && (len(h.ChartOfAccounts) != 2 || !allDigits(h.ChartOfAccounts)) {
		return from, to, bad("Sachkontenrahmen", h.ChartOfAccounts, "must be two digits, such as 03 or 04, or empty")
	}
	for _, t := range []struct {
		field, v string
		max      int
	}{
		{"Exportiert von", h.ExportedBy, 25},
		{"Bezeichnung", h.Description, 30},
		{"Anwendungsinformation", h.ApplicationInfo, 16},
	} {
		if reason := checkText(t.v, t.max); reason != "" {
			return from, to, bad(t.field, t.v, "%s", reason)
		}
	}
	h.Marker, h.Version, h.Category, h.FormatName, h.FormatVersion = "EXTF", 700, 21, "Buchungsstapel", 13
	return from, to, nil
}

// checkText checks the rules for text fields: valid UTF-8, no control
// characters, every character in Windows-1252, at most maxLen characters.
// It returns the broken rule or "".
func checkText(s string, maxLen int) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	n := 0
	for _, r := range s {
		n++
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) {
			return fmt.Sprintf("contains the control character U+%04X (DATEV text may not contain control characters or line breaks)", r)
		}
		if _, _, ok := encodeCP1252(nil, string(r)); !ok {
			return cp1252Reason(r)
		}
	}
	if n > maxLen {
		return fmt.Sprintf("has %d characters; at most %d are allowed", n, maxLen)
	}
	return ""
}

func cp1252Reason(r rune) string {
	return fmt.Sprintf("the character %q (U+%04X) cannot be written in Windows-1252", r, r)
}

// checkDocumentField checks Belegfeld 1 and 2: at most maxLen characters
// from digits, A-Z, a-z and $ & % * + - /.
func checkDocumentField(s string, maxLen int) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.IndexByte("$&%*+-/", c) >= 0) {
			r, _ := utf8.DecodeRuneInString(s[i:])
			return fmt.Sprintf("contains %q; allowed are digits, letters A-Z and a-z, and $ & %% * + - /", r)
		}
	}
	if len(s) > maxLen {
		return fmt.Sprintf("has %d characters; at most %d are allowed", len(s), maxLen)
	}
	return ""
}

// validRate checks the Kurs: 1 to 4 digits without a leading zero, a
// decimal comma and 2 to 6 decimals (DATEV's ^([1-9]\d{0,3}[,]\d{2,6})$),
// except that a rate below 1 ("0,830000") is allowed, because DATEV's own
// sample writes one; zero is not.
func validRate(s string) bool {
	i, f, ok := strings.Cut(s, ",")
	if !ok || len(i) < 1 || len(i) > 4 || !allDigits(i) || len(f) < 2 || len(f) > 6 || !allDigits(f) {
		return false
	}
	if i[0] == '0' {
		return i == "0" && strings.Trim(f, "0") != ""
	}
	return true
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// quote writes s as DATEV text: in double quotes, inner quotes doubled.
func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func pow10(n int) int64 {
	v := int64(1)
	for ; n > 0; n-- {
		v *= 10
	}
	return v
}
