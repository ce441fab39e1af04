package books

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// unfold returns evs as streams written before 7 December 2026 hold them:
// each OpenItemOpened without its classification, followed by the
// classification as a separate OpenItemClassified.
func unfold(tb testing.TB, evs []proto.Message) []proto.Message {
	tb.Helper()
	var out []proto.Message
	for _, ev := range evs {
		o, ok := ev.(*ledgerv1.OpenItemOpened)
		if !ok || o.GetClassification() == nil {
			out = append(out, ev)
			continue
		}
		o = proto.CloneOf(o)
		c := o.GetClassification()
		o.Classification = nil
		out = append(out, o, c)
	}
	return out
}

// TestFoldedClassificationReadsAsTheSeparateEvent: given the same bookings
// as a stream of today (the classification inside OpenItemOpened) and as
// an older stream (a separate OpenItemClassified after each opening), the
// books built from either hold the same items and entries, and the next
// command decides the same events and status facts on both.
func TestFoldedClassificationReadsAsTheSeparateEvent(t *testing.T) {
	t.Parallel()
	steps := []step{
		invoice("RE-1", "C-1", 10000, date(2026, 11, 30)),
		invoice("RE-2", "C-1", 5000, date(2026, 11, 30)),
		charge("FEE-1", "C-1", "RE-1", ledgerv1.ChargeKind_CHARGE_KIND_DUNNING_FEE, 500),
		creditNote("CN-1", "C-1", "RE-2", 6000),
	}
	l := New(tenant, testConfig())
	var folded []proto.Message
	for i, s := range steps {
		evs, err := s(l)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if err := l.Apply(evs...); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		folded = append(folded, evs...)
	}
	var costs bool
	for _, ev := range folded {
		switch e := ev.(type) {
		case *ledgerv1.OpenItemClassified:
			t.Fatalf("the ledger stored a separate %v", e)
		case *ledgerv1.OpenItemOpened:
			if e.GetClassification() == nil {
				t.Fatalf("%s opened without its classification", e.GetDocumentNumber())
			}
			costs = costs || e.GetClassification().GetComponent() == ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS
		}
	}
	if !costs {
		t.Fatal("no item classified as costs: the streams would not tell the forms apart")
	}

	now, old := New(tenant, testConfig()), New(tenant, testConfig())
	if err := now.Apply(folded...); err != nil {
		t.Fatal(err)
	}
	if err := old.Apply(unfold(t, folded)...); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l.Items(), now.Items()); diff != "" {
		t.Errorf("items from today's stream (-decided +replayed):\n%s", diff)
	}
	if diff := cmp.Diff(now.Items(), old.Items()); diff != "" {
		t.Errorf("items (-today's stream +older stream):\n%s", diff)
	}
	if diff := cmp.Diff(now.Entries(), old.Entries()); diff != "" {
		t.Errorf("entries (-today's stream +older stream):\n%s", diff)
	}

	// A partial write-off splits by the item's VAT lines, which only the
	// classification carries; a payment clears the fee first (costs before
	// principal).
	for _, next := range []step{writeOff("W-1", "RE-1", 5000), pay("P-1", "C-1", 700)} {
		a, errA := next(now)
		b, errB := next(old)
		if errA != nil || errB != nil {
			t.Fatalf("next command: %v, %v", errA, errB)
		}
		if diff := cmp.Diff(a, b, protocmp.Transform()); diff != "" {
			t.Errorf("decided events (-today's stream +older stream):\n%s", diff)
		}
		fa, errA := now.StatusFacts(a, recordedAt)
		fb, errB := old.StatusFacts(b, recordedAt)
		if errA != nil || errB != nil {
			t.Fatalf("status facts: %v, %v", errA, errB)
		}
		if diff := cmp.Diff(fa, fb, protocmp.Transform()); diff != "" {
			t.Errorf("status facts (-today's stream +older stream):\n%s", diff)
		}
		if err := now.Apply(fa...); err != nil {
			t.Fatal(err)
		}
		if err := old.Apply(fb...); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(now.Items(), old.Items()); diff != "" {
		t.Errorf("items after the next commands (-today's stream +older stream):\n%s", diff)
	}
}
