package queue

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

func sline(typ, order, adj, amountType, desc string, amount int64) *ingestionv1.SettlementLine {
	return &ingestionv1.SettlementLine{TransactionType: typ, OrderId: order, AdjustmentId: adj, AmountType: amountType,
		AmountDescription: desc, Amount: eurMsg(amount), MarketplaceName: "Amazon.de"}
}

// report is a settlement of two orders (119.00 and 59.50), a refund of
// the second (59.50 less its refunded commission), their commissions,
// a storage fee and a reserve held back: it pays out 93.00.
var report = Report{ID: "S-1", Marketplace: "amazon", Currency: "EUR", Total: 9300, HasTotal: true, Deposit: day,
	Lines: []*ingestionv1.SettlementLine{
		sline("Order", "O-1", "", "ItemPrice", "Principal", 10000), sline("Order", "O-1", "", "ItemPrice", "Tax", 1900),
		sline("Order", "O-1", "", "ItemFees", "Commission", -1785),
		sline("Order", "O-2", "", "ItemPrice", "Principal", 5000), sline("Order", "O-2", "", "ItemPrice", "Tax", 950),
		sline("Order", "O-2", "", "Promotion", "Principal", -500), sline("Order", "O-2", "", "ItemFees", "Commission", -818),
		sline("Refund", "O-2", "ADJ-1", "ItemPrice", "Principal", -4580), sline("Refund", "O-2", "ADJ-1", "ItemPrice", "Tax", -870),
		sline("Refund", "O-2", "ADJ-1", "ItemFees", "Commission", 818),
		sline("other-transaction", "", "", "other-transaction", "Storage Fee", -120),
		sline("other-transaction", "", "", "other-transaction", "Current Reserve Amount", -1000),
		sline("other-transaction", "", "", "other-transaction", "Previous Reserve Amount Balance", 305),
	}}

// TestBreakdown: a report's lines sort into what buyers paid per order,
// fees by kind less those refunded, refunds by adjustment and the reserve.
func TestBreakdown(t *testing.T) {
	t.Parallel()
	want := Breakdown{
		Orders:  []OrderPrice{{OrderID: "O-1", Amount: 11900}, {OrderID: "O-2", Amount: 5450}},
		Fees:    map[string]int64{"Commission": 1785, "Storage Fee": 120},
		Refunds: []RefundLine{{AdjustmentID: "ADJ-1", OrderID: "O-2", Amount: 5450}},
		Reserve: 695,
	}
	if diff := cmp.Diff(want, BreakdownOf(report.Lines)); diff != "" {
		t.Errorf("breakdown (-want +got):\n%s", diff)
	}
}

// TestSettlementItems: given the ledger's item of order O-1 and none of
// O-2, the engine gets O-1 under the settlement id and a credit item per
// fee kind, the refund and the reserve; the proposal that pays them comes
// back with the report's legs, the refund on O-2 without an item.
func TestSettlementItems(t *testing.T) {
	t.Parallel()
	const mp = "marketplace:amazon.de:EUR"
	o1 := engine.OpenItem{ID: "I-1", Debtor: mp, OrderID: "O-1", DocumentNumber: "RE-1", PaymentReference: "RE-1",
		Amount: money.MustNew(11900, "EUR"), Open: 11900, Channel: "amazon.de"}
	items, legs := SettlementItems(report, map[string]engine.OpenItem{"O-1": o1})
	var got []string
	var total int64
	for _, it := range items {
		got = append(got, it.ID)
		total += it.Open
		if it.PaymentReference != "S-1" || it.Debtor != mp {
			t.Errorf("%s: reference %q debtor %q, want S-1 on %s", it.ID, it.PaymentReference, it.Debtor, mp)
		}
	}
	want := []string{"I-1", "settlement:S-1:fee:Commission", "settlement:S-1:fee:Storage Fee", "settlement:S-1:refund:ADJ-1", "settlement:S-1:reserve"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	// O-2's price is not there: the items add up to less than the payout
	// by exactly it.
	if total != report.Total-5450 {
		t.Errorf("items sum to %d, want %d", total, report.Total-5450)
	}
	b := &book{legs: legs}
	p := b.withSettlement(Proposal{Debtor: mp, Allocations: []engine.Allocation{
		{Item: "I-1", Amount: 11900}, {Item: "settlement:S-1:fee:Commission", Amount: -1785}, {Item: "settlement:S-1:refund:ADJ-1", Amount: -5450},
	}})
	wantP := Proposal{Debtor: mp, Allocations: []engine.Allocation{{Item: "I-1", Amount: 11900}},
		Settlement: &Settlement{ID: "S-1", Marketplace: "amazon", Fees: []Fee{{Kind: "Commission", Amount: 1785}},
			Refunds: []Refund{{AdjustmentID: "ADJ-1", OrderID: "O-2", Amount: 5450}},
			Items:   []engine.Allocation{{Item: "settlement:S-1:fee:Commission", Amount: -1785}, {Item: "settlement:S-1:refund:ADJ-1", Amount: -5450}}}}
	if diff := cmp.Diff(wantP, p); diff != "" {
		t.Errorf("proposal (-want +got):\n%s", diff)
	}
}

// TestRefundCreditNoteIssuedOnPostedDate: a refund line's posted date
// reaches its credit note as the issue date (as refund import issues the
// same refund's credit note), and only a refund without one is issued on
// the payout's booking date.
func TestRefundCreditNoteIssuedOnPostedDate(t *testing.T) {
	t.Parallel()
	posted := time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)
	lines := []*ingestionv1.SettlementLine{
		sline("Refund", "O-2", "ADJ-1", "ItemPrice", "Principal", -4580), sline("Refund", "O-2", "ADJ-1", "ItemPrice", "Tax", -870),
	}
	for _, l := range lines {
		l.PostedDate = &commonv1.Date{Year: 2026, Month: 2, Day: 3}
	}
	b := BreakdownOf(lines)
	if len(b.Refunds) != 1 || !b.Refunds[0].Posted.Equal(posted) {
		t.Fatalf("refunds %+v, want one posted on %s", b.Refunds, posted.Format(time.DateOnly))
	}
	it := Item{ID: "I-2", Currency: "EUR"}
	payout := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		posted time.Time
		want   *commonv1.Date
	}{
		{"posted date known", b.Refunds[0].Posted, &commonv1.Date{Year: 2026, Month: 2, Day: 3}},
		{"posted date unknown", time.Time{}, &commonv1.Date{Year: 2026, Month: 2, Day: 10}},
	}
	for _, tt := range tests {
		cn, err := RefundCreditNote("t", "mp", Refund{AdjustmentID: "ADJ-1", Item: "I-2", OrderID: "O-2", Amount: 5450, Posted: tt.posted}, it, payout)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, cn.GetIssueDate(), protocmp.Transform()); diff != "" {
			t.Errorf("%s: issue date (-want +got):\n%s", tt.name, diff)
		}
	}
}
