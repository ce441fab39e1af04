package opening

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

var booking = &commonv1.Date{Year: 2026, Month: 1, Day: 1}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

func TestReadCSVAndJSONLinesAgree(t *testing.T) {
	t.Parallel()
	csvFile := "\ufeffdue_date,debtor_id,document_number,document_date,currency,amount,payment_reference,vat_rate_bp,vat_amount\r\n" +
		"2025-12-31,K-1,RE-2025-9,2025-12-01,EUR,119.00,RE-2025-9,1900,19.00\r\n" +
		"2026-01-15,K-2,GS-2025-1,2025-12-15,eur,-20.5,,,\r\n"
	jsonl := `{"debtor_id":"K-1","document_number":"RE-2025-9","document_date":"2025-12-01","due_date":"2025-12-31","currency":"EUR","amount":"119.00","payment_reference":"RE-2025-9","vat_rate_bp":1900,"vat_amount":19.00}` + "\n\n" +
		`{"debtor_id":"K-2","document_number":"GS-2025-1","document_date":"2025-12-15","due_date":"2026-01-15","currency":"EUR","amount":-20.5}` + "\n"
	want := []*ledgerv1.RecordOpeningBalance{
		{Tenant: "acme", IdempotencyKey: "opening:K-1:RE-2025-9", DocumentNumber: "RE-2025-9", DebtorId: "K-1", Amount: eur(11900),
			DocumentDate: &commonv1.Date{Year: 2025, Month: 12, Day: 1}, DueDate: &commonv1.Date{Year: 2025, Month: 12, Day: 31},
			BookingDate: booking, PaymentReference: "RE-2025-9",
			Vat: []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(10000), Vat: eur(1900)}}},
		{Tenant: "acme", IdempotencyKey: "opening:K-2:GS-2025-1", DocumentNumber: "GS-2025-1", DebtorId: "K-2", Amount: eur(-2050),
			DocumentDate: &commonv1.Date{Year: 2025, Month: 12, Day: 15}, DueDate: &commonv1.Date{Year: 2026, Month: 1, Day: 15},
			BookingDate: booking},
	}
	// German Excel ("CSV UTF-8", semicolons, decimal comma, dates as
	// DD.MM.YYYY) gives the same commands.
	excel := "\ufeffdue_date;debtor_id;document_number;document_date;currency;amount;payment_reference;vat_rate_bp;vat_amount\r\n" +
		"31.12.2025;K-1;RE-2025-9;01.12.2025;EUR;119,00;RE-2025-9;1900;19,00\r\n" +
		"15.01.2026;K-2;GS-2025-1;15.12.2025;EUR;-20,5;;;\r\n"
	tabs := strings.ReplaceAll(excel, ";", "\t")
	for name, file := range map[string]string{"csv": csvFile, "jsonl": jsonl, "excel": excel, "tabs": tabs} {
		wantLine := 2 // after the header
		if name == "jsonl" {
			wantLine = 1
		}
		got, err := Read(strings.NewReader(file), "acme", booking)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, commands(got), protocmp.Transform()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
		if got.Items[0].Line != wantLine || len(got.Warnings) != 0 {
			t.Errorf("%s: first item on line %d with warnings %q, want line %d and none", name, got.Items[0].Line, got.Warnings, wantLine)
		}
	}
}

func commands(f *File) []*ledgerv1.RecordOpeningBalance {
	var out []*ledgerv1.RecordOpeningBalance
	for _, it := range f.Items {
		out = append(out, it.Command)
	}
	return out
}

func TestReadSemicolonAmounts(t *testing.T) {
	t.Parallel()
	header := "debtor_id;document_number;document_date;due_date;currency;amount\n"
	tests := []struct {
		amount  string
		want    int64
		wantErr string
	}{
		{"119,00", 11900, ""},
		{"119.00", 11900, ""}, // a dot is a decimal point in any file
		{"-0,5", -50, ""},
		{"1234", 123400, ""},
		{"1.234,56", 0, "without thousands separators"},
		{"1,234.56", 0, "without thousands separators"},
		{"1.234", 0, "has more decimals than EUR allows (write the amount without thousands separators)"},
		{"12,345", 0, "has more decimals than EUR allows"},
	}
	for _, tc := range tests {
		f, err := Read(strings.NewReader(header+"K-1;RE-1;2025-12-01;2025-12-31;EUR;"+tc.amount+"\n"), "acme", booking)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("amount %q: %v, want an error saying %q", tc.amount, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("amount %q: %v", tc.amount, err)
		case f.Items[0].Command.GetAmount().GetMinorUnits() != tc.want:
			t.Errorf("amount %q read as %d minor units, want %d", tc.amount, f.Items[0].Command.GetAmount().GetMinorUnits(), tc.want)
		}
	}
}

func TestReadRefusesWindows1252(t *testing.T) {
	t.Parallel()
	file := "debtor_id;document_number;document_date;due_date;currency;amount;payment_reference\n" +
		"K-1;RE-1;01.12.2025;31.12.2025;EUR;10,00;M\xfcller\n" // ü in Windows-1252
	_, err := Read(strings.NewReader(file), "acme", booking)
	if err == nil || !strings.Contains(err.Error(), "line 2, column payment_reference") || !strings.Contains(err.Error(), "CSV UTF-8") {
		t.Errorf("Windows-1252 file: %v, want an error naming the column and saying to save as CSV UTF-8", err)
	}
}

func TestReadWarnsOfDocumentsAfterTheBookingDate(t *testing.T) {
	t.Parallel()
	file := "debtor_id,document_number,document_date,due_date,currency,amount\n" +
		"K-1,RE-1,2025-12-31,2026-01-31,EUR,10.00\n" +
		"K-1,RE-2,2026-01-01,2026-01-31,EUR,10.00\n" + // on the booking date: fine
		"K-2,RE-3,2026-01-05,2026-02-05,EUR,10.00\n"
	f, err := Read(strings.NewReader(file), "acme", booking)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"line 4 (debtor K-2, RE-3): the document date 2026-01-05 is after the booking date 2026-01-01, so the item is booked before it was issued; is --booking-date right?"}
	if diff := cmp.Diff(want, f.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if len(f.Items) != 3 {
		t.Errorf("%d items, want all 3 (a warning keeps the row)", len(f.Items))
	}
}

func TestReadNamesEveryBadRow(t *testing.T) {
	t.Parallel()
	file := "debtor_id,document_number,document_date,due_date,currency,amount\n" +
		"K-1,RE-1,2025-12-01,2025-12-31,EUR,10.00\n" +
		"K-1,RE-2,2025-13-01,2025-12-31,EUR,10.00\n" + // line 3: bad month
		"K-1,RE-3,2025-12-01,2025-12-31,EUR,\"1,50\"\n" + // line 4: comma
		"K-1,RE-4,2025-12-01,2025-12-31,EUR,1.505\n" + // line 5: three decimals
		",RE-5,2025-12-01,2025-12-31,XYZ,1.00\n" + // line 6: no debtor, bad currency
		"K-1,RE-1,2025-12-01,2025-12-31,EUR,10.00\n" + // line 7: duplicate of line 2
		"K-1,RE-7,2025-12-01,2025-11-30,EUR,0\n" // line 8: zero, due before document
	_, err := Read(strings.NewReader(file), "acme", booking)
	if err == nil {
		t.Fatal("a file with bad rows was accepted")
	}
	for _, want := range []string{
		"line 3, column document_date", "line 4, column amount", "line 5, column amount: \"1.505\" has more decimals",
		"line 6, column debtor_id: required", "line 6, column currency", "line 7, column document_number: debtor K-1 document RE-1 is already on line 2",
		"line 8, column amount", "line 8, column due_date",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "line 2") && !strings.Contains(err.Error(), "already on line 2") {
		t.Errorf("the good line 2 was reported:\n%v", err)
	}
}

func TestReadRejectsMissingColumnAndEmptyFile(t *testing.T) {
	t.Parallel()
	if _, err := Read(strings.NewReader("debtor_id,amount\nK-1,1.00\n"), "acme", booking); err == nil || !strings.Contains(err.Error(), `required column "document_number"`) {
		t.Errorf("missing column: %v", err)
	}
	// A separator that is none of the three: the error says which are read.
	if _, err := Read(strings.NewReader("debtor_id|document_number|document_date|due_date|currency|amount\n"), "acme", booking); err == nil ||
		!strings.Contains(err.Error(), "separated by commas, semicolons or tabs") {
		t.Errorf("pipe-separated header: %v, want an error naming the separators", err)
	}
	if _, err := Read(strings.NewReader("  \n"), "acme", booking); err == nil {
		t.Error("empty file accepted")
	}
}
