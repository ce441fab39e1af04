package service

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// TestMergeDebtor finds a duplicate debtor later: its partly paid invoice
// and its balance move to the surviving debtor, which can then pay it; the
// duplicate keeps its history, a retry is a replay, a second merge and a
// self-merge are refused, and the read models equal a rebuild.
func TestMergeDebtor(t *testing.T) {
	t.Parallel()
	s := startService(t)
	c := s.cmds
	const tn = "acme"
	mar1, apr1 := day(2026, 3, 1), day(2026, 4, 1)
	must(t, c, invoice(tn, "K-DUP", "R-10", 10000, mar1, apr1)) // 119.00
	must(t, c, invoice(tn, "K-1", "R-11", 5000, mar1, apr1))    // 59.50
	must(t, c, &ledgerv1.ApplyPayment{Tenant: tn, IdempotencyKey: "pay:P-10", PaymentId: "P-10", DebtorId: "K-DUP",
		Amount: eur(1900), ValueDate: day(2026, 3, 10), Iban: testIBAN})
	s.expect(t, "before the merge", tn, "K-DUP", map[string]int64{"R-10": 10000}, nil)

	merge := &ledgerv1.MergeDebtor{Tenant: tn, IdempotencyKey: "merge:K-DUP", DebtorId: "K-DUP", IntoDebtorId: "K-1",
		MergeDate: day(2026, 3, 15), Reason: "same customer registered twice"}
	r := must(t, c, merge)
	if len(r.GetEntryIds()) != 2 || len(r.GetOpenItemIds()) != 1 {
		t.Errorf("merge result %v, want two entries (one per side) and one item opened on the survivor", r)
	}
	s.expect(t, "duplicate after the merge", tn, "K-DUP", map[string]int64{}, nil)
	s.expect(t, "survivor after the merge", tn, "K-1", map[string]int64{"R-10": 10000, "R-11": 5950},
		map[string]int64{"10001": 15950, "1200": 1900, "8400": -15000, "1776": -2850})

	again, err := call(t, c, "clerk", merge)
	if err != nil || !again.GetReplayed() {
		t.Errorf("retried merge = %v, %v; want a replay", again, err)
	}
	second := &ledgerv1.MergeDebtor{Tenant: tn, IdempotencyKey: "merge:K-DUP-2", DebtorId: "K-DUP", IntoDebtorId: "K-2",
		MergeDate: day(2026, 3, 16), Reason: "again"}
	_, err = call(t, c, "clerk", second)
	wantCode(t, "second merge", err, codes.FailedPrecondition, "merged into")
	_, err = call(t, c, "clerk", &ledgerv1.MergeDebtor{Tenant: tn, IdempotencyKey: "merge:self", DebtorId: "K-1", IntoDebtorId: "K-1",
		MergeDate: day(2026, 3, 16), Reason: "typo"})
	wantCode(t, "self merge", err, codes.InvalidArgument, "itself")

	// The survivor pays both invoices; §366 clears them by due date.
	must(t, c, &ledgerv1.ApplyPayment{Tenant: tn, IdempotencyKey: "pay:P-11", PaymentId: "P-11", DebtorId: "K-1",
		Amount: eur(15950), ValueDate: day(2026, 3, 20), Iban: testIBAN})
	s.expect(t, "survivor paid", tn, "K-1", map[string]int64{}, map[string]int64{"1200": 17850, "8400": -15000, "1776": -2850})

	rep, err := VerifyReadModels(context.Background(), s.l.Pool())
	if err != nil || !rep.OK() {
		t.Errorf("verify after the merge: %+v, %v", rep, err)
	}
}
