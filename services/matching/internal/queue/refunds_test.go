package queue

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/creditnote"
	"github.com/o2c-platform/o2c/libs/eventstore/memstore"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// refundDecisions is a RefundDecisions of fixed decisions.
type refundDecisions []RefundDecision

func (r refundDecisions) RefundDecisions(context.Context, string) ([]RefundDecision, error) {
	return r, nil
}

// The marketplace debtor of the payout tests.
const amazonDE = "marketplace:amazon.de:EUR"

// refundPosted is the day Amazon posted refund ADJ-1.
var refundPosted = time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC)

// refundReport is a settlement of orders O-1 (119.00) and O-2 (59.50),
// their commissions (26.78) and a refund ADJ-1 of 20.00 on O-2, posted on
// refundPosted: it pays out 131.72.
var refundReport = Report{ID: "S-7", Marketplace: "amazon", Currency: "EUR", Total: 13172, HasTotal: true, Deposit: day,
	Lines: []*ingestionv1.SettlementLine{
		sline("Order", "O-1", "", "ItemPrice", "Principal", 10000), sline("Order", "O-1", "", "ItemPrice", "Tax", 1900),
		sline("Order", "O-1", "", "ItemFees", "Commission", -1785),
		sline("Order", "O-2", "", "ItemPrice", "Principal", 5000), sline("Order", "O-2", "", "ItemPrice", "Tax", 950),
		sline("Order", "O-2", "", "ItemFees", "Commission", -893),
		posted(sline("Refund", "O-2", "ADJ-1", "ItemPrice", "Principal", -1681)), posted(sline("Refund", "O-2", "ADJ-1", "ItemPrice", "Tax", -319)),
	}}

// posted gives l refundPosted as its posted date.
func posted(l *ingestionv1.SettlementLine) *ingestionv1.SettlementLine {
	l.PostedDate = dateMsg(refundPosted)
	return l
}

// payoutDesk returns a desk whose marketplace debtor has the items of
// orders O-1 and O-2, with open2 open on O-2 (less than 59.50 when the
// shop credited it), refund import's decisions, and the settlement report
// taken in at load (or, with late set, not: the test puts it).
func payoutDesk(t testing.TB, open2 int64, decisions refundDecisions, late bool) (*Desk, *memstore.Store) {
	t.Helper()
	order := func(id, orderID string, amount, open int64) engine.OpenItem {
		it := item(id, amazonDE, "RE-"+orderID, amount)
		it.OrderID, it.Channel, it.Open = orderID, "amazon.de", open
		return it
	}
	i1, i2 := order("I-1", "O-1", 11900, 11900), order("I-2", "O-2", 5950, open2)
	snap := &snapshot{s: Snapshot{Config: engine.DefaultConfig(), Items: []engine.OpenItem{i1, i2}}}
	orders := map[string]engine.OpenItem{"O-1": i1, "O-2": i2}
	if !late {
		snap.s.Settlements = []SettlementInput{{Report: refundReport, Orders: orders}}
	}
	store := memstore.New(func() time.Time { return day })
	d := &Desk{Streams: store, Ledger: ledger{}, Loader: snap, Refunds: decisions, Now: func() time.Time { return day.Add(9 * time.Hour) },
		Payers: payers{"CP-A": {Name: "Amazon Payments Europe S.C.A.", IBAN: ibanOther}}}
	if late {
		if err := d.PutSettlement(context.Background(), "acme", refundReport, orders); err != nil {
			t.Fatal(err)
		}
	}
	return d, store
}

// creditNotes returns the credit notes among msgs.
func creditNotes(msgs []proto.Message) []*ledgerv1.IssueCreditNote {
	var out []*ledgerv1.IssueCreditNote
	for _, m := range msgs {
		if cn, ok := m.(*ledgerv1.IssueCreditNote); ok {
			out = append(out, cn)
		}
	}
	return out
}

// applied returns the ApplyPayment's allocations among msgs, by item.
func applied(msgs []proto.Message) map[string]int64 {
	out := map[string]int64{}
	for _, m := range msgs {
		if ap, ok := m.(*ledgerv1.ApplyPayment); ok {
			for _, a := range ap.GetAllocations() {
				out[a.GetOpenItemId()] += a.GetAmount().GetMinorUnits()
			}
		}
	}
	return out
}

// TestPayoutRefundDecisions reads as: given refund import's decision about
// the refund a settlement deducts (none, linked to the shop's credit note
// before or after the settlement came, booked by refund import, held),
// when the payout naming the settlement arrives, then matching books it
// with one credit note of the refund, without any (the other credit note
// lowered the item: the payout clears what is left), or not at all (the
// payout waits in the queue with refund import's reason).
func TestPayoutRefundDecisions(t *testing.T) {
	t.Parallel()
	linked := RefundDecision{AdjustmentID: "ADJ-1", State: RefundLinked, CreditNote: "GS-7",
		Reason: "the shop credited order O-2 with credit note GS-7 of the same amount"}
	held := RefundDecision{AdjustmentID: "ADJ-1", State: RefundHeld,
		Reason: "over-refund: 59.50 EUR of order O-2 invoiced, 50.00 EUR credited already"}
	tests := []struct {
		name      string
		open2     int64 // open on O-2's item: 59.50 less the shop's credit note
		decisions refundDecisions
		late      RefundDecision // decided after the settlement was taken in
		wantKind  matchingv1.DecisionKind
		wantCNs   []string
		wantAlloc map[string]int64
		wantWhy   string
	}{
		{name: "undecided refund is credited by matching", open2: 5950, wantKind: matchingv1.DecisionKind_DECISION_KIND_AUTO,
			wantCNs: []string{"amazon-refund:ADJ-1"}, wantAlloc: map[string]int64{"I-1": 11900, "I-2": 3950}},
		{name: "linked refund gets no second credit note", open2: 3950, decisions: refundDecisions{linked},
			wantKind: matchingv1.DecisionKind_DECISION_KIND_AUTO, wantAlloc: map[string]int64{"I-1": 11900, "I-2": 3950}},
		{name: "refund linked after the settlement came gets no second credit note", open2: 3950, late: linked,
			wantKind: matchingv1.DecisionKind_DECISION_KIND_AUTO, wantAlloc: map[string]int64{"I-1": 11900, "I-2": 3950}},
		{name: "refund booked by refund import first gets no second credit note", open2: 3950,
			decisions: refundDecisions{{AdjustmentID: "ADJ-1", State: RefundBooked, CreditNote: "amazon-refund:ADJ-1"}},
			wantKind:  matchingv1.DecisionKind_DECISION_KIND_AUTO, wantAlloc: map[string]int64{"I-1": 11900, "I-2": 3950}},
		{name: "refund dismissed on review gets no credit note; the deduction stays open on the item", open2: 5950,
			decisions: refundDecisions{{AdjustmentID: "ADJ-1", State: RefundLinked, Reason: "dismissed on review by user:clara"}},
			wantKind:  matchingv1.DecisionKind_DECISION_KIND_AUTO, wantAlloc: map[string]int64{"I-1": 11900, "I-2": 3950}},
		{name: "held refund keeps the payout in the queue", open2: 5950, decisions: refundDecisions{held},
			wantKind: matchingv1.DecisionKind_DECISION_KIND_PROPOSED, wantAlloc: map[string]int64{},
			wantWhy: "refund ADJ-1 held by refund import: " + held.Reason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d, store := payoutDesk(t, tt.open2, tt.decisions, tt.late.State != RefundUndecided)
			if tt.late.State != RefundUndecided {
				if _, err := d.RefundDecided(ctx, "acme", tt.late); err != nil {
					t.Fatal(err)
				}
			}
			decide(t, d, arrival("TX-P", 13172, "Amazon Payments Europe S-7", "CP-A"))
			msgs := streamOf(t, store, "TX-P")
			dec := msgs[0].(*matchingv1.PaymentDecided)
			if dec.GetKind() != tt.wantKind {
				t.Fatalf("decided %v (%s), want %v", dec.GetKind(), dec.GetExplanation(), tt.wantKind)
			}
			var cns []string
			for _, cn := range creditNotes(msgs) {
				cns = append(cns, cn.GetIdempotencyKey())
			}
			if diff := cmp.Diff(tt.wantCNs, cns); diff != "" {
				t.Errorf("credit notes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAlloc, applied(msgs)); diff != "" {
				t.Errorf("allocations (-want +got):\n%s", diff)
			}
			if tt.wantWhy != "" && !strings.Contains(dec.GetExplanation(), tt.wantWhy) {
				t.Errorf("explanation %q, want it to say %q", dec.GetExplanation(), tt.wantWhy)
			}
		})
	}
}

// TestHeldRefundRefusesConfirm: a clerk who confirms a payout whose refund
// refund import held is refused with the reason; nothing is booked.
func TestHeldRefundRefusesConfirm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	held := RefundDecision{AdjustmentID: "ADJ-1", State: RefundHeld, Reason: "refund in GBP, order O-2 invoiced in EUR"}
	d, store := payoutDesk(t, 5950, refundDecisions{held}, false)
	decide(t, d, arrival("TX-P", 13172, "Amazon Payments Europe S-7", "CP-A"))
	e, err := d.Get(ctx, "acme", "TX-P")
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Confirm(ctx, "acme", "TX-P", 0, "", e.Version, "clerk")
	var h *HeldRefundError
	if !errors.Is(err, ErrRefundHeld) || !errors.As(err, &h) || h.AdjustmentID != "ADJ-1" || h.Reason != held.Reason {
		t.Fatalf("confirm: %v, want the held refund ADJ-1 with its reason", err)
	}
	if n := len(streamOf(t, store, "TX-P")); n != 1 {
		t.Errorf("%d events stored, want only the decision", n)
	}
}

// TestUndecidedRefundCreditNoteIsRefundImports: the credit note matching
// issues for a refund no decision was known of is the command refund
// import builds for the same refund (creditnote.ForRefund: same number,
// idempotency key and content), so when refund import sees the refund
// later and sends its own, the ledger books nothing a second time.
func TestUndecidedRefundCreditNoteIsRefundImports(t *testing.T) {
	t.Parallel()
	d, store := payoutDesk(t, 5950, nil, false)
	decide(t, d, arrival("TX-P", 13172, "Amazon Payments Europe S-7", "CP-A"))
	cns := creditNotes(streamOf(t, store, "TX-P"))
	if len(cns) != 1 {
		t.Fatalf("%d credit notes, want 1", len(cns))
	}
	// Refund import's, for the refund as the Finances API reports it
	// (posted a few hours into the day the report names).
	want, err := creditnote.ForRefund("acme", amazonDE, "ADJ-1", 2000, creditnote.Item{ID: "I-2", Currency: "EUR"}, refundPosted.Add(7*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, cns[0], protocmp.Transform()); diff != "" {
		t.Errorf("credit note (-refund import's +matching's):\n%s", diff)
	}
	if got := cns[0].GetIdempotencyKey(); got != creditnote.Key("ADJ-1") {
		t.Errorf("idempotency key %q, want %q", got, creditnote.Key("ADJ-1"))
	}
}

// TestRefundDecidedFreesAWaitingPayout reads as: given a payout waiting in
// the queue because of its settlement's refund (the shop's credit note
// lowered the order's item and refund import had not linked the refund
// yet; or refund import held it), when refund import links the refund (or
// books it after all), then RefundDecided names the settlement, and the
// payout decided again is booked: without a credit note of the linked
// refund, with one of the released refund.
func TestRefundDecidedFreesAWaitingPayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		open2     int64
		before    refundDecisions
		after     RefundDecision
		wantCNs   []string
		wantAlloc map[string]int64
	}{
		{name: "linked", open2: 3950, after: RefundDecision{AdjustmentID: "ADJ-1", State: RefundLinked, CreditNote: "GS-7"},
			wantAlloc: map[string]int64{"I-1": 11900, "I-2": 3950}},
		{name: "released", open2: 5950, before: refundDecisions{{AdjustmentID: "ADJ-1", State: RefundHeld, Reason: "over-refund"}},
			after: RefundDecision{AdjustmentID: "ADJ-1"}, wantCNs: []string{"amazon-refund:ADJ-1"}, wantAlloc: map[string]int64{"I-1": 11900, "I-2": 3950}},
		// A held refund reviewed in refund import (ReviewRefund): booked,
		// its credit note is refund import's; dismissed, it is linked
		// without a credit note and the deduction stays open on the
		// order's item (20.00 of the marketplace's debtor).
		{name: "booked on review", open2: 3950, before: refundDecisions{{AdjustmentID: "ADJ-1", State: RefundHeld, Reason: "over-refund"}},
			after:     RefundDecision{AdjustmentID: "ADJ-1", State: RefundBooked, CreditNote: "amazon-refund:ADJ-1", Reason: "booked on review by user:clara"},
			wantAlloc: map[string]int64{"I-1": 11900, "I-2": 3950}},
		{name: "dismissed on review", open2: 5950, before: refundDecisions{{AdjustmentID: "ADJ-1", State: RefundHeld, Reason: "over-refund"}},
			after:     RefundDecision{AdjustmentID: "ADJ-1", State: RefundLinked, Reason: "dismissed on review by user:clara"},
			wantAlloc: map[string]int64{"I-1": 11900, "I-2": 3950}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d, store := payoutDesk(t, tt.open2, tt.before, false)
			decide(t, d, arrival("TX-P", 13172, "Amazon Payments Europe S-7", "CP-A"))
			if k := streamOf(t, store, "TX-P")[0].(*matchingv1.PaymentDecided).GetKind(); k == matchingv1.DecisionKind_DECISION_KIND_AUTO {
				t.Fatalf("before the decision the payout is %v, want it waiting in the queue", k)
			}
			settlements, err := d.RefundDecided(ctx, "acme", tt.after)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"S-7"}, settlements); diff != "" {
				t.Fatalf("settlements to decide again (-want +got):\n%s", diff)
			}
			if err := d.Redecide(ctx, "acme", "TX-P"); err != nil {
				t.Fatal(err)
			}
			msgs := streamOf(t, store, "TX-P")[1:]
			if len(msgs) == 0 {
				t.Fatal("nothing decided again")
			}
			if k := msgs[0].(*matchingv1.PaymentDecided).GetKind(); k != matchingv1.DecisionKind_DECISION_KIND_AUTO {
				t.Fatalf("decided again %v (%s), want auto", k, msgs[0].(*matchingv1.PaymentDecided).GetExplanation())
			}
			var cns []string
			for _, cn := range creditNotes(msgs) {
				cns = append(cns, cn.GetIdempotencyKey())
			}
			if diff := cmp.Diff(tt.wantCNs, cns); diff != "" {
				t.Errorf("credit notes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAlloc, applied(msgs)); diff != "" {
				t.Errorf("allocations (-want +got):\n%s", diff)
			}
		})
	}
}
