package queue

import (
	"context"
	"strings"
	"testing"

	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
)

// TestUnmatchForgetsWhatAnAutomaticDecisionTaught: given a payment from an
// unknown IBAN that names D-2's RE-2001 and pays it exactly, when the
// engine books it, then its PaymentDecided stores the counterparty it
// taught (CP-2, not the IBAN), the entry and the projection's row carry
// it, and the payer's next payment without a reference goes to D-2 by the
// IBAN; when the automatic decision is unmatched, it no longer does.
func TestUnmatchForgetsWhatAnAutomaticDecisionTaught(t *testing.T) {
	t.Parallel()
	for _, unmatch := range []bool{false, true} {
		name := "kept"
		if unmatch {
			name = "unmatched"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d, store, l, _ := newDesk(t)
			a := arrival("TX-1", 23800, "Rechnung RE-2001", "CP-2")
			a.Payer = Payer{Name: "Max Mustermann", IBAN: ibanOther}
			decide(t, d, a)
			dec := streamOf(t, store, "TX-1")[0].(*matchingv1.PaymentDecided)
			if dec.GetKind() != matchingv1.DecisionKind_DECISION_KIND_AUTO || dec.GetLearnedCounterpartyId() != "CP-2" {
				t.Fatalf("TX-1 decided %v, learned %q (%s); want booked, learned CP-2", dec.GetKind(), dec.GetLearnedCounterpartyId(), dec.GetExplanation())
			}
			e, err := d.Get(ctx, "acme", "TX-1")
			if err != nil {
				t.Fatal(err)
			}
			if e.Learned != "CP-2" {
				t.Errorf("entry learned %q, want CP-2", e.Learned)
			}
			if got := Resume("acme", ExceptionMsg(e)); got.Learned != e.Learned {
				t.Errorf("the projection's row loses what was learned: %q, want %q", got.Learned, e.Learned)
			}
			if unmatch {
				l[e.LedgerPaymentID] = "ENTRY-1"
				un, err := d.Unmatch(ctx, "acme", "TX-1", "not Muster AG after all", e.Version, "user:clara")
				if err != nil {
					t.Fatal(err)
				}
				if un.Learned != "" {
					t.Errorf("entry learned %q after the unmatch, want nothing", un.Learned)
				}
			}
			next := arrival("TX-2", 7140, "Zahlung", "CP-2")
			next.Payer = Payer{Name: "Max Mustermann", IBAN: ibanOther}
			decide(t, d, next)
			got := streamOf(t, store, "TX-2")[0].(*matchingv1.PaymentDecided)
			taught := len(got.GetProposals()) > 0 && got.GetProposals()[0].GetDebtorId() == "D-2" &&
				strings.Contains(got.GetExplanation(), "IBAN confirmed for debtor D-2")
			if unmatch && taught {
				t.Errorf("after the unmatch TX-2: %v to %v (%s), want nothing learned of D-2", got.GetKind(), got.GetProposals(), got.GetExplanation())
			}
			if !unmatch && !taught {
				t.Errorf("with the automatic match standing TX-2: %v to %v (%s), want D-2 by the learned IBAN", got.GetKind(), got.GetProposals(), got.GetExplanation())
			}
		})
	}
}
