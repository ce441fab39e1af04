package books

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

func mixedInvoice() *ingestionv1.InvoiceIngested {
	return &ingestionv1.InvoiceIngested{
		Tenant: "acme", InvoiceNumber: "RE-1", OrderId: "WEB-1", DebtorId: "C-1",
		DebtorKind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER,
		IssueDate:  &commonv1.Date{Year: 2026, Month: 11, Day: 2},
		DueDate:    &commonv1.Date{Year: 2026, Month: 11, Day: 16},
		Currency:   "EUR",
		Vat: []*shopv1.VatTotal{
			{RateBp: 1900, Net: eur(10000), Vat: eur(1900)},
			{RateBp: 700, Net: eur(5000), Vat: eur(350)},
		},
		Gross: eur(17250), PaymentReference: "RE-1",
	}
}

// Given an invoice with 19 % and 7 % lines, when it is booked, then the
// debtor is debited with the gross amount and revenue and VAT are credited
// per rate, and an open item over the gross amount is opened.
func TestBookInvoiceMixedRates(t *testing.T) {
	t.Parallel()
	src := uuid.MustParse("00000000-0000-0000-0000-000000000001")
	b, err := BookInvoice(src, mixedInvoice(), "10000")
	if err != nil {
		t.Fatal(err)
	}
	want := []*ledgerv1.JournalLeg{
		{Account: "10000", Amount: eur(17250), DebtorId: "C-1"},
		{Account: "8400", Amount: eur(-10000), TaxKey: TaxKeyVAT19},
		{Account: "1776", Amount: eur(-1900)},
		{Account: "8300", Amount: eur(-5000), TaxKey: TaxKeyVAT7},
		{Account: "1771", Amount: eur(-350)},
	}
	if diff := cmp.Diff(want, b.Entry.GetLegs(), protocmp.Transform()); diff != "" {
		t.Errorf("legs (-want +got):\n%s", diff)
	}
	if b.OpenItem.GetAmount().GetMinorUnits() != 17250 || b.OpenItem.GetDebtorAccount() != "10000" || b.OpenItem.GetEntryId() != b.Entry.GetEntryId() {
		t.Errorf("open item = %v", b.OpenItem)
	}
	again, _ := BookInvoice(src, mixedInvoice(), "10000")
	if again.Entry.GetEntryId() != b.Entry.GetEntryId() || again.OpenItem.GetOpenItemId() != b.OpenItem.GetOpenItemId() {
		t.Error("booking the same source twice yields different ids")
	}
}

func TestBookInvoiceUnsupportedRate(t *testing.T) {
	t.Parallel()
	inv := mixedInvoice()
	inv.Vat[1].RateBp = 1600
	if _, err := BookInvoice(uuid.New(), inv, "10000"); !errors.Is(err, ErrUnsupportedRate) {
		t.Fatalf("err = %v, want ErrUnsupportedRate", err)
	}
}

func TestCheckBalanced(t *testing.T) {
	t.Parallel()
	e := &ledgerv1.JournalEntryPosted{Legs: []*ledgerv1.JournalLeg{{Amount: eur(100)}, {Amount: eur(-99)}}}
	if err := CheckBalanced(e); !errors.Is(err, ErrUnbalanced) {
		t.Fatalf("err = %v, want ErrUnbalanced", err)
	}
	e.Legs[1].Amount = eur(-100)
	if err := CheckBalanced(e); err != nil {
		t.Fatal(err)
	}
}
