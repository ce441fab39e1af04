package refund

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// TestReview reads as: given a refund decided before and its order's
// item, when a reviewer books or dismisses it, then this is decided and
// this command sent, or the review is refused.
func TestReview(t *testing.T) {
	t.Parallel()
	posted := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	r := Refund{AdjustmentID: "ADJ-1", OrderID: "O-1", SKU: "SKU-1", Kind: KindRefund, Source: SourceAPI, Currency: "EUR", Amount: 5950, Posted: posted}
	item := &Item{ID: "I-1", OrderID: "O-1", Debtor: "mp", Currency: "EUR", Amount: 3000,
		VAT: []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(2521), Vat: eur(479)}}}
	held := func(r Refund) *Decided {
		return &Decided{Refund: r, State: Held, OpenItemID: "I-1", Version: 1, Reason: "over-refund: 30.00 EUR of order O-1 invoiced"}
	}
	gbp := r
	gbp.Currency = "GBP"
	fees := r
	fees.Amount = 0
	reversal := r
	reversal.Kind = KindReversal
	reviewed := held(r)
	reviewed.State, reviewed.ReviewedBy = Linked, "user:olga"
	tests := []struct {
		name        string
		s           Situation
		a           Action
		reason      string
		want        Decision
		wantErr     error
		wantCommand *ledgerv1.IssueCreditNote
	}{
		{name: "over-refund booked", s: Situation{Prior: held(r), Item: item}, a: Book, reason: "goodwill agreed with Amazon",
			want: Decision{State: Booked, OpenItemID: "I-1", CreditNoteNumber: "amazon-refund:ADJ-1", ReviewedBy: "user:clara", Store: true,
				Reason: "booked on review by user:clara: goodwill agreed with Amazon (held: over-refund: 30.00 EUR of order O-1 invoiced); credit note amazon-refund:ADJ-1 on order O-1's item"},
			wantCommand: &ledgerv1.IssueCreditNote{Tenant: "t", IdempotencyKey: "amazon-refund:ADJ-1", CreditNoteNumber: "amazon-refund:ADJ-1",
				DebtorId: "mp", OpenItemId: "I-1", Currency: "EUR", Gross: eur(5950), IssueDate: dateOf(2026, 3, 2)}},
		{name: "over-refund dismissed", s: Situation{Prior: held(r), Item: item}, a: Dismiss, reason: "Amazon pays it back",
			want: Decision{State: Linked, OpenItemID: "I-1", ReviewedBy: "user:clara", Store: true,
				Reason: "dismissed on review by user:clara: Amazon pays it back (held: over-refund: 30.00 EUR of order O-1 invoiced); no credit note, the deduction stays with the marketplace's debtor"}},
		{name: "refund in another currency cannot be booked", s: Situation{Prior: held(gbp), Item: item}, a: Book, reason: "x", wantErr: ErrNotBookable},
		{name: "refund in another currency can be dismissed", s: Situation{Prior: held(gbp), Item: item}, a: Dismiss, reason: "x",
			want: Decision{State: Linked, OpenItemID: "I-1", ReviewedBy: "user:clara", Store: true}},
		{name: "fees only cannot be booked", s: Situation{Prior: held(fees), Item: item}, a: Book, reason: "x", wantErr: ErrNotBookable},
		{name: "reversal cannot be booked", s: Situation{Prior: held(reversal), Item: item}, a: Book, reason: "x", wantErr: ErrNotBookable},
		{name: "order unknown cannot be booked", s: Situation{Prior: held(r)}, a: Book, reason: "x", wantErr: ErrNotBookable},
		{name: "second review refused", s: Situation{Prior: reviewed, Item: item}, a: Book, reason: "x", wantErr: ErrNotHeld},
		{name: "booked refund refused", s: Situation{Prior: &Decided{Refund: r, State: Booked}, Item: item}, a: Dismiss, reason: "x", wantErr: ErrNotHeld},
		{name: "unknown refund refused", s: Situation{Item: item}, a: Dismiss, reason: "x", wantErr: ErrNotHeld},
		{name: "no reason refused", s: Situation{Prior: held(r), Item: item}, a: Dismiss, wantErr: ErrInvalidReview},
		{name: "no action refused", s: Situation{Prior: held(r), Item: item}, reason: "x", wantErr: ErrInvalidReview},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Review("t", tt.s, tt.a, "user:clara", tt.reason)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			cmd, _ := got.Command.(*ledgerv1.IssueCreditNote)
			if tt.wantCommand != nil || got.Command != nil {
				if diff := cmp.Diff(tt.wantCommand, cmd, protocmp.Transform(), protocmp.IgnoreFields(&ledgerv1.IssueCreditNote{}, "vat")); diff != "" {
					t.Errorf("command (-want +got):\n%s", diff)
				}
			}
			got.Command = nil
			if tt.want.Reason == "" {
				if !strings.Contains(got.Reason, "dismissed on review by user:clara") {
					t.Errorf("reason %q, want it to name the reviewer", got.Reason)
				}
				got.Reason = ""
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReviewedRefundIsADuplicateWhenSeenAgain: a refund booked or
// dismissed on review and then seen again (a later window, the settlement
// report) books nothing.
func TestReviewedRefundIsADuplicateWhenSeenAgain(t *testing.T) {
	t.Parallel()
	r := Refund{AdjustmentID: "ADJ-1", OrderID: "O-1", SKU: "SKU-1", Kind: KindRefund, Source: SourceAPI, Currency: "EUR", Amount: 5950,
		Posted: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}
	for _, st := range []State{Booked, Linked} {
		prior := Decided{Refund: r, State: st, ReviewedBy: "user:clara", OpenItemID: "I-1"}
		d, err := Decide("t", r, Situation{Prior: &prior, Item: &Item{ID: "I-1", Currency: "EUR", Amount: 3000}})
		if err != nil || d.State != Duplicate || d.Store || d.Command != nil {
			t.Errorf("%s on review, seen again: %+v, %v; want a duplicate storing and sending nothing", st, d, err)
		}
	}
}

// TestPick: a review's adjustment id names the held refund among those
// stored under it, or the only one.
func TestPick(t *testing.T) {
	t.Parallel()
	a := Decided{Refund: Refund{AdjustmentID: "ADJ-1", OrderID: "O-1", SKU: "A"}, State: Booked}
	b := Decided{Refund: Refund{AdjustmentID: "ADJ-1", OrderID: "O-1", SKU: "B"}, State: Held}
	c := Decided{Refund: Refund{AdjustmentID: "ADJ-1", OrderID: "O-1", SKU: "C"}, State: Held}
	tests := []struct {
		name    string
		ds      []Decided
		want    string
		wantErr error
	}{
		{name: "none", wantErr: ErrUnknownRefund},
		{name: "only one, not held", ds: []Decided{a}, want: a.Key()},
		{name: "the held one", ds: []Decided{a, b}, want: b.Key()},
		{name: "two held", ds: []Decided{a, b, c}, wantErr: ErrAmbiguousRefund},
		{name: "two, none held", ds: []Decided{a, a}, wantErr: ErrAmbiguousRefund},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Pick("ADJ-1", tt.ds)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err == nil && got.Key() != tt.want {
				t.Errorf("picked %s, want %s", got.Key(), tt.want)
			}
		})
	}
}

// TestKeepReview: a booked refund whose order shop credit notes credited
// again is kept on a reviewer's word with those credit notes (added to
// any kept before), changing nothing else; a refund not booked, or with
// nothing new to keep, is refused, as is a keep without reviewer or
// reason.
func TestKeepReview(t *testing.T) {
	t.Parallel()
	r := Refund{AdjustmentID: "ADJ-1", OrderID: "O-1", SKU: "SKU-1", Kind: KindRefund, Source: SourceAPI, Currency: "EUR", Amount: 5950}
	booked := &Decided{Refund: r, State: Booked, OpenItemID: "I-1", CreditNoteNumber: "amazon-refund:ADJ-1", EntryID: "E-1", Version: 2}
	keptBefore := *booked
	keptBefore.KeptCreditedAgain = []string{"GS-1"}
	held := &Decided{Refund: r, State: Held, OpenItemID: "I-1", Version: 1}
	tests := []struct {
		name          string
		s             Situation
		actor, reason string
		want          Decision
		wantErr       error
	}{
		{"flagged", Situation{Prior: booked, CreditedAgain: []string{"GS-1"}}, "user:anna", "goodwill on top", Decision{
			State: Booked, OpenItemID: "I-1", CreditNoteNumber: "amazon-refund:ADJ-1", EntryID: "E-1", ReviewedBy: "user:anna",
			KeptCreditedAgain: []string{"GS-1"}, Store: true,
			Reason: "kept on review by user:anna: goodwill on top; the shop's GS-1 credited order O-1 as well as credit note amazon-refund:ADJ-1"}, nil},
		{"a second shop credit note after one kept", Situation{Prior: &keptBefore, CreditedAgain: []string{"GS-1", "GS-2"}}, "user:anna", "both agreed", Decision{
			State: Booked, OpenItemID: "I-1", CreditNoteNumber: "amazon-refund:ADJ-1", EntryID: "E-1", ReviewedBy: "user:anna",
			KeptCreditedAgain: []string{"GS-1", "GS-2"}, Store: true,
			Reason: "kept on review by user:anna: both agreed; the shop's GS-2 credited order O-1 as well as credit note amazon-refund:ADJ-1"}, nil},
		{"nothing new to keep", Situation{Prior: &keptBefore, CreditedAgain: []string{"GS-1"}}, "user:anna", "again", Decision{}, ErrNotFlagged},
		{"not flagged", Situation{Prior: booked}, "user:anna", "why not", Decision{}, ErrNotFlagged},
		{"not booked", Situation{Prior: held, CreditedAgain: []string{"GS-1"}}, "user:anna", "held", Decision{}, ErrNotFlagged},
		{"never decided", Situation{}, "user:anna", "unknown", Decision{}, ErrNotFlagged},
		{"no reason", Situation{Prior: booked, CreditedAgain: []string{"GS-1"}}, "user:anna", "", Decision{}, ErrInvalidReview},
		{"no reviewer", Situation{Prior: booked, CreditedAgain: []string{"GS-1"}}, "", "goodwill", Decision{}, ErrInvalidReview},
	}
	for _, tt := range tests {
		got, err := Review("acme", tt.s, Keep, tt.actor, tt.reason)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
			t.Errorf("%s: decision (-want +got):\n%s", tt.name, diff)
		}
	}
}
