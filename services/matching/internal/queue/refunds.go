package queue

import (
	"context"
	"fmt"
	"slices"
)

// RefundState is what refund import decided about a marketplace refund, as
// far as matching's booking of a payout depends on it.
type RefundState int

// The refund states matching tells apart. Every other decision of refund
// import (waiting, reversed, a duplicate sight) or none at all leaves the
// refund to be credited by matching with the payout, under the credit note
// key both services share, so the ledger books it once.
const (
	// RefundUndecided: refund import decided nothing that keeps matching
	// from crediting the refund.
	RefundUndecided RefundState = iota
	// RefundLinked: the shop had credited the order with a credit note of
	// the same amount, which refund import linked the refund to. The
	// shop's credit note already lowered the order's item, so matching
	// books no credit note of its own; the payout's deduction clears
	// against the lowered item.
	RefundLinked
	// RefundHeld: refund import held the refund for a person to decide
	// (an over-refund, another currency). Matching credits nothing and
	// books the payout only once a person decided.
	RefundHeld
	// RefundBooked: refund import sent the refund's credit note (the
	// command and key matching would send) when it saw the refund first.
	// Like a linked refund's, that credit note lowers the order's item, so
	// matching sends none and the deduction clears against the item.
	RefundBooked
)

// Credited reports whether a credit note other than matching's own
// credits the refund (linked to the shop's, or booked by refund import).
func (s RefundState) Credited() bool { return s == RefundLinked || s == RefundBooked }

// RefundDecision is refund import's decision about the refund with a
// marketplace adjustment id.
type RefundDecision struct {
	AdjustmentID string
	State        RefundState
	// Reason is refund import's reason, in one line.
	Reason string
	// CreditNote is the credit note that credits the refund: for a
	// linked refund the shop's, for a booked one refund import's. A linked
	// decision without one is a held refund a person dismissed in refund
	// import (ReviewRefund): no credit note credits it, and its deduction
	// stays open on the order's item with the marketplace's debtor.
	CreditNote string
}

// LowersItem reports whether a credit note other than matching's lowers
// the order's item by the refund (linked to the shop's, or booked by
// refund import), so that the settlement's deduction of it is left out of
// the engine. A dismissed refund (RefundLinked without a credit note) is
// credited by no one: its deduction stays in the engine, so the payout
// clears the item less the refund and the rest stays open.
func (r RefundDecision) LowersItem() bool {
	return r.State.Credited() && (r.State != RefundLinked || r.CreditNote != "")
}

// RefundDecisions reads refund import's decisions that matching keeps
// (linked, held and booked refunds) of a tenant. Errors are storage failures.
type RefundDecisions interface {
	RefundDecisions(ctx context.Context, tenant string) ([]RefundDecision, error)
}

// HeldRefundError says which refund of a payout refund import held and
// why. It wraps ErrRefundHeld; its text is the reason the payout waits in
// the queue.
type HeldRefundError struct {
	AdjustmentID string
	Reason       string
}

func (e *HeldRefundError) Error() string {
	return fmt.Sprintf("refund %s held by refund import: %s", e.AdjustmentID, e.Reason)
}

// Unwrap returns ErrRefundHeld.
func (e *HeldRefundError) Unwrap() error { return ErrRefundHeld }

// loadRefunds reads tenant's refund decisions into b before its
// settlements are taken in.
func (d *Desk) loadRefunds(ctx context.Context, tenant string, b *book) error {
	b.refunds = map[string]RefundDecision{}
	if d.Refunds == nil {
		return nil
	}
	ds, err := d.Refunds.RefundDecisions(ctx, tenant)
	if err != nil {
		return fmt.Errorf("refund decisions: %w", err)
	}
	for _, r := range ds {
		b.refunds[r.AdjustmentID] = r
	}
	return nil
}

// RefundDecided takes in refund import's decision r about a refund of
// tenant, which the caller stored before (RefundDecisions returns it on
// the next load). The deduction of a refund credited otherwise (linked or
// booked) in a settlement not paid out yet is taken out of the engine: the
// credit note lowered the order's item already, so the settlement's
// remaining items add up to its payout again. The deduction of a refund
// dismissed on review (linked without a credit note) stays: nothing
// lowered the item, and the payout is booked without a credit note,
// leaving the refund open on the item. It returns the settlements
// not paid out yet whose payout may be booked now (a refund credited
// otherwise, or released from being held): the caller decides their open
// payments again (Redecide).
func (d *Desk) RefundDecided(ctx context.Context, tenant string, r RefundDecision) ([]string, error) {
	b, err := d.tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	defer b.mu.Unlock()
	prev := b.refunds[r.AdjustmentID]
	if r.State == RefundUndecided {
		delete(b.refunds, r.AdjustmentID)
	} else {
		b.refunds[r.AdjustmentID] = r
	}
	freed := r.State.Credited() || prev.State == RefundHeld && r.State != RefundHeld
	var settlements []string
	for id, leg := range b.legs {
		if leg.kind != "refund" || leg.refund.AdjustmentID != r.AdjustmentID {
			continue
		}
		open, ok := b.eng.Open(id)
		if !ok || open == 0 {
			continue // paid out already
		}
		if r.LowersItem() {
			b.eng.RemoveItem(id)
			delete(b.legs, id)
		}
		if freed && !slices.Contains(settlements, leg.settlement) {
			settlements = append(settlements, leg.settlement)
		}
	}
	slices.Sort(settlements)
	return settlements, nil
}

// creditedLeg reports whether leg is the deduction of a refund a credit
// note other than matching's credits and lowered the item with
// (RefundDecision.LowersItem).
func (b *book) creditedLeg(leg settlementLeg) bool {
	return leg.kind == "refund" && leg.refund.AdjustmentID != "" && b.refunds[leg.refund.AdjustmentID].LowersItem()
}

// withRefunds returns p with refund import's decisions on its settlement's
// refunds, which Booking and PendingOf go by.
func (b *book) withRefunds(p Proposal) Proposal {
	if p.Settlement == nil || len(p.Settlement.Refunds) == 0 {
		return p
	}
	s := *p.Settlement
	s.Refunds = make([]Refund, len(p.Settlement.Refunds))
	for i, r := range p.Settlement.Refunds {
		r.Decision = b.refunds[r.AdjustmentID]
		if r.AdjustmentID == "" {
			r.Decision = RefundDecision{}
		}
		s.Refunds[i] = r
	}
	p.Settlement = &s
	return p
}
