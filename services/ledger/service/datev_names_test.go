package service

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	extf "github.com/o2c-platform/o2c/libs/formats/datev"
	"github.com/o2c-platform/o2c/services/ledger/internal/datev"
)

// TestExportDATEVMasterDataOverGRPC runs the ledger connected to
// ingestion's debtor profiles and exports a closed October: the master
// data names the company and the person with their billing addresses;
// exported again after the company moved, the same bytes (as recorded at
// the first export); after the person is erased, the record carries no
// personal data, neither the file nor the ledger's record keeps any, and
// the next export gives the same bytes again.
func TestExportDATEVMasterDataOverGRPC(t *testing.T) {
	t.Parallel()
	profiles := &fakeProfiles{profiles: map[string]*ingestionv1.DebtorProfile{}}
	profiles.set(&ingestionv1.DebtorProfile{DebtorId: "D1", Business: true, Name: "Gärtnerei Löwenzahn GmbH", Email: "rechnung@loewenzahn.example",
		BillingAddress: &shopv1.Address{Lines: []string{"Am Anger 7"}, PostalCode: "80331", City: "München", Country: "DE"}, PreferredLanguage: "de"})
	profiles.set(&ingestionv1.DebtorProfile{DebtorId: "D2", Name: "Renée Dubois",
		BillingAddress: &shopv1.Address{Lines: []string{"12 rue de la Paix"}, PostalCode: "75002", City: "Paris", Country: "FR"}, PreferredLanguage: "fr"})
	s := startDATEVLedger(t, func(o *Options) { o.Ingestion = profiles })
	ctx := context.Background()
	cfo := accountant("cfo", "acme")
	for _, inv := range []*ledgerv1.RegisterInvoice{
		invoice("acme", "D1", "RE-1", 10000, day(2026, 10, 5), day(2026, 11, 5)),
		invoice("acme", "D2", "RE-2", 2000, day(2026, 10, 20), day(2026, 11, 20)),
	} {
		if _, err := s.cmds.RegisterInvoice(ctx, &ledgerv1.RegisterInvoiceRequest{Command: inv}, testAuth.As(cfo)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.cmds.ClosePeriod(ctx, &ledgerv1.ClosePeriodRequest{Command: &ledgerv1.ClosePeriod{Tenant: "acme", IdempotencyKey: "close-2026-10", Year: 2026, Month: 10, Reason: "month end"}}, testAuth.As(cfo)); err != nil {
		t.Fatal(err)
	}
	s.caughtUp(t)
	oct := &ledgerv1.ExportDATEVRequest{Tenant: "acme", Year: 2026, Month: 10}
	const file = "EXTF_Debitoren_2026-10.csv"
	export := func() ([]byte, map[string]extf.Debtor, *ledgerv1.ExportDATEVResponse) {
		t.Helper()
		files, first, err := exportDATEV(ctx, s, cfo, oct)
		if err != nil {
			t.Fatal(err)
		}
		r, err := extf.NewReader(bytes.NewReader(files[file]))
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]extf.Debtor{}
		for {
			d, err := r.NextDebtor()
			if errors.Is(err, io.EOF) {
				return files[file], byID, first
			}
			if err != nil {
				t.Fatal(err)
			}
			d.Account = "" // the accounts are the ledger's to choose
			byID[d.CustomerNumber] = d
		}
	}

	first, got, head := export()
	want := map[string]extf.Debtor{
		"D1": {AddresseeType: "2", CompanyName: "Gärtnerei Löwenzahn GmbH", AddressKind: "STR", Street: "Am Anger 7", PostalCode: "80331",
			City: "München", Country: "DE", Email: "rechnung@loewenzahn.example", Language: "1", CustomerNumber: "D1", ExternalNumber: "D1"},
		"D2": {AddresseeType: "1", FirstName: "Renée", LastName: "Dubois", AddressKind: "STR", Street: "12 rue de la Paix", PostalCode: "75002",
			City: "Paris", Country: "FR", Language: "4", CustomerNumber: "D2", ExternalNumber: "D2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("master data (-want +got):\n%s", diff)
	}

	profiles.set(&ingestionv1.DebtorProfile{DebtorId: "D1", Business: true, Name: "Gärtnerei Löwenzahn GmbH",
		BillingAddress: &shopv1.Address{Lines: []string{"Neuer Weg 1"}, PostalCode: "80333", City: "München", Country: "DE"}})
	if again, _, _ := export(); !bytes.Equal(first, again) {
		t.Error("the closed October's master data differs after a debtor moved; it must be the bytes of its first export")
	}

	profiles.set(&ingestionv1.DebtorProfile{DebtorId: "D2", Erased: true})
	erased, got, _ := export()
	wantErased := extf.Debtor{AddresseeType: "0", Name: "[erased] D2", CustomerNumber: "D2", ExternalNumber: "D2"}
	if diff := cmp.Diff(wantErased, got["D2"]); diff != "" {
		t.Errorf("erased debtor's record (-want +got):\n%s", diff)
	}
	if bytes.Contains(erased, []byte("Dubois")) || bytes.Contains(erased, []byte("rue de la Paix")) {
		t.Error("the master data still holds the erased debtor's name or address")
	}
	if again, _, _ := export(); !bytes.Equal(erased, again) {
		t.Error("the closed October's master data differs when exported again after the erasure")
	}
	kept, err := s.store.RecordedMasterData(ctx, "acme", 2026, 10, head.GetKnownAt().AsTime())
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 2 {
		t.Errorf("the ledger recorded %d debtors' master data, want 2", len(kept))
	}
	erasedKept := 0
	for acc, p := range kept {
		switch {
		case cmp.Equal(p, datev.Profile{Erased: true}):
			erasedKept++
		case p.Name != "Gärtnerei Löwenzahn GmbH" || len(p.Street) == 0 || p.Street[0] != "Am Anger 7":
			t.Errorf("the ledger keeps for account %s %+v; want the company as first exported or the erased debtor without personal data", acc, p)
		}
	}
	if erasedKept != 1 {
		t.Errorf("%d erased records kept, want 1 (D2's, without personal data)", erasedKept)
	}
}
