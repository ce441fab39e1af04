package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/datev"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// exported collects what ExportEntries yields for October 2026.
func exported(t testing.TB, db ledgerDB, knownAt time.Time) []datev.Entry {
	t.Helper()
	var out []datev.Entry
	err := db.store.ExportEntries(context.Background(), "acme",
		time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), knownAt,
		func(e datev.Entry) error {
			out = append(out, e)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExportEntriesOnBothTimeAxes(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	invoice := postgres.Entry{
		Tenant: "acme", IdempotencyKey: "RE-1", EffectiveDate: &commonv1.Date{Year: 2026, Month: 10, Day: 5}, DocumentNumber: "RE-1", Text: "Rechnung",
		Legs: []*ledgerv1.JournalLeg{
			{Account: "10000", DebtorId: "K-1", Amount: eur(11900)},
			{Account: "8400", Amount: eur(-10000), TaxKey: "3"},
			{Account: "1776", Amount: eur(-1900)},
		},
	}
	db.post(t,
		invoice,
		booking("PAY-1", &commonv1.Date{Year: 2026, Month: 10, Day: 20}, "1200", "10000", 11900, "EUR", "K-1"),
		booking("SEPT", &commonv1.Date{Year: 2026, Month: 9, Day: 30}, "1200", "1360", 100, "EUR", ""),
		booking("NOV", &commonv1.Date{Year: 2026, Month: 11, Day: 1}, "1200", "1360", 100, "EUR", ""),
	)
	db.catchUp(t)
	known := db.dbNow(t)
	// A late posting dated in October, recorded after known.
	db.post(t, booking("LATE", &commonv1.Date{Year: 2026, Month: 10, Day: 1}, "10000", "8200", 500, "EUR", "K-1"))
	db.catchUp(t)

	eurLine := func(acc, debtor string, minor int64, key string) datev.Line {
		return datev.Line{Account: acc, DebtorID: debtor, Currency: "EUR", Minor: minor, TaxKey: key}
	}
	oct := func(d int) time.Time { return time.Date(2026, 10, d, 0, 0, 0, 0, time.UTC) }
	wantThen := []datev.Entry{
		{Date: oct(5), Document: "RE-1", Lines: []datev.Line{eurLine("10000", "K-1", 11900, ""), eurLine("8400", "", -10000, "3"), eurLine("1776", "", -1900, "")}},
		{Date: oct(20), Document: "PAY-1", Lines: []datev.Line{eurLine("1200", "", 11900, ""), eurLine("10000", "K-1", -11900, "")}},
	}
	ignoreID := func(es []datev.Entry) []datev.Entry {
		for i := range es {
			es[i].ID = ""
			es[i].Date = es[i].Date.UTC()
		}
		return es
	}
	if diff := cmp.Diff(wantThen, ignoreID(exported(t, db, known))); diff != "" {
		t.Errorf("October as known before the late posting (-want +got):\n%s", diff)
	}
	wantNow := append([]datev.Entry{{Date: oct(1), Document: "LATE", Lines: []datev.Line{eurLine("10000", "K-1", 500, ""), eurLine("8200", "", -500, "")}}}, wantThen...)
	if diff := cmp.Diff(wantNow, ignoreID(exported(t, db, db.dbNow(t)))); diff != "" {
		t.Errorf("October as known now (-want +got):\n%s", diff)
	}
}

// TestExportEntriesPagesWithoutSplittingEntries posts more lines than one
// page holds, in entries of three legs, and checks every entry comes once
// and whole.
func TestExportEntriesPagesWithoutSplittingEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("posts 2,000 entries")
	}
	t.Parallel()
	db := newLedgerDB(t)
	const n = 2000 // 6,000 lines: more than one page of 5,000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				key := fmt.Sprintf("E-%04d", i)
				_, err := db.poster.Post(context.Background(), postgres.Entry{
					Tenant: "acme", IdempotencyKey: key, EffectiveDate: &commonv1.Date{Year: 2026, Month: 10, Day: int32(1 + i%3)},
					DocumentNumber: key, Text: "Zahlung",
					Legs: []*ledgerv1.JournalLeg{
						{Account: "1200", Amount: eur(int64(100 + i))},
						{Account: "4970", Amount: eur(1)},
						{Account: "10000", DebtorId: "K-1", Amount: eur(int64(-101 - i))},
					},
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	db.catchUp(t)
	got := exported(t, db, db.dbNow(t))
	if len(got) != n {
		t.Fatalf("%d entries, want %d", len(got), n)
	}
	seen := map[string]bool{}
	for i, e := range got {
		if seen[e.Document] || len(e.Lines) != 3 || e.Lines[0].Minor+e.Lines[1].Minor+e.Lines[2].Minor != 0 || e.Lines[2].Account != "10000" {
			t.Fatalf("entry %d (%s) split, repeated or out of leg order: %+v", i, e.Document, e.Lines)
		}
		seen[e.Document] = true
		if i > 0 && e.Date.Before(got[i-1].Date) {
			t.Fatalf("entry %d dated %s before its predecessor", i, e.Date)
		}
	}
}

func TestPeriodState(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	ctx := context.Background()
	cmds := books.NewCommander(db.events, db.store, books.CommanderOptions{
		Config: func(string) books.Config { return books.Config{PeriodActors: []string{"user:cfo"}} },
	})
	cfo := books.Meta{Actor: "user:cfo"}
	if closed, _, err := db.store.PeriodState(ctx, "acme", 2026, time.October); err != nil || closed {
		t.Fatalf("never closed: closed %v, %v", closed, err)
	}
	if _, err := cmds.Execute(ctx, &ledgerv1.ClosePeriod{Tenant: "acme", IdempotencyKey: "close-2026-10", Year: 2026, Month: 10, Reason: "month end"}, cfo); err != nil {
		t.Fatal(err)
	}
	db.catchUp(t)
	closed, at, err := db.store.PeriodState(ctx, "acme", 2026, time.October)
	if err != nil || !closed || at.IsZero() {
		t.Fatalf("closed: closed %v at %s, %v", closed, at, err)
	}
	again, at2, err := db.store.PeriodState(ctx, "acme", 2026, time.October)
	if err != nil || !again || !at2.Equal(at) {
		t.Errorf("asked again: %v at %s, %v; want the same close time %s", again, at2, err, at)
	}
	if _, err := cmds.Execute(ctx, &ledgerv1.ReopenPeriod{Tenant: "acme", IdempotencyKey: "reopen-2026-10", Year: 2026, Month: 10, Reason: "late invoice"}, cfo); err != nil {
		t.Fatal(err)
	}
	db.catchUp(t)
	if closed, at, err := db.store.PeriodState(ctx, "acme", 2026, time.October); err != nil || closed || !at.IsZero() {
		t.Errorf("reopened: closed %v at %s, %v; want open", closed, at, err)
	}
}
