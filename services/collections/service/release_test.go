package service

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/bus"
)

// TestManualRelease: an operator releases a debtor's open items by hand
// with a reason; the item under a dunning block stays, a release without
// reason is refused, and items already in collection are not released
// twice.
func TestManualRelease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := bus.EnsureStreams(e.ctx, e.js, bus.ServiceStreamConfig("ledger")); err != nil {
		t.Fatal(err)
	}
	c := e.startCollections(t)
	ctx := e.ctx
	for i, doc := range []string{"RE-1", "RE-2", "RE-3"} {
		e.publish(t, "acme", "ledger", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "I-" + doc, DebtorId: "D-7", Kind: "invoice",
			DocumentNumber: doc, Amount: eur(int64(1000 * (i + 1))), DocumentDate: pday(2026, 7, 1), DueDate: pday(2026, 8, int32(i+1))})
	}
	e.publish(t, "acme", "dunning", &dunningv1.BlockSet{Tenant: "acme", Block: &dunningv1.Block{BlockId: "B-1", DebtorId: "D-7",
		OpenItemId: "I-RE-2", Reason: "dispute"}})
	eventually(t, "the items and the block taken in", func() bool {
		var n int
		err := c.h.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM items) + (SELECT count(*) FROM blocks)`).Scan(&n)
		return err == nil && n == 4
	})
	merchant := collectionsv1grpc.NewCollectionsServiceClient(dial(t, c.Addr(), clara))
	if _, err := merchant.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-7"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("a release without reason: %v, want INVALID_ARGUMENT", err)
	}
	r, err := merchant.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-7", Reason: "debtor unreachable"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range r.GetCase().GetItems() {
		got = append(got, it.GetDocumentNumber())
	}
	if len(got) != 2 || got[0] != "RE-1" || got[1] != "RE-3" || r.GetCase().GetAgency() != "nord" ||
		r.GetCase().GetReleaseReason() != "debtor unreachable" {
		t.Errorf("case %v, want RE-1 and RE-3 (RE-2 is disputed) with nord and the reason", r.GetCase())
	}
	eventually(t, "the case's items in collection", func() bool {
		var n int
		err := c.h.Pool.QueryRow(ctx, `SELECT count(*) FROM case_items WHERE active`).Scan(&n)
		return err == nil && n == 2
	})
	_, err = merchant.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-7", Reason: "again",
		OpenItemIds: []string{"I-RE-1"}})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("releasing an item in collection again: %v, want FAILED_PRECONDITION", err)
	}
	_, err = merchant.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-7", Reason: "x", OpenItemIds: []string{"nope"}})
	if status.Code(err) != codes.NotFound {
		t.Errorf("releasing an unknown item: %v, want NOT_FOUND", err)
	}
	list, err := merchant.ListCases(ctx, &collectionsv1.ListCasesRequest{Tenant: "acme", Agency: "nord",
		Statuses: []collectionsv1.CaseStatus{collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED}})
	if err != nil || len(list.GetCases()) != 1 {
		t.Errorf("nord's submitted cases: %v (%v), want the one", list.GetCases(), err)
	}
	rep, err := merchant.Report(ctx, &collectionsv1.ReportRequest{Tenant: "acme"})
	if err != nil || len(rep.GetAgencies()) != 1 {
		t.Fatalf("report %v (%v), want nord's", rep, err)
	}
	a := rep.GetAgencies()[0]
	if b := a.GetAgeing()[0]; b.GetBand() != "0-30" || b.GetCases() != 1 || b.GetOpen().GetMinorUnits() != 4000 ||
		a.GetRecoveryRateBp() != 0 || a.GetCases()["submitted"] != 1 {
		t.Errorf("report %v, want one submitted case of 40.00 released today in band 0-30, nothing recovered", a)
	}
}

// TestAReleaseNoAgencyTakesIsARejection: dunning's release of less than the
// tenant's minimum opens no case; it is recorded as a rejection (reason
// code not_released) the operator sees and can replay.
func TestAReleaseNoAgencyTakesIsARejection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := bus.EnsureStreams(e.ctx, e.js, bus.ServiceStreamConfig("ledger")); err != nil {
		t.Fatal(err)
	}
	c := e.startCollections(t)
	e.publish(t, "acme", "ledger", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "I-9", DebtorId: "D-9", Kind: "invoice",
		DocumentNumber: "RE-9", Amount: eur(999), DocumentDate: pday(2026, 7, 1), DueDate: pday(2026, 8, 1)})
	e.publish(t, "acme", "dunning", &dunningv1.ReleasedToCollections{Tenant: "acme", DebtorId: "D-9", Date: pday(2026, 11, 2),
		Items: []*dunningv1.ReleasedItem{{OpenItemId: "I-9", ClaimOpenItemId: "I-9", DocumentNumber: "RE-9", Component: "principal",
			Open: eur(999), DueDate: pday(2026, 8, 1)}}})
	rejections := rejectionv1grpc.NewRejectionServiceClient(dial(t, c.Addr(), clara))
	var got []*rejectionv1.Rejection
	eventually(t, "the rejection", func() bool {
		r, err := rejections.ListRejections(e.ctx, &rejectionv1.ListRejectionsRequest{Tenant: "acme"})
		got = r.GetRejections()
		return err == nil && len(got) == 1
	})
	if got[0].GetReasonCode() != "not_released" {
		t.Errorf("rejection %v, want reason code not_released", got[0])
	}
	var n int
	if err := c.h.Pool.QueryRow(e.ctx, `SELECT count(*) FROM cases`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d cases (%v), want none", n, err)
	}
}
