package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// TestRefundDecisions: given refund import's decisions in the order they
// come (a redelivered older one among them), the store keeps the latest
// linked, held or booked decision per adjustment id, and a later decision
// matching does not keep (waiting, reversed) takes a held refund off.
func TestRefundDecisions(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	put := func(tenant string, d queue.RefundDecision, at time.Time) {
		t.Helper()
		if err := s.PutRefundDecision(ctx, tenant, d, at); err != nil {
			t.Fatal(err)
		}
	}
	linked := queue.RefundDecision{AdjustmentID: "ADJ-1", State: queue.RefundLinked, Reason: "the shop credited order O-1", CreditNote: "GS-7"}
	held := queue.RefundDecision{AdjustmentID: "ADJ-2", State: queue.RefundHeld, Reason: "over-refund"}
	booked := queue.RefundDecision{AdjustmentID: "ADJ-5", State: queue.RefundBooked, CreditNote: "amazon-refund:ADJ-5"}
	put("acme", linked, t0)
	put("acme", held, t0)
	put("acme", booked, t0)
	put("acme", queue.RefundDecision{AdjustmentID: "ADJ-3", State: queue.RefundHeld, Reason: "other currency"}, t0)
	put("acme", queue.RefundDecision{AdjustmentID: "ADJ-3"}, t0.Add(time.Hour))            // waiting (undecided) later
	put("acme", queue.RefundDecision{AdjustmentID: "ADJ-2"}, t0.Add(-time.Hour))           // an older decision redelivered
	put("acme", queue.RefundDecision{AdjustmentID: "ADJ-4"}, t0)                           // waiting: nothing kept
	put("other", queue.RefundDecision{AdjustmentID: "ADJ-1", State: queue.RefundHeld}, t0) // another tenant's
	got, err := s.RefundDecisions(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]queue.RefundDecision{linked, held, booked}, got); diff != "" {
		t.Errorf("RefundDecisions (-want +got):\n%s", diff)
	}
}
