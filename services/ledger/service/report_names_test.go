package service

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
)

// fakeProfiles is ingestion's DebtorProfileService as a connection: it
// answers ListDebtorProfiles from a map of profiles the test changes.
type fakeProfiles struct {
	mu       sync.Mutex
	profiles map[string]*ingestionv1.DebtorProfile
}

func (f *fakeProfiles) set(p *ingestionv1.DebtorProfile) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.profiles[p.GetDebtorId()] = p
}

// Invoke implements grpc.ClientConnInterface.
func (f *fakeProfiles) Invoke(_ context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	if method != "/o2c.ingestion.v1.DebtorProfileService/ListDebtorProfiles" {
		return fmt.Errorf("fake ingestion: no method %s", method)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := reply.(*ingestionv1.ListDebtorProfilesResponse)
	for _, id := range args.(*ingestionv1.ListDebtorProfilesRequest).GetDebtorIds() {
		if p, ok := f.profiles[id]; ok {
			res.Profiles = append(res.Profiles, proto.Clone(p).(*ingestionv1.DebtorProfile))
		}
	}
	return nil
}

// NewStream implements grpc.ClientConnInterface.
func (f *fakeProfiles) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, fmt.Errorf("fake ingestion: no streams")
}

// TestReportNamesAndErasure runs the ledger connected to ingestion's
// debtor profiles: the open-item and debtor balance lists name the
// debtors, an issued open-item list records the names it showed, and after
// one debtor is renamed and another erased (its item paid since), today's
// list shows the new name and "[erased]" while the reproduction compares
// byte for byte with the names as issued and returns the erased debtor
// pseudonymised; the issued file itself is kept as it was.
func TestReportNamesAndErasure(t *testing.T) {
	t.Parallel()
	profiles := &fakeProfiles{profiles: map[string]*ingestionv1.DebtorProfile{}}
	profiles.set(&ingestionv1.DebtorProfile{DebtorId: "D1", Name: "Anna Schmidt GmbH"})
	profiles.set(&ingestionv1.DebtorProfile{DebtorId: "D2", Name: "Bernd Meier"})
	s := startServiceWith(t, func(o *Options) { o.Ingestion = profiles })
	const tn = "acme"
	ctx := context.Background()
	anna := grpc.CallOption(testAuth.As(accountant("user:anna", tn)))
	reports := ledgerv1grpc.NewReportServiceClient(s.conn)
	must(t, s.cmds, invoice(tn, "D1", "RE-1", 10000, day(2026, 3, 10), day(2026, 3, 24)))
	must(t, s.cmds, invoice(tn, "D2", "RE-2", 5000, day(2026, 3, 12), day(2026, 3, 26)))
	must(t, s.cmds, invoice(tn, "D3", "RE-3", 700, day(2026, 3, 14), day(2026, 3, 28))) // unknown to ingestion
	s.caughtUp(t)

	names := func() (items, balances []string) {
		t.Helper()
		st, err := reports.OpenItems(ctx, &ledgerv1.OpenItemsRequest{Tenant: tn, AsOf: day(2026, 3, 31)}, anna)
		if err != nil {
			t.Fatal(err)
		}
		for _, resp := range recvAll[*ledgerv1.OpenItemsResponse](t, st) {
			for _, r := range resp.GetRows() {
				items = append(items, r.GetDebtorId()+" "+r.GetDebtorName())
			}
		}
		db, err := reports.DebtorBalances(ctx, &ledgerv1.DebtorBalancesRequest{Tenant: tn, AsOf: day(2026, 3, 31)}, anna)
		if err != nil {
			t.Fatal(err)
		}
		for _, resp := range recvAll[*ledgerv1.DebtorBalancesResponse](t, db) {
			for _, r := range resp.GetRows() {
				balances = append(balances, r.GetDebtorId()+" "+r.GetDebtorName())
			}
		}
		return items, balances
	}
	want := []string{"D1 Anna Schmidt GmbH", "D2 Bernd Meier", "D3 "}
	items, balances := names()
	if diff := cmp.Diff(want, items); diff != "" {
		t.Errorf("open items' names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, balances); diff != "" {
		t.Errorf("debtor balances' names (-want +got):\n%s", diff)
	}

	rec, issued := s.issueOpenItems(t, reports, anna)
	if !bytes.HasPrefix(issued, []byte("\uFEFFDebtor;Name;Account;")) || !bytes.Contains(issued, []byte("D2;Bernd Meier;")) {
		t.Fatalf("issued open-item list without the names:\n%s", issued)
	}
	if rec.GetRequest().GetLayout() != 1 {
		t.Errorf("issued with layout %d, want 1", rec.GetRequest().GetLayout())
	}

	// D2 pays and is erased; D1 is renamed.
	re2, _ := s.itemID(t, tn, "D2", "RE-2")
	must(t, s.cmds, &ledgerv1.ApplyPayment{Tenant: tn, IdempotencyKey: "pay:P-2", PaymentId: "P-2", DebtorId: "D2", Amount: eur(5950),
		ValueDate: day(2026, 4, 2), Iban: testIBAN, Allocations: []*ledgerv1.Allocation{{OpenItemId: re2, Amount: eur(5950)}}})
	s.caughtUp(t)
	profiles.set(&ingestionv1.DebtorProfile{DebtorId: "D1", Name: "Anna Schmidt AG"})
	profiles.set(&ingestionv1.DebtorProfile{DebtorId: "D2", Erased: true})
	items, _ = names()
	if diff := cmp.Diff([]string{"D1 Anna Schmidt AG", "D2 [erased]", "D3 "}, items); diff != "" {
		t.Errorf("today's names (-want +got):\n%s", diff)
	}

	st, err := reports.ReproduceReport(ctx, &ledgerv1.ReproduceReportRequest{Tenant: tn, Id: rec.GetId()}, anna)
	if err != nil {
		t.Fatal(err)
	}
	var again []byte
	var v *ledgerv1.Reproduction
	for _, resp := range recvAll[*ledgerv1.ReproduceReportResponse](t, st) {
		again = append(again, resp.GetData()...)
		if resp.GetReproduction() != nil {
			v = resp.GetReproduction()
		}
	}
	if !v.GetIdentical() || !v.GetByteForByte() || v.GetPseudonymised() != 1 {
		t.Errorf("reproduction %v, want identical byte for byte with one debtor pseudonymised", v)
	}
	if want := bytes.Replace(issued, []byte("D2;Bernd Meier;"), []byte("D2;[erased];"), 1); !bytes.Equal(again, want) {
		t.Errorf("reproduced file:\n%s\nwant the issued one with D2 erased:\n%s", again, want)
	}
	if strings.Contains(string(again), "Bernd") || !strings.Contains(string(again), "Anna Schmidt GmbH") {
		t.Errorf("reproduced file names the erased debtor or not the name as issued:\n%s", again)
	}
	gs, err := reports.GetIssuedReport(ctx, &ledgerv1.GetIssuedReportRequest{Tenant: tn, Id: rec.GetId()}, anna)
	if err != nil {
		t.Fatal(err)
	}
	var stored []byte
	for _, resp := range recvAll[*ledgerv1.GetIssuedReportResponse](t, gs) {
		stored = append(stored, resp.GetData()...)
	}
	if !bytes.Equal(stored, issued) {
		t.Errorf("the issued file changed:\n%s", stored)
	}
}
