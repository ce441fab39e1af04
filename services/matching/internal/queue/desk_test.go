package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/memstore"
	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// snapshot is a Loader of a fixed snapshot.
type snapshot struct {
	s     Snapshot
	mu    sync.Mutex
	loads int
}

func (l *snapshot) Load(context.Context, string) (Snapshot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loads++
	return l.s, nil
}

// ledger is a Ledger whose bookings a test sets.
type ledger map[string]string

func (l ledger) Booking(_ context.Context, _, id string) (string, bool, error) {
	return l[id], false, nil
}

// payers is a Payers of fixed counterparties.
type payers map[string]Payer

func (p payers) Payers(_ context.Context, _ string, ids []string) (map[string]Payer, error) {
	out := map[string]Payer{}
	for _, id := range ids {
		if v, ok := p[id]; ok {
			out[id] = v
		}
	}
	return out, nil
}

const (
	ibanD1    = "DE89370400440532013000"
	ibanOther = "DE02120300000000202051"
)

func item(id, debtor, doc string, amount int64) engine.OpenItem {
	return engine.OpenItem{ID: id, Debtor: debtor, DocumentNumber: doc, Amount: money.MustNew(amount, "EUR"), Open: amount,
		IssueDate: day.AddDate(0, 0, -20), DueDate: day.AddDate(0, 0, 10)}
}

// newDesk returns a desk over a fresh memory store, with debtors D-1
// (Beispiel GmbH, IBAN known) and D-2 (Muster AG), and their invoices.
func newDesk(t testing.TB) (*Desk, *memstore.Store, ledger, *snapshot) {
	t.Helper()
	store := memstore.New(func() time.Time { return day })
	l := ledger{}
	snap := &snapshot{s: Snapshot{
		Config: engine.DefaultConfig(),
		Items: []engine.OpenItem{
			item("I-1", "D-1", "RE-1001", 11900), item("I-2", "D-1", "RE-1002", 5950),
			item("I-3", "D-2", "RE-2001", 23800), item("I-4", "D-2", "RE-2002", 7140),
		},
		Debtors: []engine.Debtor{
			{ID: "D-1", Name: "Beispiel GmbH", IBANs: []string{ibanD1}, Business: true},
			{ID: "D-2", Name: "Muster AG", Business: true},
		},
	}}
	d := &Desk{Streams: store, Ledger: l, Loader: snap, Now: func() time.Time { return day.Add(9 * time.Hour) },
		Payers: payers{"CP-1": {Name: "Beispiel GmbH", IBAN: ibanD1}, "CP-2": {Name: "Max Mustermann", IBAN: ibanOther}}}
	return d, store, l, snap
}

func arrival(id string, amount int64, remittance, counterparty string) Arrival {
	return Arrival{Tenant: "acme", Payment: &matchingv1.Payment{
		PaymentId: id, TransactionId: id, AccountIban: "DE44500105175407324931", Amount: eurMsg(amount),
		BookingDate: dateMsg(day), ValueDate: dateMsg(day), Remittance: remittance, CounterpartyId: counterparty,
	}}
}

func streamOf(t testing.TB, store *memstore.Store, id string) []proto.Message {
	t.Helper()
	evs, err := store.ReadStream(context.Background(), Stream("acme", id), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []proto.Message
	for _, ev := range evs {
		out = append(out, ev.Payload)
	}
	return out
}

func decide(t testing.TB, d *Desk, as ...Arrival) {
	t.Helper()
	for i, err := range d.Decide(context.Background(), as) {
		if err != nil {
			t.Fatalf("arrival %d: %v", i, err)
		}
	}
}

// TestDecideAutoBooksOnceAndKeysByTransaction: given an invoice RE-1001 of
// 119.00, when its payment arrives naming it from the debtor's known IBAN,
// then the decision is stored with the ApplyPayment keyed by the
// transaction id; when the same transaction comes again, nothing new is
// stored.
func TestDecideAutoBooksOnceAndKeysByTransaction(t *testing.T) {
	t.Parallel()
	d, store, _, _ := newDesk(t)
	a := arrival("TX-1", 11900, "SVWZ+RE-1001 Danke", "CP-1")
	a.Payer = Payer{Name: "Beispiel GmbH", IBAN: ibanD1}
	decide(t, d, a)
	got := streamOf(t, store, "TX-1")
	if len(got) != 2 {
		t.Fatalf("stream has %d events, want the decision and the ApplyPayment: %v", len(got), got)
	}
	dec := got[0].(*matchingv1.PaymentDecided)
	if dec.GetKind() != matchingv1.DecisionKind_DECISION_KIND_AUTO {
		t.Fatalf("decision %v (%s), want auto", dec.GetKind(), dec.GetExplanation())
	}
	want := &ledgerv1.ApplyPayment{Tenant: "acme", IdempotencyKey: "matching:TX-1", PaymentId: "TX-1", DebtorId: "D-1",
		Amount: eurMsg(11900), ValueDate: dateMsg(day), ClearingAccount: "unidentified-receipts",
		Allocations: []*ledgerv1.Allocation{{OpenItemId: "I-1", Amount: eurMsg(11900)}}}
	if diff := cmp.Diff(want, got[1], protocmp.Transform()); diff != "" {
		t.Errorf("command (-want +got):\n%s", diff)
	}
	decide(t, d, a)
	if again := streamOf(t, store, "TX-1"); len(again) != 2 {
		t.Errorf("after a redelivery the stream has %d events, want 2", len(again))
	}
	// The engine consumed the item: the same amount again finds nothing
	// open on RE-1001.
	decide(t, d, arrival("TX-2", 11900, "RE-1001", "CP-1"))
	if k := streamOf(t, store, "TX-2")[0].(*matchingv1.PaymentDecided).GetKind(); k == matchingv1.DecisionKind_DECISION_KIND_AUTO {
		t.Errorf("a second payment of a paid invoice was booked automatically")
	}
}

// TestConfirmTeachesThePayer: given a payment from an unknown IBAN that
// names no invoice, when a person confirms a proposal (or matches it by
// hand), then PaymentMatched is stored with the ApplyPayment and the actor,
// and the next payment from that IBAN is recognised as the debtor's.
func TestConfirmTeachesThePayer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, store, _, _ := newDesk(t)
	a := arrival("TX-1", 23800, "Zahlung", "CP-2")
	a.Payer = Payer{Name: "Max Mustermann", IBAN: ibanOther}
	decide(t, d, a)
	e, err := d.Get(ctx, "acme", "TX-1")
	if err != nil {
		t.Fatal(err)
	}
	if e.State != Open {
		t.Fatalf("state %s (%s), want open", e.State, e.Explanation)
	}
	matched, err := d.MatchManually(ctx, "acme", "TX-1", Manual{Debtor: "D-2", Allocations: []engine.Allocation{{Item: "I-3", Amount: 23800}}},
		"", "pays for Muster AG", e.Version, "user:clara")
	if err != nil {
		t.Fatal(err)
	}
	if matched.State != Matched || matched.Actor != "user:clara" || matched.Resolution != ResolutionManual {
		t.Errorf("after the match: state %s actor %q resolution %q", matched.State, matched.Actor, matched.Resolution)
	}
	got := streamOf(t, store, "TX-1")
	if ap, ok := got[len(got)-1].(*ledgerv1.ApplyPayment); !ok || ap.GetDebtorId() != "D-2" || ap.GetIdempotencyKey() != "matching:TX-1" {
		t.Errorf("last event %v, want the ApplyPayment for D-2", got[len(got)-1])
	}
	next := arrival("TX-2", 7140, "Zahlung", "CP-2")
	next.Payer = Payer{Name: "Max Mustermann", IBAN: ibanOther}
	decide(t, d, next)
	dec := streamOf(t, store, "TX-2")[0].(*matchingv1.PaymentDecided)
	if len(dec.GetProposals()) == 0 || dec.GetProposals()[0].GetDebtorId() != "D-2" {
		t.Errorf("the next payment from the IBAN: %v (%s), want D-2 proposed", dec.GetProposals(), dec.GetExplanation())
	}
	// A stale version is refused.
	if _, err := d.Park(ctx, "acme", "TX-2", "ask", 7, "user:clara"); !errors.Is(err, ErrChanged) {
		t.Errorf("park with a stale version: %v, want %v", err, ErrChanged)
	}
}

// TestParkSplitAndUnmatch walks a payment through the queue: parked with a
// note, split into two parts (each decided by the engine), and a booked
// part unmatched once the ledger reported its entry.
func TestParkSplitAndUnmatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, store, l, _ := newDesk(t)
	a := arrival("TX-1", 11900+23800, "RE-1001 RE-2001", "")
	decide(t, d, a)
	e, err := d.Get(ctx, "acme", "TX-1")
	if err != nil {
		t.Fatal(err)
	}
	if e.State != Open {
		t.Fatalf("a payment for two debtors: state %s (%s), want open", e.State, e.Explanation)
	}
	if e, err = d.Park(ctx, "acme", "TX-1", "asked the bank", 0, "user:clara"); err != nil || e.State != Parked || e.Note != "asked the bank" {
		t.Fatalf("park: %v, %s %q", err, e.State, e.Note)
	}
	parent, parts, err := d.Split(ctx, "acme", "TX-1", []int64{11900, 23800}, "two customers", e.Version, "user:clara")
	if err != nil {
		t.Fatal(err)
	}
	if parent.State != Split || len(parent.Parts) != 2 || len(parts) != 2 {
		t.Fatalf("split: parent %s parts %v", parent.State, parent.Parts)
	}
	for _, p := range parts {
		if p.Parent != "TX-1" {
			t.Errorf("part %s has parent %q", p.Payment.ID, p.Parent)
		}
	}
	part := parts[0]
	if part.State != Matched {
		// The part names RE-1001 and pays it exactly; if the engine left it
		// open, confirm its best proposal.
		if part, err = d.Confirm(ctx, "acme", part.Payment.ID, 0, "", 0, "user:clara"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Unmatch(ctx, "acme", part.Payment.ID, "wrong", 0, "user:clara"); !errors.Is(err, ErrNotBooked) {
		t.Fatalf("unmatch before the ledger booked it: %v, want %v", err, ErrNotBooked)
	}
	l[part.LedgerPaymentID] = "ENTRY-1"
	un, err := d.Unmatch(ctx, "acme", part.Payment.ID, "wrong customer", 0, "user:clara")
	if err != nil {
		t.Fatal(err)
	}
	if un.State != Open || un.Bookings != 1 || un.Actor != "user:clara" {
		t.Errorf("after unmatch: state %s bookings %d actor %q", un.State, un.Bookings, un.Actor)
	}
	var rev *ledgerv1.ReverseEntry
	for _, m := range streamOf(t, store, part.Payment.ID) {
		if r, ok := m.(*ledgerv1.ReverseEntry); ok {
			rev = r
		}
	}
	if rev.GetEntryId() != "ENTRY-1" || rev.GetIdempotencyKey() != "matching:unmatch:"+part.LedgerPaymentID {
		t.Errorf("reverse entry %v", rev)
	}
	// Booked again, it gets a ledger payment id of its own.
	again, err := d.Confirm(ctx, "acme", part.Payment.ID, 0, "", 0, "user:clara")
	if err != nil {
		t.Fatal(err)
	}
	if again.LedgerPaymentID != part.Payment.ID+"#2" {
		t.Errorf("second booking under %q, want %q", again.LedgerPaymentID, part.Payment.ID+"#2")
	}
}

// TestItemChanged: given an auto match sent and not yet booked, when the
// ledger reports a credit note on the item before the payment, then the
// engine holds the ledger's amount less the pending allocation; once the
// payment's settlement arrives, the ledger's amount.
func TestItemChanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _, _, _ := newDesk(t)
	a := arrival("TX-1", 5000, "RE-1001 Teilzahlung", "CP-1")
	a.Payer = Payer{Name: "Beispiel GmbH", IBAN: ibanD1}
	decide(t, d, a)
	b, _ := d.tenant(ctx, "acme")
	open, _ := b.eng.Open("I-1")
	b.mu.Unlock()
	if open != 11900-5000 {
		t.Skipf("the engine did not book the partial payment (open %d); nothing pending to test", open)
	}
	if err := d.ItemChanged(ctx, "acme", "I-1", 11900-1000, []string{"CN-1"}, nil); err != nil {
		t.Fatal(err)
	}
	b, _ = d.tenant(ctx, "acme")
	open, _ = b.eng.Open("I-1")
	b.mu.Unlock()
	if open != 11900-1000-5000 {
		t.Errorf("after the credit note: open %d, want %d", open, 11900-1000-5000)
	}
	if err := d.ItemChanged(ctx, "acme", "I-1", 11900-1000-5000, []string{"TX-1"}, nil); err != nil {
		t.Fatal(err)
	}
	b, _ = d.tenant(ctx, "acme")
	defer b.mu.Unlock()
	if open, _ = b.eng.Open("I-1"); open != 5900 || len(b.pending["I-1"]) != 0 {
		t.Errorf("after the payment: open %d pending %v, want 5900 and none", open, b.pending["I-1"])
	}
}

// TestPendingRefusedByTheLedgerExpires: given a partial payment sent to the
// ledger, when the ledger reports the item again more than PendingTTL
// later without the payment's settlement (it refused the command), then
// the engine holds what the ledger says is open.
func TestPendingRefusedByTheLedgerExpires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _, _, _ := newDesk(t)
	clock := day.Add(9 * time.Hour)
	d.Now = func() time.Time { return clock }
	a := arrival("TX-1", 5000, "RE-1001 Teilzahlung", "CP-1")
	a.Payer = Payer{Name: "Beispiel GmbH", IBAN: ibanD1}
	decide(t, d, a)
	open := func() int64 {
		b, _ := d.tenant(ctx, "acme")
		defer b.mu.Unlock()
		o, _ := b.eng.Open("I-1")
		return o
	}
	if open() != 11900-5000 {
		t.Skipf("the engine did not book the partial payment (open %d)", open())
	}
	if err := d.ItemChanged(ctx, "acme", "I-1", 11900-1000, []string{"CN-1"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := open(); got != 11900-1000-5000 {
		t.Fatalf("within the TTL: open %d, want %d", got, 11900-1000-5000)
	}
	clock = clock.Add(PendingTTL + time.Minute)
	if err := d.ItemChanged(ctx, "acme", "I-1", 11900-2000, []string{"CN-2"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := open(); got != 11900-2000 {
		t.Errorf("after the TTL: open %d, want the ledger's %d", got, 11900-2000)
	}
}
