package settlement

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// amountKey is the part of a line most tests compare.
type amountKey struct {
	Type, Desc string
	Minor      int64
}

func amountKeys(lines []Line) []amountKey {
	out := make([]amountKey, len(lines))
	for i, l := range lines {
		out[i] = amountKey{l.AmountType, l.AmountDescription, l.AmountMinor}
	}
	return out
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestFlatV1Mixed(t *testing.T) {
	t.Parallel()
	rep := readTestdata(t, "v1_mixed.txt")
	if rep.err != nil {
		t.Fatal(rep.err)
	}
	if rep.format != FlatV1 {
		t.Errorf("format = %s, want %s", rep.format, FlatV1)
	}
	if len(rep.settlements) != 1 {
		t.Fatalf("got %d settlements, want 1", len(rep.settlements))
	}
	s := rep.settlements[0]
	wantHeader := Settlement{
		ID: "11111111111", Currency: "CAD",
		Start: utc("2025-08-01T22:07:18Z"), End: utc("2025-08-15T22:07:18Z"), DepositDate: "2025-08-17",
		Total: -6157, HasTotal: true, Line: 2, LineCount: 20, Sum: -6157,
	}
	if diff := cmp.Diff(wantHeader, s.Settlement); diff != "" {
		t.Errorf("settlement mismatch (-want +got):\n%s", diff)
	}
	if !s.SumOK() {
		t.Error("SumOK() = false, want true")
	}
	wantAmounts := []amountKey{
		{"price", "Principal", 5798}, {"price", "Tax", 754},
		{"item-related-fee", "Commission", -870}, {"item-related-fee", "FBAPerUnitFulfillmentFee", -1014},
		{"promotion", "Principal", -500},
		{"shipment-fee", "FBA transportation fee", -788},
		{"order-fee", "ShippingHB", -50},
		{"price", "Principal", -6000}, {"item-related-fee", "Commission", 963},
		{"item-related-fee", "RefundCommission", -193}, {"item-related-fee", "DigitalServicesFee", 29},
		{"price", "Principal", 0}, {"item-related-fee", "FBAPerUnitFulfillmentFee", -1250},
		{"item-related-fee", "Cost of Advertising", -2500}, {"other-fee", "TaxAmount", -325},
		{"other", "", -1},
		{"other", "", 3209},
		{"other", "", -3999},
		{"misc-fee", "", -1420},
		{"direct-payment", "Successful charge", 2000},
	}
	if diff := cmp.Diff(wantAmounts, amountKeys(s.Lines)); diff != "" {
		t.Errorf("amounts mismatch (-want +got):\n%s", diff)
	}
	// The quantity of the quantity-only row goes to the item's first amount
	// line only, so summing quantities over lines stays right.
	wantFirst := Line{
		TransactionType: "Order", OrderID: "702-1234567-1111111", ShipmentID: "D4fGh8kLq", Marketplace: "Amazon.ca",
		SKU: "SKU-A", Quantity: 2, HasQuantity: true, AmountType: "price", AmountDescription: "Principal",
		Currency: "CAD", AmountMinor: 5798, PostedDate: "2025-08-03", Line: 4,
	}
	if diff := cmp.Diff(wantFirst, s.Lines[0]); diff != "" {
		t.Errorf("first line mismatch (-want +got):\n%s", diff)
	}
	if s.Lines[1].HasQuantity {
		t.Errorf("second line of the item has quantity %d, want none", s.Lines[1].Quantity)
	}
	refund := s.Lines[7]
	if refund.AdjustmentID != "amzn1:crow:99l1lI6bTv6fvNhwFYZcZg" || refund.TransactionType != "Refund" || refund.Line != 12 {
		t.Errorf("refund line = %+v, want adjustment id, type Refund, line 12 (after the blank line 11)", refund)
	}
	mcf := s.Lines[11]
	if mcf.Marketplace != "Non-Amazon CA" || mcf.MerchantOrderID != "CONSUMER-2025821-20216" || !mcf.HasQuantity || mcf.Quantity != 1 {
		t.Errorf("multi-channel line = %+v", mcf)
	}
	if len(rep.warnings) != 0 {
		t.Errorf("warnings = %q, want none", rep.warnings)
	}
}

func TestFlatV2MixedDE(t *testing.T) {
	t.Parallel()
	rep := readTestdata(t, "v2_mixed_de.txt")
	if rep.err != nil {
		t.Fatal(rep.err)
	}
	if rep.format != FlatV2 || len(rep.settlements) != 1 {
		t.Fatalf("format %s with %d settlements, want %s with 1", rep.format, len(rep.settlements), FlatV2)
	}
	s := rep.settlements[0]
	wantHeader := Settlement{
		ID: "19482314502", Currency: "EUR",
		Start: utc("2023-03-14T07:49:55Z"), End: utc("2023-03-28T07:49:55Z"), DepositDate: "2023-03-30",
		Total: 114118, HasTotal: true, Line: 2, LineCount: 13, Sum: 114118,
	}
	if diff := cmp.Diff(wantHeader, s.Settlement); diff != "" {
		t.Errorf("settlement mismatch (-want +got):\n%s", diff)
	}
	wantAmounts := []amountKey{
		{"ItemPrice", "Principal", 2888}, {"ItemPrice", "Tax", 549}, {"ItemFees", "Commission", -433},
		{"ItemFees", "FBAPerUnitFulfillmentFee", -326}, {"Promotion", "Principal", -100}, {"ItemPrice", "Principal", 123369},
		{"ItemPrice", "Principal", -1999}, {"ItemFees", "Commission", 299}, {"ItemFees", "RefundCommission", -60},
		{"Inbound Defect Fee", "Base fee", -12800}, {"other-transaction", "Reversal", 1250},
		{"ItemPrice", "Base Tax", -19}, {"ItemPrice", "Principal", 1500},
	}
	if diff := cmp.Diff(wantAmounts, amountKeys(s.Lines)); diff != "" {
		t.Fatalf("amounts mismatch (-want +got):\n%s", diff)
	}
	fba := s.Lines[9]
	want := Line{TransactionType: "FBAFees", OrderID: "FBA19CD9HGQ8", AmountType: "Inbound Defect Fee", AmountDescription: "Base fee",
		Currency: "EUR", AmountMinor: -12800, PostedDate: "2023-03-21", Line: 12}
	if diff := cmp.Diff(want, fba); diff != "" {
		t.Errorf("FBAFees line mismatch (-want +got):\n%s", diff)
	}
	if l := s.Lines[0]; l.PostedDate != "2023-03-15" || !l.HasQuantity || l.Quantity != 1 || l.SKU != "SKU-DE-1" {
		t.Errorf("first line = %+v", l)
	}
	if l := s.Lines[10]; l.OrderID != "" || l.Marketplace != "" || l.Line != 14 {
		t.Errorf("reversal line = %+v, want empty order id and marketplace on line 14 (after blank line 13)", l)
	}
}
