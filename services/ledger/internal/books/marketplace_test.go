package books

import (
	"testing"
	"time"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// Given a tenant whose chart names no account for amazon.de, when a
// marketplace order is invoiced, then the receivable sits on the
// marketplace's own debtor (with the account the caller assigned), the buyer
// is only a reference, and the item is not dunned.
func TestMarketplaceWithoutConfiguredAccount(t *testing.T) {
	t.Parallel()
	eur := func(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }
	l := New("acme", Config{})
	evs, err := l.RegisterInvoice(&ledgerv1.RegisterInvoice{
		Tenant: "acme", IdempotencyKey: "invoice:RE-1", InvoiceNumber: "RE-1", DebtorId: "AMZ-1", OrderId: "302-1",
		Currency: "EUR", Gross: eur(2990), Marketplace: "amazon.de",
		Vat:       []*ledgerv1.VatAmount{{RateBp: 700, Net: eur(2794), Vat: eur(196)}},
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 4}, DueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 4},
	}, "10007", Origin{Actor: "test", Now: time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var opened *ledgerv1.OpenItemOpened
	var classified *ledgerv1.OpenItemClassified
	for _, ev := range evs {
		switch e := ev.(type) {
		case *ledgerv1.OpenItemOpened:
			opened, classified = e, e.GetClassification()
		case *ledgerv1.OpenItemClassified:
			t.Errorf("a separate %v: the ledger classifies an item in the event that opens it", e)
		}
	}
	if opened == nil || opened.GetDebtorId() != MarketplaceDebtorID("amazon.de", "EUR") || opened.GetDebtorAccount() != "10007" {
		t.Fatalf("opened = %v", opened)
	}
	if classified == nil || classified.GetDunnable() || classified.GetBuyerReference() != "AMZ-1" {
		t.Errorf("classified = %v", classified)
	}
}
