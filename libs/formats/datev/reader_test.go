package datev

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// readFixture returns the bytes of a file in testdata.
func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// readAll reads every booking of data.
func readAll(tb testing.TB, data []byte) (*Reader, []Booking, error) {
	tb.Helper()
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	var bs []Booking
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r, bs, nil
		}
		if err != nil {
			return r, bs, err
		}
		bs = append(bs, b)
	}
}

// extf builds a small EXTF file from lines joined with CR LF.
func extf(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

const (
	testHeader  = `"EXTF";700;21;"Buchungsstapel";13;20240130140440439;;"RE";"";"";29098;55003;20240101;4;20240101;20240831;"Buchungsstapel";"WD";1;0;0;"EUR";;"";;;"03";;;"";""`
	testColumns = `Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;Basis-Umsatz;WKZ Basis-Umsatz;Konto;Gegenkonto (ohne BU-Schlüssel);BU-Schlüssel;Belegdatum;Belegfeld 1;Belegfeld 2;Skonto;Buchungstext`
)

func TestReadDATEVSample(t *testing.T) {
	t.Parallel()
	r, bs, err := readAll(t, readFixture(t, "EXTF_Buchungsstapel_v700-fv12_DATEV-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := Header{
		Marker: "EXTF", Version: 700, Category: 21, FormatName: "Buchungsstapel", FormatVersion: 12,
		CreatedAt: "20210130140440439", Origin: "RK", Consultant: 29098, Client: 55003,
		FiscalYearStart: "20210101", AccountLength: 4, PeriodFrom: "20210101", PeriodTo: "20210831",
		Description: "Buchungsstapel", Dictation: "WD", BookingType: 1, Currency: "EUR", ChartOfAccounts: "03",
	}
	if diff := cmp.Diff(wantHeader, r.Header()); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if got := len(r.Columns()); got != 124 {
		t.Errorf("columns = %d, want 124", got)
	}
	if got := len(bs); got != 54 {
		t.Fatalf("bookings = %d, want 54 (lines 3 to 56)", got)
	}
	if got := r.Encoding(); got != EncodingWindows1252 {
		t.Errorf("encoding = %q, want Windows-1252", got)
	}
	// Spot checks across the quirks the sample shows.
	for _, tc := range []struct {
		index int
		want  Booking
	}{
		{0, Booking{Amount: 10018, DebitCredit: "S", Account: "48400", ContraAccount: "8401", DocumentDate: "3101", Text: "Test Anzahlung", CostCenter1: "50"}},
		// Unescaped inner quotes, read literally.
		{1, Booking{Amount: 1000, DebitCredit: "S", Account: "48220", ContraAccount: "8400", DocumentDate: "3103", Text: ` "Normalabschr. immater. VermG" `, CostCenter1: "90"}},
		// Amount without decimals; a Windows-1252 umlaut.
		{2, Booking{Amount: 6408300, DebitCredit: "S", Account: "4400", ContraAccount: "85", DocumentDate: "3101", Text: "Normalabschreibung Gebäude", CostCenter1: "50"}},
		// Foreign currency with Kurs and Basis-Umsatz.
		{16, Booking{Amount: 12400, DebitCredit: "H", Currency: "CHF", Rate: "1,240402", BaseAmount: 10000, BaseCurrency: "EUR", Account: "8120", ContraAccount: "20050", DocumentDate: "2702", Text: "Umsatz Schweiz"}},
		// Skonto on a payment.
		{31, Booking{Amount: 11662, DebitCredit: "S", Account: "1200", ContraAccount: "10100", DocumentDate: "0103", DocumentField1: "AR-456/13", Discount: 238, Text: "Zahlung mit 2% Skonto"}},
		// Four-digit BU-Schlüssel.
		{52, Booking{Amount: 10000, DebitCredit: "H", Account: "70040", ContraAccount: "4900", TaxKey: "6502", DocumentDate: "3101", DocumentField1: "366", Text: "6502"}},
	} {
		got := bs[tc.index]
		// Fields not under test here.
		got.ServiceDate, got.DueDate, got.CostCenter2, got.GeneralReversal = "", "", "", false
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("booking %d (-want +got):\n%s", tc.index, diff)
		}
	}
	var gu, foreign int
	var sumS, sumH int64
	for _, b := range bs {
		if b.GeneralReversal {
			gu++
		}
		if b.Currency != "" {
			foreign++
		}
		if b.DebitCredit == "S" {
			sumS += b.Amount
		} else {
			sumH += b.Amount
		}
	}
	if gu == 0 || foreign != 6 {
		t.Errorf("general reversals = %d (want > 0), foreign-currency bookings = %d (want 6: CHF and GBP)", gu, foreign)
	}
	// Totals computed independently with awk over the file.
	if sumS != 8999696 || sumH != 17229264 {
		t.Errorf("sum S = %d, sum H = %d", sumS, sumH)
	}
	want := []string{`line 4, column "Buchungstext": unescaped double quote inside the text, read literally`}
	if diff := cmp.Diff(want, r.Warnings()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestReadOtherCategories(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file     string
		category int
		version  int
		records  int
		warning  string
	}{
		{"EXTF_DebKred_Stamm_v700-fv5_DATEV-sample.csv", 16, 5, 4, "category 16 (Debitoren/Kreditoren) is not a booking batch"},
		{"EXTF_Debitoren-Kreditoren_v700-fv5_ledermann.csv", 16, 5, 4, "category 16 (Debitoren/Kreditoren) is not a booking batch"},
		{"EXTF_Kontenbeschriftungen_v700-fv2_DATEV-sample.csv", 20, 2, 176, "category 20 (Kontenbeschriftungen) is not a booking batch"},
		{"EXTF_Zahlungsbedingungen_v700-fv2_DATEV-sample.csv", 46, 2, 5, "category 46 (Zahlungsbedingungen) is not a booking batch"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			r, err := NewReader(bytes.NewReader(readFixture(t, tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Next(); !errors.Is(err, ErrNotBookingBatch) {
				t.Errorf("Next() error = %v, want ErrNotBookingBatch", err)
			}
			for {
				_, err := r.NextRecord()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			h := r.Header()
			if h.Category != tc.category || h.FormatVersion != tc.version || h.Consultant == 0 || h.Client == 0 {
				t.Errorf("header = %+v", h)
			}
			if r.Records() != tc.records {
				t.Errorf("records = %d, want %d", r.Records(), tc.records)
			}
			if diff := cmp.Diff([]string{tc.warning}, r.Warnings()); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadZahlungsbedingungenQuotedSemicolons(t *testing.T) {
	t.Parallel()
	r, err := NewReader(bytes.NewReader(readFixture(t, "EXTF_Zahlungsbedingungen_v700-fv2_DATEV-sample.csv")))
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.NextRecord()
	if err != nil {
		t.Fatal(err)
	}
	if len(f) < 2 || f[1] != "30 Tage 2,0%; 60 Tage netto" {
		t.Errorf("fields = %q", f)
	}
}

func TestReadEncodings(t *testing.T) {
	t.Parallel()
	line := `119,00;"S";"";;;"";10000;8400;"";3005;"RE-1";"";;"Müller – Rechnung"`
	utf := extf(testHeader, testColumns, line)
	cp, _, ok := encodeCP1252(nil, string(utf))
	if !ok {
		t.Fatal("test data not encodable")
	}
	for _, tc := range []struct {
		name string
		data []byte
		enc  Encoding
		warn []string
	}{
		{"utf8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, utf...), EncodingUTF8BOM, nil},
		{"plain utf8", utf, EncodingUTF8, nil},
		{"windows-1252", cp, EncodingWindows1252, nil},
		{"LF only", bytes.ReplaceAll(utf, []byte("\r\n"), []byte("\n")), EncodingUTF8, []string{"line 1: ends with LF instead of the CR LF DATEV requires"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, bs, err := readAll(t, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if len(bs) != 1 || bs[0].Text != "Müller – Rechnung" {
				t.Fatalf("bookings = %+v", bs)
			}
			if r.Encoding() != tc.enc {
				t.Errorf("encoding = %q, want %q", r.Encoding(), tc.enc)
			}
			if diff := cmp.Diff(tc.warn, r.Warnings()); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadMixedEncodingWarns(t *testing.T) {
	t.Parallel()
	// The column line decides UTF-8; a later line in Windows-1252 is repaired.
	data := extf(testHeader, testColumns, "119,00;\"S\";\"\";;;\"\";10000;8400;\"\";3005;\"\";\"\";;\"Stra\xdfe\"")
	r, bs, err := readAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if bs[0].Text != "Straße" {
		t.Errorf("text = %q", bs[0].Text)
	}
	want := []string{"line 3: not valid UTF-8 although the file is; read as Windows-1252"}
	if diff := cmp.Diff(want, r.Warnings()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestReadColumnsByName(t *testing.T) {
	t.Parallel()
	// Another order, other spellings, and fewer columns (format version 7 style).
	data := extf(
		`EXTF;510;21;"Buchungsstapel";7;20140101000000000;;"RE";"";"";1001;1;20140101;6;20140101;20141231;"";"";1;0`,
		`Buchungstext;Konto;Gegenkonto;Umsatz;Soll-/Haben-Kennzeichen;Belegdatum;BU-Schluessel;Belegfeld 1`,
		`"Miete";1200;4210;"1500";"H";"0101";"9";"M-01"`,
	)
	r, bs, err := readAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	want := []Booking{{Amount: 150000, DebitCredit: "H", Account: "1200", ContraAccount: "4210", TaxKey: "9", DocumentDate: "0101", DocumentField1: "M-01", Text: "Miete"}}
	if diff := cmp.Diff(want, bs); diff != "" {
		t.Errorf("bookings (-want +got):\n%s", diff)
	}
	if h := r.Header(); h.Version != 510 || h.AccountLength != 6 {
		t.Errorf("header = %+v", h)
	}
	if len(r.Warnings()) != 0 {
		t.Errorf("warnings = %q", r.Warnings())
	}
}

func TestReadWarnings(t *testing.T) {
	t.Parallel()
	data := extf(testHeader, testColumns,
		`1,00;"S";"EURO";;;"";123456;8400;"12345";3102;"";"";;""`,
		``,
		`2,00;"H";"";;;"";1000;8400;"";102;"";"";;""`,
	)
	r, bs, err := readAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || r.Records() != 2 {
		t.Errorf("bookings = %d, records = %d, want 2 and 2 (empty line skipped)", len(bs), r.Records())
	}
	want := []string{
		`line 3, column "WKZ Umsatz": "EURO" is not an ISO 4217 currency code`,
		`line 3, column "Konto": account 123456 has more than 5 digits (account length 4, plus one for personal accounts)`,
		`line 3, column "BU-Schlüssel": "12345" is not a BU-Schlüssel of 1 to 4 digits`,
		`line 3, column "Belegdatum": "3102" is not a date TTMM`,
		`line 5, column "Belegdatum": "102" is not a date TTMM`,
	}
	if diff := cmp.Diff(want, r.Warnings()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestReadWarningsAreCapped(t *testing.T) {
	t.Parallel()
	lines := []string{testHeader, testColumns}
	for i := 0; i < 60; i++ {
		lines = append(lines, `1,00;"S";"";;;"";1000;8400;"";3199;"";"";;""`)
	}
	r, _, err := readAll(t, extf(lines...))
	if err != nil {
		t.Fatal(err)
	}
	w := r.Warnings()
	if len(w) != maxWarnings+1 || w[len(w)-1] != "10 more warnings not shown" {
		t.Errorf("got %d warnings, last %q", len(w), w[len(w)-1])
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	row := func(amount, dc, account string) string {
		return amount + `;"` + dc + `";"";;;"";` + account + `;8400;"";3101;"";"";;"x"`
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty file", nil, "line 1: the file is empty; want an EXTF header"},
		{"not EXTF", extf(`"ABCD";700;21`), `line 1, column "Kennzeichen": "ABCD" is not a DATEV EXTF header (want "EXTF" or "DTVF")`},
		{"short header", extf(`"EXTF";700;21`), "line 1: the header has 3 fields; it needs at least Kennzeichen, Versionsnummer, Formatkategorie, Formatname and Formatversion"},
		{"bad category", extf(`"EXTF";700;"x";"Buchungsstapel";13`), `line 1, column "Formatkategorie": "x" is not a number`},
		{"bad fiscal year", extf(`"EXTF";700;21;"Buchungsstapel";13;;;"";"";"";1;1;20241301`), `line 1, column "WJ-Beginn": "20241301" is not a date YYYYMMDD`},
		{"no columns", extf(testHeader), "line 2: the column names are missing (the file ends after the header)"},
		{"missing column", extf(testHeader, "Umsatz;Konto;Gegenkonto;Belegdatum"), `line 2, column "Soll/Haben-Kennzeichen": a booking batch needs this column; it is not among the 4 column names`},
		{"decimal point", extf(testHeader, testColumns, row("12.50", "S", "1000")), `line 3, column "Umsatz (ohne Soll/Haben-Kz)": "12.50" is not an amount (digits with an optional decimal comma, no sign, no thousands separator)`},
		{"negative", extf(testHeader, testColumns, row("-1,00", "S", "1000")), `line 3, column "Umsatz (ohne Soll/Haben-Kz)": "-1,00" is not an amount (digits with an optional decimal comma, no sign, no thousands separator)`},
		{"three decimals", extf(testHeader, testColumns, row("1,005", "S", "1000")), `line 3, column "Umsatz (ohne Soll/Haben-Kz)": "1,005" has more than two decimals`},
		{"empty amount", extf(testHeader, testColumns, row("", "S", "1000")), `line 3, column "Umsatz (ohne Soll/Haben-Kz)": is empty`},
		{"bad S/H", extf(testHeader, testColumns, row("1,00", "X", "1000")), `line 3, column "Soll/Haben-Kennzeichen": "X" is neither "S" nor "H"`},
		{"bad account", extf(testHeader, testColumns, row("1,00", "S", "10A0")), `line 3, column "Konto": "10A0" is not an account number (digits only)`},
		{"open quote", extf(testHeader, testColumns, `1,00;"S";"";;;"";1000;8400;"";3101;"";"";;"open`), `line 3, column "Buchungstext": quoted text is not closed before the end of the line (DATEV text may not contain line breaks)`},
		{"bad rate", extf(testHeader, testColumns, `1,00;"S";"CHF";1.2;1,00;"EUR";1000;8400;"";3101;"";"";;""`), `line 3, column "Kurs": "1.2" is not a number with decimal comma`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := readAll(t, tc.data)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v, want a *ParseError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error = %q\nwant    %q", err.Error(), tc.want)
			}
		})
	}
}

func TestReadLongLine(t *testing.T) {
	t.Parallel()
	long := testHeader + strings.Repeat(";", maxLineBytes)
	_, err := NewReader(strings.NewReader(long))
	if err == nil || !strings.HasPrefix(err.Error(), "line 1: the line is longer than") {
		t.Errorf("error = %v", err)
	}
}

func TestSplitFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line     string
		want     []string
		repaired []int
		bad      int
	}{
		{`a;b;c`, []string{"a", "b", "c"}, []int{}, -1},
		{`"a";;"";1,5;`, []string{"a", "", "", "1,5", ""}, []int{}, -1},
		{`"say ""hi""";x`, []string{`say "hi"`, "x"}, []int{}, -1},
		{`"a;b";"c"`, []string{"a;b", "c"}, []int{}, -1},
		{`""""`, []string{`"`}, []int{}, -1},
		{`" "Normal" ";1`, []string{` "Normal" `, "1"}, []int{0}, -1},
		{`1;ab"c;2`, []string{"1", `ab"c`, "2"}, []int{1}, -1},
		{`1;"open`, []string{"1"}, []int{}, 1},
		{`"`, []string{}, []int{}, 0},
		{``, []string{""}, []int{}, -1},
	} {
		got, repaired, bad := splitFields(tc.line, nil, nil)
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" || bad != tc.bad {
			t.Errorf("splitFields(%q): bad = %d, fields (-want +got):\n%s", tc.line, bad, diff)
		}
		if diff := cmp.Diff(tc.repaired, repaired, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("splitFields(%q) repaired (-want +got):\n%s", tc.line, diff)
		}
	}
}

func TestCP1252(t *testing.T) {
	t.Parallel()
	all := make([]byte, 0, 256)
	for c := 0; c < 256; c++ {
		all = append(all, byte(c))
	}
	s := decodeCP1252(all)
	if got := []rune(s)[0x80]; got != '€' {
		t.Errorf("0x80 decodes to %q, want €", got)
	}
	if got := []rune(s)[0x96]; got != '–' {
		t.Errorf("0x96 decodes to %q, want en dash", got)
	}
	// Everything except the five undefined bytes encodes back to itself.
	for c := 0; c < 256; c++ {
		r := []rune(s)[c]
		enc, _, ok := encodeCP1252(nil, string(r))
		undefined := c == 0x81 || c == 0x8D || c == 0x8F || c == 0x90 || c == 0x9D
		if ok == undefined || (ok && !bytes.Equal(enc, []byte{byte(c)})) {
			t.Errorf("byte %#x: decode %U, encode ok=%v bytes %x", c, r, ok, enc)
		}
	}
	if _, bad, ok := encodeCP1252(nil, "a€b→"); ok || bad != '→' {
		t.Errorf("encode arrow: ok=%v bad=%q", ok, bad)
	}
}

func TestReadCategoryWithoutFormatName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		category, want string
	}{
		{"48", "category 48 (Diverse Adressen) is not a booking batch"},
		{"65", "category 65 (Wiederkehrende Buchungen) is not a booking batch"},
		{"99", "category 99 (unknown category) is not a booking batch"},
	} {
		r, err := NewReader(bytes.NewReader(extf(`"EXTF";700;`+tc.category+`;"";1`, "Konto;Name", `1;"a"`, `2;"b"`)))
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := r.NextRecord(); err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatal(err)
				}
				break
			}
		}
		if diff := cmp.Diff([]string{tc.want}, r.Warnings()); diff != "" || r.Records() != 2 || r.Line() != 4 {
			t.Errorf("records %d, line %d, warnings (-want +got):\n%s", r.Records(), r.Line(), diff)
		}
	}
}

func TestReadHeaderLockedFlag(t *testing.T) {
	t.Parallel()
	base := strings.Split(testHeader, ";")
	for _, tc := range []struct {
		value  string
		locked bool
		err    string
	}{
		{"1", true, ""},
		{"0", false, ""},
		{"", false, ""},
		{"2", false, `line 1, column "Festschreibung": "2" is not 0 or 1`},
	} {
		f := append([]string(nil), base...)
		f[20] = tc.value
		r, err := NewReader(bytes.NewReader(extf(strings.Join(f, ";"), testColumns)))
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("Festschreibung %q: error %v, want %q", tc.value, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Header().Locked != tc.locked {
			t.Errorf("Festschreibung %q: locked = %v", tc.value, r.Header().Locked)
		}
	}
}
