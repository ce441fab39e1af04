package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/services/matching/internal/engine"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// payersMap is a queue.Payers of fixed counterparties.
type payersMap map[string]queue.Payer

func (p payersMap) Payers(_ context.Context, _ string, ids []string) (map[string]queue.Payer, error) {
	out := map[string]queue.Payer{}
	for _, id := range ids {
		if v, ok := p[id]; ok {
			out[id] = v
		}
	}
	return out, nil
}

// TestAutomaticDecisionTeachesThePayer: given a payment from an unknown
// IBAN that names D-1's invoice RE-1001 and pays it exactly, when the engine
// books it by itself, then the decision stores what it taught (the
// counterparty id, not the IBAN) and learned_payers counts it; after a
// restart (a desk built afresh from the store) the next payment from that
// IBAN without a reference goes to D-1 on the strength of the IBAN; after
// the automatic decision is unmatched the fact is gone from
// learned_payers, and neither the same desk nor a restarted one sends the
// payer's next payment to D-1 by the IBAN.
func TestAutomaticDecisionTeachesThePayer(t *testing.T) {
	t.Parallel()
	for _, unmatch := range []bool{false, true} {
		name := "kept"
		if unmatch {
			name = "unmatched"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testAutomaticDecisionTeachesThePayer(t, unmatch)
		})
	}
}

func testAutomaticDecisionTeachesThePayer(t *testing.T, unmatch bool) {
	s, events, _ := newStore(t)
	ctx := context.Background()
	for _, ev := range []*ledgerv1.OpenItemOpened{
		opened("I-1", "D-1", "RE-1001", 11900), opened("I-2", "D-2", "RE-2001", 5000),
		opened("I-3", "D-1", "RE-1003", 6100), opened("I-4", "D-1", "RE-1004", 7300),
	} {
		if _, _, err := s.OpenItem(ctx, ev, 0); err != nil {
			t.Fatal(err)
		}
	}
	const iban = "DE02120300000000202051"
	payers := payersMap{"CP-X": {Name: "Max Mustermann", IBAN: iban}}
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	proj := s.Projection(time.Millisecond)
	load := func() Snapshot {
		t.Helper()
		if _, err := events.CatchUpProjection(ctx, proj); err != nil {
			t.Fatal(err)
		}
		snap, err := s.Snapshot(ctx, "acme", now.AddDate(0, 0, -70), now.AddDate(0, 0, -8), now.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}
	// As the service's loader: the learned facts are taught again as
	// confirmations, their counterparties resolved.
	loader := loaderFunc(func(ctx context.Context, tenant string) (queue.Snapshot, error) {
		snap := load()
		out := queue.Snapshot{Config: engine.DefaultConfig(), Items: snap.Items, Pending: snap.Pending, Decided: snap.Decided,
			Debtors: []engine.Debtor{{ID: "D-1", Name: "Beispiel GmbH", Business: true}, {ID: "D-2", Name: "Muster AG", Business: true}}}
		for _, l := range snap.Learned {
			for range l.Confirmations {
				out.History = append(out.History, engine.Confirmation{Payment: queue.WithPayer(engine.Payment{}, payers[l.Counterparty]), Debtor: l.Debtor})
			}
		}
		for _, r := range snap.Recent {
			d := r.Decision
			d.Payment = queue.WithPayer(d.Payment, payers[r.Counterparty])
			out.Recent = append(out.Recent, d)
		}
		return out, nil
	})
	newDesk := func() *queue.Desk {
		return &queue.Desk{Streams: events, Ledger: s, VATs: s, Loader: loader, Payers: payers, Now: func() time.Time { return now }}
	}
	arrive := func(id string, amount int64, remittance string) queue.Arrival {
		return queue.Arrival{Tenant: "acme", Payment: &matchingv1.Payment{PaymentId: id, TransactionId: id, Amount: eur(amount),
			BookingDate: date(2026, 11, 20), Remittance: remittance, CounterpartyId: "CP-X"}, Payer: payers["CP-X"]}
	}
	decided := func(d *queue.Desk, a queue.Arrival) *matchingv1.PaymentDecided {
		t.Helper()
		for _, err := range d.Decide(ctx, []queue.Arrival{a}) {
			if err != nil {
				t.Fatal(err)
			}
		}
		evs, err := events.ReadStream(ctx, queue.Stream("acme", a.Payment.GetPaymentId()), 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		var last *matchingv1.PaymentDecided
		for _, ev := range evs {
			if m, ok := ev.Payload.(*matchingv1.PaymentDecided); ok {
				last = m
			}
		}
		return last
	}
	toD1ByIBAN := func(m *matchingv1.PaymentDecided) bool {
		return len(m.GetProposals()) > 0 && m.GetProposals()[0].GetDebtorId() == "D-1" &&
			strings.Contains(m.GetExplanation(), "IBAN confirmed for debtor D-1")
	}

	desk := newDesk()
	first := decided(desk, arrive("TX-1", 11900, "Rechnung RE-1001"))
	if first.GetKind() != matchingv1.DecisionKind_DECISION_KIND_AUTO || first.GetProposals()[0].GetDebtorId() != "D-1" {
		t.Fatalf("TX-1 decided %v %v (%s), want booked to D-1", first.GetKind(), first.GetProposals(), first.GetExplanation())
	}
	if got := first.GetLearnedCounterpartyId(); got != "CP-X" {
		t.Errorf("TX-1 stored learned counterparty %q, want CP-X", got)
	}
	if diff := cmp.Diff([]Learned{{Counterparty: "CP-X", Debtor: "D-1", Confirmations: 1}}, load().Learned); diff != "" {
		t.Errorf("learned after the automatic decision (-want +got):\n%s", diff)
	}

	if unmatch {
		// The ledger booked TX-1, so it can be unmatched.
		if _, err := s.SettleItem(ctx, &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-1", OpenAmount: eur(0),
			Settlements: []*ledgerv1.Settlement{{SettlementId: "S-1", Amount: eur(11900), Document: "TX-1", EntryId: "PE-1",
				Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT}}}, 0); err != nil {
			t.Fatal(err)
		}
		e, err := desk.Get(ctx, "acme", "TX-1")
		if err != nil {
			t.Fatal(err)
		}
		if e.Learned != "CP-X" {
			t.Errorf("TX-1 entry learned %q, want CP-X", e.Learned)
		}
		if _, err := desk.Unmatch(ctx, "acme", "TX-1", "not Beispiel GmbH after all", e.Version, "user:clara"); err != nil {
			t.Fatal(err)
		}
		if got := load().Learned; len(got) != 0 {
			t.Errorf("learned after the unmatch: %v, want nothing", got)
		}
		if m := decided(desk, arrive("TX-2", 6100, "Zahlung")); toD1ByIBAN(m) {
			t.Errorf("same desk after the unmatch: TX-2 %v to %v (%s), want nothing learned of D-1", m.GetKind(), m.GetProposals(), m.GetExplanation())
		}
		if m := decided(newDesk(), arrive("TX-3", 7300, "Zahlung")); toD1ByIBAN(m) {
			t.Errorf("restarted after the unmatch: TX-3 %v to %v (%s), want nothing learned of D-1", m.GetKind(), m.GetProposals(), m.GetExplanation())
		}
		return
	}
	// Restart: the engine knows the payer only from the store.
	if m := decided(newDesk(), arrive("TX-2", 6100, "Zahlung")); !toD1ByIBAN(m) {
		t.Errorf("restarted: TX-2 %v to %v (%s), want D-1 by the learned IBAN", m.GetKind(), m.GetProposals(), m.GetExplanation())
	}
}
