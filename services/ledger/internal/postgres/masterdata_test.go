package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/services/ledger/internal/datev"
)

// TestRecordMasterData records a closed October's master data, keeps the
// first record of an account against a later profile, keys it by the
// close (a period closed anew records anew), and pseudonymises every
// recorded profile of a debtor once it is recorded erased or forgotten.
func TestRecordMasterData(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	ctx := context.Background()
	closed := time.Date(2026, 11, 5, 8, 0, 0, 123456000, time.UTC)
	reclosed := closed.Add(48 * time.Hour)
	anna := datev.Profile{Name: "Anna Größe", Street: []string{"Hauptstraße 1"}, PostalCode: "10115", City: "Berlin", Country: "DE", Language: "de"}
	firma := datev.Profile{Business: true, Name: "Öko GmbH", Email: "ap@oeko.example"}
	record := func(at time.Time, month time.Month, ds ...datev.Debtor) {
		t.Helper()
		if err := db.store.RecordMasterData(ctx, "acme", 2026, month, at, ds); err != nil {
			t.Fatal(err)
		}
	}
	read := func(at time.Time, month time.Month) map[string]datev.Profile {
		t.Helper()
		got, err := db.store.RecordedMasterData(ctx, "acme", 2026, month, at)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	if got := read(closed, time.October); len(got) != 0 {
		t.Fatalf("before any export: %v", got)
	}
	record(closed, time.October, datev.Debtor{Account: "10000", DebtorID: "K-0", Profile: &anna},
		datev.Debtor{Account: "10001", DebtorID: "K-1", Profile: &firma}, datev.Debtor{Account: "10002", DebtorID: "K-2"})
	moved := anna
	moved.City = "Hamburg"
	record(closed, time.October, datev.Debtor{Account: "10000", DebtorID: "K-0", Profile: &moved})
	record(closed, time.September, datev.Debtor{Account: "10000", DebtorID: "K-0", Profile: &anna})
	if diff := cmp.Diff(map[string]datev.Profile{"10000": anna, "10001": firma}, read(closed, time.October)); diff != "" {
		t.Errorf("October as first recorded (-want +got):\n%s", diff)
	}
	if got := read(reclosed, time.October); len(got) != 0 {
		t.Errorf("October closed anew has master data before its export: %v", got)
	}

	record(closed, time.October, datev.Debtor{Account: "10000", DebtorID: "K-0", Profile: &datev.Profile{Erased: true}})
	erased := datev.Profile{Erased: true}
	if diff := cmp.Diff(map[string]datev.Profile{"10000": erased, "10001": firma}, read(closed, time.October)); diff != "" {
		t.Errorf("October after the erasure (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]datev.Profile{"10000": erased}, read(closed, time.September)); diff != "" {
		t.Errorf("September after the erasure (-want +got):\n%s", diff)
	}

	if err := db.store.ForgetMasterData(ctx, "acme", []string{"K-1", "K-9"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]datev.Profile{"10000": erased, "10001": erased}, read(closed, time.October)); diff != "" {
		t.Errorf("October after K-1 is forgotten (-want +got):\n%s", diff)
	}
}
