package service

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
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

// releaseEnv starts collections with the ledger's items named open for
// debtor D-5 (10.00 EUR each) and returns the merchant's client.
func releaseEnv(t *testing.T, items ...string) (*env, *Collections, collectionsv1grpc.CollectionsServiceClient) {
	t.Helper()
	e := newEnv(t)
	if err := bus.EnsureStreams(e.ctx, e.js, bus.ServiceStreamConfig("ledger")); err != nil {
		t.Fatal(err)
	}
	c := e.startCollections(t)
	for _, id := range items {
		e.publish(t, "acme", "ledger", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: id, DebtorId: "D-5", Kind: "invoice",
			DocumentNumber: "RE-" + id, Amount: eur(1000), DocumentDate: pday(2026, 7, 1), DueDate: pday(2026, 8, 1)})
	}
	eventually(t, "the items taken in", func() bool {
		var n int
		err := c.h.Pool.QueryRow(e.ctx, `SELECT count(*) FROM items`).Scan(&n)
		return err == nil && n == len(items)
	})
	return e, c, collectionsv1grpc.NewCollectionsServiceClient(dial(t, c.Addr(), clara))
}

// TestReleaseUnderIdempotencyKey: a release retried under its key (its
// answer lost) answers the case the first attempt opened and opens no
// second one; the key with other content is refused as ALREADY_EXISTS,
// and a release of the same item without key is refused because the item
// is in that case.
func TestReleaseUnderIdempotencyKey(t *testing.T) {
	t.Parallel()
	e, c, merchant := releaseEnv(t, "I-1", "I-2")
	ctx := e.ctx
	req := &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-5", OpenItemIds: []string{"I-1"}, Reason: "unreachable",
		Agency: "nord", IdempotencyKey: "release-7"}
	first, err := merchant.ReleaseItems(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := merchant.ReleaseItems(ctx, req)
	if err != nil {
		t.Fatalf("the same release again: %v", err)
	}
	if again.GetCase().GetCaseId() != first.GetCase().GetCaseId() {
		t.Errorf("retry answered case %s, want the first's %s", again.GetCase().GetCaseId(), first.GetCase().GetCaseId())
	}
	tests := []struct {
		name string
		req  *collectionsv1.ReleaseItemsRequest
		want codes.Code
	}{
		{"the key with another reason", &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-5", OpenItemIds: []string{"I-1"},
			Reason: "other", Agency: "nord", IdempotencyKey: "release-7"}, codes.AlreadyExists},
		{"the key with another item", &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-5", OpenItemIds: []string{"I-2"},
			Reason: "unreachable", Agency: "nord", IdempotencyKey: "release-7"}, codes.AlreadyExists},
		{"a blank key", &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-5", OpenItemIds: []string{"I-2"},
			Reason: "unreachable", IdempotencyKey: " "}, codes.InvalidArgument},
		{"the item again without key", &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-5", OpenItemIds: []string{"I-1"},
			Reason: "unreachable", Agency: "nord"}, codes.FailedPrecondition},
	}
	for _, tt := range tests {
		_, err := merchant.ReleaseItems(ctx, tt.req)
		if status.Code(err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
	}
	var streams []string
	rows, err := c.h.Pool.Query(ctx, `SELECT stream_id FROM events WHERE stream_type = 'case' AND version = 1 ORDER BY stream_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		streams = append(streams, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{first.GetCase().GetCaseId()}, streams); diff != "" {
		t.Errorf("cases opened (-want +got):\n%s", diff)
	}
}

// TestReleaseRefusesItemsInCollection: an item whose case is open, and an
// item its agency collected in full and closed, are refused with
// FAILED_PRECONDITION naming the item and the case, although the ledger
// (which has not booked the collection yet) still shows both open; so is
// dunning's release of the collected item, as a rejection saying why.
func TestReleaseRefusesItemsInCollection(t *testing.T) {
	t.Parallel()
	e, c, merchant := releaseEnv(t, "I-1", "I-2")
	ctx := e.ctx
	nord := collectionsv1grpc.NewAgencyServiceClient(dial(t, c.Addr(), agent("nord", "acme")))
	open := func(item, key string) string {
		t.Helper()
		r, err := merchant.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-5", OpenItemIds: []string{item},
			Reason: "unreachable", Agency: "nord", IdempotencyKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetCase().GetCaseId()
	}
	collected, held := open("I-1", "k1"), open("I-2", "k2")
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(nord.AcceptCase(ctx, &collectionsv1.AcceptCaseRequest{Tenant: "acme", CaseId: collected, IdempotencyKey: "acc", AgencyReference: "N-1"}))
	must(nord.ReportPayment(ctx, &collectionsv1.ReportPaymentRequest{Tenant: "acme", CaseId: collected, IdempotencyKey: "pay",
		Collected: eur(1000), CollectedDate: pday(2026, 11, 20)}))
	must(nord.CloseCase(ctx, &collectionsv1.CloseCaseRequest{Tenant: "acme", CaseId: collected, IdempotencyKey: "close",
		Code: collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL, Date: pday(2026, 11, 21)}))
	eventually(t, "both cases projected", func() bool {
		r, err := merchant.ListCases(ctx, &collectionsv1.ListCasesRequest{Tenant: "acme"})
		return err == nil && len(r.GetCases()) == 2
	})
	tests := []struct {
		name  string
		items []string
		want  []string // in the message
	}{
		{"an item collected in full", []string{"I-1"}, []string{"I-1", collected, "collected in full"}},
		{"an item in an open case", []string{"I-2"}, []string{"I-2", held, "open case"}},
		{"every open item of the debtor", nil, []string{"I-1", collected, "I-2", held}},
	}
	for _, tt := range tests {
		_, err := merchant.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-5", OpenItemIds: tt.items,
			Reason: "again", Agency: "nord"})
		if status.Code(err) != codes.FailedPrecondition {
			t.Errorf("%s: %v, want FAILED_PRECONDITION", tt.name, err)
			continue
		}
		var missing []string
		for _, w := range tt.want {
			if !strings.Contains(status.Convert(err).Message(), w) {
				missing = append(missing, w)
			}
		}
		if diff := cmp.Diff([]string(nil), missing); diff != "" {
			t.Errorf("%s: %q does not name (-want +got):\n%s", tt.name, status.Convert(err).Message(), diff)
		}
	}

	e.publish(t, "acme", "dunning", &dunningv1.ReleasedToCollections{Tenant: "acme", DebtorId: "D-5", Date: pday(2026, 11, 22),
		Items: []*dunningv1.ReleasedItem{{OpenItemId: "I-1", ClaimOpenItemId: "I-1", DocumentNumber: "RE-I-1", Component: "principal",
			Open: eur(1000), DueDate: pday(2026, 8, 1)}}})
	rejections := rejectionv1grpc.NewRejectionServiceClient(dial(t, c.Addr(), clara))
	var got []*rejectionv1.Rejection
	eventually(t, "dunning's release rejected", func() bool {
		r, err := rejections.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: "acme"})
		got = r.GetRejections()
		return err == nil && len(got) == 1
	})
	if got[0].GetReasonCode() != "not_released" || !strings.Contains(got[0].GetReason(), "I-1: collected in full (case "+collected+")") {
		t.Errorf("rejection %v, want not_released saying I-1 was collected in full in %s", got[0], collected)
	}
}

// TestConcurrentReleasesHandOverAnItemOnce: releases of the same debtor's
// items that race, none with an idempotency key (two operators clicking at
// once), open one case: every other one is refused with
// FAILED_PRECONDITION because the items are in that case, and no item is
// handed to an agency twice.
func TestConcurrentReleasesHandOverAnItemOnce(t *testing.T) {
	t.Parallel()
	e, c, merchant := releaseEnv(t, "I-1", "I-2")
	ctx := e.ctx
	const racers = 12
	var wg sync.WaitGroup
	errs := make([]error, racers)
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Every open item of the debtor, or both named: either way
			// the same items, so only the first release may open a case.
			// (A release of I-1 alone would leave I-2 to a later release
			// of every open item, a second case that hands nothing over
			// twice.)
			var items []string
			if i%2 == 1 {
				items = []string{"I-1", "I-2"}
			}
			_, errs[i] = merchant.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: "acme", DebtorId: "D-5",
				OpenItemIds: items, Reason: "unreachable", Agency: "nord"})
		}()
	}
	close(start)
	wg.Wait()
	var opened int
	for i, err := range errs {
		switch status.Code(err) {
		case codes.OK:
			opened++
		case codes.FailedPrecondition:
		default:
			t.Errorf("release %d: %v, want OK or FAILED_PRECONDITION", i, err)
		}
	}
	if opened != 1 {
		t.Errorf("%d of %d racing releases opened a case, want 1", opened, racers)
	}
	var cases int
	if err := c.h.Pool.QueryRow(ctx, `SELECT count(DISTINCT stream_id) FROM events WHERE stream_type = 'case'`).Scan(&cases); err != nil {
		t.Fatal(err)
	}
	if cases != opened {
		t.Errorf("%d case streams stored, want %d", cases, opened)
	}
}
