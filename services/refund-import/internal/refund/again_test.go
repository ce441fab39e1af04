package refund

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCreditedAgain: a shop credit note on an order's item names the
// booked refunds of the item whose amount, or whose sum, it credited;
// marketplace credit notes, shop credit notes linked to a refund, credit
// notes of other amounts, refunds of other items, reversals and refunds
// not booked are not named.
func TestCreditedAgain(t *testing.T) {
	t.Parallel()
	booked := func(adj string, amount int64, item string) Decided {
		return Decided{Refund: Refund{AdjustmentID: adj, OrderID: "O-1", SKU: "SKU-1", Kind: KindRefund, Currency: "EUR", Amount: amount},
			State: Booked, OpenItemID: item, CreditNoteNumber: "amazon-refund:" + adj}
	}
	key := func(adj string) string { return booked(adj, 0, "").Key() }
	cn := func(num string, amount int64) CreditNote { return CreditNote{Number: num, Amount: amount} }
	tests := []struct {
		name    string
		credits []CreditNote
		refunds []Decided
		want    map[string][]string
	}{
		{"same amount after a booked refund", []CreditNote{cn("amazon-refund:A1", 2000), cn("GS-1", 2000)},
			[]Decided{booked("A1", 2000, "I-1")}, map[string][]string{key("A1"): {"GS-1"}}},
		{"the sum of two booked refunds", []CreditNote{cn("GS-1", 3000)},
			[]Decided{booked("A1", 2000, "I-1"), booked("A2", 1000, "I-1")}, map[string][]string{key("A1"): {"GS-1"}, key("A2"): {"GS-1"}}},
		{"one of two booked refunds", []CreditNote{cn("GS-1", 1000)},
			[]Decided{booked("A1", 2000, "I-1"), booked("A2", 1000, "I-1")}, map[string][]string{key("A2"): {"GS-1"}}},
		{"two shop credit notes", []CreditNote{cn("GS-1", 2000), cn("GS-2", 2000)},
			[]Decided{booked("A1", 2000, "I-1")}, map[string][]string{key("A1"): {"GS-1", "GS-2"}}},
		{"another amount is a correction of its own", []CreditNote{cn("GS-1", 500)},
			[]Decided{booked("A1", 2000, "I-1")}, nil},
		{"linked to a refund", []CreditNote{cn("GS-1", 2000)},
			[]Decided{booked("A1", 2000, "I-1"), {Refund: Refund{AdjustmentID: "A0", OrderID: "O-1", Amount: 2000}, State: Linked, OpenItemID: "I-1", CreditNoteNumber: "GS-1"}}, nil},
		{"a refund of another item", []CreditNote{cn("GS-1", 2000)},
			[]Decided{booked("A1", 2000, "I-2")}, nil},
		{"a refund not booked", []CreditNote{cn("GS-1", 2000)},
			[]Decided{{Refund: Refund{AdjustmentID: "A1", OrderID: "O-1", Amount: 2000}, State: Held, OpenItemID: "I-1"}}, nil},
		{"a reversal", []CreditNote{cn("GS-1", 2000)},
			[]Decided{{Refund: Refund{AdjustmentID: "R1", OrderID: "O-1", Kind: KindReversal, Amount: 2000}, State: Booked, OpenItemID: "I-1"}}, nil},
		{"only marketplace credit notes", []CreditNote{cn("amazon-refund:A1", 2000)},
			[]Decided{booked("A1", 2000, "I-1")}, nil},
	}
	for _, tt := range tests {
		got := CreditedAgain(&Item{ID: "I-1", OrderID: "O-1", Currency: "EUR", Amount: 10000, CreditNotes: tt.credits}, tt.refunds)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
