package datev

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Debtor is one record of a Debitoren/Kreditoren file (format category 16):
// the master data of one personal account. Only the fields o2c knows are
// here; the writer leaves every other column empty and the reader ignores
// it. Field limits are those of DATEV's field descriptions as the
// ledermann/datev gem quotes them.
type Debtor struct {
	// Account is the Konto, the personal account: exactly the header's
	// Sachkontenlänge plus one digit (10000 to 69999 for debtors at length
	// 4, creditors from 70000).
	Account string
	// AddresseeType is the Adressattyp: "0" keine Angabe, "1" natürliche
	// Person, "2" Unternehmen, or empty (DATEV then assumes Unternehmen).
	// Only the name fields of this type should be filled; DATEV stores the
	// others but does not show them.
	AddresseeType string
	// CompanyName is the Name (Adressattyp Unternehmen), at most 50 characters.
	CompanyName string
	// LastName and FirstName are the Name and Vorname (Adressattyp natürl.
	// Person), at most 30 characters each.
	LastName, FirstName string
	// Name is the Name (Adressattyp keine Angabe), at most 50 characters.
	Name string
	// ShortName is the Kurzbezeichnung, at most 15 characters.
	ShortName string
	// EUCountry and VATID are the EU-Land (two capital letters; EL for
	// Greece) and the EU-UStID without the country prefix (at most 13
	// characters); both or neither.
	EUCountry, VATID string
	// Salutation is the Anrede, at most 30 characters.
	Salutation string
	// AddressKind is the Adressart: "STR" Straße, "PF" Postfach, "GK"
	// Großkunde, or empty (DATEV then decides from the fields given).
	AddressKind string
	// Street is the Straße, at most 36 characters.
	Street string
	// PostalCode is the Postleitzahl, at most 10 characters.
	PostalCode string
	// City is the Ort, at most 30 characters.
	City string
	// Country is the Land, an ISO 3166 code of two capital letters, or empty.
	Country string
	// Phone and Email are Telefon and E-Mail, at most 60 characters each.
	Phone, Email string
	// IBAN and BIC are IBAN-Nr. 1 (at most 34 characters) and SWIFT-Code 1
	// (at most 11) of the first bank account, written as the main bank
	// account (Kennz. Hauptbankverb. 1 = "1") when IBAN is given.
	IBAN, BIC string
	// CustomerNumber is the Kunden-/Lief.-Nr., at most 15 characters.
	CustomerNumber string
	// Language is the Sprache: "1" Deutsch, "4" Französisch, "5" Englisch,
	// "10" Spanisch, "19" Italienisch, or empty.
	Language string
	// ExternalNumber is the Nummer Fremdsystem, the id in the sending
	// system, at most 15 characters.
	ExternalNumber string
}

// Positions (0-based) of the Debitoren/Kreditoren columns the writer fills.
const (
	dcAccount        = 0
	dcCompanyName    = 1
	dcLastName       = 3
	dcFirstName      = 4
	dcName           = 5
	dcAddresseeType  = 6
	dcShortName      = 7
	dcEUCountry      = 8
	dcVATID          = 9
	dcSalutation     = 10
	dcAddressKind    = 14
	dcStreet         = 15
	dcPostalCode     = 17
	dcCity           = 18
	dcCountry        = 19
	dcPhone          = 28
	dcEmail          = 32
	dcIBAN           = 44
	dcBIC            = 46
	dcMainBank       = 48
	dcCustomerNumber = 98
	dcLanguage       = 100
	dcExternalNumber = 219
)

// DebtorWriter writes a Debitoren/Kreditoren file (format category 16),
// format version 5 under header version 700, in Windows-1252 with CR LF
// line ends: line 1 the header, line 2 the 254 column names of DATEV's
// version-5 sample, then one line per Debtor with all 254 fields. Like
// Writer it checks every value before writing anything of a record and
// reports a broken rule as a *FieldError; a record that fails is not
// written and the DebtorWriter stays usable.
type DebtorWriter struct {
	w      *bufio.Writer
	h      Header
	record int
	fields [len(debtorColumnsV5)]string
	line   []byte
	err    error
}

// NewDebtorWriter checks h and writes the header line and the column names
// to w. Marker, Version, Category, FormatName and FormatVersion may be left
// zero; the writer always writes "EXTF", 700, 16, "Debitoren/Kreditoren"
// and 5, and rejects other values. Master data has no period, booking type,
// currency or lock: PeriodFrom, PeriodTo, BookingType, AccountingPurpose,
// Locked and Currency must be left zero. The header needs CreatedAt,
// Consultant, Client, FiscalYearStart and AccountLength, checked as for a
// Buchungsstapel.
func NewDebtorWriter(w io.Writer, h Header) (*DebtorWriter, error) {
	if err := checkDebtorHeader(&h); err != nil {
		return nil, err
	}
	header := []string{
		`"EXTF"`, "700", "16", `"Debitoren/Kreditoren"`, "5", h.CreatedAt, "",
		quote(h.Origin), quote(h.ExportedBy), `""`,
		strconv.Itoa(h.Consultant), strconv.Itoa(h.Client), h.FiscalYearStart,
		strconv.Itoa(h.AccountLength), "", "",
		quote(h.Description), quote(h.Dictation), "", "", "", `""`,
		"", `""`, "", "", quote(h.ChartOfAccounts), "", "", `""`, quote(h.ApplicationInfo),
	}
	line, _, _ := encodeCP1252(nil, strings.Join(header, ";")+"\r\n")
	names := make([]string, len(debtorColumnsV5))
	for i, c := range debtorColumnsV5 {
		names[i] = c.name
	}
	line, _, _ = encodeCP1252(line, strings.Join(names, ";")+"\r\n")
	bw := bufio.NewWriter(w)
	if _, err := bw.Write(line); err != nil {
		return nil, fmt.Errorf("write DATEV header: %w", err)
	}
	return &DebtorWriter{w: bw, h: h}, nil
}

// Write checks d and writes it as one line.
func (w *DebtorWriter) Write(d Debtor) error {
	if w.err != nil {
		return w.err
	}
	w.record++
	if err := w.fill(d); err != nil {
		return err
	}
	var ferr *FieldError
	if w.line, ferr, w.err = writeRecord(w.w, w.line, w.record, w.fields[:], debtorColumnsV5[:]); ferr != nil {
		return ferr
	}
	if w.err != nil {
		w.err = fmt.Errorf("write DATEV master data record %d: %w", w.record, w.err)
	}
	return w.err
}

// Flush writes buffered lines to the underlying writer.
func (w *DebtorWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("flush DATEV file: %w", err)
	}
	return w.err
}

// fill checks d and puts its values into w.fields.
func (w *DebtorWriter) fill(d Debtor) error {
	for i := range w.fields {
		w.fields[i] = ""
	}
	bad := func(col int, value, format string, a ...any) error {
		return &FieldError{Record: w.record, Field: debtorColumnsV5[col].name, Value: value, Reason: fmt.Sprintf(format, a...)}
	}
	n := w.h.AccountLength + 1
	if len(d.Account) != n || !allDigits(d.Account) || d.Account[0] == '0' {
		return bad(dcAccount, d.Account, "must be a personal account of exactly %d digits, not starting with 0 (account length %d plus one)", n, w.h.AccountLength)
	}
	w.fields[dcAccount] = d.Account
	switch d.AddresseeType {
	case "", "0", "1", "2":
	default:
		return bad(dcAddresseeType, d.AddresseeType, `must be "0" (keine Angabe), "1" (natürliche Person), "2" (Unternehmen) or empty`)
	}
	w.fields[dcAddresseeType] = d.AddresseeType
	switch d.AddressKind {
	case "", "STR", "PF", "GK":
	default:
		return bad(dcAddressKind, d.AddressKind, `must be "STR", "PF", "GK" or empty`)
	}
	w.fields[dcAddressKind] = d.AddressKind
	switch d.Language {
	case "", "1", "4", "5", "10", "19":
	default:
		return bad(dcLanguage, d.Language, `must be "1" (Deutsch), "4" (Französisch), "5" (Englisch), "10" (Spanisch), "19" (Italienisch) or empty`)
	}
	w.fields[dcLanguage] = d.Language
	for _, c := range []struct {
		col int
		v   string
	}{{dcEUCountry, d.EUCountry}, {dcCountry, d.Country}} {
		if c.v != "" && !isCountryCode(c.v) {
			return bad(c.col, c.v, "must be a country code of two capital letters, or empty")
		}
		w.fields[c.col] = c.v
	}
	if (d.EUCountry == "") != (d.VATID == "") {
		return bad(dcVATID, d.VATID, "EU-Land and EU-UStID come together or not at all (EU-Land %q)", d.EUCountry)
	}
	if d.VATID != "" && (len(d.VATID) > 13 || !isAlnum(d.VATID)) {
		return bad(dcVATID, d.VATID, "must be at most 13 letters and digits, without the country prefix and without spaces")
	}
	w.fields[dcVATID] = d.VATID
	if d.BIC != "" && ((len(d.BIC) != 8 && len(d.BIC) != 11) || !isAlnum(d.BIC)) {
		return bad(dcBIC, d.BIC, "must be a BIC of 8 or 11 letters and digits, or empty")
	}
	w.fields[dcBIC] = d.BIC
	if d.IBAN != "" && (len(d.IBAN) < 15 || len(d.IBAN) > 34 || !isAlnum(d.IBAN) || !isCountryCode(d.IBAN[:2])) {
		return bad(dcIBAN, d.IBAN, "must be an IBAN of 15 to 34 letters and digits starting with the country code, without spaces, or empty")
	}
	w.fields[dcIBAN] = d.IBAN
	if d.IBAN != "" {
		w.fields[dcMainBank] = "1"
	} else if d.BIC != "" {
		return bad(dcBIC, d.BIC, "needs an IBAN")
	}
	for _, t := range []struct {
		col int
		v   string
		max int
	}{
		{dcCompanyName, d.CompanyName, 50},
		{dcLastName, d.LastName, 30},
		{dcFirstName, d.FirstName, 30},
		{dcName, d.Name, 50},
		{dcShortName, d.ShortName, 15},
		{dcSalutation, d.Salutation, 30},
		{dcStreet, d.Street, 36},
		{dcPostalCode, d.PostalCode, 10},
		{dcCity, d.City, 30},
		{dcPhone, d.Phone, 60},
		{dcEmail, d.Email, 60},
		{dcCustomerNumber, d.CustomerNumber, 15},
		{dcExternalNumber, d.ExternalNumber, 15},
	} {
		if reason := checkText(t.v, t.max); reason != "" {
			return bad(t.col, t.v, "%s", reason)
		}
		w.fields[t.col] = t.v
	}
	return nil
}

// checkDebtorHeader checks the header rules of a Debitoren/Kreditoren file.
func checkDebtorHeader(h *Header) error {
	bad := func(field, value, format string, a ...any) error {
		return &FieldError{Field: field, Value: value, Reason: fmt.Sprintf(format, a...)}
	}
	itoa := strconv.Itoa
	switch {
	case h.Marker != "" && h.Marker != "EXTF":
		return bad("Kennzeichen", h.Marker, `the writer writes "EXTF" only`)
	case h.Version != 0 && h.Version != 700:
		return bad("Versionsnummer", itoa(h.Version), "the writer writes header version 700 only")
	case h.Category != 0 && h.Category != 16:
		return bad("Formatkategorie", itoa(h.Category), "the master data writer writes category 16 (Debitoren/Kreditoren) only")
	case h.FormatName != "" && h.FormatName != "Debitoren/Kreditoren":
		return bad("Formatname", h.FormatName, `the master data writer writes "Debitoren/Kreditoren" only`)
	case h.FormatVersion != 0 && h.FormatVersion != 5:
		return bad("Formatversion", itoa(h.FormatVersion), "the master data writer writes format version 5 only")
	case h.PeriodFrom != "":
		return bad("Datum vom", h.PeriodFrom, "master data has no period; leave it empty")
	case h.PeriodTo != "":
		return bad("Datum bis", h.PeriodTo, "master data has no period; leave it empty")
	case h.BookingType != 0:
		return bad("Buchungstyp", itoa(h.BookingType), "master data has no booking type; leave it empty")
	case h.AccountingPurpose != 0:
		return bad("Rechnungslegungszweck", itoa(h.AccountingPurpose), "master data has no accounting purpose; leave it empty")
	case h.Locked:
		return bad("Festschreibung", "1", "master data is not locked; leave it empty")
	case h.Currency != "":
		return bad("WKZ", h.Currency, "master data has no currency; leave it empty")
	}
	if len(h.CreatedAt) != 17 || !allDigits(h.CreatedAt) {
		return bad("Erzeugt am", h.CreatedAt, "must be YYYYMMDDHHMMSSmmm")
	}
	if _, err := time.Parse("20060102150405", h.CreatedAt[:14]); err != nil {
		return bad("Erzeugt am", h.CreatedAt, "must be YYYYMMDDHHMMSSmmm")
	}
	if h.Origin != "" && (len(h.Origin) != 2 || !isAlnum(h.Origin)) {
		return bad("Herkunft", h.Origin, "must be two letters or digits, or empty")
	}
	if h.Consultant < 1001 || h.Consultant > 9999999 {
		return bad("Beraternummer", itoa(h.Consultant), "must be 1001 to 9999999")
	}
	if h.Client < 1 || h.Client > 99999 {
		return bad("Mandantennummer", itoa(h.Client), "must be 1 to 99999")
	}
	if _, ok := parseYYYYMMDD(h.FiscalYearStart); !ok {
		return bad("WJ-Beginn", h.FiscalYearStart, "must be a date YYYYMMDD")
	}
	if h.AccountLength < 4 || h.AccountLength > 8 {
		return bad("Sachkontenlänge", itoa(h.AccountLength), "must be 4 to 8")
	}
	if h.Dictation != "" && (len(h.Dictation) > 2 || !isAlnum(h.Dictation) || strings.ContainsAny(h.Dictation, "0123456789")) {
		return bad("Diktatkürzel", h.Dictation, "must be one or two letters, or empty")
	}
	if h.ChartOfAccounts != "" && (len(h.ChartOfAccounts) != 2 || !allDigits(h.ChartOfAccounts)) {
		return bad("Sachkontenrahmen", h.ChartOfAccounts, "must be two digits, such as 03 or 04, or empty")
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
			return bad(t.field, t.v, "%s", reason)
		}
	}
	h.Marker, h.Version, h.Category, h.FormatName, h.FormatVersion = "EXTF", 700, 16, "Debitoren/Kreditoren", 5
	return nil
}

func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// debtorField is a Debtor field that the reader maps from a column.
type debtorField int

const (
	dfAccount debtorField = iota
	dfAddresseeType
	dfCompanyName
	dfLastName
	dfFirstName
	dfName
	dfShortName
	dfEUCountry
	dfVATID
	dfSalutation
	dfAddressKind
	dfStreet
	dfPostalCode
	dfCity
	dfCountry
	dfPhone
	dfEmail
	dfIBAN
	dfBIC
	dfCustomerNumber
	dfLanguage
	dfExternalNumber
	numDebtorFields
)

// debtorFieldAliases lists, per field, the column names that mean it, in
// canonical form (see canonicalColumn): DATEV's sample writes
// "Adressattyp", "EU-UStID", "IBAN-Nr. 1" and "Kunden-/Lief.-Nr.", the
// ledermann/datev gem "Adressatentyp", "EU-USt-IdNr.", "IBAN 1" and
// "Kundennummer".
var debtorFieldAliases = [numDebtorFields][]string{
	dfAccount:        {"konto"},
	dfAddresseeType:  {"adressattyp", "adressatentyp"},
	dfCompanyName:    {"nameadressattypunternehmen", "nameadressatentypunternehmen"},
	dfLastName:       {"nameadressattypnatuerlperson", "nameadressatentypnatuerlperson"},
	dfFirstName:      {"vornameadressattypnatuerlperson", "vornameadressatentypnatuerlperson"},
	dfName:           {"nameadressattypkeineangabe", "nameadressatentypkeineangabe"},
	dfShortName:      {"kurzbezeichnung"},
	dfEUCountry:      {"euland"},
	dfVATID:          {"euustid", "euustidnr"},
	dfSalutation:     {"anrede"},
	dfAddressKind:    {"adressart"},
	dfStreet:         {"strasse"},
	dfPostalCode:     {"postleitzahl"},
	dfCity:           {"ort"},
	dfCountry:        {"land"},
	dfPhone:          {"telefon"},
	dfEmail:          {"email"},
	dfIBAN:           {"ibannr1", "iban1"},
	dfBIC:            {"swiftcode1"},
	dfCustomerNumber: {"kundenliefnr", "kundennummer"},
	dfLanguage:       {"sprache"},
	dfExternalNumber: {"nummerfremdsystem"},
}

// indexDebtorColumns finds the Debtor fields among the column names; the
// first column of a name wins, and a field without a column is -1.
func indexDebtorColumns(columns []string) [numDebtorFields]int {
	var idx [numDebtorFields]int
	for i := range idx {
		idx[i] = -1
	}
	for i, c := range columns {
		canon := canonicalColumn(c)
		for fld, aliases := range debtorFieldAliases {
			for _, a := range aliases {
				if canon == a && idx[fld] < 0 {
					idx[fld] = i
				}
			}
		}
	}
	return idx
}

// NextDebtor returns the next record of a Debitoren/Kreditoren file,
// io.EOF after the last one, and ErrNotMasterData when the file is of
// another category. A record whose Konto is empty or not a number is a
// *ParseError naming the line; a Konto whose length is not the header's
// Sachkontenlänge plus one is a warning. Text is returned as written.
func (r *Reader) NextDebtor() (Debtor, error) {
	if r.header.Category != 16 {
		return Debtor{}, ErrNotMasterData
	}
	if r.debtorIndex[dfAccount] < 0 {
		return Debtor{}, &ParseError{Line: 2, Column: "Konto", Msg: fmt.Sprintf("a Debitoren/Kreditoren file needs this column; it is not among the %d column names", len(r.columns))}
	}
	f, err := r.NextRecord()
	if err != nil {
		return Debtor{}, err
	}
	get := func(fld debtorField) string {
		i := r.debtorIndex[fld]
		if i < 0 || i >= len(f) {
			return ""
		}
		return f[i]
	}
	var d Debtor
	d.Account = get(dfAccount)
	if d.Account == "" || len(d.Account) > 18 || !allDigits(d.Account) {
		return d, &ParseError{Line: r.line, Column: r.columns[r.debtorIndex[dfAccount]], Msg: fmt.Sprintf("%q is not an account number (digits only)", d.Account)}
	}
	if l := r.header.AccountLength; l > 0 && len(d.Account) != l+1 {
		r.warn("line %d, column %q: personal account %s does not have %d digits (account length %d plus one)", r.line, r.columns[r.debtorIndex[dfAccount]], d.Account, l+1, l)
	}
	d.AddresseeType = get(dfAddresseeType)
	d.CompanyName = get(dfCompanyName)
	d.LastName = get(dfLastName)
	d.FirstName = get(dfFirstName)
	d.Name = get(dfName)
	d.ShortName = get(dfShortName)
	d.EUCountry = get(dfEUCountry)
	d.VATID = get(dfVATID)
	d.Salutation = get(dfSalutation)
	d.AddressKind = get(dfAddressKind)
	d.Street = get(dfStreet)
	d.PostalCode = get(dfPostalCode)
	d.City = get(dfCity)
	d.Country = get(dfCountry)
	d.Phone = get(dfPhone)
	d.Email = get(dfEmail)
	d.IBAN = get(dfIBAN)
	d.BIC = get(dfBIC)
	d.CustomerNumber = get(dfCustomerNumber)
	d.Language = get(dfLanguage)
	d.ExternalNumber = get(dfExternalNumber)
	return d, nil
}
