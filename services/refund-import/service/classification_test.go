package service

import (
	"testing"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"

	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

// TestWaitingRefundIsBookedByAFoldedOrder: given a refund waiting for its
// order, when the ledger opens the order's item with its classification
// inside OpenItemOpened (as it writes items since 7 December 2026, with no
// separate OpenItemClassified), then the refund is decided again and
// booked, as after the separate event (TestDecisionsThroughTheLedgersItems).
func TestWaitingRefundIsBookedByAFoldedOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, spapifake.Options{})
	s := e.start(t)
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-3", "ADJ-3", march)))
	if got := s.run(t, &refundv1.RunImportRequest{}); got.GetError() != "" || got.GetWaiting() != 1 {
		t.Fatalf("run %v; want O-3's refund waiting for its order", got)
	}
	const item, gross = "I-O-3", 11900
	net := int64(gross * 100 / 119)
	s.ledger(t, &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: item, DebtorId: marketplaceDebtor, Kind: "invoice",
		DocumentNumber: "RE-O-3", OrderId: "O-3", Amount: eur(gross), EntryId: "E-" + item,
		DocumentDate: &commonv1.Date{Year: 2026, Month: 2, Day: 1}, DueDate: &commonv1.Date{Year: 2026, Month: 3, Day: 1},
		Classification: &ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: item, ClaimOpenItemId: item,
			Vat: []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(net), Vat: eur(gross - net)}}, Marketplace: "amazon.de"}})
	eventually(t, "O-3's refund booked", func() bool {
		for _, r := range s.refunds(t, "O-3") {
			if r.GetKind() != refundv1.RefundKind_REFUND_KIND_REVERSAL && r.GetState() == refundv1.RefundState_REFUND_STATE_BOOKED {
				return true
			}
		}
		return false
	})
	if n := s.stored(t, issueCreditNote); n != 1 {
		t.Errorf("%d credit notes stored, want O-3's", n)
	}
}
