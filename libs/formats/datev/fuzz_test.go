package datev

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// fuzzSeeds are hand-made inputs besides the fixtures.
var fuzzSeeds = []string{
	testHeader + "\r\n" + testColumns + "\r\n" + `5950,00;"S";"";;;"";10000;8400;"";2202;"RE201802-135";"";;"Honorar"` + "\r\n",
	testHeader + "\r\n" + testColumns + "\r\n" + `1,5;"H";"CHF";1,2;1,00;"EUR";1;2;"9";3101;"";"";0,10;" "quoted" "` + "\r\n",
	testHeader + "\r\n" + testColumns + "\r\n" + `1;"S";"";;;"";1;2;"";3101;"";"";;"open` + "\r\n",
	"\xef\xbb\xbf" + testHeader + "\n" + testColumns + "\n" + "1;\"S\";\"\";;;\"\";1;2;\"\";0101;\"\";\"\";;\"Gr\xc3\xb6\xc3\x9fe\"\n",
	`"EXTF";700;16;"Debitoren/Kreditoren";5;;;"";"";"";1;1;;4` + "\r\nKonto;Name\r\n10000;\"A;B\"\r\n",
	`"DTVF";510;21;"Buchungsstapel";7`,
	"EXTF;700;21;x;13\r\nUmsatz;S/H\r\n",
}

// checkPosition fails unless err says where it happened.
func checkPosition(t *testing.T, err error) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line < 1 || !strings.HasPrefix(err.Error(), "line ") {
		t.Fatalf("error without a position: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			checkPosition(t, err)
			return
		}
		h := r.Header()
		if h.Marker != "EXTF" && h.Marker != "DTVF" {
			t.Fatalf("marker %q accepted", h.Marker)
		}
		for {
			var b Booking
			switch h.Category {
			case 21:
				b, err = r.Next()
			case 16:
				var d Debtor
				if d, err = r.NextDebtor(); err == nil && (d.Account == "" || !allDigits(d.Account)) {
					t.Fatalf("debtor account %q", d.Account)
				}
			default:
				_, err = r.NextRecord()
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				checkPosition(t, err)
				return
			}
			if h.Category != 21 {
				continue
			}
			if b.Amount < 0 || b.BaseAmount < 0 || b.Discount < 0 {
				t.Fatalf("negative amount in %+v", b)
			}
			if b.DebitCredit != "S" && b.DebitCredit != "H" {
				t.Fatalf("debit/credit %q", b.DebitCredit)
			}
			if b.Account == "" || !allDigits(b.Account) || b.ContraAccount == "" || !allDigits(b.ContraAccount) {
				t.Fatalf("accounts %q %q", b.Account, b.ContraAccount)
			}
			if v, msg := parseAmount(formatAmount(b.Amount)); msg != "" || v != b.Amount {
				t.Fatalf("amount %d does not round-trip", b.Amount)
			}
			for _, s := range []string{b.Text, b.DocumentField1, b.Currency, b.TaxKey} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 %q", s)
				}
			}
		}
		if len(r.Warnings()) > maxWarnings+1 {
			t.Fatalf("%d warnings kept", len(r.Warnings()))
		}
	})
}

func FuzzWriteRead(f *testing.F) {
	f.Add(int64(595000), true, "", "10000", "8400", "", "2202", "RE201802-135", "", int64(0), "Honorar FiBu-Seminar", "", "", int64(0), "", false)
	f.Add(int64(12400), false, "CHF", "8120", "20050", "3", "2702", "AR-1", "160318", int64(238), `Umsatz "Schweiz" €`, "K1", "1,240402", int64(10000), "EUR", true)
	f.Add(int64(1), false, "GBP", "1225", "71000", "6502", "2902", "$&%*+-/", "x", int64(1), "Müller – ‚Größe‘", "", "0,830000", int64(12386), "EUR", false)
	f.Add(int64(-5), true, "eur", "0", "123456", "12345", "3102", "RE 1", "", int64(-1), "a\r\nb", "Ł", "0,00", int64(1), "", false)
	f.Fuzz(func(t *testing.T, amount int64, debit bool, currency, account, contra, taxKey, date, field1, field2 string,
		discount int64, text, costCenter, rate string, base int64, baseCurrency string, reversal bool) {
		b := Booking{
			Amount: amount, DebitCredit: "H", Currency: currency, Rate: rate, BaseAmount: base, BaseCurrency: baseCurrency,
			Account: account, ContraAccount: contra, TaxKey: taxKey, DocumentDate: date,
			DocumentField1: field1, DocumentField2: field2, Discount: discount, Text: text,
			CostCenter1: costCenter, GeneralReversal: reversal,
		}
		if debit {
			b.DebitCredit = "S"
		}
		h := validHeader()
		h.PeriodTo = "20241231"
		var buf bytes.Buffer
		w, err := NewWriter(&buf, h)
		if err != nil {
			t.Fatal(err)
		}
		werr := w.Write(b)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r, got, err := readAll(t, buf.Bytes())
		if err != nil {
			t.Fatalf("the writer wrote a file the reader refuses: %v\n%q", err, buf.Bytes())
		}
		if werr != nil {
			var fe *FieldError
			if !errors.As(werr, &fe) || fe.Record != 1 || fe.Field == "" {
				t.Fatalf("writer error without record and field: %v", werr)
			}
			if len(got) != 0 {
				t.Fatalf("a refused booking was written: %+v", got)
			}
			return
		}
		if diff := cmp.Diff([]Booking{b}, got); diff != "" {
			t.Fatalf("round trip (-written +read):\n%s", diff)
		}
		if len(r.Warnings()) != 0 {
			t.Fatalf("reading a written file warns: %q", r.Warnings())
		}
	})
}

// FuzzDebtorWriteRead writes a fuzzed Debtor: a record the writer accepts
// reads back unchanged, and one it refuses leaves the file readable.
func FuzzDebtorWriteRead(f *testing.F) {
	f.Add("10000", "2", "Möbel \"Testgruber\" GmbH", "", "Nelkenteststraße 125", "Nürnberg", "DE", "133546770", "DE49100102220002222222", "GENODEF1S12", "C-4711")
	f.Add("1000", "3", "a\r\nb", "Łódź", "", "", "deu", "DE 1", "DE49 1001", "X", "1234567890123456")
	f.Fuzz(func(t *testing.T, account, typ, company, lastName, street, city, country, vatID, iban, bic, customer string) {
		d := Debtor{Account: account, AddresseeType: typ, CompanyName: company, LastName: lastName, Street: street, City: city,
			Country: country, IBAN: iban, BIC: bic, CustomerNumber: customer}
		if vatID != "" {
			d.EUCountry, d.VATID = "DE", vatID
		}
		var buf bytes.Buffer
		w, err := NewDebtorWriter(&buf, Header{CreatedAt: "20261101000000000", Consultant: 1001, Client: 1, FiscalYearStart: "20260101", AccountLength: 4})
		if err != nil {
			t.Fatal(err)
		}
		werr := w.Write(d)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.NextDebtor()
		if werr != nil {
			var fe *FieldError
			if !errors.As(werr, &fe) {
				t.Fatalf("Write = %v, want a *FieldError", werr)
			}
			if !errors.Is(err, io.EOF) {
				t.Fatalf("a refused record was written: %+v, %v", got, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(d, got); diff != "" {
			t.Fatalf("round trip (-written +read):\n%s", diff)
		}
	})
}
