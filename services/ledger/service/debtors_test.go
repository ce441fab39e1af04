package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// queries returns a client of the service's LedgerQueryService, an
// accountant of every test tenant.
func (s *svc) queries(t *testing.T) ledgerv1grpc.LedgerQueryServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(s.l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		testAuth.DialAs(accountant("clerk", testTenantIDs()...)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ledgerv1grpc.NewLedgerQueryServiceClient(conn)
}

// verify runs what `o2c verify` runs on the ledger, after the projection
// caught up.
func (s *svc) verify(t *testing.T) postgres.ReadModelReport {
	t.Helper()
	s.caughtUp(t)
	rep, err := VerifyReadModels(context.Background(), s.l.Pool())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestMergeRefusalsOverRPC runs the merges of the issue: after K-5002 was
// merged into K-5001, merging K-5001 into K-5002 is refused as a failed
// precondition that names the earlier merge; merging Amazon's debtor into a
// customer is refused as invalid and says why. Nothing is booked, and
// verify stays green.
func TestMergeRefusalsOverRPC(t *testing.T) {
	t.Parallel()
	s := startService(t)
	c := s.cmds
	const tn = "acme"
	amazon := books.MarketplaceDebtorID("amazon", "EUR")
	mar1, apr1 := day(2026, 3, 1), day(2026, 4, 1)
	must(t, c, invoice(tn, "K-5001", "R-1", 10000, mar1, apr1))
	must(t, c, invoice(tn, "K-5002", "R-2", 5000, mar1, apr1))
	amz := invoice(tn, "AMZ-BUYER-1", "AMZ-1", 1000, mar1, mar1)
	amz.Marketplace = "amazon"
	must(t, c, amz)
	merge := func(dup, into string) *ledgerv1.MergeDebtor {
		return &ledgerv1.MergeDebtor{Tenant: tn, IdempotencyKey: "merge:" + dup + ":" + into, DebtorId: dup, IntoDebtorId: into,
			MergeDate: day(2026, 3, 15), Reason: "same customer"}
	}
	must(t, c, merge("K-5002", "K-5001"))
	before := s.balances(t, tn)

	_, err := call(t, c, "clerk", merge("K-5001", "K-5002"))
	wantCode(t, "backwards", err, codes.FailedPrecondition, "K-5002 was merged into K-5001 on 2026-03-15; a merged debtor cannot be a merge target")
	_, err = call(t, c, "clerk", merge("K-5002", "K-5003"))
	wantCode(t, "again", err, codes.FailedPrecondition, "K-5002 was merged into K-5001 on 2026-03-15; a merged debtor cannot be merged again")
	_, err = call(t, c, "clerk", merge(amazon, "K-5001"))
	wantCode(t, "marketplace into a customer", err, codes.InvalidArgument,
		"marketplace debtor marketplace:amazon:EUR collects through the marketplace and is never merged with a personal debtor")
	_, err = call(t, c, "clerk", merge("K-5001", amazon))
	wantCode(t, "customer into a marketplace", err, codes.InvalidArgument, "is never merged with a personal debtor")

	s.expect(t, "after the refusals", tn, "K-5001", map[string]int64{"R-1": 11900, "R-2": 5950}, before)
	s.expect(t, "after the refusals", tn, amazon, map[string]int64{"AMZ-1": 1190}, nil)
	if rep := s.verify(t); !rep.OK() {
		t.Errorf("verify after the refusals: %+v", rep)
	}
}

// plant stores events on a debtor's stream behind the books' back, as a
// ledger without the merge checks did.
func (s *svc) plant(t *testing.T, tenant, debtor string, payloads ...proto.Message) {
	t.Helper()
	store, err := eventstore.New(s.l.Pool(), postgres.Schema, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]eventstore.Event, len(payloads))
	for i, p := range payloads {
		evs[i] = eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now().UTC().Truncate(time.Microsecond), Actor: "old-ledger"}, Payload: p}
	}
	if _, err := store.Append(context.Background(), books.DebtorStream(tenant, debtor), eventstore.AnyVersion, evs); err != nil {
		t.Fatalf("plant on %s: %v", debtor, err)
	}
}

// plantMerge stores a merge that moved nothing on both debtors' streams,
// as the Commander stores one.
func (s *svc) plantMerge(t *testing.T, tenant, dup, into string) {
	t.Helper()
	key := "merge:" + dup + ":" + into + ":" + uuid.NewString()
	for _, stream := range []string{dup, into} {
		s.plant(t, tenant, stream,
			&ledgerv1.CommandAccepted{Tenant: tenant, IdempotencyKey: key, ContentHash: "planted", Command: "o2c.ledger.v1.MergeDebtor",
				Actor: "old-ledger", RecordedAt: timestamppb.Now()},
			&ledgerv1.DebtorMerged{Tenant: tenant, DebtorId: dup, IntoDebtorId: into, Reason: "planted", Actor: "old-ledger"})
	}
}

// TestVerifyReportsBrokenDebtorInvariants plants what the ledger no longer
// lets through — a merge run backwards, a debtor merged away twice, a
// marketplace debtor merged into a customer, and a debtor booked on a
// second personal account — and expects `o2c verify`'s check to report
// each as a breach naming the debtor and saying what is wrong.
func TestVerifyReportsBrokenDebtorInvariants(t *testing.T) {
	t.Parallel()
	s := startService(t)
	c := s.cmds
	const tn = "acme"
	amazon := books.MarketplaceDebtorID("amazon", "EUR")
	mar1, apr1 := day(2026, 3, 1), day(2026, 4, 1)
	for _, d := range []string{"K-1", "K-2", "K-3", "K-4"} {
		must(t, c, invoice(tn, d, "R-"+d, 1000, mar1, apr1))
	}
	amz := invoice(tn, "AMZ-BUYER-1", "AMZ-1", 1000, mar1, mar1)
	amz.Marketplace = "amazon"
	must(t, c, amz)
	if rep := s.verify(t); !rep.OK() {
		t.Fatalf("verify before planting: %+v", rep)
	}

	s.plantMerge(t, tn, "K-2", "K-1")
	s.plantMerge(t, tn, "K-1", "K-2") // backwards
	s.plantMerge(t, tn, "K-3", "K-4")
	s.plantMerge(t, tn, "K-3", "K-9") // K-3 again
	s.plantMerge(t, tn, amazon, "K-4")
	// An invoice of K-4 booked on another account than K-4's, as books
	// that did not know K-4 would book it.
	other, err := books.New(tn, testBooks(tn)).RegisterInvoice(invoice(tn, "K-4", "R-K-4-B", 1000, mar1, apr1), "10077",
		books.Origin{Actor: "old-ledger", Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	s.plant(t, tn, "K-4", other...)

	rep := s.verify(t)
	if len(rep.Mismatches) != 0 {
		t.Errorf("mismatches %+v, want none: the read models are a faithful projection of bad events", rep.Mismatches)
	}
	want := []postgres.Breach{
		{Invariant: postgres.InvariantMergeTarget, Tenant: tn, DebtorID: "K-1"},
		{Invariant: postgres.InvariantMergedOnce, Tenant: tn, DebtorID: "K-3"},
		{Invariant: postgres.InvariantMergeKinds, Tenant: tn, DebtorID: amazon},
		{Invariant: postgres.InvariantOnePersonalAccount, Tenant: tn, DebtorID: "K-4"},
	}
	if diff := cmp.Diff(want, rep.Breaches, cmpopts.IgnoreFields(postgres.Breach{}, "Detail")); diff != "" {
		t.Fatalf("breaches (-want +got):\n%s", diff)
	}
	for i, says := range []string{
		"K-1 was merged into K-2 (recorded ",
		"K-3 was merged away twice: into K-4 (recorded ",
		"although marketplace debtor marketplace:amazon:EUR collects through the marketplace and is never merged with a personal debtor",
		"K-4 is booked on 2 personal accounts: 10003, 10077",
	} {
		if !strings.Contains(rep.Breaches[i].Detail, says) {
			t.Errorf("breach %s says %q, want it to say %q", rep.Breaches[i].Invariant, rep.Breaches[i].Detail, says)
		}
	}
}

// TestMarketplaceDebtorStatement is the demo's case: the chart names 69001
// for Amazon in EUR. A marketplace invoice is booked there, and the
// marketplace debtor's statement is the statement of 69001: it shows the
// line, with who booked it, and closes at the debtor's open items. No personal account number
// was spent on the marketplace debtor, so the next customer gets the first
// one. A marketplace the chart names no account for gets a number, and its
// statement is on that number.
func TestMarketplaceDebtorStatement(t *testing.T) {
	t.Parallel()
	s := startService(t)
	c := s.cmds
	q := s.queries(t)
	ctx := context.Background()
	const tn = "acme"
	mar1, apr1 := day(2026, 3, 1), day(2026, 4, 1)
	amz := invoice(tn, "AMZ-BUYER-1", "AMZ-1", 1000, mar1, mar1)
	amz.Marketplace = "amazon"
	must(t, c, amz)
	ebay := invoice(tn, "EBAY-BUYER-1", "EBAY-1", 2000, mar1, mar1)
	ebay.Marketplace = "ebay"
	must(t, c, ebay)
	must(t, c, invoice(tn, "K-1", "R-1", 5000, mar1, apr1))
	s.caughtUp(t)

	line := func(doc string, debit, running int64) *ledgerv1.StatementLine {
		// Actor: who sent the command that booked it (call's "clerk").
		return &ledgerv1.StatementLine{EffectiveDate: mar1, DocumentNumber: doc, Text: "Rechnung " + doc,
			Debit: eur(debit), Credit: eur(0), RunningBalance: eur(running), Actor: "clerk"}
	}
	for _, tc := range []struct {
		debtor string
		want   *ledgerv1.GetDebtorStatementResponse
	}{
		{books.MarketplaceDebtorID("amazon", "EUR"), &ledgerv1.GetDebtorStatementResponse{DebtorAccount: "69001",
			OpeningBalances: []*commonv1.Money{eur(0)}, ClosingBalances: []*commonv1.Money{eur(1190)}, Lines: []*ledgerv1.StatementLine{line("AMZ-1", 1190, 1190)}}},
		{books.MarketplaceDebtorID("ebay", "EUR"), &ledgerv1.GetDebtorStatementResponse{DebtorAccount: "10000",
			OpeningBalances: []*commonv1.Money{eur(0)}, ClosingBalances: []*commonv1.Money{eur(2380)}, Lines: []*ledgerv1.StatementLine{line("EBAY-1", 2380, 2380)}}},
		{"K-1", &ledgerv1.GetDebtorStatementResponse{DebtorAccount: "10001",
			OpeningBalances: []*commonv1.Money{eur(0)}, ClosingBalances: []*commonv1.Money{eur(5950)}, Lines: []*ledgerv1.StatementLine{line("R-1", 5950, 5950)}}},
	} {
		got, err := q.GetDebtorStatement(ctx, &ledgerv1.GetDebtorStatementRequest{Tenant: tn, DebtorId: tc.debtor})
		if err != nil {
			t.Fatalf("statement of %s: %v", tc.debtor, err)
		}
		if diff := cmp.Diff(tc.want, got, protocmp.Transform(), protocmp.IgnoreFields(&ledgerv1.StatementLine{}, "entry_id", "recorded_at")); diff != "" {
			t.Errorf("statement of %s (-want +got):\n%s", tc.debtor, diff)
		}
		var open int64
		for _, v := range s.openItems(t, tn, tc.debtor) {
			open += v
		}
		if closing := got.GetClosingBalances()[0].GetMinorUnits(); closing != open {
			t.Errorf("statement of %s closes at %d, its open items sum to %d", tc.debtor, closing, open)
		}
	}
	var assigned int
	if err := s.l.Pool().QueryRow(ctx, `SELECT count(*) FROM debtor_accounts WHERE tenant = $1 AND debtor_id = $2`,
		tn, books.MarketplaceDebtorID("amazon", "EUR")).Scan(&assigned); err != nil {
		t.Fatal(err)
	}
	if assigned != 0 {
		t.Errorf("%d debtor account numbers assigned to Amazon's debtor, want none: its account is 69001", assigned)
	}
	if rep := s.verify(t); !rep.OK() {
		t.Errorf("verify: %+v", rep)
	}
}
