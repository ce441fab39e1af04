package datev

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func validDebtorHeader() Header {
	return Header{
		CreatedAt: "20261101000000000", Origin: "RE", Consultant: 29098, Client: 55003,
		FiscalYearStart: "20260101", AccountLength: 4, Description: "Debitoren", ChartOfAccounts: "03",
	}
}

func fullDebtor() Debtor {
	return Debtor{
		Account: "10000", AddresseeType: "2", CompanyName: `Möbel "Testgruber" GmbH`, ShortName: "Testgruber",
		EUCountry: "DE", VATID: "133546770", Salutation: "Firma", AddressKind: "STR",
		Street: "Nelkenteststraße 125", PostalCode: "90482", City: "Nürnberg", Country: "DE",
		Phone: "+49 911 123", Email: "buchhaltung@example.com", IBAN: "DE49100102220002222222", BIC: "GENODEF1S12",
		CustomerNumber: "C-4711", Language: "1", ExternalNumber: "cust-4711",
	}
}

// writeDebtors writes ds under h and returns the file.
func writeDebtors(tb testing.TB, h Header, ds ...Debtor) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := NewDebtorWriter(&buf, h)
	if err != nil {
		tb.Fatal(err)
	}
	for _, d := range ds {
		if err := w.Write(d); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// readDebtors reads every record of a category 16 file.
func readDebtors(tb testing.TB, file []byte) (Header, []Debtor) {
	tb.Helper()
	r, err := NewReader(bytes.NewReader(file))
	if err != nil {
		tb.Fatal(err)
	}
	var ds []Debtor
	for {
		d, err := r.NextDebtor()
		if err == io.EOF {
			return r.Header(), ds
		}
		if err != nil {
			tb.Fatal(err)
		}
		ds = append(ds, d)
	}
}

func TestDebtorRoundTrip(t *testing.T) {
	t.Parallel()
	person := Debtor{Account: "10001", AddresseeType: "1", LastName: "Mustermann", FirstName: "Sabine", Country: "AT", Language: "5"}
	minimal := Debtor{Account: "69999"}
	file := writeDebtors(t, validDebtorHeader(), fullDebtor(), person, minimal)
	h, got := readDebtors(t, file)
	if diff := cmp.Diff([]Debtor{fullDebtor(), person, minimal}, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantHeader := validDebtorHeader()
	wantHeader.Marker, wantHeader.Version, wantHeader.Category, wantHeader.FormatName, wantHeader.FormatVersion = "EXTF", 700, 16, "Debitoren/Kreditoren", 5
	if diff := cmp.Diff(wantHeader, h); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
}

func TestDebtorFileLayout(t *testing.T) {
	t.Parallel()
	file := writeDebtors(t, validDebtorHeader(), fullDebtor())
	lines := strings.Split(string(file), "\r\n")
	if len(lines) != 4 || lines[3] != "" {
		t.Fatalf("want 3 lines ended by CR LF, got %q", lines)
	}
	wantHeader := `"EXTF";700;16;"Debitoren/Kreditoren";5;20261101000000000;;"RE";"";"";29098;55003;20260101;4;;;"Debitoren";"";;;;"";;"";;;"03";;;"";""`
	if lines[0] != wantHeader {
		t.Errorf("header\n got %s\nwant %s", lines[0], wantHeader)
	}
	// The column names are DATEV's own, byte for byte (Windows-1252).
	sample, err := os.ReadFile("testdata/EXTF_DebKred_Stamm_v700-fv5_DATEV-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	sampleNames := strings.SplitN(string(sample), "\r\n", 3)[1]
	if lines[1] != sampleNames {
		t.Errorf("column names differ from DATEV's version-5 sample")
	}
	if n := strings.Count(lines[2], ";") + 1; n != 254 {
		t.Errorf("record has %d fields, want 254", n)
	}
	// Windows-1252: ß is 0xDF, ü 0xFC; a quote inside text is doubled.
	for _, want := range []string{"Nelkenteststra\xdfe 125", "N\xfcrnberg", `"M` + "\xf6" + `bel ""Testgruber"" GmbH"`, `;"1";`} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("record lacks %q: %q", want, lines[2])
		}
	}
}

func TestReadDATEVDebtorSamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		first Debtor
		n     int
	}{
		{"EXTF_DebKred_Stamm_v700-fv5_DATEV-sample.csv", Debtor{
			Account: "10000", AddresseeType: "2", CompanyName: "Möbel Testgruber", ShortName: "Möbel Testgrube",
			EUCountry: "DE", VATID: "133546770", Salutation: "Firma", AddressKind: "STR", Street: "Nelkenteststraße 125",
			PostalCode: "90482", City: "Nürnberg", IBAN: "DE49100102220002222222", BIC: "GENODEF1S12",
			CustomerNumber: "KDN 12345", Language: "1",
		}, 4},
		{"EXTF_Debitoren-Kreditoren_v700-fv5_ledermann.csv", Debtor{
			Account: "10000", LastName: "Mustermann", FirstName: "Sabine", AddresseeType: "1", Salutation: "Frau",
			AddressKind: "STR", Street: "Am Haagelspfädchen 14", PostalCode: "50999", City: "Köln", Country: "DE",
			Phone: "0221/1234567", Email: "sabine@mustermann.de", IBAN: "DE12500105170648489890", Language: "1",
		}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			file, err := os.ReadFile("testdata/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			_, got := readDebtors(t, file)
			if len(got) != tc.n {
				t.Fatalf("%d records, want %d", len(got), tc.n)
			}
			if diff := cmp.Diff(tc.first, got[0]); diff != "" {
				t.Errorf("first record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDebtorWriterRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(*Debtor)
		field string
	}{
		{"account too short", func(d *Debtor) { d.Account = "1000" }, "Konto"},
		{"account too long", func(d *Debtor) { d.Account = "100000" }, "Konto"},
		{"account not digits", func(d *Debtor) { d.Account = "1000A" }, "Konto"},
		{"account leading zero", func(d *Debtor) { d.Account = "01000" }, "Konto"},
		{"addressee type", func(d *Debtor) { d.AddresseeType = "3" }, "Adressattyp"},
		{"address kind", func(d *Debtor) { d.AddressKind = "XX" }, "Adressart"},
		{"language", func(d *Debtor) { d.Language = "2" }, "Sprache"},
		{"country", func(d *Debtor) { d.Country = "deu" }, "Land"},
		{"VAT id without EU country", func(d *Debtor) { d.EUCountry = "" }, "EU-UStID"},
		{"VAT id with prefix and space", func(d *Debtor) { d.VATID = "DE 133546770" }, "EU-UStID"},
		{"IBAN with spaces", func(d *Debtor) { d.IBAN = "DE49 1001 0222 0002 2222 22" }, "IBAN-Nr. 1"},
		{"BIC without IBAN", func(d *Debtor) { d.IBAN = "" }, "SWIFT-Code 1"},
		{"BIC length", func(d *Debtor) { d.BIC = "GENODEF1S" }, "SWIFT-Code 1"},
		{"company name too long", func(d *Debtor) { d.CompanyName = strings.Repeat("x", 51) }, "Name (Adressattyp Unternehmen)"},
		{"last name too long", func(d *Debtor) { d.LastName = strings.Repeat("x", 31) }, "Name (Adressattyp natürl. Person)"},
		{"short name too long", func(d *Debtor) { d.ShortName = strings.Repeat("x", 16) }, "Kurzbezeichnung"},
		{"street line break", func(d *Debtor) { d.Street = "a\nb" }, "Straße"},
		{"city not Windows-1252", func(d *Debtor) { d.City = "Łódź" }, "Ort"},
		{"customer number too long", func(d *Debtor) { d.CustomerNumber = strings.Repeat("1", 16) }, "Kunden-/Lief.-Nr."},
		{"external number too long", func(d *Debtor) { d.ExternalNumber = strings.Repeat("1", 16) }, "Nummer Fremdsystem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w, err := NewDebtorWriter(&buf, validDebtorHeader())
			if err != nil {
				t.Fatal(err)
			}
			d := fullDebtor()
			tc.edit(&d)
			err = w.Write(d)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Write = %v, want a *FieldError", err)
			}
			if fe.Field != tc.field || fe.Record != 1 {
				t.Errorf("error names record %d field %q, want 1 %q: %v", fe.Record, fe.Field, tc.field, err)
			}
			// Nothing of the refused record was written and the writer stays usable.
			if err := w.Write(fullDebtor()); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			_, got := readDebtors(t, buf.Bytes())
			if diff := cmp.Diff([]Debtor{fullDebtor()}, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDebtorHeaderRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(*Header)
		field string
	}{
		{"category", func(h *Header) { h.Category = 21 }, "Formatkategorie"},
		{"period", func(h *Header) { h.PeriodFrom = "20260101" }, "Datum vom"},
		{"currency", func(h *Header) { h.Currency = "EUR" }, "WKZ"},
		{"locked", func(h *Header) { h.Locked = true }, "Festschreibung"},
		{"consultant", func(h *Header) { h.Consultant = 1000 }, "Beraternummer"},
		{"client", func(h *Header) { h.Client = 100000 }, "Mandantennummer"},
		{"fiscal year start", func(h *Header) { h.FiscalYearStart = "2026-01-01" }, "WJ-Beginn"},
		{"account length", func(h *Header) { h.AccountLength = 9 }, "Sachkontenlänge"},
		{"created at", func(h *Header) { h.CreatedAt = "2026" }, "Erzeugt am"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := validDebtorHeader()
			tc.edit(&h)
			_, err := NewDebtorWriter(io.Discard, h)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("NewDebtorWriter = %v, want a *FieldError on %q", err, tc.field)
			}
		})
	}
}

func TestNextDebtorOnBookingBatch(t *testing.T) {
	t.Parallel()
	file := writeBookings(t, validHeader(), validBooking())
	r, err := NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.NextDebtor(); !errors.Is(err, ErrNotMasterData) {
		t.Errorf("NextDebtor = %v, want ErrNotMasterData", err)
	}
	// And the other way round.
	r, err = NewReader(bytes.NewReader(writeDebtors(t, validDebtorHeader(), fullDebtor())))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, ErrNotBookingBatch) {
		t.Errorf("Next = %v, want ErrNotBookingBatch", err)
	}
}

func TestNextDebtorWithoutKonto(t *testing.T) {
	t.Parallel()
	file := "\"EXTF\";700;16;\"Debitoren/Kreditoren\";5;;;\"\";\"\";\"\";1001;1;;4\r\nName;Ort\r\n\"A\";\"B\"\r\n"
	r, err := NewReader(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	var pe *ParseError
	if _, err := r.NextDebtor(); !errors.As(err, &pe) || pe.Column != "Konto" {
		t.Errorf("NextDebtor = %v, want a *ParseError on Konto", err)
	}
}
