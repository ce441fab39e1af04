package service

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/telemetry"
	ledgerservice "github.com/o2c-platform/o2c/services/ledger/service"
)

// ledgerRig is the ledger running beside collections in one test.
type ledgerRig struct {
	cmds    ledgerv1grpc.LedgerCommandServiceClient
	items   ledgerv1grpc.LedgerServiceClient
	queries ledgerv1grpc.LedgerQueryServiceClient
}

func (e *env) startLedger(t *testing.T) ledgerRig {
	t.Helper()
	cfg, lis := e.config(t)
	l, err := ledgerservice.New(e.ctx, cfg, ledgerservice.Options{Tenants: e.ts}, telemetry.Providers{}, e.log, lis)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, e.ctx, "ledger", l)
	conn := dial(t, l.Addr(), clara)
	return ledgerRig{cmds: ledgerv1grpc.NewLedgerCommandServiceClient(conn), items: ledgerv1grpc.NewLedgerServiceClient(conn),
		queries: ledgerv1grpc.NewLedgerQueryServiceClient(conn)}
}

// open returns the debtor's open amount per document number.
func (r ledgerRig) open(t *testing.T, ctx context.Context, debtor string) map[string]int64 {
	t.Helper()
	res, err := r.items.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: "acme", DebtorId: debtor})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, it := range res.GetOpenItems() {
		out[it.GetDocumentNumber()] = it.GetOpenAmount().GetMinorUnits()
	}
	return out
}

func (r ledgerRig) balance(t *testing.T, ctx context.Context, account string) int64 {
	t.Helper()
	res, err := r.queries.GetAccountBalance(ctx, &ledgerv1.GetAccountBalanceRequest{Tenant: "acme", Account: account, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	var b int64
	for _, x := range res.GetBalances() {
		b += x.GetBalance().GetMinorUnits()
	}
	return b
}

// verify checks the ledger's invariants and read models (o2c verify).
func (e *env) verify(t *testing.T, step string) {
	t.Helper()
	pool, err := database.Connect(e.ctx, e.db, "ledger", telemetry.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rep, err := ledgerservice.VerifyReadModels(e.ctx, pool)
	if err != nil {
		t.Fatalf("%s: verify: %v", step, err)
	}
	if !rep.OK() {
		t.Errorf("%s: the ledger's invariants do not hold: %+v", step, rep)
	}
}

// TestLifecycleBookedByTheLedger runs collections beside the ledger: three
// invoices released by dunning's final level go to the agency the rules
// choose; the agency accepts, reports progress and two instalments with
// its commission and the VAT on it and costs of its own (a retried report
// books nothing twice, the same key with other content is refused); a
// payment reaching the merchant directly is reported on the agency's feed;
// the agency asks and the merchant answers; the merchant recalls one
// invoice; the agency closes the rest as uncollectable and the ledger
// writes it off with the VAT correction; a later recovery is booked. The
// ledger's invariants hold after each booking.
func TestLifecycleBookedByTheLedger(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ledger := e.startLedger(t)
	c := e.startCollections(t)
	ctx := e.ctx
	merchant := collectionsv1grpc.NewCollectionsServiceClient(dial(t, c.Addr(), clara))
	nord := collectionsv1grpc.NewAgencyServiceClient(dial(t, c.Addr(), agent("nord", "acme")))

	invoices := []struct {
		number string
		gross  int64
		due    int32
	}{{"RE-1", 11900, 10}, {"RE-2", 5950, 5}, {"RE-3", 2380, 20}}
	for _, inv := range invoices {
		net := inv.gross * 100 / 119
		if _, err := ledger.cmds.RegisterInvoice(ctx, &ledgerv1.RegisterInvoiceRequest{Command: &ledgerv1.RegisterInvoice{Tenant: "acme",
			IdempotencyKey: "invoice:" + inv.number, InvoiceNumber: inv.number, DebtorId: "D-1", Currency: "EUR",
			Vat:   []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(net), Vat: eur(inv.gross - net)}},
			Gross: eur(inv.gross), IssueDate: pday(2026, 7, 1), DueDate: pday(2026, 8, inv.due), PaymentReference: inv.number}}); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]string{}
	eventually(t, "the ledger's items", func() bool {
		res, err := ledger.items.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: "acme", DebtorId: "D-1"})
		for _, it := range res.GetOpenItems() {
			ids[it.GetDocumentNumber()] = it.GetId()
		}
		return err == nil && len(ids) == 3
	})
	e.verify(t, "invoices")
	eventually(t, "collections to see the items' VAT rates", func() bool {
		var n int
		err := c.h.Pool.QueryRow(ctx, `SELECT count(*) FROM items WHERE tax_rate_bp = 1900`).Scan(&n)
		return err == nil && n == 3
	})
	e.publish(t, "acme", "dunning", &dunningv1.NoticeIssued{Tenant: "acme", DebtorId: "D-1", Date: pday(2026, 9, 1),
		Notice: &dunningv1.Notice{NoticeId: "M-20260901-D-1", Level: 1}})

	// Dunning's final level releases the three invoices.
	release := &dunningv1.ReleasedToCollections{Tenant: "acme", DebtorId: "D-1", Date: pday(2026, 11, 2),
		NoticeIds: []string{"M-20260901-D-1", "M-20261001-D-1", "M-20261101-D-1"}, ProcedureId: "standard", ProcedureVersion: 1}
	for _, inv := range invoices {
		release.Items = append(release.Items, &dunningv1.ReleasedItem{OpenItemId: ids[inv.number], ClaimOpenItemId: ids[inv.number],
			DocumentNumber: inv.number, Component: "principal", Open: eur(inv.gross), DueDate: pday(2026, 8, inv.due)})
	}
	eventually(t, "the first notice taken in", func() bool {
		var n int
		err := c.h.Pool.QueryRow(ctx, `SELECT count(*) FROM notices`).Scan(&n)
		return err == nil && n == 1
	})
	e.publish(t, "acme", "dunning", release)
	var caseID string
	eventually(t, "the case in nord's list", func() bool {
		r, err := nord.ListCases(ctx, &collectionsv1.AgencyServiceListCasesRequest{Tenant: "acme"})
		if err != nil || len(r.GetCases()) != 1 {
			return false
		}
		caseID = r.GetCases()[0].GetCaseId()
		return true
	})
	e.publish(t, "acme", "dunning", release) // delivered twice: still one case
	feed, err := nord.StreamCases(ctx, &collectionsv1.StreamCasesRequest{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan *collectionsv1.StreamCasesResponse, 100)
	go func() {
		for {
			m, err := feed.Recv()
			if err != nil {
				close(changes)
				return
			}
			changes <- m
		}
	}()
	waitChange := func(want string) *collectionsv1.Case {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case m, ok := <-changes:
				if !ok {
					t.Fatalf("the feed ended before %s", want)
				}
				if m.GetChange() == want {
					return m.GetCase()
				}
			case <-deadline:
				t.Fatalf("timed out waiting for %s on the agency's feed", want)
			}
		}
	}
	snap := waitChange("Snapshot")
	if snap.GetCaseId() != caseID {
		t.Fatalf("snapshot of %s, want %s", snap.GetCaseId(), caseID)
	}
	wantHistory := []*collectionsv1.DunningStep{
		{NoticeId: "M-20260901-D-1", Date: pday(2026, 9, 1), Level: 1},
		{NoticeId: "M-20261001-D-1", Date: pday(2026, 10, 1), Level: 2},
		{NoticeId: "M-20261101-D-1", Date: pday(2026, 11, 1), Level: 3},
	}
	if diff := cmp.Diff(wantHistory, snap.GetDunningHistory(), protocmp.Transform()); diff != "" {
		t.Errorf("dunning history (-want +got):\n%s", diff)
	}
	for _, it := range snap.GetItems() {
		if it.GetTaxRateBp() != 1900 || it.GetDocumentDate() == nil {
			t.Errorf("case item %s: tax rate %d, document date %v; want 19 %% and the invoice's date", it.GetDocumentNumber(),
				it.GetTaxRateBp(), it.GetDocumentDate())
		}
	}

	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(nord.AcceptCase(ctx, &collectionsv1.AcceptCaseRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: "acc", AgencyReference: "NORD-42"}))
	must(nord.ReportStatus(ctx, &collectionsv1.ReportStatusRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: "st1",
		Status: collectionsv1.ProgressStatus_PROGRESS_STATUS_CONTACTED, Date: pday(2026, 11, 5)}))
	must(nord.ReportStatus(ctx, &collectionsv1.ReportStatusRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: "st2",
		Status: collectionsv1.ProgressStatus_PROGRESS_STATUS_PAYMENT_PLAN, Date: pday(2026, 11, 6), Note: "3 instalments"}))

	// First instalment: 70.00 from the debtor, of which 5.00 the agency's
	// own costs; commission 6.50 plus 19 % VAT 1.24.
	first := &collectionsv1.ReportPaymentRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: "pay-1", Collected: eur(7000),
		CollectedDate: pday(2026, 11, 20), NewCosts: eur(500), Commission: eur(650), InputVat: eur(124)}
	r1, err := nord.ReportPayment(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if a := r1.GetAllocations(); len(a) != 2 || a[0].GetOpenItemId() != ids["RE-2"] || a[0].GetAmount().GetMinorUnits() != 5950 ||
		a[1].GetOpenItemId() != ids["RE-1"] || a[1].GetAmount().GetMinorUnits() != 550 {
		t.Errorf("allocations %v, want RE-2 (due first) 59.50, then RE-1 5.50", a)
	}
	again, err := nord.ReportPayment(ctx, first)
	if err != nil {
		t.Fatalf("the same report again: %v", err)
	}
	if len(again.GetAllocations()) != 2 || again.GetCase().GetTotals().GetCollected().GetMinorUnits() != 7000 {
		t.Errorf("the same report again: %v, want the first's allocation and 70.00 collected once", again)
	}
	changed := proto.Clone(first).(*collectionsv1.ReportPaymentRequest)
	changed.Collected = eur(7100)
	if _, err := nord.ReportPayment(ctx, changed); status.Code(err) != codes.AlreadyExists {
		t.Errorf("the same key with another amount: %v, want ALREADY_EXISTS", err)
	}
	eventually(t, "the ledger to book the first instalment", func() bool {
		o := ledger.open(t, ctx, "D-1")
		return o["RE-2"] == 0 && o["RE-1"] == 11900-550
	})
	if got := ledger.balance(t, ctx, "1365"); got != 7000-650-124 {
		t.Errorf("nord's clearing account %d, want the 70.00 less commission and VAT: %d", got, 7000-650-124)
	}
	if got := ledger.balance(t, ctx, "1576"); got != 124 {
		t.Errorf("input VAT %d, want 1.24", got)
	}
	if got := ledger.balance(t, ctx, "2700"); got != -500 {
		t.Errorf("charge income %d, want the agency's 5.00 costs as income", got)
	}
	e.verify(t, "first instalment")

	// The debtor pays 10.00 of RE-1 to the merchant directly.
	must(ledger.cmds.ApplyPayment(ctx, &ledgerv1.ApplyPaymentRequest{Command: &ledgerv1.ApplyPayment{Tenant: "acme", IdempotencyKey: "pay:direct",
		PaymentId: "direct", DebtorId: "D-1", Amount: eur(1000), ValueDate: pday(2026, 11, 22), Iban: testIBAN,
		Allocations: []*ledgerv1.Allocation{{OpenItemId: ids["RE-1"], Amount: eur(1000)}}}}))
	if got := waitChange("DirectPaymentReported"); got.GetTotals().GetPaidDirectly().GetMinorUnits() != 1000 {
		t.Errorf("the agency's feed after a direct payment: %v, want 10.00 paid directly", got.GetTotals())
	}
	e.verify(t, "direct payment")

	// Second instalment: 30.00, commission 3.00 and VAT 0.57.
	must(nord.ReportPayment(ctx, &collectionsv1.ReportPaymentRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: "pay-2", Collected: eur(3000),
		CollectedDate: pday(2026, 12, 20), Commission: eur(300), InputVat: eur(57)}))
	eventually(t, "the ledger to book the second instalment", func() bool {
		return ledger.open(t, ctx, "D-1")["RE-1"] == 11900-550-1000-3000
	})
	e.verify(t, "second instalment")

	// A question answered.
	must(nord.AskQuestion(ctx, &collectionsv1.AskQuestionRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: "q1", Text: "Was RE-1 delivered?"}))
	must(merchant.AnswerQuestion(ctx, &collectionsv1.AnswerQuestionRequest{Tenant: "acme", CaseId: caseID, QuestionId: "q1", Answer: "Yes, on 2 July."}))
	answers, err := nord.GetAnswers(ctx, &collectionsv1.GetAnswersRequest{Tenant: "acme", CaseId: caseID})
	if err != nil || len(answers.GetQuestions()) != 1 || answers.GetQuestions()[0].GetAnswer() != "Yes, on 2 July." ||
		answers.GetQuestions()[0].GetAnsweredBy() != "user:clara" {
		t.Errorf("answers %v (%v), want clara's answer", answers, err)
	}

	// The merchant recalls RE-3, the agency confirms.
	rc, err := merchant.RecallCase(ctx, &collectionsv1.RecallCaseRequest{Tenant: "acme", CaseId: caseID, OpenItemIds: []string{ids["RE-3"]},
		Reason: "customer service settles it"})
	if err != nil {
		t.Fatal(err)
	}
	must(nord.ConfirmRecall(ctx, &collectionsv1.ConfirmRecallRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: "rc1",
		RecallId: rc.GetRecall().GetRecallId()}))

	// The rest is uncollectable: the ledger writes off RE-1's 73.50 and
	// corrects the output VAT by 11.74 (19/119 of it).
	vatBefore := ledger.balance(t, ctx, "1776")
	closed, err := nord.CloseCase(ctx, &collectionsv1.CloseCaseRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: "close",
		Code: collectionsv1.ClosingCode_CLOSING_CODE_UNCOLLECTABLE, Date: pday(2027, 1, 15)})
	if err != nil {
		t.Fatal(err)
	}
	left := int64(11900 - 550 - 1000 - 3000)
	if got := closed.GetCase().GetTotals().GetWrittenOff().GetMinorUnits(); got != left {
		t.Errorf("written off %d, want %d", got, left)
	}
	eventually(t, "the ledger to write RE-1 off", func() bool {
		o := ledger.open(t, ctx, "D-1")
		return o["RE-1"] == 0 && o["RE-3"] == 2380
	})
	if got, want := ledger.balance(t, ctx, "1776")-vatBefore, left-left*100/119; got != want {
		t.Errorf("output VAT corrected by %d, want %d", got, want)
	}
	e.verify(t, "write-off")

	// Months later the agency gets 20.00 more: a recovery.
	must(nord.ReportPayment(ctx, &collectionsv1.ReportPaymentRequest{Tenant: "acme", CaseId: caseID, IdempotencyKey: "late",
		Collected: eur(2000), CollectedDate: pday(2027, 4, 1)}))
	clearing := int64(7000 - 650 - 124 + 3000 - 300 - 57)
	eventually(t, "the ledger to book the recovery", func() bool { return ledger.balance(t, ctx, "1365") == clearing+2000 })
	e.verify(t, "recovery")

	var rep *collectionsv1.ReportResponse
	eventually(t, "the report to count the recovery", func() bool {
		rep, err = merchant.Report(ctx, &collectionsv1.ReportRequest{Tenant: "acme", AsOf: pday(2027, 4, 2)})
		return err == nil && len(rep.GetAgencies()) == 1 && rep.GetAgencies()[0].GetRecovered().GetMinorUnits() == 2000
	})
	a := rep.GetAgencies()[0]
	if want := int32((7000 + 3000 + 2000) * 10000 / (11900 + 5950 + 2380)); a.GetAgency() != "nord" || a.GetRecoveryRateBp() != want ||
		a.GetCases()["closed"] != 1 {
		t.Errorf("report %v, want nord's recovery rate %d bp and one closed case", a, want)
	}
}
