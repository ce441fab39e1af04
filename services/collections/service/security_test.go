package service

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/bus"
)

// agencyCalls calls every AgencyService RPC on caseID of tenant and
// returns each call's code by RPC name; StreamCases counts as refused when
// it sends nothing of the case.
func agencyCalls(t *testing.T, ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, caseID string) map[string]codes.Code {
	t.Helper()
	code := func(_ any, err error) codes.Code { return status.Code(err) }
	out := map[string]codes.Code{
		"GetCase": code(c.GetCase(ctx, &collectionsv1.AgencyServiceGetCaseRequest{Tenant: tenant, CaseId: caseID})),
		"AcceptCase": code(c.AcceptCase(ctx, &collectionsv1.AcceptCaseRequest{Tenant: tenant, CaseId: caseID, IdempotencyKey: "x",
			AgencyReference: "X"})),
		"RejectCase": code(c.RejectCase(ctx, &collectionsv1.RejectCaseRequest{Tenant: tenant, CaseId: caseID, IdempotencyKey: "x",
			Reason: collectionsv1.RejectReason_REJECT_REASON_OTHER})),
		"ReportStatus": code(c.ReportStatus(ctx, &collectionsv1.ReportStatusRequest{Tenant: tenant, CaseId: caseID, IdempotencyKey: "x",
			Status: collectionsv1.ProgressStatus_PROGRESS_STATUS_CONTACTED})),
		"ReportPayment": code(c.ReportPayment(ctx, &collectionsv1.ReportPaymentRequest{Tenant: tenant, CaseId: caseID, IdempotencyKey: "x",
			Collected: eur(100), CollectedDate: pday(2026, 11, 20)})),
		"AskQuestion": code(c.AskQuestion(ctx, &collectionsv1.AskQuestionRequest{Tenant: tenant, CaseId: caseID, IdempotencyKey: "x", Text: "?"})),
		"GetAnswers":  code(c.GetAnswers(ctx, &collectionsv1.GetAnswersRequest{Tenant: tenant, CaseId: caseID})),
		"ConfirmRecall": code(c.ConfirmRecall(ctx, &collectionsv1.ConfirmRecallRequest{Tenant: tenant, CaseId: caseID, IdempotencyKey: "x",
			RecallId: "recall-1"})),
		"CloseCase": code(c.CloseCase(ctx, &collectionsv1.CloseCaseRequest{Tenant: tenant, CaseId: caseID, IdempotencyKey: "x",
			Code: collectionsv1.ClosingCode_CLOSING_CODE_UNCOLLECTABLE})),
	}
	list, err := c.ListCases(ctx, &collectionsv1.AgencyServiceListCasesRequest{Tenant: tenant})
	out["ListCases"] = status.Code(err)
	if err == nil {
		out["ListCases"] = codes.NotFound // listed, but not the case
	}
	for _, got := range list.GetCases() {
		if got.GetCaseId() == caseID {
			out["ListCases"] = codes.OK
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	out["StreamCases"] = codes.NotFound
	stream, err := c.StreamCases(sctx, &collectionsv1.StreamCasesRequest{Tenant: tenant})
	for err == nil {
		var m *collectionsv1.StreamCasesResponse
		if m, err = stream.Recv(); err == nil && m.GetCase().GetCaseId() == caseID {
			out["StreamCases"] = codes.OK
		}
	}
	if c := status.Code(err); c != codes.DeadlineExceeded && c != codes.OK {
		out["StreamCases"] = c
	}
	return out
}

// TestAnAgencySeesOnlyItsOwnCases hands a case to nord and lets, with
// valid credentials, sued (another agency of the tenant), nord of another
// tenant, and nord naming another tenant than its credentials' try every
// AgencyService RPC on it: each is refused (NOT_FOUND for a case that is
// not the caller's, PERMISSION_DENIED for a tenant outside the
// credentials), and the case is unchanged. Nord itself reads it.
func TestAnAgencySeesOnlyItsOwnCases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := bus.EnsureStreams(e.ctx, e.js, bus.ServiceStreamConfig("ledger")); err != nil {
		t.Fatal(err)
	}
	c := e.startCollections(t)
	ctx := e.ctx
	e.publish(t, "acme", "ledger", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", Kind: "invoice",
		DocumentNumber: "RE-1", Amount: eur(11900), DocumentDate: pday(2026, 7, 1), DueDate: pday(2026, 8, 1)})
	e.publish(t, "acme", "dunning", &dunningv1.ReleasedToCollections{Tenant: "acme", DebtorId: "D-1", Date: pday(2026, 11, 2),
		Items: []*dunningv1.ReleasedItem{{OpenItemId: "I-1", ClaimOpenItemId: "I-1", DocumentNumber: "RE-1", Component: "principal",
			Open: eur(11900), DueDate: pday(2026, 8, 1)}}})
	nord := collectionsv1grpc.NewAgencyServiceClient(dial(t, c.Addr(), agent("nord", "acme")))
	var caseID string
	eventually(t, "nord's case", func() bool {
		r, err := nord.ListCases(ctx, &collectionsv1.AgencyServiceListCasesRequest{Tenant: "acme"})
		if err != nil || len(r.GetCases()) != 1 {
			return false
		}
		caseID = r.GetCases()[0].GetCaseId()
		return true
	})
	// A recall to confirm, so that ConfirmRecall would succeed for nord.
	merchant := collectionsv1grpc.NewCollectionsServiceClient(dial(t, c.Addr(), clara))
	if _, err := merchant.RecallCase(ctx, &collectionsv1.RecallCaseRequest{Tenant: "acme", CaseId: caseID, OpenItemIds: []string{"I-1"}}); err != nil {
		t.Fatal(err)
	}
	before, err := nord.GetCase(ctx, &collectionsv1.AgencyServiceGetCaseRequest{Tenant: "acme", CaseId: caseID})
	if err != nil {
		t.Fatal(err)
	}

	intruders := []struct {
		name   string
		client collectionsv1grpc.AgencyServiceClient
		tenant string
		want   codes.Code
	}{
		{"another agency of the tenant", collectionsv1grpc.NewAgencyServiceClient(dial(t, c.Addr(), agent("sued", "acme"))), "acme", codes.NotFound},
		{"the same agency id for another tenant", collectionsv1grpc.NewAgencyServiceClient(dial(t, c.Addr(), agent("nord", "beta"))), "beta", codes.NotFound},
		{"the agency of another tenant naming this one", collectionsv1grpc.NewAgencyServiceClient(dial(t, c.Addr(), agent("nord", "beta"))), "acme", codes.PermissionDenied},
	}
	for _, in := range intruders {
		for rpc, got := range agencyCalls(t, ctx, in.client, in.tenant, caseID) {
			if got != in.want {
				t.Errorf("%s: %s answered %v, want %v", in.name, rpc, got, in.want)
			}
		}
	}
	after, err := nord.GetCase(ctx, &collectionsv1.AgencyServiceGetCaseRequest{Tenant: "acme", CaseId: caseID})
	if err != nil {
		t.Fatal(err)
	}
	if after.GetCase().GetVersion() != before.GetCase().GetVersion() || after.GetCase().GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED {
		t.Errorf("the case changed under the intruders' calls: version %d -> %d, status %v", before.GetCase().GetVersion(),
			after.GetCase().GetVersion(), after.GetCase().GetStatus())
	}
	// A tenant the tenants file does not list is NOT_FOUND, on the stream
	// as on unary calls.
	ghost := collectionsv1grpc.NewAgencyServiceClient(dial(t, c.Addr(), agent("nord", "gamma")))
	if got := agencyCalls(t, ctx, ghost, "gamma", caseID); got["StreamCases"] != codes.NotFound || got["GetCase"] != codes.NotFound {
		t.Errorf("a tenant not in the tenants file: %v, want NOT_FOUND", got)
	}
	// The merchant's API is closed to agencies.
	asAgency := collectionsv1grpc.NewCollectionsServiceClient(dial(t, c.Addr(), agent("nord", "acme")))
	if _, err := asAgency.GetCase(ctx, &collectionsv1.GetCaseRequest{Tenant: "acme", CaseId: caseID}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("nord calling the merchant's GetCase: %v, want PERMISSION_DENIED", err)
	}
}
