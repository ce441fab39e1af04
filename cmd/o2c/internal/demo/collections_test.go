package demo

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/cmd/agency-sim/agency"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/chains"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	matching "github.com/o2c-platform/o2c/services/matching/service"
)

// startWithDunning starts the demo's system on a fresh database and tells
// the dunning story, whose final level releases LateDebtor's items to
// collections. The system stops when the test ends.
func startWithDunning(t testing.TB) *System {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.NewDB(t, pgtest.Template{Name: "o2c_demo_empty"})
	// The services' warnings and errors are shown when the test fails.
	logs := &syncBuffer{}
	sys, err := Start(ctx, Options{DatabaseURL: dbURL, Outbox: t.TempDir(), Log: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		if t.Failed() {
			t.Logf("the services' log:\n%s", logs.String())
		}
	})
	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNATS()
	var out bytes.Buffer
	if _, err := Dunning(ctx, &out, sys, js); err != nil {
		t.Fatalf("dunning: %v\noutput so far:\n%s", err, out.String())
	}
	return sys
}

// syncBuffer is a bytes.Buffer the services write their logs to from
// many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// verifyLedger runs `o2c verify`'s ledger checks (read models rebuilt
// from the events, every entry and the trial balance balanced, the
// receivables control account equal to the debtor accounts, each debtor's
// open items equal to its account) and fails the test when one fails.
func verifyLedger(t testing.TB, sys *System, after string) {
	t.Helper()
	var out bytes.Buffer
	ok, err := chains.Verify(context.Background(), sys.DatabaseURL, []string{"ledger"}, &out)
	if err != nil || !ok {
		t.Fatalf("o2c verify after %s: ok %v, %v\n%s", after, ok, err, out.String())
	}
}

// TestCollectionsStory runs the demo's collections step after its dunning
// story: the final-level debtor's case goes to the reference agency,
// which collects everything in three instalments with its costs and
// commission and closes it paid in full; the ledger shows the agency's
// receivable (collected less what it keeps) and nothing open for the
// debtor, and its invariants hold.
func TestCollectionsStory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts every service with PostgreSQL and NATS")
	}
	sys := startWithDunning(t)
	var out bytes.Buffer
	res, err := Collections(context.Background(), &out, sys)
	if err != nil {
		t.Fatalf("%v\noutput so far:\n%s", err, out.String())
	}
	if res.Released.GetAgency() != ReferenceAgency || res.Released.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_SUBMITTED {
		t.Errorf("released case: agency %q, %s; want submitted to %s", res.Released.GetAgency(), res.Released.GetStatus(), ReferenceAgency)
	}
	var principal bool
	for _, it := range res.Released.GetItems() {
		principal = principal || (it.GetDocumentNumber() == LateInvoice && it.GetComponent() == "principal")
	}
	if !principal {
		t.Errorf("the released case lacks %s as principal: %v", LateInvoice, res.Released.GetItems())
	}
	if len(res.Payments) != 3 {
		t.Errorf("%d instalments reported, want 3", len(res.Payments))
	}
	if res.Closed.GetStatus() != collectionsv1.CaseStatus_CASE_STATUS_CLOSED || res.Closed.GetClosingCode() != collectionsv1.ClosingCode_CLOSING_CODE_PAID_IN_FULL {
		t.Errorf("case after the agency: %s %s, want closed paid in full", res.Closed.GetStatus(), res.Closed.GetClosingCode())
	}
	if want := res.DebtorOpenBefore - res.Released.GetTotals().GetHandedOver().GetMinorUnits(); res.DebtorOpen != want {
		t.Errorf("%s owes %d in the ledger after the case was paid in full, %d before; want %d (what was handed over cleared)", LateDebtor,
			res.DebtorOpen, res.DebtorOpenBefore, want)
	}
	if res.AgencyBalance <= 0 || res.AgencyBalance >= res.Closed.GetTotals().GetCollected().GetMinorUnits() {
		t.Errorf("the agency's clearing account holds %d of the %d collected; want what it collected less what it keeps", res.AgencyBalance,
			res.Closed.GetTotals().GetCollected().GetMinorUnits())
	}
	for _, want := range []string{"accepted as SIM-", "reported contacted", "reported payment-plan", "instalment 3", "closed: paid-in-full", "Recovery per agency"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the story does not say %q:\n%s", want, out.String())
		}
	}
	verifyLedger(t, sys, "the collections story")
	agencyPaysOut(t, sys, res.AgencyBalance)

	// What a demo kept running prints for cmd/agency-sim works: its
	// variables reach collections as the reference agency.
	var hint bytes.Buffer
	if err := printAgencySim(&hint, sys); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, f := range strings.Fields(hint.String()) {
		if k, v, ok := strings.Cut(f, "="); ok {
			env[k] = v
		}
	}
	peer, err := host.PeerFromEnv("collections", "COLLECTIONS_ADDR", func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the printed variables: %v\n%s", err, hint.String())
	}
	conn, err := peer.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	a, err := agency.New(collectionsv1grpc.NewAgencyServiceClient(conn), Tenant, agency.DefaultTerms(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := a.Cases(context.Background())
	if err != nil {
		t.Fatalf("the reference agency with the printed credentials: %v", err)
	}
	if len(cases) != 1 || cases[0].GetCaseId() != res.Closed.GetCaseId() {
		t.Errorf("the reference agency with the printed credentials sees %v, want its case %s", cases, res.Closed.GetCaseId())
	}
}

// agencyPaysOut runs the demo's agency payout step on sys, after the
// collections step left the agency owing owed: ingestion classifies the
// credit from the agency's IBAN by the tenant's incoming rule, the ledger
// books it against the agency's clearing account, which is settled, the
// statement reconciles, the ledger's invariants hold and matching, caught
// up with ingestion's bank transactions, holds no payment of it in any
// state.
func agencyPaysOut(t *testing.T, sys *System, owed int64) {
	t.Helper()
	ctx := context.Background()
	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNATS()
	var out bytes.Buffer
	res, err := AgencyPayout(ctx, &out, sys, js, owed)
	if err != nil {
		t.Fatalf("agency payout: %v\noutput so far:\n%s", err, out.String())
	}
	if res.Classification != ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_INCOMING_CLASSIFIED || res.Rule != AgencyPayoutRule {
		t.Errorf("the payout is classified %s by rule %q; want incoming, by %s", res.Classification, res.Rule, AgencyPayoutRule)
	}
	if res.AgencyBalance != 0 || res.Reconciliation.GetDifference().GetMinorUnits() != 0 {
		t.Errorf("after the payout: clearing account %d, reconciliation %v; want 0 and reconciled", res.AgencyBalance, res.Reconciliation)
	}
	if !bytes.Contains(res.Statement, []byte(AgencyIBAN)) || !strings.Contains(out.String(), "incoming, rule "+AgencyPayoutRule) {
		t.Errorf("the story does not show the agency's credit and its rule:\n%s", out.String())
	}
	verifyLedger(t, sys, "the agency's payout")
	if err := poll(ctx, func() (bool, error) {
		return bus.CaughtUp(ctx, js, bus.ServiceStream("ingestion"), matching.BankDurable)
	}); err != nil {
		t.Fatalf("waiting for matching's %s: %v", matching.BankDurable, err)
	}
	ex, err := matchingv1grpc.NewMatchingServiceClient(sys.Conn(matching.Name)).ListExceptions(ctx, &matchingv1.ListExceptionsRequest{Tenant: Tenant,
		States: []matchingv1.ExceptionState{matchingv1.ExceptionState_EXCEPTION_STATE_OPEN, matchingv1.ExceptionState_EXCEPTION_STATE_PARKED,
			matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED, matchingv1.ExceptionState_EXCEPTION_STATE_SPLIT}, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ex.GetExceptions() {
		if e.GetPayment().GetAmount().GetMinorUnits() == owed {
			t.Errorf("matching took the agency's payout in: %v", e)
		}
	}
}
