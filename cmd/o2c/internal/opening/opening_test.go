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
	for name, file := range map[string]string{"csv": csvFile, "jsonl": jsonl} {
		got, err := Read(strings.NewReader(file), "acme", booking)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
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
	if _, err := Read(strings.NewReader("  \n"), "acme", booking); err == nil {
		t.Error("empty file accepted")
	}
}
