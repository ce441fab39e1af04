package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/services/refund-import/internal/refund"
)

// TestShopCreditNoteAfterBookedRefundIsFlagged: given an order's item and
// a refund of it booked as a credit note, when the shop's credit note of
// the same amount credits the order afterwards, partly as a settlement of
// the item and the rest as a credit balance beyond it, then the refund is
// flagged once the two parts add up to its amount (not before, not twice)
// and listed with the shop's credit note; when the shop's credit balance
// is reversed, or its settlement undone, the flag goes (a balance used up
// by an offset is not undone). The refund's own credit note flags nothing.
func TestShopCreditNoteAfterBookedRefundIsFlagged(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	if _, err := s.OpenItem(ctx, &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "I-O-1", DebtorId: "mp", Kind: "invoice",
		OrderId: "O-1", Amount: eur(11900)}); err != nil {
		t.Fatal(err)
	}
	vat := []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(10000), Vat: eur(1900)}}
	if _, err := s.ClassifyItem(ctx, &ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: "I-O-1", ClaimOpenItemId: "I-O-1", Vat: vat}); err != nil {
		t.Fatal(err)
	}
	booked := decided("ADJ-1", "O-1", refund.Booked, 0) // 59.50 on I-O-1
	if err := save(t, s, booked); err != nil {
		t.Fatal(err)
	}
	flags := func(what string, want []Flag) {
		t.Helper()
		got, err := s.CreditedAgain(ctx, "acme", "I-O-1", now)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: flags added (-want +got):\n%s", what, diff)
		}
	}
	listed := func(what string, want []string) {
		t.Helper()
		rs, _, err := s.Refunds(ctx, "acme", "O-1", false, 10, "")
		if err != nil || len(rs) != 1 {
			t.Fatalf("%s: listed %v, %v", what, rs, err)
		}
		if diff := cmp.Diff(want, rs[0].GetCreditedAgainBy()); diff != "" {
			t.Errorf("%s: credited_again_by (-want +got):\n%s", what, diff)
		}
	}
	if _, err := s.SettleItem(ctx, &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-O-1", Settlements: []*ledgerv1.Settlement{
		{SettlementId: "ST-1", Amount: eur(5950), Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE, Document: "amazon-refund:ADJ-1", EntryId: "E-1"},
	}}); err != nil {
		t.Fatal(err)
	}
	flags("the refund's own credit note", nil)
	if _, err := s.SettleItem(ctx, &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-O-1", Settlements: []*ledgerv1.Settlement{
		{SettlementId: "ST-2", Amount: eur(3000), Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE, Document: "GS-1", EntryId: "E-2"},
	}}); err != nil {
		t.Fatal(err)
	}
	flags("the shop's credit note's settlement alone", nil)
	if _, err := s.OpenItem(ctx, &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "CB-2", DebtorId: "mp", Kind: "credit_balance",
		DocumentNumber: "GS-1", Amount: eur(-2950), EntryId: "E-2", CreditedOpenItemId: "I-O-1"}); err != nil {
		t.Fatal(err)
	}
	flag := Flag{Tenant: "acme", OrderID: "O-1", ItemID: "I-O-1", RefundKey: booked.Key(), CreditNote: "amazon-refund:ADJ-1", By: "GS-1"}
	flags("with its credit balance", []Flag{flag})
	flags("again", nil)
	listed("flagged", []string{"GS-1"})

	// The shop's credit note reversed: the ledger clears its credit
	// balance by a reversal (and reopens its settlement, below).
	item, err := s.UndoBalance(ctx, &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "CB-2", Settlements: []*ledgerv1.Settlement{
		{SettlementId: "ST-3", Amount: eur(-2950), Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_REVERSAL, Document: "GS-1", EntryId: "E-3"}}})
	if err != nil || item != "I-O-1" {
		t.Fatalf("undo the credit balance: item %q, %v; want I-O-1", item, err)
	}
	flags("the shop's credit balance reversed", nil)
	listed("after the reversal", nil)
	if item, err := s.UndoBalance(ctx, &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "CB-2", Settlements: []*ledgerv1.Settlement{
		{SettlementId: "ST-4", Amount: eur(-100), Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_OFFSET}}}); err != nil || item != "" {
		t.Errorf("a credit balance used up by an offset: item %q, %v; want none undone", item, err)
	}

	// Another credit balance of the same credit note brings it back; the
	// shop's settlement undone takes it away again.
	if _, err := s.OpenItem(ctx, &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "CB-5", DebtorId: "mp", Kind: "credit_balance",
		DocumentNumber: "GS-1", Amount: eur(-2950), EntryId: "E-2", CreditedOpenItemId: "I-O-1"}); err != nil {
		t.Fatal(err)
	}
	flags("credited in full again", []Flag{flag})
	if err := s.ReopenItem(ctx, &ledgerv1.OpenItemReopened{Tenant: "acme", OpenItemId: "I-O-1", SettlementIds: []string{"ST-2"}}); err != nil {
		t.Fatal(err)
	}
	flags("the shop's settlement undone", nil)
	listed("after the undoing", nil)
}

// TestRefundsToReview: the to-review listing holds the held refunds and
// the booked ones flagged as credited again, newest first and paged like
// the full one; a booked refund whose flags a reviewer kept leaves it, and
// one flagged by a further shop credit note comes back.
func TestRefundsToReview(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	// O-1 booked and credited again by GS-1; O-2 held; O-3 booked, not
	// flagged; O-4 waiting; O-5 booked, flagged and kept.
	at := func(d refund.Decided, h int) refund.Decided {
		d.Posted = d.Posted.Add(time.Duration(h) * time.Hour)
		return d
	}
	kept := at(decided("ADJ-5", "O-5", refund.Booked, 0), 5)
	kept.KeptCreditedAgain = []string{"GS-5"}
	for _, d := range []refund.Decided{at(decided("ADJ-1", "O-1", refund.Booked, 0), 1), at(decided("ADJ-2", "O-2", refund.Held, 0), 2),
		at(decided("ADJ-3", "O-3", refund.Booked, 0), 3), at(decided("ADJ-4", "O-4", refund.Waiting, 0), 4), kept} {
		if err := save(t, s, d); err != nil {
			t.Fatal(err)
		}
	}
	creditAgain := func(order, note string) {
		t.Helper()
		item := "I-" + order
		if _, err := s.OpenItem(ctx, &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: item, DebtorId: "mp", Kind: "invoice",
			OrderId: order, Amount: eur(11900)}); err != nil {
			t.Fatal(err)
		}
		vat := []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(10000), Vat: eur(1900)}}
		if _, err := s.ClassifyItem(ctx, &ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: item, ClaimOpenItemId: item, Vat: vat}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SettleItem(ctx, &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: item, Settlements: []*ledgerv1.Settlement{
			{SettlementId: "ST-" + note, Amount: eur(5950), Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE, Document: note, EntryId: "E-" + note},
		}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreditedAgain(ctx, "acme", item, now); err != nil {
			t.Fatal(err)
		}
	}
	creditAgain("O-1", "GS-1")
	creditAgain("O-5", "GS-5")
	orders := func(toReview bool, size int) []string {
		t.Helper()
		var got []string
		tok := ""
		for range 10 {
			rs, next, err := s.Refunds(ctx, "acme", "", toReview, size, tok)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				got = append(got, r.GetOrderId())
			}
			if tok = next; tok == "" {
				return got
			}
		}
		t.Fatal("more than 10 pages")
		return nil
	}
	if diff := cmp.Diff([]string{"O-5", "O-4", "O-3", "O-2", "O-1"}, orders(false, 100)); diff != "" {
		t.Errorf("all refunds (-want +got):\n%s", diff)
	}
	for _, size := range []int{1, 2, 100} {
		if diff := cmp.Diff([]string{"O-2", "O-1"}, orders(true, size)); diff != "" {
			t.Errorf("to review, pages of %d (-want +got):\n%s", size, diff)
		}
	}
	// A further shop credit note of O-5 (the kept GS-5 still there) brings
	// it back.
	if _, err := s.SettleItem(ctx, &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-O-5", Settlements: []*ledgerv1.Settlement{
		{SettlementId: "ST-GS-6", Amount: eur(5950), Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE, Document: "GS-6", EntryId: "E-GS-6"},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreditedAgain(ctx, "acme", "I-O-5", now); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"O-5", "O-2", "O-1"}, orders(true, 100)); diff != "" {
		t.Errorf("to review after GS-6 (-want +got):\n%s", diff)
	}
}
