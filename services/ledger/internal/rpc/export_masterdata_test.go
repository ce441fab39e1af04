package rpc

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	extf "github.com/o2c-platform/o2c/libs/formats/datev"
	"github.com/o2c-platform/o2c/services/ledger/internal/datev"
)

// fakeProfiles is ingestion's master data in memory.
type fakeProfiles struct {
	mu       sync.Mutex
	profiles map[string]datev.Profile
}

func (f *fakeProfiles) DebtorProfiles(_ context.Context, _ string, debtors []string) (map[string]datev.Profile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]datev.Profile{}
	for _, d := range debtors {
		if p, ok := f.profiles[d]; ok {
			out[d] = p
		}
	}
	return out, nil
}

func (f *fakeProfiles) set(id string, p datev.Profile) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.profiles[id] = p
}

// fakeMasterData is a MasterDataStore in memory, with the rules of
// postgres.Store.RecordMasterData.
type fakeMasterData struct {
	mu   sync.Mutex
	rows map[string]map[string]datev.Debtor // export key -> account -> debtor
}

func masterKey(year int, month time.Month, at time.Time) string {
	return datev.Period{Year: year, Month: month}.String() + "@" + at.UTC().Format(time.RFC3339Nano)
}

func (f *fakeMasterData) RecordedMasterData(_ context.Context, _ string, year int, month time.Month, at time.Time) (map[string]datev.Profile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]datev.Profile{}
	for acc, d := range f.rows[masterKey(year, month, at)] {
		out[acc] = *d.Profile
	}
	return out, nil
}

func (f *fakeMasterData) RecordMasterData(_ context.Context, _ string, year int, month time.Month, at time.Time, debtors []datev.Debtor) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := masterKey(year, month, at)
	if f.rows[key] == nil {
		f.rows[key] = map[string]datev.Debtor{}
	}
	for _, d := range debtors {
		if d.Profile == nil {
			continue
		}
		p := *d.Profile
		if p.Erased {
			f.forget(d.DebtorID)
			f.rows[key][d.Account] = datev.Debtor{Account: d.Account, DebtorID: d.DebtorID, Profile: &p}
			continue
		}
		if _, ok := f.rows[key][d.Account]; !ok {
			f.rows[key][d.Account] = datev.Debtor{Account: d.Account, DebtorID: d.DebtorID, Profile: &p}
		}
	}
	return nil
}

func (f *fakeMasterData) ForgetMasterData(_ context.Context, _ string, debtors []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range debtors {
		f.forget(id)
	}
	return nil
}

// forget pseudonymises every row of debtor id; f.mu is held.
func (f *fakeMasterData) forget(id string) {
	for _, rows := range f.rows {
		for acc, r := range rows {
			if r.DebtorID == id {
				r.Profile = &datev.Profile{Erased: true}
				rows[acc] = r
			}
		}
	}
}

// readMasterData reads a Debitoren/Kreditoren file back, by account.
func readMasterData(tb testing.TB, file []byte) map[string]extf.Debtor {
	tb.Helper()
	r, err := extf.NewReader(bytes.NewReader(file))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]extf.Debtor{}
	for {
		d, err := r.NextDebtor()
		if err == io.EOF {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		out[d.Account] = d
	}
}

// TestExportDATEVMasterData exports October's master data with names and
// addresses from ingestion's profiles: a closed period exported again
// after a debtor moved gives the same bytes (the master data recorded at
// its first export), a debtor erased since comes out pseudonymised, then
// stays so byte for byte, and the ledger keeps none of its personal data;
// an open period shows the profiles as they are now, and its export too
// makes the ledger forget what it recorded of a debtor erased since.
func TestExportDATEVMasterData(t *testing.T) {
	t.Parallel()
	store := octoberStore(100)
	closedAt := time.Date(2026, 11, 5, 8, 0, 0, 0, time.UTC)
	store.closed[datev.Period{Year: 2026, Month: time.October}] = closedAt
	ingestion := &fakeProfiles{profiles: map[string]datev.Profile{
		"K-0": {Business: true, Name: "Bäckerei Öztürk GmbH", Street: []string{"Lindenstraße 3"}, PostalCode: "50674", City: "Köln", Country: "DE", Email: "rechnung@oeztuerk.example", Language: "de"},
		"K-1": {Name: "Zoë Müller", Street: []string{"Rue de Lausanne 9"}, PostalCode: "1201", City: "Genève", Country: "CH", Language: "fr"},
	}}
	recorded := &fakeMasterData{rows: map[string]map[string]datev.Debtor{}}
	export := func(month int32) []byte {
		t.Helper()
		svc := newExportService(t, store, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		svc.Profiles, svc.MasterData = ingestion, recorded
		st := &exportStream{}
		if err := svc.ExportDATEV(&ledgerv1.ExportDATEVRequest{Tenant: "acme", Year: 2026, Month: month}, st); err != nil {
			t.Fatal(err)
		}
		_, data := st.files(t)
		return data[datev.DebtorsFileName(datev.Period{Year: 2026, Month: time.Month(month)})]
	}

	first := export(10)
	got := readMasterData(t, first)
	if len(got) != 50 {
		t.Fatalf("%d master data records, want 50", len(got))
	}
	want := map[string]extf.Debtor{
		"10000": {Account: "10000", AddresseeType: "2", CompanyName: "Bäckerei Öztürk GmbH", AddressKind: "STR", Street: "Lindenstraße 3",
			PostalCode: "50674", City: "Köln", Country: "DE", Email: "rechnung@oeztuerk.example", Language: "1", CustomerNumber: "K-0", ExternalNumber: "K-0"},
		"10001": {Account: "10001", AddresseeType: "1", FirstName: "Zoë", LastName: "Müller", AddressKind: "STR", Street: "Rue de Lausanne 9",
			PostalCode: "1201", City: "Genève", Country: "CH", Language: "4", CustomerNumber: "K-1", ExternalNumber: "K-1"},
		"10002": {Account: "10002", AddresseeType: "0", Name: "K-2", CustomerNumber: "K-2", ExternalNumber: "K-2"},
	}
	for acc, w := range want {
		if diff := cmp.Diff(w, got[acc]); diff != "" {
			t.Errorf("record of %s (-want +got):\n%s", acc, diff)
		}
	}

	// The company moves: the closed period's master data stays as exported.
	ingestion.set("K-0", datev.Profile{Business: true, Name: "Bäckerei Öztürk GmbH", Street: []string{"Neue Straße 1"}, PostalCode: "50667", City: "Köln", Country: "DE"})
	if again := export(10); !bytes.Equal(first, again) {
		t.Error("the closed period's master data differs when exported again after a debtor moved")
	}

	// The person is erased: pseudonymised from now on, and the same bytes
	// on every later export.
	ingestion.set("K-1", datev.Profile{Erased: true})
	erased := export(10)
	if bytes.Equal(first, erased) {
		t.Fatal("the master data still names a debtor erased since")
	}
	wantErased := extf.Debtor{Account: "10001", AddresseeType: "0", Name: "[erased] K-1", CustomerNumber: "K-1", ExternalNumber: "K-1"}
	if diff := cmp.Diff(wantErased, readMasterData(t, erased)["10001"]); diff != "" {
		t.Errorf("erased debtor's record (-want +got):\n%s", diff)
	}
	for _, s := range []string{"M\xfcller", "Gen\xe8ve", "Lausanne"} {
		if bytes.Contains(erased, []byte(s)) {
			t.Errorf("the master data still holds %q of the erased debtor", s)
		}
	}
	if again := export(10); !bytes.Equal(erased, again) {
		t.Error("the closed period's master data differs when exported again after an erasure")
	}
	for _, rows := range recorded.rows {
		for _, d := range rows {
			if d.DebtorID == "K-1" && !cmp.Equal(*d.Profile, datev.Profile{Erased: true}) {
				t.Errorf("the ledger still keeps the erased debtor's profile %+v", d.Profile)
			}
		}
	}

	// November is open: its master data is ingestion's now, not recorded.
	store.entries = append(store.entries, datev.Entry{ID: "RE-NOV", Date: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Document: "RE-NOV",
		Lines: []datev.Line{{Account: "10000", DebtorID: "K-0", Currency: "EUR", Minor: 119}, {Account: "8400", Currency: "EUR", Minor: -119}}})
	store.recorded = append(store.recorded, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	if d := readMasterData(t, export(11))["10000"]; d.Street != "Neue Straße 1" || d.PostalCode != "50667" {
		t.Errorf("an open period's record of the company that moved is %+v, want its new address", d)
	}
	if len(recorded.rows) != 1 {
		t.Errorf("master data recorded for %d exports, want only the closed October's", len(recorded.rows))
	}

	// The company is erased and only the open November is exported: the
	// ledger forgets what it recorded of it for October all the same.
	ingestion.set("K-0", datev.Profile{Erased: true})
	if d := readMasterData(t, export(11))["10000"]; d.Name != "[erased] K-0" || d.CompanyName != "" {
		t.Errorf("an open period's record of an erased debtor is %+v", d)
	}
	for _, rows := range recorded.rows {
		if d := rows["10000"]; !cmp.Equal(*d.Profile, datev.Profile{Erased: true}) {
			t.Errorf("after the company's erasure, October's record keeps %+v", d.Profile)
		}
	}
}
