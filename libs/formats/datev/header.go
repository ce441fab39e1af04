package datev

import (
	"fmt"
	"strconv"
	"time"
)

// Header is line 1 of an EXTF file. Numeric fields are 0 and text fields
// empty when the file leaves them empty (none of the numeric fields is valid
// as 0). Dates are kept as written, YYYYMMDD.
type Header struct {
	// Marker is the Kennzeichen: "EXTF" (written by third-party software) or
	// "DTVF" (written by DATEV).
	Marker string
	// Version is the header version (Versionsnummer), 700 today, 510 before.
	Version int
	// Category is the Formatkategorie: 21 Buchungsstapel, 16
	// Debitoren/Kreditoren, 20 Kontenbeschriftungen, 46 Zahlungsbedingungen,
	// 48 Diverse Adressen, 65 Wiederkehrende Buchungen, ….
	Category int
	// FormatName is the Formatname, e.g. "Buchungsstapel".
	FormatName string
	// FormatVersion is the Formatversion of the category, e.g. 13.
	FormatVersion int
	// CreatedAt is "Erzeugt am", YYYYMMDDHHMMSSmmm as written.
	CreatedAt string
	// Origin is the Herkunft, two characters such as "RE".
	Origin string
	// ExportedBy is "Exportiert von", a user name.
	ExportedBy string
	// Consultant is the Beraternummer.
	Consultant int
	// Client is the Mandantennummer.
	Client int
	// FiscalYearStart is the WJ-Beginn, YYYYMMDD.
	FiscalYearStart string
	// AccountLength is the Sachkontenlänge: the number of digits of a G/L
	// account; personal accounts have one digit more.
	AccountLength int
	// PeriodFrom and PeriodTo are "Datum vom" and "Datum bis", YYYYMMDD.
	PeriodFrom, PeriodTo string
	// Description is the batch name (Bezeichnung).
	Description string
	// Dictation is the Diktatkürzel.
	Dictation string
	// BookingType is the Buchungstyp: 1 Finanzbuchführung, 2 Jahresabschluss.
	BookingType int
	// AccountingPurpose is the Rechnungslegungszweck (0 = independent of purpose).
	AccountingPurpose int
	// Locked is the Festschreibung flag: the batch is to be locked on import.
	Locked bool
	// Currency is the WKZ, the default currency of the bookings.
	Currency string
	// ChartOfAccounts is the SKR (Sachkontenrahmen), e.g. "03".
	ChartOfAccounts string
	// ApplicationInfo is the Anwendungsinformation.
	ApplicationInfo string
}

// headerFieldNames are DATEV's names of the header fields, by position.
var headerFieldNames = [...]string{
	"Kennzeichen", "Versionsnummer", "Formatkategorie", "Formatname", "Formatversion",
	"Erzeugt am", "Importiert", "Herkunft", "Exportiert von", "Importiert von",
	"Beraternummer", "Mandantennummer", "WJ-Beginn", "Sachkontenlänge", "Datum vom",
	"Datum bis", "Bezeichnung", "Diktatkürzel", "Buchungstyp", "Rechnungslegungszweck",
	"Festschreibung", "WKZ", "reserviert", "Derivatskennzeichen", "reserviert",
	"reserviert", "Sachkontenrahmen", "ID der Branchenlösung", "reserviert", "reserviert",
	"Anwendungsinformation",
}

// headerFieldName names header field i (0-based).
func headerFieldName(i int) string {
	if i < len(headerFieldNames) {
		return headerFieldNames[i]
	}
	return fmt.Sprintf("field %d", i+1)
}

// categoryNames names the format categories this package knows, for messages
// when a file leaves the Formatname empty.
func categoryName(c int) string {
	switch c {
	case 16:
		return "Debitoren/Kreditoren"
	case 20:
		return "Kontenbeschriftungen"
	case 21:
		return "Buchungsstapel"
	case 46:
		return "Zahlungsbedingungen"
	case 48:
		return "Diverse Adressen"
	case 65:
		return "Wiederkehrende Buchungen"
	}
	return "unknown category"
}

// parseHeader reads line 1 from its fields.
func parseHeader(f []string, line int) (Header, error) {
	get := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	fail := func(i int, format string, a ...any) error {
		return &ParseError{Line: line, Column: headerFieldName(i), Msg: fmt.Sprintf(format, a...)}
	}
	var h Header
	h.Marker = get(0)
	if h.Marker != "EXTF" && h.Marker != "DTVF" {
		return h, fail(0, "%q is not a DATEV EXTF header (want \"EXTF\" or \"DTVF\")", h.Marker)
	}
	if len(f) < 5 {
		return h, &ParseError{Line: line, Msg: fmt.Sprintf("the header has %d fields; it needs at least Kennzeichen, Versionsnummer, Formatkategorie, Formatname and Formatversion", len(f))}
	}
	num := func(i int, dst *int, required bool) error {
		s := get(i)
		if s == "" {
			if required {
				return fail(i, "is empty")
			}
			return nil
		}
		n, ok := parseUint(s, 9)
		if !ok {
			return fail(i, "%q is not a number", s)
		}
		*dst = n
		return nil
	}
	date := func(i int, dst *string) error {
		s := get(i)
		if s == "" {
			return nil
		}
		if _, ok := parseYYYYMMDD(s); !ok {
			return fail(i, "%q is not a date YYYYMMDD", s)
		}
		*dst = s
		return nil
	}
	for _, e := range []error{
		num(1, &h.Version, true),
		num(2, &h.Category, true),
		num(4, &h.FormatVersion, true),
		num(10, &h.Consultant, false),
		num(11, &h.Client, false),
		date(12, &h.FiscalYearStart),
		num(13, &h.AccountLength, false),
		date(14, &h.PeriodFrom),
		date(15, &h.PeriodTo),
		num(18, &h.BookingType, false),
		num(19, &h.AccountingPurpose, false),
	} {
		if e != nil {
			return h, e
		}
	}
	h.FormatName = get(3)
	h.CreatedAt = get(5)
	h.Origin = get(7)
	h.ExportedBy = get(8)
	h.Description = get(16)
	h.Dictation = get(17)
	switch s := get(20); s {
	case "", "0":
	case "1":
		h.Locked = true
	default:
		return h, fail(20, "%q is not 0 or 1", s)
	}
	h.Currency = get(21)
	h.ChartOfAccounts = get(26)
	h.ApplicationInfo = get(30)
	return h, nil
}

// parseUint parses at most maxDigits decimal digits.
func parseUint(s string, maxDigits int) (int, bool) {
	if len(s) == 0 || len(s) > maxDigits || !allDigits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseYYYYMMDD parses a calendar date written YYYYMMDD.
func parseYYYYMMDD(s string) (time.Time, bool) {
	if len(s) != 8 || !allDigits(s) {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102", s)
	return t, err == nil
}

// parseDDMMYYYY parses a calendar date written TTMMJJJJ.
func parseDDMMYYYY(s string) (time.Time, bool) {
	if len(s) != 8 || !allDigits(s) {
		return time.Time{}, false
	}
	t, err := time.Parse("02012006", s)
	return t, err == nil
}

// validDDMM reports whether s is a day and month written TTMM that exists in
// some year (29 February included).
func validDDMM(s string) bool {
	if len(s) != 4 || !allDigits(s) {
		return false
	}
	_, err := time.Parse("02012006", s+"2000") // 2000 is a leap year
	return err == nil
}
