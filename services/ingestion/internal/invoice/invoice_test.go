package invoice

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// mixedRates is an invoice with a 19 % and a 7 % line: 100.00 + 19.00 VAT and
// 50.00 + 3.50 VAT.
func mixedRates() *shopv1.InvoiceIssued {
	return &shopv1.InvoiceIssued{
		Tenant:        "acme",
		InvoiceNumber: "RE-2026-0001",
		OrderId:       "WEB-1",
		Channel:       &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		Debtor:        &shopv1.Debtor{CustomerId: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Erika Mustermann"},
		IssueDate:     &commonv1.Date{Year: 2026, Month: 11, Day: 2},
		PaymentTerms:  &shopv1.PaymentTerms{NetDays: 14},
		Currency:      "EUR",
		Lines: []*shopv1.InvoiceLine{
			{Description: "Kaffeemaschine", Quantity: "1", NetAmount: eur(10000), VatRateBp: 1900},
			{Description: "Kaffeebohnen", Quantity: "2", NetAmount: eur(5000), VatRateBp: 700},
		},
		Totals: &shopv1.InvoiceTotals{
			Net: eur(15000),
			Vat: []*shopv1.VatTotal{
				{RateBp: 1900, Net: eur(10000), Vat: eur(1900)},
				{RateBp: 700, Net: eur(5000), Vat: eur(350)},
			},
			Gross: eur(17250),
		},
		PaymentReference: "RE-2026-0001",
	}
}

func TestValidateAcceptsMixedRates(t *testing.T) {
	t.Parallel()
	if err := Validate(mixedRates(), "acme"); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*shopv1.InvoiceIssued)
		want   string
	}{
		// Amounts in reasons are written as a clerk reads them: 150.01 EUR.
		{"net total off by a cent", func(i *shopv1.InvoiceIssued) { i.Totals.Net = eur(15001) }, "totals.net: 150.01 EUR does not equal the sum of the lines, 150.00 EUR"},
		{"vat of 7% wrong", func(i *shopv1.InvoiceIssued) { i.Totals.Vat[1].Vat = eur(351) }, "totals.vat[1].vat: 3.51 EUR is neither"},
		{"rate missing", func(i *shopv1.InvoiceIssued) { i.Totals.Vat = i.Totals.Vat[:1] }, "rate 700"},
		{"gross wrong", func(i *shopv1.InvoiceIssued) { i.Totals.Gross = eur(17251) }, "totals.gross: 172.51 EUR does not equal net plus VAT"},
		{"line currency differs", func(i *shopv1.InvoiceIssued) { i.Lines[0].NetAmount.Currency = "USD" }, "lines[0].net_amount.currency"},
		{"no due date or terms", func(i *shopv1.InvoiceIssued) { i.PaymentTerms = nil }, "due_date"},
		{"bad date", func(i *shopv1.InvoiceIssued) { i.IssueDate.Day = 31 }, "issue_date"},
		{"no debtor id", func(i *shopv1.InvoiceIssued) { i.Debtor.CustomerId = "" }, "debtor.customer_id"},
		{"bad currency", func(i *shopv1.InvoiceIssued) { i.Currency = "EURO" }, "currency"},
		{"tenant with dot", func(i *shopv1.InvoiceIssued) { i.Tenant = "a.b" }, "tenant"},
		{"delivered before issued", func(i *shopv1.InvoiceIssued) { i.DeliveredOn = &commonv1.Date{Year: 2026, Month: 11, Day: 1} }, "delivered_on: 2026-11-01 is before issue_date 2026-11-02"},
		{"delivered on no date", func(i *shopv1.InvoiceIssued) { i.DeliveredOn = &commonv1.Date{Year: 2026, Month: 2, Day: 30} }, "delivered_on: 2026-02-30 is not a calendar date"},
		{"marketplace without name", func(i *shopv1.InvoiceIssued) { i.Channel.Kind = shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE }, "channel.marketplace"},
		{"document over http", func(i *shopv1.InvoiceIssued) { i.DocumentUrl = "http://shop.example/re-1.pdf" }, "document_url"},
		{"document with password", func(i *shopv1.InvoiceIssued) { i.DocumentUrl = "https://u:p@shop.example/re-1.pdf" }, "document_url"},
		{"document as javascript", func(i *shopv1.InvoiceIssued) { i.DocumentUrl = "javascript:alert(1)" }, "document_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := mixedRates()
			tc.mutate(inv)
			err := Validate(inv, inv.Tenant)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want *ValidationError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
		})
	}
}

func TestValidateAcceptsPerLineRounding(t *testing.T) {
	t.Parallel()
	inv := mixedRates()
	// Three lines of 0.05 at 19 %: per line 0.0095 -> 0.01 each (0.03 in all);
	// on the total 0.15 * 19 % = 0.0285 -> 0.03. Make them differ: 0.03 net
	// lines give 0.0057 -> 0.01 each (0.03) vs 0.09 * 19 % = 0.0171 -> 0.02.
	inv.Lines = []*shopv1.InvoiceLine{
		{Description: "a", NetAmount: eur(3), VatRateBp: 1900},
		{Description: "b", NetAmount: eur(3), VatRateBp: 1900},
		{Description: "c", NetAmount: eur(3), VatRateBp: 1900},
	}
	for _, vat := range []int64{2, 3} {
		inv.Totals = &shopv1.InvoiceTotals{Net: eur(9), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(9), Vat: eur(vat)}}, Gross: eur(9 + vat)}
		if err := Validate(inv, "acme"); err != nil {
			t.Errorf("VAT %d: %v", vat, err)
		}
	}
	inv.Totals = &shopv1.InvoiceTotals{Net: eur(9), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(9), Vat: eur(4)}}, Gross: eur(13)}
	if err := Validate(inv, "acme"); err == nil {
		t.Error("VAT 4 accepted")
	}
}

func TestValidateTenantMismatch(t *testing.T) {
	t.Parallel()
	if err := Validate(mixedRates(), "other"); !errors.Is(err, ErrTenantMismatch) {
		t.Fatalf("Validate = %v, want ErrTenantMismatch", err)
	}
}

func TestSourceHashSameForJSONAndProtobuf(t *testing.T) {
	t.Parallel()
	inv := mixedRates()
	bin, err := proto.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	js, err := protojson.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	fromBin, fromJSON := &shopv1.InvoiceIssued{}, &shopv1.InvoiceIssued{}
	if err := proto.Unmarshal(bin, fromBin); err != nil {
		t.Fatal(err)
	}
	if err := protojson.Unmarshal(js, fromJSON); err != nil {
		t.Fatal(err)
	}
	h1, _ := SourceHash(fromBin)
	h2, _ := SourceHash(fromJSON)
	if h1 != h2 {
		t.Fatalf("hash from protobuf %s != hash from JSON %s", h1, h2)
	}
	changed := mixedRates()
	changed.PaymentReference = "other"
	if h3, _ := SourceHash(changed); h3 == h1 {
		t.Fatal("a changed invoice hashes the same")
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	n, err := Normalize(mixedRates())
	if err != nil {
		t.Fatal(err)
	}
	if got := n.GetDueDate(); got.GetDay() != 16 || got.GetMonth() != 11 {
		t.Errorf("due date = %v, want 2026-11-16 (issue date + 14 days)", got)
	}
	if n.GetDebtorId() != "C-1" || n.GetGross().GetMinorUnits() != 17250 || len(n.GetVat()) != 2 {
		t.Errorf("normalized = %v", n)
	}
	inv := mixedRates()
	inv.ConsumerDefaultNotice, inv.DeliveredOn = true, &commonv1.Date{Year: 2026, Month: 11, Day: 3}
	inv.DocumentUrl = "https://shop.example/invoices/RE-1.pdf"
	if err := Validate(inv, inv.Tenant); err != nil {
		t.Fatalf("an invoice with a document link: %v", err)
	}
	withNotice, err := Normalize(inv)
	if err != nil {
		t.Fatal(err)
	}
	if !withNotice.GetConsumerDefaultNotice() || withNotice.GetDeliveredOn().GetDay() != 3 || withNotice.GetDocumentUrl() != inv.DocumentUrl {
		t.Errorf("normalized lost the § 286 (3) BGB notice, the delivery date or the document link: %v", withNotice)
	}
	if EventID("acme", "RE-1") != EventID("acme", "RE-1") || EventID("acme", "RE-1") == EventID("acme2", "RE-1") {
		t.Error("EventID is not a function of (tenant, number)")
	}
}

// TestDiffNamesWhatChanged: a conflict says which fields differ, with
// amounts as a clerk reads them.
func TestDiffNamesWhatChanged(t *testing.T) {
	t.Parallel()
	a := mixedRates()
	b := mixedRates()
	b.Totals.Gross = eur(99999)
	b.Lines = b.Lines[:1]
	b.OrderId = "OTHER"
	got := Diff(a, b)
	for _, want := range []string{"totals.gross 172.50 EUR → 999.99 EUR", "lines: 2 → 1 entries", `order_id "WEB-1" → "OTHER"`} {
		if !strings.Contains(got, want) {
			t.Errorf("Diff = %q, want it to contain %q", got, want)
		}
	}
	if got := Diff(a, mixedRates()); got != "no field differs" {
		t.Errorf("Diff of equal invoices = %q", got)
	}
}
