package service

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"

	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

// TestShopCreditNoteAfterTheRefundIsListed: a refund is booked and the
// ledger reports its credit note; when the shop's credit note of the same
// amount credits the order afterwards (the ledger reports it beyond the
// item as a credit balance naming the item, as it does once the refund
// cleared what was open), the refund is listed with the shop's credit
// note as credited again; an accountant keeping both takes it off the
// list, books nothing and cannot keep it twice.
func TestShopCreditNoteAfterTheRefundIsListed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, spapifake.Options{})
	s := e.start(t)
	s.order(t, "I-O-1", "O-1", 5950)
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-1", "ADJ-1", march)))
	if got := s.run(t, &refundv1.RunImportRequest{}); got.GetError() != "" || got.GetRefundsNew() != 1 {
		t.Fatalf("run %v; want the refund booked", got)
	}
	s.ledger(t, &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-O-1", DebtorId: marketplaceDebtor, OpenAmount: eur(0),
		Settlements: []*ledgerv1.Settlement{{SettlementId: "ST-1", OpenItemId: "I-O-1", Amount: eur(5950),
			Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE, Document: "amazon-refund:ADJ-1", EntryId: "E-CN-1"}}})
	againBy := func() []string {
		rs := s.refunds(t, "O-1")
		if len(rs) != 1 || rs[0].GetState() != refundv1.RefundState_REFUND_STATE_BOOKED {
			t.Fatalf("refunds of O-1: %v, want the one booked", rs)
		}
		return rs[0].GetCreditedAgainBy()
	}
	if by := againBy(); len(by) != 0 {
		t.Fatalf("credited again by %v before the shop's credit note", by)
	}
	s.ledger(t, &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "CB-GS-1", DebtorId: marketplaceDebtor, Kind: "credit_balance",
		DocumentNumber: "GS-1", Amount: eur(-5950), EntryId: "E-GS-1", CreditedOpenItemId: "I-O-1"})
	if diff := cmp.Diff([]string{"GS-1"}, againBy()); diff != "" {
		t.Errorf("credited again by (-want +got):\n%s", diff)
	}

	// The accountant keeps both: the refund stays booked and the shop's
	// credit note is no longer listed; keeping again is refused.
	kept, err := s.review(&refundv1.ReviewRefundRequest{AdjustmentId: "ADJ-1", Action: refundv1.ReviewAction_REVIEW_ACTION_KEEP,
		Reason: "goodwill on top, agreed with the buyer"})
	if err != nil {
		t.Fatal(err)
	}
	if kept.GetState() != refundv1.RefundState_REFUND_STATE_BOOKED || kept.GetReviewedBy() != "user:clara" ||
		!cmp.Equal(kept.GetCreditedAgainKept(), []string{"GS-1"}) || !strings.Contains(kept.GetReason(), "goodwill on top") {
		t.Errorf("kept: %v", kept)
	}
	if by := againBy(); len(by) != 0 {
		t.Errorf("credited again by %v after the keep, want none", by)
	}
	if _, err := s.review(&refundv1.ReviewRefundRequest{AdjustmentId: "ADJ-1", Action: refundv1.ReviewAction_REVIEW_ACTION_KEEP,
		Reason: "again"}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("keep again: %v, want FailedPrecondition", err)
	}
	if n := s.stored(t, issueCreditNote); n != 1 {
		t.Errorf("%d credit notes stored, want the refund's one", n)
	}
}
