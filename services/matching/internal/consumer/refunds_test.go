package consumer

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"

	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// TestRefundDecisionOf: of refund import's states, linked (with the
// shop's credit note), booked (with refund import's) and held (with the
// reason) keep matching from crediting a refund; waiting and reversed
// refunds are credited by matching as before.
func TestRefundDecisionOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		state refundv1.RefundState
		want  queue.RefundDecision
	}{
		{refundv1.RefundState_REFUND_STATE_LINKED, queue.RefundDecision{AdjustmentID: "ADJ-1", State: queue.RefundLinked, Reason: "why", CreditNote: "GS-7"}},
		{refundv1.RefundState_REFUND_STATE_HELD, queue.RefundDecision{AdjustmentID: "ADJ-1", State: queue.RefundHeld, Reason: "why"}},
		{refundv1.RefundState_REFUND_STATE_BOOKED, queue.RefundDecision{AdjustmentID: "ADJ-1", State: queue.RefundBooked, Reason: "why", CreditNote: "GS-7"}},
		{refundv1.RefundState_REFUND_STATE_WAITING, queue.RefundDecision{AdjustmentID: "ADJ-1"}},
		{refundv1.RefundState_REFUND_STATE_REVERSED, queue.RefundDecision{AdjustmentID: "ADJ-1"}},
	}
	for _, tt := range tests {
		r := &refundv1.Refund{AdjustmentId: "ADJ-1", State: tt.state, Reason: "why", CreditNoteNumber: "GS-7"}
		if diff := cmp.Diff(tt.want, RefundDecisionOf(r)); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tt.state, diff)
		}
	}
}
