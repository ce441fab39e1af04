package datev

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func validHeader() Header {
	return Header{
		CreatedAt: "20240130140440439", Origin: "RE", Consultant: 29098, Client: 55003,
		FiscalYearStart: "20240101", AccountLength: 4, PeriodFrom: "20240101", PeriodTo: "20240831",
		Description: "Buchungsstapel", Dictation: "WD", BookingType: 1, Currency: "EUR", ChartOfAccounts: "03",
	}
}

func validBooking() Booking {
	return Booking{
		Amount: 595000, DebitCredit: "S", Account: "10000", ContraAccount: "8400",
		DocumentDate: "2202", DocumentField1: "RE201802-135", Text: "Honorar FiBu-Seminar",
	}
}

// writeBookings writes bs under h and returns the file.
func writeBookings(tb testing.TB, h Header, bs ...Booking) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, h)
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range bs {
		if err := w.Write(b); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteExactBytes(t *testing.T) {
	t.Parallel()
	b := validBooking()
	b.Text = `Müller "Café" 5€`
	got := writeBookings(t, validHeader(), b)

	lines := strings.Split(string(got), "\r\n")
	if len(lines) != 4 || lines[3] != "" {
		t.Fatalf("want 3 lines each ended by CR LF, got %q", got)
	}
	// The official example header of format version 13, with our values.
	wantHeader := `"EXTF";700;21;"Buchungsstapel";13;20240130140440439;;"RE";"";"";29098;55003;20240101;4;20240101;20240831;"Buchungsstapel";"WD";1;0;0;"EUR";;"";;;"03";;;"";""`
	if lines[0] != wantHeader {
		t.Errorf("header\n got %s\nwant %s", lines[0], wantHeader)
	}
	if n := strings.Count(lines[1], ";") + 1; n != 125 {
		t.Errorf("column line has %d names, want 125", n)
	}
	if !strings.HasSuffix(lines[1], ";Abw. Skontokonto") {
		t.Errorf("column line ends %q", lines[1][len(lines[1])-40:])
	}
	// Windows-1252: ü is 0xFC, € is 0x80; quotes doubled.
	wantStart := "5950,00;\"S\";\"\";;;\"\";10000;8400;\"\";2202;\"RE201802-135\";\"\";;\"M\xfcller \"\"Caf\xe9\"\" 5\x80\";"
	if !strings.HasPrefix(lines[2], wantStart) {
		t.Errorf("booking line\n got %q\nwant prefix %q", lines[2][:60], wantStart)
	}
	if n := strings.Count(lines[2], ";") + 1; n != 125 {
		t.Errorf("booking line has %d fields, want 125", n)
	}
	fields, _, _ := splitFields(lines[2], nil, nil)
	if fields[colLocked] != "0" || fields[colGeneralReversal] != "0" || fields[124] != "" {
		t.Errorf("Festschreibung %q, Generalumkehr %q, Abw. Skontokonto %q", fields[colLocked], fields[colGeneralReversal], fields[124])
	}
	if !strings.Contains(lines[2], `;"0";`) {
		t.Error(`Generalumkehr is not written as the text "0"`)
	}
}

func TestColumnsV13(t *testing.T) {
	t.Parallel()
	r, err := NewReader(bytes.NewReader(readFixture(t, "EXTF_Buchungsstapel_v700-fv12_DATEV-sample.csv")))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range columnsV13 {
		names = append(names, c.name)
	}
	// Version 13 is version 12 plus one column.
	want := append(append([]string(nil), r.Columns()...), "Abw. Skontokonto")
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	for col, name := range map[int]string{
		colAmount: "Umsatz (ohne Soll/Haben-Kz)", colDebitCredit: "Soll/Haben-Kennzeichen", colCurrency: "WKZ Umsatz",
		colRate: "Kurs", colBaseAmount: "Basis-Umsatz", colBaseCurrency: "WKZ Basis-Umsatz", colAccount: "Konto",
		colContraAccount: "Gegenkonto (ohne BU-Schlüssel)", colTaxKey: "BU-Schlüssel", colDocumentDate: "Belegdatum",
		colDocumentField1: "Belegfeld 1", colDocumentField2: "Belegfeld 2", colDiscount: "Skonto", colText: "Buchungstext",
		colCostCenter1: "KOST1 - Kostenstelle", colCostCenter2: "KOST2 - Kostenstelle", colSEPAMandate: "SEPA-Mandatsreferenz",
		colLocked: "Festschreibung", colServiceDate: "Leistungsdatum", colDueDate: "Fälligkeit", colGeneralReversal: "Generalumkehr (GU)",
	} {
		if columnsV13[col].name != name {
			t.Errorf("column %d is %q, want %q", col+1, columnsV13[col].name, name)
		}
	}
}

func TestWriteBookingRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*Booking)
		field  string
		reason string // a part of the reason
	}{
		{"zero amount", func(b *Booking) { b.Amount = 0 }, "Umsatz (ohne Soll/Haben-Kz)", "must be positive"},
		{"negative amount", func(b *Booking) { b.Amount = -100 }, "Umsatz (ohne Soll/Haben-Kz)", "must be positive"},
		{"11 digits", func(b *Booking) { b.Amount = 10000000000_00 }, "Umsatz (ohne Soll/Haben-Kz)", "more than 10 digits"},
		{"no S/H", func(b *Booking) { b.DebitCredit = "" }, "Soll/Haben-Kennzeichen", `must be "S" or "H"`},
		{"lower-case s", func(b *Booking) { b.DebitCredit = "s" }, "Soll/Haben-Kennzeichen", `must be "S" or "H"`},
		{"bad currency", func(b *Booking) { b.Currency = "eur" }, "WKZ Umsatz", "ISO 4217"},
		{"rate without base", func(b *Booking) { b.Currency, b.Rate = "CHF", "1,2404" }, "Basis-Umsatz", "must be positive when Kurs is given"},
		{"base without rate", func(b *Booking) { b.Currency, b.BaseAmount, b.BaseCurrency = "CHF", 100, "EUR" }, "Kurs", "positive rate"},
		{"rate with point", func(b *Booking) { b.Rate, b.BaseAmount, b.BaseCurrency = "1.24", 100, "EUR" }, "Kurs", "positive rate"},
		{"rate 7 decimals", func(b *Booking) { b.Rate, b.BaseAmount, b.BaseCurrency = "1,2345678", 100, "EUR" }, "Kurs", "positive rate"},
		{"rate zero", func(b *Booking) { b.Rate, b.BaseAmount, b.BaseCurrency = "0,00", 100, "EUR" }, "Kurs", "positive rate"},
		{"rate 5 digits", func(b *Booking) { b.Rate, b.BaseAmount, b.BaseCurrency = "12345,00", 100, "EUR" }, "Kurs", "positive rate"},
		{"base currency missing", func(b *Booking) { b.Rate, b.BaseAmount = "1,20", 100 }, "WKZ Basis-Umsatz", "ISO 4217"},
		{"empty account", func(b *Booking) { b.Account = "" }, "Konto", "must be 1 to 5 digits"},
		{"account too long", func(b *Booking) { b.Account = "123456" }, "Konto", "must be 1 to 5 digits"},
		{"account letters", func(b *Booking) { b.Account = "12a4" }, "Konto", "must be 1 to 5 digits"},
		{"account zero", func(b *Booking) { b.Account = "0000" }, "Konto", "not all zeros"},
		{"contra too long", func(b *Booking) { b.ContraAccount = "840000" }, "Gegenkonto (ohne BU-Schlüssel)", "must be 1 to 5 digits"},
		{"BU 5 digits", func(b *Booking) { b.TaxKey = "12345" }, "BU-Schlüssel", "1 to 4 digits"},
		{"BU letters", func(b *Booking) { b.TaxKey = "9a" }, "BU-Schlüssel", "1 to 4 digits"},
		{"date empty", func(b *Booking) { b.DocumentDate = "" }, "Belegdatum", "TTMM"},
		{"date 3 digits", func(b *Booking) { b.DocumentDate = "102" }, "Belegdatum", "TTMM"},
		{"date 31 April", func(b *Booking) { b.DocumentDate = "3104" }, "Belegdatum", "TTMM"},
		{"date outside period", func(b *Booking) { b.DocumentDate = "0109" }, "Belegdatum", "within the header's period 20240101 to 20240831"},
		{"date with year", func(b *Booking) { b.DocumentDate = "220224" }, "Belegdatum", "TTMM"},
		{"Belegfeld 1 underscore", func(b *Booking) { b.DocumentField1 = "RE_1" }, "Belegfeld 1", `contains '_'`},
		{"Belegfeld 1 space", func(b *Booking) { b.DocumentField1 = "RE 1" }, "Belegfeld 1", `contains ' '`},
		{"Belegfeld 1 umlaut", func(b *Booking) { b.DocumentField1 = "RÜ1" }, "Belegfeld 1", `contains 'Ü'`},
		{"Belegfeld 1 37 chars", func(b *Booking) { b.DocumentField1 = strings.Repeat("A", 37) }, "Belegfeld 1", "at most 36"},
		{"Belegfeld 2 13 chars", func(b *Booking) { b.DocumentField2 = strings.Repeat("1", 13) }, "Belegfeld 2", "at most 12"},
		{"Skonto negative", func(b *Booking) { b.Discount = -1 }, "Skonto", "must be positive"},
		{"Skonto 9 digits", func(b *Booking) { b.Discount = 100000000_00 }, "Skonto", "more than 8 digits"},
		{"text 61 chars", func(b *Booking) { b.Text = strings.Repeat("ä", 61) }, "Buchungstext", "has 61 characters; at most 60"},
		{"text line break", func(b *Booking) { b.Text = "a\r\nb" }, "Buchungstext", "control character U+000D"},
		{"text tab", func(b *Booking) { b.Text = "a\tb" }, "Buchungstext", "control character U+0009"},
		{"text C1 control", func(b *Booking) { b.Text = "a\u0081b" }, "Buchungstext", "control character U+0081"},
		{"text not in Windows-1252", func(b *Booking) { b.Text = "Łódź" }, "Buchungstext", `the character 'Ł' (U+0141) cannot be written in Windows-1252`},
		{"text emoji", func(b *Booking) { b.Text = "ok 👍" }, "Buchungstext", "cannot be written in Windows-1252"},
		{"text invalid UTF-8", func(b *Booking) { b.Text = "a\xffb" }, "Buchungstext", "not valid UTF-8"},
		{"KOST1 37 chars", func(b *Booking) { b.CostCenter1 = strings.Repeat("1", 37) }, "KOST1 - Kostenstelle", "at most 36"},
		{"KOST2 not Windows-1252", func(b *Booking) { b.CostCenter2 = "中" }, "KOST2 - Kostenstelle", "Windows-1252"},
		{"mandate 36 chars", func(b *Booking) { b.SEPAMandateReference = strings.Repeat("M", 36) }, "SEPA-Mandatsreferenz", "at most 35"},
		{"service date", func(b *Booking) { b.ServiceDate = "31022024" }, "Leistungsdatum", "TTMMJJJJ"},
		{"due date", func(b *Booking) { b.DueDate = "2024-03-01" }, "Fälligkeit", "TTMMJJJJ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w, err := NewWriter(&buf, validHeader())
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(validBooking()); err != nil {
				t.Fatal(err)
			}
			b := validBooking()
			tc.change(&b)
			err = w.Write(b)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error = %v, want a *FieldError", err)
			}
			if fe.Record != 2 || fe.Field != tc.field || !strings.Contains(fe.Reason, tc.reason) {
				t.Errorf("error = %v; want booking 2, field %q, reason containing %q", err, tc.field, tc.reason)
			}
			// The refused booking left nothing behind, and the writer goes on.
			if err := w.Write(validBooking()); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			_, bs, err := readAll(t, buf.Bytes())
			if err != nil || len(bs) != 2 {
				t.Errorf("read back %d bookings, error %v; want 2", len(bs), err)
			}
		})
	}
}

func TestWriteAcceptsEdgeValues(t *testing.T) {
	t.Parallel()
	h := validHeader()
	h.AccountLength = 8
	bs := []Booking{
		{Amount: 999999999999, DebitCredit: "H", Account: "123456789", ContraAccount: "1", TaxKey: "6502",
			DocumentDate: "2902", DocumentField1: "Az09$&%*+-/" + strings.Repeat("x", 25), DocumentField2: strings.Repeat("9", 12),
			Discount: 9999999999, Text: strings.Repeat("é", 60), CostCenter1: strings.Repeat("K", 36),
			SEPAMandateReference: strings.Repeat("M", 35), ServiceDate: "29022024", DueDate: "31122024", GeneralReversal: true},
		{Amount: 1, DebitCredit: "S", Currency: "GBP", Rate: "0,830000", BaseAmount: 12386, BaseCurrency: "EUR",
			Account: "1225", ContraAccount: "71000", DocumentDate: "0101", Text: `""`},
		{Amount: 1, DebitCredit: "S", Currency: "CHF", Rate: "9999,123456", BaseAmount: 1, BaseCurrency: "EUR",
			Account: "1225", ContraAccount: "71000", DocumentDate: "3108"},
	}
	_, got, err := readAll(t, writeBookings(t, h, bs...))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(bs, got); diff != "" {
		t.Errorf("round trip (-written +read):\n%s", diff)
	}
}

func TestWriteHeaderRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*Header)
		field  string
		reason string
	}{
		{"DTVF", func(h *Header) { h.Marker = "DTVF" }, "Kennzeichen", `"EXTF" only`},
		{"header 510", func(h *Header) { h.Version = 510 }, "Versionsnummer", "700 only"},
		{"category 16", func(h *Header) { h.Category = 16 }, "Formatkategorie", "category 21"},
		{"format name", func(h *Header) { h.FormatName = "Debitoren" }, "Formatname", "Buchungsstapel"},
		{"format version 12", func(h *Header) { h.FormatVersion = 12 }, "Formatversion", "13 only"},
		{"created at short", func(h *Header) { h.CreatedAt = "20240130" }, "Erzeugt am", "YYYYMMDDHHMMSSmmm"},
		{"created at hour 25", func(h *Header) { h.CreatedAt = "20240130250000000" }, "Erzeugt am", "YYYYMMDDHHMMSSmmm"},
		{"origin 3 chars", func(h *Header) { h.Origin = "REX" }, "Herkunft", "two letters or digits"},
		{"consultant too small", func(h *Header) { h.Consultant = 1000 }, "Beraternummer", "1001 to 9999999"},
		{"consultant too big", func(h *Header) { h.Consultant = 10000000 }, "Beraternummer", "1001 to 9999999"},
		{"client zero", func(h *Header) { h.Client = 0 }, "Mandantennummer", "1 to 99999"},
		{"client too big", func(h *Header) { h.Client = 100000 }, "Mandantennummer", "1 to 99999"},
		{"fiscal year", func(h *Header) { h.FiscalYearStart = "2024-01-01" }, "WJ-Beginn", "YYYYMMDD"},
		{"account length 3", func(h *Header) { h.AccountLength = 3 }, "Sachkontenlänge", "4 to 8"},
		{"account length 9", func(h *Header) { h.AccountLength = 9 }, "Sachkontenlänge", "4 to 8"},
		{"period from invalid", func(h *Header) { h.PeriodFrom = "20240230" }, "Datum vom", "YYYYMMDD"},
		{"period before fiscal year", func(h *Header) { h.PeriodFrom = "20231231" }, "Datum vom", "fiscal year"},
		{"period ends before it starts", func(h *Header) { h.PeriodFrom, h.PeriodTo = "20240301", "20240201" }, "Datum bis", "between"},
		{"period beyond fiscal year", func(h *Header) { h.PeriodTo = "20250101" }, "Datum bis", "fiscal year"},
		{"dictation 3 letters", func(h *Header) { h.Dictation = "ABC" }, "Diktatkürzel", "one or two letters"},
		{"dictation digit", func(h *Header) { h.Dictation = "A1" }, "Diktatkürzel", "one or two letters"},
		{"booking type 3", func(h *Header) { h.BookingType = 3 }, "Buchungstyp", "1 (Finanzbuchführung) or 2"},
		{"accounting purpose", func(h *Header) { h.AccountingPurpose = 1 }, "Rechnungslegungszweck", "0, 30, 40, 50 or 64"},
		{"no currency", func(h *Header) { h.Currency = "" }, "WKZ", "ISO 4217"},
		{"SKR 3 digits", func(h *Header) { h.ChartOfAccounts = "003" }, "Sachkontenrahmen", "two digits"},
		{"description 31", func(h *Header) { h.Description = strings.Repeat("d", 31) }, "Bezeichnung", "at most 30"},
		{"description newline", func(h *Header) { h.Description = "a\nb" }, "Bezeichnung", "control character"},
		{"exported by 26", func(h *Header) { h.ExportedBy = strings.Repeat("u", 26) }, "Exportiert von", "at most 25"},
		{"application info 17", func(h *Header) { h.ApplicationInfo = strings.Repeat("i", 17) }, "Anwendungsinformation", "at most 16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := validHeader()
			tc.change(&h)
			var buf bytes.Buffer
			_, err := NewWriter(&buf, h)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error = %v, want a *FieldError", err)
			}
			if fe.Record != 0 || fe.Field != tc.field || !strings.Contains(fe.Reason, tc.reason) {
				t.Errorf("error = %v; want header field %q, reason containing %q", err, tc.field, tc.reason)
			}
			if !strings.HasPrefix(err.Error(), "header, field ") {
				t.Errorf("error %q does not name the header", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes for a refused header", buf.Len())
			}
		})
	}
}

func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	h := validHeader()
	h.ExportedBy = `Anna "AB" Müller`
	h.Locked = true
	h.ApplicationInfo = "o2c"
	h.FiscalYearStart, h.PeriodFrom, h.PeriodTo = "20240701", "20241201", "20250131" // across the calendar year
	bs := []Booking{
		{Amount: 11900, DebitCredit: "S", Account: "10000", ContraAccount: "8400", TaxKey: "3", DocumentDate: "0112",
			DocumentField1: "RE-2024/001", Text: `Rechnung "Nr. 1"; Größe`, ServiceDate: "30112024", DueDate: "31122024"},
		{Amount: 11662, DebitCredit: "H", Account: "10000", ContraAccount: "1200", DocumentDate: "3101",
			DocumentField1: "RE-2024/001", DocumentField2: "310125", Discount: 238, Text: "Zahlung mit 2% Skonto",
			SEPAMandateReference: "MANDATE-1", CostCenter1: "100", CostCenter2: "A 7"},
		{Amount: 12400, DebitCredit: "H", Currency: "CHF", Rate: "1,240402", BaseAmount: 10000, BaseCurrency: "EUR",
			Account: "8120", ContraAccount: "20050", DocumentDate: "2712", Text: "Umsatz Schweiz € – ‚quoted‘", GeneralReversal: true},
	}
	data := writeBookings(t, h, bs...)
	r, got, err := readAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(bs, got); diff != "" {
		t.Errorf("bookings (-written +read):\n%s", diff)
	}
	wantHeader := h
	wantHeader.Marker, wantHeader.Version, wantHeader.Category, wantHeader.FormatName, wantHeader.FormatVersion = "EXTF", 700, 21, "Buchungsstapel", 13
	if diff := cmp.Diff(wantHeader, r.Header()); diff != "" {
		t.Errorf("header (-written +read):\n%s", diff)
	}
	if len(r.Warnings()) != 0 || r.Encoding() != EncodingWindows1252 {
		t.Errorf("warnings %q, encoding %q", r.Warnings(), r.Encoding())
	}
}

// TestWriteRoundTripDATEVSample writes every booking of DATEV's sample as
// version 13 and reads it back.
func TestWriteRoundTripDATEVSample(t *testing.T) {
	t.Parallel()
	r, bs, err := readAll(t, readFixture(t, "EXTF_Buchungsstapel_v700-fv12_DATEV-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	h.Marker, h.Version, h.FormatVersion, h.FormatName, h.Category = "", 0, 0, "", 0
	var buf bytes.Buffer
	w, err := NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bs {
		if err := w.Write(b); err != nil {
			t.Fatalf("booking %d: %v", i+1, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	_, got, err := readAll(t, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(bs, got); diff != "" {
		t.Errorf("bookings (-sample +written and read):\n%s", diff)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestWriteReportsIOErrors(t *testing.T) {
	t.Parallel()
	w, err := NewWriter(failingWriter{}, validHeader())
	if err != nil {
		t.Fatal(err) // buffered: nothing reached the writer yet
	}
	if err := w.Write(validBooking()); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Flush error = %v, want io.ErrClosedPipe", err)
	}
	if err := w.Write(validBooking()); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Write after failure = %v, want the first error", err)
	}
}
