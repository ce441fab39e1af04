package consumer

import (
	"context"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/services/matching/internal/postgres"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// RefundDecidedSubjects carry refund.v1.RefundDecided: refund import's
// decision about each marketplace refund (stream O2C_REFUND_IMPORT).
const RefundDecidedSubjects = "o2c.*.refund-import.refund.decided"

// Refunds takes in refund import's decisions, so that matching does not
// credit with a payout a refund the shop credited itself (linked) or
// refund import did (booked), or one refund import held for a person: each
// decision is stored
// (postgres.Store.PutRefundDecision, the latest per adjustment id wins)
// and then given to the tenant's engine (queue.Desk.RefundDecided); when
// that lets a settlement's payout be booked (its refund credited
// otherwise, or no longer held), the settlement is taken in again and its open payments are
// decided again, as when its report came. A reversal's decision is not
// about a refund a settlement deducts and is left alone.
type Refunds struct {
	Tenants Tenants
	Store   *postgres.Store
	Desk    *queue.Desk
	// Settlements, when set, decides again the payouts of a settlement
	// whose refund was credited otherwise or released.
	Settlements *SettlementIntake
}

// Handle applies one RefundDecided.
func (h *Refunds) Handle(ctx context.Context, m bus.Msg) error {
	tenant, msg, err := decode(h.Tenants, m)
	if err != nil {
		return err
	}
	ev, ok := msg.(*refundv1.RefundDecided)
	if !ok {
		return nil
	}
	r := ev.GetRefund()
	if r.GetAdjustmentId() == "" || r.GetKind() == refundv1.RefundKind_REFUND_KIND_REVERSAL ||
		r.GetState() == refundv1.RefundState_REFUND_STATE_DUPLICATE || r.GetState() == refundv1.RefundState_REFUND_STATE_UNSPECIFIED {
		// A duplicate sight changes nothing that was decided before.
		return nil
	}
	d := RefundDecisionOf(r)
	if err := h.Store.PutRefundDecision(ctx, tenant, d, r.GetDecidedAt().AsTime()); err != nil {
		return err
	}
	settlements, err := h.Desk.RefundDecided(ctx, tenant, d)
	if err != nil || h.Settlements == nil {
		return err
	}
	for _, id := range settlements {
		if err := h.Settlements.take(ctx, tenant, id); err != nil {
			return err
		}
	}
	return nil
}

// RefundDecisionOf is what matching keeps of refund import's decision r:
// linked, held and booked refunds; every other state is RefundUndecided
// (matching credits the refund with its payout under the shared credit
// note key).
func RefundDecisionOf(r *refundv1.Refund) queue.RefundDecision {
	d := queue.RefundDecision{AdjustmentID: r.GetAdjustmentId()}
	switch r.GetState() {
	case refundv1.RefundState_REFUND_STATE_LINKED:
		d.State, d.Reason, d.CreditNote = queue.RefundLinked, r.GetReason(), r.GetCreditNoteNumber()
	case refundv1.RefundState_REFUND_STATE_HELD:
		d.State, d.Reason = queue.RefundHeld, r.GetReason()
	case refundv1.RefundState_REFUND_STATE_BOOKED:
		d.State, d.Reason, d.CreditNote = queue.RefundBooked, r.GetReason(), r.GetCreditNoteNumber()
	}
	return d
}
