package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/cmd/agency-sim/agency"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/money"
	collections "github.com/o2c-platform/o2c/services/collections/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// The ledger's SKR03 accounts the lifecycle test watches.
const (
	outputVAT19 = "1776" // Umsatzsteuer 19 %
	badDebt19   = "2406" // Forderungsverluste 19 %
)

// lifecycle is what the end-to-end test needs at hand: the system, the
// merchant's and the ledger's clients and the reference agency.
type lifecycle struct {
	sys      *System
	merchant collectionsv1grpc.CollectionsServiceClient
	ledger   ledgerv1grpc.LedgerServiceClient
	agency   *agency.Agency
}

func (l *lifecycle) balance(t testing.TB, account string) int64 {
	t.Helper()
	r, err := l.ledger.ListAccountBalances(context.Background(), &ledgerv1.ListAccountBalancesRequest{Tenant: Tenant, Account: account})
	if err != nil {
		t.Fatal(err)
	}
	var b int64
	for _, x := range r.GetBalances() {
		if x.GetBalance().GetCurrency() == "EUR" {
			b = x.GetBalance().GetMinorUnits()
		}
	}
	return b
}

// waitBalance waits until account holds want, failing the test (with what
// it holds) when the ledger never gets there.
func (l *lifecycle) waitBalance(t testing.TB, account string, want int64, after string) {
	t.Helper()
	if _, err := WaitForAccountBalance(context.Background(), l.ledger, account, want); err != nil {
		t.Fatalf("after %s: %v", after, err)
	}
}

func (l *lifecycle) waitDebtorOpen(t testing.TB, debtor string, want int64, after string) {
	t.Helper()
	if _, err := WaitForDebtorOpen(context.Background(), l.ledger, debtor, want); err != nil {
		t.Fatalf("after %s: %v", after, err)
	}
}

// waitCase polls the agency's view of a case until ok holds.
func (l *lifecycle) waitCase(t testing.TB, caseID, what string, ok func(*collectionsv1.Case) bool) *collectionsv1.Case {
	t.Helper()
	var c *collectionsv1.Case
	err := poll(context.Background(), func() (bool, error) {
		var err error
		c, err = l.agency.Case(context.Background(), caseID)
		return err == nil && ok(c), err
	})
	if err != nil {
		t.Fatalf("waiting for case %s to show %s (it is %v): %v", caseID, what, c, err)
	}
	return c
}

// vatShare is the output VAT in amount of LateInvoice: amount split in
// proportion to the invoice's net and VAT, as the ledger splits a
// write-off or a recovery over the item's VAT lines.
func vatShare(t testing.TB, amount int64) int64 {
	t.Helper()
	l := DunningInvoices()[0].GetLines()[0]
	net := l.GetNetAmount().GetMinorUnits()
	parts, err := money.Amount{Minor: amount, Currency: "EUR"}.Split([]int64{net, vat(net, l.GetVatRateBp())})
	if err != nil {
		t.Fatal(err)
	}
	return parts[1].Minor
}

// netOf is what the agency owes the merchant of an instalment: what it
// collected less what it keeps.
func netOf(in agency.Instalment) int64 { return in.Collected - in.Fees - in.Commission - in.InputVAT }

// TestCollectionsLifecycle drives a collection case through its whole
// life over real gRPC, the reference agency on one side with its own
// client certificate and the merchant on the other, every service of o2c
// running: dunning's final level releases Jan Schmidt's invoice; the
// agency accepts, reports progress and collects in instalments with its
// costs, commission and their VAT (a retried report books nothing twice,
// the same key with other content is refused); a payment that reaches the
// merchant directly is booked and reported back to the agency; a question
// is answered; a second case is recalled in part, then wholly; the first
// case is closed uncollectable and the rest written off with the output
// VAT corrected (§17 UStG); a later recovery books the money back. The
// ledger's `o2c verify` invariants hold after every step.
func TestCollectionsLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts every service with PostgreSQL and NATS")
	}
	ctx := context.Background()
	sys := startWithDunning(t)
	today := func() time.Time { return time.Date(2026, 10, 15, 9, 0, 0, 0, time.UTC) }
	terms := agency.Terms{Instalments: 4, ShareBP: 5000, CostsMinor: 2500, CommissionBP: 1500, VATRateBP: 1900, Reference: "SIM"}
	a, closeAgency, err := sys.Agency(AgencyPrincipal(ReferenceAgency, Tenant), terms, today)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAgency()
	l := &lifecycle{sys: sys, merchant: collectionsv1grpc.NewCollectionsServiceClient(sys.Conn(collections.Name)),
		ledger: ledgerv1grpc.NewLedgerServiceClient(sys.Conn(ledger.Name)), agency: a}

	// Release from dunning: the final level hands the invoice over.
	released, err := WaitForCase(ctx, l.merchant, LateDebtor)
	if err != nil {
		t.Fatal(err)
	}
	id := released.GetCaseId()
	var principal *collectionsv1.CaseItem
	for _, it := range released.GetItems() {
		if it.GetDocumentNumber() == LateInvoice && it.GetComponent() == "principal" {
			principal = it
		}
	}
	switch {
	case principal == nil:
		t.Fatalf("the released case lacks %s: %v", LateInvoice, released)
	case principal.GetTaxRateBp() != 1900 || principal.GetDueDate() == nil:
		t.Errorf("the case's invoice: VAT %d bp, due %v; want 19 %% and its due date", principal.GetTaxRateBp(), principal.GetDueDate())
	case released.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED || released.GetAgency() != ReferenceAgency:
		t.Errorf("released case %s to %q, want submitted to %s", released.GetStatus(), released.GetAgency(), ReferenceAgency)
	case len(released.GetDunningHistory()) == 0:
		t.Error("the released case carries no dunning history (the dates that prove default)")
	}
	for _, st := range released.GetDunningHistory() {
		if st.GetDate() == nil || st.GetLevel() == 0 {
			t.Errorf("dunning history step %s without its date or level (%v, %d): the agency needs the dates that prove default", st.GetNoticeId(), st.GetDate(), st.GetLevel())
		}
	}
	openBefore := debtorOpen(t, l, LateDebtor)
	verifyLedger(t, sys, "the release")

	// Acceptance and progress.
	c, err := a.Accept(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED || c.GetAgencyReference() != "SIM-"+id {
		t.Fatalf("accepted case: %s, reference %q", c.GetStatus(), c.GetAgencyReference())
	}
	for _, s := range []collectionsv1.ProgressStatus{collectionsv1.ProgressStatus_PROGRESS_STATUS_CONTACTED, collectionsv1.ProgressStatus_PROGRESS_STATUS_PAYMENT_PLAN} {
		if c, err = a.Report(ctx, id, s, "Schuldner erreicht"); err != nil {
			t.Fatal(err)
		}
	}
	if c.GetProgress() != collectionsv1.ProgressStatus_PROGRESS_STATUS_PAYMENT_PLAN {
		t.Errorf("progress %s, want payment plan", c.GetProgress())
	}
	verifyLedger(t, sys, "the acceptance")

	// A partial collection in instalments with fees: half of the case in
	// four instalments, the agency's costs with the first.
	plan, err := a.Plan(c)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := a.Collect(ctx, id, plan[0])
	if err != nil {
		t.Fatal(err)
	}
	claim1 := plan[0].Collected - plan[0].NewCosts
	var allocated int64
	for _, al := range p1.GetAllocations() {
		allocated += al.GetAmount().GetMinorUnits()
	}
	if allocated != claim1 || p1.GetUnallocated().GetMinorUnits() != 0 {
		t.Errorf("instalment 1 allocated %d (%v) and left %d, want its %d beyond the agency's costs allocated", allocated, p1.GetAllocations(),
			p1.GetUnallocated().GetMinorUnits(), claim1)
	}
	l.waitBalance(t, AgencyAccount, netOf(plan[0]), "instalment 1")
	l.waitDebtorOpen(t, LateDebtor, openBefore-claim1, "instalment 1")
	verifyLedger(t, sys, "instalment 1")

	// The same report again answers as before and books nothing twice
	// (checked by the balance after instalment 2); the same key with other
	// content is a conflict.
	again, err := a.Collect(ctx, id, plan[0])
	if err != nil {
		t.Fatalf("instalment 1 retried: %v", err)
	}
	if again.GetCase().GetTotals().GetOpen().GetMinorUnits() != p1.GetCase().GetTotals().GetOpen().GetMinorUnits() {
		t.Errorf("the retried instalment changed what is open: %v -> %v", p1.GetCase().GetTotals(), again.GetCase().GetTotals())
	}
	other := plan[0]
	other.Collected, other.NewCosts, other.Fees, other.Commission, other.InputVAT = 1000, 0, 0, 0, 0
	if _, err := a.Collect(ctx, id, other); status.Code(err) != codes.AlreadyExists {
		t.Errorf("instalment 1's key with other content: %v, want AlreadyExists", err)
	}

	// A direct payment during collection: the debtor pays 50.00 to the
	// merchant's bank; the ledger books it as any payment and collections
	// reports it to the agency.
	const direct = 5000
	if _, err := ledgerv1grpc.NewLedgerCommandServiceClient(sys.Conn(ledger.Name)).ApplyPayment(ctx, &ledgerv1.ApplyPaymentRequest{
		Command: &ledgerv1.ApplyPayment{
			Tenant: Tenant, IdempotencyKey: "bank:2026-10-20:0042", PaymentId: "BANK-2026-10-20-0042", DebtorId: LateDebtor,
			Amount: eur(direct), ValueDate: date(2026, 10, 20), ClearingAccount: UnidentifiedReceipts, Remittance: LateInvoice,
			Allocations: []*ledgerv1.Allocation{{OpenItemId: principal.GetOpenItemId(), Amount: eur(direct)}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	c = l.waitCase(t, id, "the direct payment", func(c *collectionsv1.Case) bool { return len(c.GetDirectPayments()) > 0 })
	if dp := c.GetDirectPayments()[0]; dp.GetOpenItemId() != principal.GetOpenItemId() || dp.GetAmount().GetMinorUnits() != direct ||
		c.GetTotals().GetPaidDirectly().GetMinorUnits() != direct {
		t.Errorf("the agency sees direct payment %v (paid directly %v), want %d on %s", dp, c.GetTotals().GetPaidDirectly(), direct, principal.GetOpenItemId())
	}
	l.waitDebtorOpen(t, LateDebtor, openBefore-claim1-direct, "the direct payment")
	verifyLedger(t, sys, "the direct payment")

	// A question answered.
	q, err := a.Ask(ctx, id, id+"/question/1", "Hat der Schuldner die Lieferung je beanstandet?")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.merchant.AnswerQuestion(ctx, &collectionsv1.AnswerQuestionRequest{Tenant: Tenant, CaseId: id, QuestionId: q.GetQuestionId(),
		Answer: "Nein, zugestellt am 22.07.2026."}); err != nil {
		t.Fatal(err)
	}
	qs, err := a.Answers(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 1 || qs[0].GetAnswer() != "Nein, zugestellt am 22.07.2026." || qs[0].GetAnsweredBy() != CLIPrincipal().Actor {
		t.Errorf("the agency reads %v, want the merchant's answer by %s", qs, CLIPrincipal().Actor)
	}

	// Instalment 2: the agency's account holds both instalments once.
	if _, err := a.Collect(ctx, id, plan[1]); err != nil {
		t.Fatal(err)
	}
	claim2 := plan[1].Collected - plan[1].NewCosts
	l.waitBalance(t, AgencyAccount, netOf(plan[0])+netOf(plan[1]), "instalment 2")
	l.waitDebtorOpen(t, LateDebtor, openBefore-claim1-direct-claim2, "instalment 2")
	verifyLedger(t, sys, "instalment 2")

	// A recall, first of one item, then of the whole case, on a second
	// case: Jan Schmidt's neighbour's two invoices, released by hand.
	t.Run("recall", func(t *testing.T) { recallCase(t, l) })

	// The agency gives up: the rest is written off with the output VAT
	// corrected per the invoice's rate.
	c, err = a.Case(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	vatBefore, badDebtBefore := l.balance(t, outputVAT19), l.balance(t, badDebt19)
	rest := c.GetTotals().GetOpen().GetMinorUnits()
	if c, err = a.Close(ctx, id, collectionsv1.ClosingCode_CLOSING_CODE_UNCOLLECTABLE, "Schuldner unbekannt verzogen"); err != nil {
		t.Fatal(err)
	}
	if c.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_CLOSED || c.GetTotals().GetWrittenOff().GetMinorUnits() != rest {
		t.Errorf("closed case: %s, written off %v; want closed with the %d open written off", c.GetStatus(), c.GetTotals().GetWrittenOff(), rest)
	}
	l.waitDebtorOpen(t, LateDebtor, openBefore-claim1-direct-claim2-rest, "the write-off")
	vatNet := vatShare(t, rest)
	l.waitBalance(t, outputVAT19, vatBefore+vatNet, "the write-off (output VAT corrected, §17 UStG)")
	l.waitBalance(t, badDebt19, badDebtBefore+rest-vatNet, "the write-off (bad debt net of VAT)")
	verifyLedger(t, sys, "the write-off")

	// A later recovery: the debtor pays the agency 30.00 after all; it is
	// booked back, output VAT included, and the agency owes it.
	const recovered int64 = 3000
	rec, err := a.Collect(ctx, id, agency.Instalment{N: 9, Collected: recovered, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.GetCase().GetTotals().GetRecovered().GetMinorUnits(); got != recovered {
		t.Errorf("recovered %d, want %d", got, recovered)
	}
	recVAT := vatShare(t, recovered)
	l.waitBalance(t, AgencyAccount, netOf(plan[0])+netOf(plan[1])+recovered, "the recovery")
	l.waitBalance(t, outputVAT19, vatBefore+vatNet-recVAT, "the recovery (output VAT booked again)")
	verifyLedger(t, sys, "the recovery")

	// Every step is in the merchant's list with the agency's reference.
	list, err := l.merchant.ListCases(ctx, &collectionsv1.ListCasesRequest{Tenant: Tenant, Agency: ReferenceAgency,
		Statuses: []collectionsv1.CaseStatus{collectionsv1.CaseStatus_CASE_STATUS_CLOSED}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetCases()) != 1 || list.GetCases()[0].GetAgencyReference() != "SIM-"+id {
		t.Errorf("closed cases of %s: %v, want %s with its reference", ReferenceAgency, list.GetCases(), id)
	}

	t.Run("security", func(t *testing.T) { agencySecurity(t, l, id) })
	t.Run("the reference agency follows its stream", func(t *testing.T) { agencyStream(t, l) })
}

// agencyStream runs the reference agency as cmd/agency-sim does (Run:
// StreamCases, each new case worked to its end) while a new case is
// released to it, and checks that it works that case, and only that one,
// to paid in full, and that the ledger books the three instalments.
func agencyStream(t *testing.T, l *lifecycle) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, closeAgency, err := l.sys.Agency(AgencyPrincipal(ReferenceAgency, Tenant), agency.DefaultTerms(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAgency()
	before := l.balance(t, AgencyAccount)
	worked := make(chan *collectionsv1.Case, 16)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(c *collectionsv1.Case) { worked <- c }) }()

	d := &shopv1.Debtor{CustomerId: "K-3005", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Tim Vogel", Email: "tim@example.org"}
	if err := publishInvoices(ctx, l.sys, []*shopv1.InvoiceIssued{invoice("RE-2026-0906", "WEB-40906", &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		d, date(2026, 7, 4), &shopv1.PaymentTerms{NetDays: 14}, line{"Espressotassen", "6", 9000, 1900})}); err != nil {
		t.Fatal(err)
	}
	var rel *collectionsv1.ReleaseItemsResponse
	if err := poll(ctx, func() (bool, error) {
		rel, err = l.merchant.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: Tenant, DebtorId: "K-3005", Reason: "Mahnungen unbeantwortet", Agency: ReferenceAgency})
		return err == nil, err
	}); err != nil {
		t.Fatalf("release of K-3005: %v", err)
	}
	id := rel.GetCase().GetCaseId()
	var got *collectionsv1.Case
	for got == nil {
		select {
		case c := <-worked:
			if c.GetCaseId() != id {
				t.Errorf("the agency worked case %s (%s), want only the new %s", c.GetCaseId(), c.GetStatus(), id)
				continue
			}
			got = c
		case err := <-done:
			t.Fatalf("the agency's Run ended before it worked %s: %v", id, err)
		}
	}
	if got.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_CLOSED || got.GetClosingCode() != collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL {
		t.Errorf("case %s after the agency's Run: %s %s, want closed paid in full", id, got.GetStatus(), got.GetClosingCode())
	}
	plan, err := a.Plan(got)
	if err != nil {
		t.Fatal(err)
	}
	var net int64
	for _, in := range plan {
		net += netOf(in)
	}
	l.waitBalance(t, AgencyAccount, before+net, "the streamed case's instalments")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after its context ended: %v, want nil", err)
	}
	verifyLedger(t, l.sys, "the streamed case")
}

// debtorOpen is debtor's open total in the ledger.
func debtorOpen(t testing.TB, l *lifecycle, debtor string) int64 {
	t.Helper()
	r, err := l.ledger.ListOpenItems(context.Background(), &ledgerv1.ListOpenItemsRequest{Tenant: Tenant, DebtorId: debtor})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, it := range r.GetOpenItems() {
		n += it.GetOpenAmount().GetMinorUnits()
	}
	return n
}

// The neighbour's debtor id and invoices for the recall.
const (
	RecallDebtor = "K-3003"
	recallDoc1   = "RE-2026-0903"
	recallDoc2   = "RE-2026-0904"
)

// recallCase releases two invoices of RecallDebtor by hand to the
// reference agency, which accepts; the merchant recalls one of them, the
// agency confirms, then the merchant recalls the rest and the case is
// recalled; nothing is booked, the items stay open in the ledger.
func recallCase(t *testing.T, l *lifecycle) {
	ctx := context.Background()
	own := &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP}
	d := &shopv1.Debtor{CustomerId: RecallDebtor, Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Petra Klein", Email: "petra@example.org"}
	net14 := &shopv1.PaymentTerms{NetDays: 14}
	if err := publishInvoices(ctx, l.sys, []*shopv1.InvoiceIssued{
		invoice(recallDoc1, "WEB-40903", own, d, date(2026, 7, 1), net14, line{"Milchaufschäumer", "1", 10000, 1900}),
		invoice(recallDoc2, "WEB-40904", own, d, date(2026, 7, 2), net14, line{"Entkalker", "2", 5000, 1900}),
	}); err != nil {
		t.Fatal(err)
	}
	items, err := waitForDebtorItems(ctx, l.ledger, RecallDebtor, 2)
	if err != nil {
		t.Fatal(err)
	}
	open := debtorOpen(t, l, RecallDebtor)
	var rel *collectionsv1.ReleaseItemsResponse
	// Collections takes the ledger's items in from its stream; until it
	// has them the release finds nothing to hand over.
	if err := poll(ctx, func() (bool, error) {
		rel, err = l.merchant.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: Tenant, DebtorId: RecallDebtor,
			Reason: "unbekannt verzogen", Agency: ReferenceAgency})
		return err == nil && len(rel.GetCase().GetItems()) == 2, err
	}); err != nil {
		t.Fatalf("manual release of %s: %v", RecallDebtor, err)
	}
	id := rel.GetCase().GetCaseId()
	if rel.GetCase().GetReleaseReason() != "unbekannt verzogen" {
		t.Errorf("release reason %q, want the operator's", rel.GetCase().GetReleaseReason())
	}
	if _, err := l.agency.Accept(ctx, id); err != nil {
		t.Fatal(err)
	}
	first := items[0].GetId()
	r, err := l.merchant.RecallCase(ctx, &collectionsv1.RecallCaseRequest{Tenant: Tenant, CaseId: id, OpenItemIds: []string{first}, Reason: "Ratenzahlung direkt vereinbart"})
	if err != nil {
		t.Fatal(err)
	}
	c := l.waitCase(t, id, "the recall", func(c *collectionsv1.Case) bool { return len(c.GetRecalls()) == 1 })
	if c, err = l.agency.ConfirmRecalls(ctx, c); err != nil {
		t.Fatal(err)
	}
	recalled := map[string]bool{}
	for _, it := range c.GetItems() {
		recalled[it.GetOpenItemId()] = it.GetRecalled()
	}
	if !recalled[first] || len(recalled) != 2 || c.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_ACCEPTED || !c.GetRecalls()[0].GetConfirmed() {
		t.Errorf("after recall %s of %s confirmed: %s, items recalled %v; want the item back and the case still accepted", r.GetRecall().GetRecallId(), first, c.GetStatus(), recalled)
	}
	if _, err := l.merchant.RecallCase(ctx, &collectionsv1.RecallCaseRequest{Tenant: Tenant, CaseId: id, Reason: "Schuldner zahlt"}); err != nil {
		t.Fatal(err)
	}
	c = l.waitCase(t, id, "the second recall", func(c *collectionsv1.Case) bool { return len(c.GetRecalls()) == 2 })
	if c, err = l.agency.ConfirmRecalls(ctx, c); err != nil {
		t.Fatal(err)
	}
	if c.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_RECALLED {
		t.Errorf("after the whole recall: %s, want recalled", c.GetStatus())
	}
	if got := debtorOpen(t, l, RecallDebtor); got != open {
		t.Errorf("%s owes %d after the recall, %d before: a recall books nothing", RecallDebtor, got, open)
	}
	verifyLedger(t, l.sys, "the recall")
}

// agencyCall is one AgencyService RPC tried on a case, returning the
// cases it showed the caller.
type agencyCall struct {
	name string
	call func(ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, caseID string) ([]*collectionsv1.Case, error)
}

// agencyCalls are every AgencyService RPC, each a write with a fresh key.
func agencyCalls() []agencyCall {
	m := func(minor int64) *commonv1.Money { return eur(minor) }
	return []agencyCall{
		{"ListCases", func(ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, _ string) ([]*collectionsv1.Case, error) {
			r, err := c.ListCases(ctx, &collectionsv1.AgencyServiceListCasesRequest{Tenant: tenant})
			return r.GetCases(), err
		}},
		{"GetCase", func(ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, id string) ([]*collectionsv1.Case, error) {
			r, err := c.GetCase(ctx, &collectionsv1.AgencyServiceGetCaseRequest{Tenant: tenant, CaseId: id})
			return one(r.GetCase()), err
		}},
		{"StreamCases", streamCasesOnce},
		{"AcceptCase", func(ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, id string) ([]*collectionsv1.Case, error) {
			r, err := c.AcceptCase(ctx, &collectionsv1.AcceptCaseRequest{Tenant: tenant, CaseId: id, IdempotencyKey: "x/accept", AgencyReference: "X-1"})
			return one(r.GetCase()), err
		}},
		{"RejectCase", func(ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, id string) ([]*collectionsv1.Case, error) {
			r, err := c.RejectCase(ctx, &collectionsv1.RejectCaseRequest{Tenant: tenant, CaseId: id, IdempotencyKey: "x/reject",
				Reason: collectionsv1.RejectReason_REJECT_REASON_NOT_PLAUSIBLE})
			return one(r.GetCase()), err
		}},
		{"ReportStatus", func(ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, id string) ([]*collectionsv1.Case, error) {
			r, err := c.ReportStatus(ctx, &collectionsv1.ReportStatusRequest{Tenant: tenant, CaseId: id, IdempotencyKey: "x/status",
				Status: collectionsv1.ProgressStatus_PROGRESS_STATUS_ON_HOLD, Date: date(2026, 10, 30)})
			return one(r.GetCase()), err
		}},
		{"ReportPayment", func(ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, id string) ([]*collectionsv1.Case, error) {
			r, err := c.ReportPayment(ctx, &collectionsv1.ReportPaymentRequest{Tenant: tenant, CaseId: id, IdempotencyKey: "x/payment",
				Collected: m(100), CollectedDate: date(2026, 10, 30)})
			return one(r.GetCase()), err
		}},
		{"AskQuestion", func(ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, id string) ([]*collectionsv1.Case, error) {
			_, err := c.AskQuestion(ctx, &collectionsv1.AskQuestionRequest{Tenant: tenant, CaseId: id, IdempotencyKey: "x/question", Text: "Wer ist der Schuldner?"})
			return nil, err
		}},
		{"GetAnswers", func(ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, id string) ([]*collectionsv1.Case, error) {
			r, err := c.GetAnswers(ctx, &collectionsv1.GetAnswersRequest{Tenant: tenant, CaseId: id})
			if len(r.GetQuestions()) > 0 {
				return nil, fmt.Errorf("read %d questions of the case", len(r.GetQuestions()))
			}
			return nil, err
		}},
		{"ConfirmRecall", func(ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, id string) ([]*collectionsv1.Case, error) {
			r, err := c.ConfirmRecall(ctx, &collectionsv1.ConfirmRecallRequest{Tenant: tenant, CaseId: id, IdempotencyKey: "x/recall", RecallId: "recall-1"})
			return one(r.GetCase()), err
		}},
		{"CloseCase", func(ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, id string) ([]*collectionsv1.Case, error) {
			r, err := c.CloseCase(ctx, &collectionsv1.CloseCaseRequest{Tenant: tenant, CaseId: id, IdempotencyKey: "x/close",
				Code: collectionsv1.ClosingCode_CLOSING_CODE_INSOLVENCY, Date: date(2026, 10, 30)})
			return one(r.GetCase()), err
		}},
	}
}

func one(c *collectionsv1.Case) []*collectionsv1.Case {
	if c == nil {
		return nil
	}
	return []*collectionsv1.Case{c}
}

// streamCasesOnce opens StreamCases and returns what it sends before the
// caller's own case the security test gave it (the marker: a case of
// OtherAgency's own), or the error the stream ends with. A stream that
// shows another agency's case shows it before the marker: the stream sends
// cases in the order of their changes, and the marker changed last.
func streamCasesOnce(ctx context.Context, c collectionsv1grpc.AgencyServiceClient, tenant, _ string) ([]*collectionsv1.Case, error) {
	// A stream that never sends the marker fails the test with
	// DeadlineExceeded instead of hanging it.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	s, err := c.StreamCases(ctx, &collectionsv1.StreamCasesRequest{Tenant: tenant})
	if err != nil {
		return nil, err
	}
	var seen []*collectionsv1.Case
	for {
		u, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return seen, nil
		}
		if err != nil {
			return seen, err
		}
		if u.GetCase().GetCaseId() == streamMarker(ctx) {
			return seen, nil
		}
		seen = append(seen, u.GetCase())
	}
}

type markerKey struct{}

func streamMarker(ctx context.Context) string { s, _ := ctx.Value(markerKey{}).(string); return s }

// agencySecurity tries every AgencyService RPC on ReferenceAgency's case
// id with credentials that must not reach it: another agency of the same
// tenant, the same agency of another tenant, a request naming a tenant
// the credentials do not hold, and the merchant's own credentials.
// Nothing is shown and nothing changes.
func agencySecurity(t *testing.T, l *lifecycle, id string) {
	ctx := context.Background()
	before, err := l.agency.Case(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// OtherAgency gets a case of its own, the last change before the
	// tests: the marker its StreamCases ends at.
	d := &shopv1.Debtor{CustomerId: "K-3004", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Lukas Huber", Email: "lukas@example.org"}
	if err := publishInvoices(ctx, l.sys, []*shopv1.InvoiceIssued{invoice("RE-2026-0905", "WEB-40905", &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		d, date(2026, 7, 3), &shopv1.PaymentTerms{NetDays: 14}, line{"Kaffeebohnen", "10", 15000, 700})}); err != nil {
		t.Fatal(err)
	}
	var marker *collectionsv1.ReleaseItemsResponse
	if err := poll(ctx, func() (bool, error) {
		marker, err = l.merchant.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: Tenant, DebtorId: "K-3004", Reason: "Wohnsitz Österreich", Agency: OtherAgency})
		return err == nil, err
	}); err != nil {
		t.Fatalf("release to %s: %v", OtherAgency, err)
	}
	ctx = context.WithValue(ctx, markerKey{}, marker.GetCase().GetCaseId())

	const otherTenant = "acme"
	for _, tc := range []struct {
		name   string
		p      identity.Principal
		tenant string
		// want is the code every RPC answers; OK for the list and the
		// stream, which must show nothing of ReferenceAgency's.
		want, list codes.Code
	}{
		{"another agency of the tenant", AgencyPrincipal(OtherAgency, Tenant), Tenant, codes.NotFound, codes.OK},
		{"the same agency of another tenant, naming its own tenant", AgencyPrincipal(ReferenceAgency, otherTenant), otherTenant, codes.NotFound, codes.NotFound},
		{"the same agency of another tenant, naming this tenant", AgencyPrincipal(ReferenceAgency, otherTenant), Tenant, codes.PermissionDenied, codes.PermissionDenied},
		{"an agency naming a tenant it does not hold", AgencyPrincipal(OtherAgency, Tenant), otherTenant, codes.PermissionDenied, codes.PermissionDenied},
		{"the merchant's accountant", CLIPrincipal(), Tenant, codes.PermissionDenied, codes.PermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := l.sys.Dial(collections.Name, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			client := collectionsv1grpc.NewAgencyServiceClient(conn)
			for _, call := range agencyCalls() {
				cases, err := call.call(ctx, client, tc.tenant, id)
				want := tc.want
				if call.name == "ListCases" || call.name == "StreamCases" {
					want = tc.list
				}
				if status.Code(err) != want {
					t.Errorf("%s: %v, want %s", call.name, err, want)
				}
				for _, c := range cases {
					if c.GetAgency() != tc.p.Agency || c.GetCaseId() == id {
						t.Errorf("%s showed case %s of %s to %s", call.name, c.GetCaseId(), c.GetAgency(), tc.p.Actor)
					}
				}
			}
		})
	}
	t.Run("the merchant API refuses an agency", func(t *testing.T) {
		conn, err := l.sys.Dial(collections.Name, AgencyPrincipal(ReferenceAgency, Tenant))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		m := collectionsv1grpc.NewCollectionsServiceClient(conn)
		for name, call := range map[string]func() error{
			"ListCases": func() error {
				_, err := m.ListCases(ctx, &collectionsv1.ListCasesRequest{Tenant: Tenant})
				return err
			},
			"RecallCase": func() error {
				_, err := m.RecallCase(ctx, &collectionsv1.RecallCaseRequest{Tenant: Tenant, CaseId: id, Reason: "x"})
				return err
			},
			"AnswerQuestion": func() error {
				_, err := m.AnswerQuestion(ctx, &collectionsv1.AnswerQuestionRequest{Tenant: Tenant, CaseId: id, QuestionId: "q", Answer: "x"})
				return err
			},
			"ReleaseItems": func() error {
				_, err := m.ReleaseItems(ctx, &collectionsv1.ReleaseItemsRequest{Tenant: Tenant, DebtorId: LateDebtor, Reason: "x"})
				return err
			},
		} {
			if err := call(); status.Code(err) != codes.PermissionDenied {
				t.Errorf("%s as an agency: %v, want PermissionDenied", name, err)
			}
		}
	})
	after, err := l.agency.Case(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if after.GetVersion() != before.GetVersion() || after.GetStatus() != before.GetStatus() {
		t.Errorf("the case changed under the refused calls: version %d -> %d, %s -> %s", before.GetVersion(), after.GetVersion(), before.GetStatus(), after.GetStatus())
	}
}
