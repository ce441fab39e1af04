package queue

import (
	"context"
	"strings"
	"testing"

	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// TestUnmatchForgetsThePayer: given a payment from an unknown IBAN matched
// to D-2 by a person (a proposal confirmed, or by hand), when the match is unmatched, then the next payment from
// that IBAN paying D-2's other invoice is neither booked nor proposed to
// D-2 on the strength of the IBAN; without the unmatch it is (the control).
func TestUnmatchForgetsThePayer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		confirm bool
		unmatch bool
	}{{"kept", false, false}, {"confirmed and kept", true, false}, {"unmatched", false, true}, {"confirmed and unmatched", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d, store, l, _ := newDesk(t)
			// Paid short of RE-2001 (naming it): proposed, not booked.
			a := arrival("TX-1", 23000, "RE-2001", "CP-2")
			a.Payer = Payer{Name: "Max Mustermann", IBAN: ibanOther}
			decide(t, d, a)
			e, err := d.Get(ctx, "acme", "TX-1")
			if err != nil {
				t.Fatal(err)
			}
			var matched Entry
			if tc.confirm {
				if len(e.Proposals) == 0 || e.Proposals[0].Debtor != "D-2" {
					t.Fatalf("proposals %+v (%s %s), want D-2's RE-2001 first", e.Proposals, e.Decision, e.Explanation)
				}
				matched, err = d.Confirm(ctx, "acme", "TX-1", 0, "", e.Version, "user:clara")
			} else {
				matched, err = d.MatchManually(ctx, "acme", "TX-1", Manual{Debtor: "D-2", Allocations: []engine.Allocation{{Item: "I-3", Amount: 23000}}},
					"", "pays for Muster AG", e.Version, "user:clara")
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.unmatch {
				l[matched.LedgerPaymentID] = "ENTRY-1"
				un, err := d.Unmatch(ctx, "acme", "TX-1", "not Muster AG after all", matched.Version, "user:clara")
				if err != nil {
					t.Fatal(err)
				}
				if why := un.Explanation; strings.Contains(why, "IBAN confirmed") {
					t.Errorf("the unmatched payment is decided again on what its own match taught: %s", why)
				}
			}
			next := arrival("TX-2", 7140, "Zahlung", "CP-2")
			next.Payer = Payer{Name: "Max Mustermann", IBAN: ibanOther}
			decide(t, d, next)
			dec := streamOf(t, store, "TX-2")[0].(*matchingv1.PaymentDecided)
			toD2 := len(dec.GetProposals()) > 0 && dec.GetProposals()[0].GetDebtorId() == "D-2"
			taught := strings.Contains(dec.GetExplanation(), "IBAN confirmed for debtor D-2")
			if tc.unmatch && (taught || toD2 && dec.GetKind() == matchingv1.DecisionKind_DECISION_KIND_AUTO) {
				t.Errorf("after the unmatch the next payment from the IBAN: %v to %v (%s), want nothing learned of D-2",
					dec.GetKind(), dec.GetProposals(), dec.GetExplanation())
			}
			if !tc.unmatch && (!toD2 || !taught) {
				t.Errorf("with the match standing the next payment from the IBAN: %v to %v (%s), want D-2 by the confirmed IBAN",
					dec.GetKind(), dec.GetProposals(), dec.GetExplanation())
			}
		})
	}
}
