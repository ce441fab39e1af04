package creditnote

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/o2c-platform/o2c/libs/fault/faulttest"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

func TestForRefund(t *testing.T) {
	t.Parallel()
	item := Item{ID: "item-1", Currency: "EUR", VAT: []*ledgerv1.VatAmount{
		{RateBp: 1900, Net: eur(10000), Vat: eur(1900)},
		{RateBp: 700, Net: eur(1000), Vat: eur(70)},
	}}
	// Posted late in the evening in New York: the UTC day is the next.
	posted := time.Date(2026, 3, 1, 22, 30, 0, 0, time.FixedZone("EST", -5*3600))
	tests := []struct {
		name    string
		amount  int64
		item    Item
		want    *ledgerv1.IssueCreditNote
		wantErr error
	}{
		{name: "split over the VAT lines", amount: 2000, item: item, want: &ledgerv1.IssueCreditNote{
			Tenant: "t", IdempotencyKey: "amazon-refund:A1", CreditNoteNumber: "amazon-refund:A1", DebtorId: "mp",
			OpenItemId: "item-1", Currency: "EUR", Gross: eur(2000), IssueDate: &commonv1.Date{Year: 2026, Month: 3, Day: 2},
			Vat: []*ledgerv1.VatAmount{
				{RateBp: 1900, Net: eur(1542), Vat: eur(293)},
				{RateBp: 700, Net: eur(154), Vat: eur(11)},
			},
		}},
		{name: "no VAT lines", amount: 500, item: Item{ID: "item-2", Currency: "EUR"}, want: &ledgerv1.IssueCreditNote{
			Tenant: "t", IdempotencyKey: "amazon-refund:A1", CreditNoteNumber: "amazon-refund:A1", DebtorId: "mp",
			OpenItemId: "item-2", Currency: "EUR", Gross: eur(500), IssueDate: &commonv1.Date{Year: 2026, Month: 3, Day: 2},
			Vat: []*ledgerv1.VatAmount{{Net: eur(500), Vat: eur(0)}},
		}},
		{name: "zero", amount: 0, item: item, wantErr: ErrInvalid},
		{name: "negative", amount: -1, item: item, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ForRefund("t", "mp", "A1", tt.amount, tt.item, posted)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("credit note (-want +got):\n%s", diff)
			}
		})
	}
}

func TestForRefundWithoutAdjustmentID(t *testing.T) {
	t.Parallel()
	if _, err := ForRefund("t", "mp", "", 100, Item{ID: "i", Currency: "EUR"}, time.Now()); !errors.Is(err, ErrInvalid) {
		t.Errorf("error %v, want ErrInvalid", err)
	}
}

func TestAmountTypeAndBuyer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		list, kind string
		want       string
		buyer      bool
	}{
		{"ShipmentItemAdjustmentList[0].ItemChargeAdjustmentList[0]", "Principal", ItemPrice, true},
		{"ItemChargeAdjustmentList", "Tax", ItemPrice, true},
		{"ItemChargeAdjustmentList", "ShippingCharge", ItemPrice, true},
		{"ItemChargeAdjustmentList", "MarketplaceFacilitatorTax-Principal", ItemWithheldTax, false},
		{"ItemTaxWithheldList[0].TaxesWithheld[0]", "MarketplaceFacilitatorVAT-Principal", ItemWithheldTax, false},
		{"ShipmentItemAdjustmentList[0].ItemFeeAdjustmentList[1]", "Commission", ItemFees, false},
		{"ShipmentItemAdjustmentList[0].ItemFeeAdjustmentList[0].FeeAmount", "Commission", ItemFees, false},
		{"ShipmentItemAdjustmentList[0].ItemChargeAdjustmentList[2].ChargeAmount", "ShippingCharge", ItemPrice, true},
		{"ShipmentItemAdjustmentList[0].PromotionAdjustmentList[0].PromotionAmount", "TBYB", Promotion, true},
		{"ItemFeeAdjustmentList", "RefundCommission", ItemFees, false},
		{"PromotionAdjustmentList", "PromotionMetaDataDefinitionValue", Promotion, true},
		{"CostOfPointsReturned", "CostOfPointsReturned", Other, false},
	}
	for _, tt := range tests {
		got := AmountType(tt.list, tt.kind)
		if got != tt.want {
			t.Errorf("AmountType(%q, %q) = %q, want %q", tt.list, tt.kind, got, tt.want)
		}
		if b := Buyer(got); b != tt.buyer {
			t.Errorf("Buyer(%q) = %v, want %v", got, b, tt.buyer)
		}
	}
	// The settlement report's own spelling.
	for _, at := range []string{"ItemPrice", "itemprice", "Promotion"} {
		if !Buyer(at) {
			t.Errorf("Buyer(%q) = false, want true", at)
		}
	}
	for _, at := range []string{"ItemFees", "ItemWithheldTax", "Other", ""} {
		if Buyer(at) {
			t.Errorf("Buyer(%q) = true, want false", at)
		}
	}
}

// TestErrorsClassifyEverySentinel fails when a sentinel error of the
// package has no class.
func TestErrorsClassifyEverySentinel(t *testing.T) {
	t.Parallel()
	faulttest.CheckTable(t, ".", Errors)
}
