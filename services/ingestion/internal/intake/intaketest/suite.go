package intaketest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/services/ingestion/internal/intake"
)

// StoreSuite is the contract every intake.Store passes; newStore returns
// an empty store.
func StoreSuite(t *testing.T, newStore func(testing.TB) intake.Store) {
	t.Run("ImportRecords", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := context.Background()
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		recs := []intake.Record{
			{ID: uuid.NewString(), Tenant: "t1", FileName: "a.xml", SHA256: "aa", Format: "camt.053.001.02", Size: 10,
				Status: intake.Rejected, Error: "line 3: bad", Warnings: []string{"w"}, ImportedAt: at, Actor: "user:a"},
			{ID: uuid.NewString(), Tenant: "t1", FileName: "a.xml", SHA256: "aa", Format: "camt.053.001.02", Size: 10,
				Status: intake.Imported, Counts: intake.Counts{New: 3, Duplicate: 1, Statements: 1},
				ImportedAt: at.Add(time.Minute), Actor: "user:a"},
			{ID: uuid.NewString(), Tenant: "t1", FileName: "b.txt", SHA256: "bb", Status: intake.DuplicateFile,
				ImportedAt: at.Add(2 * time.Minute), Actor: "drop-folder"},
			{ID: uuid.NewString(), Tenant: "t2", FileName: "c.xml", SHA256: "aa", Status: intake.Rejected,
				ImportedAt: at.Add(3 * time.Minute), Actor: "user:c"},
		}
		for _, r := range recs {
			if err := s.SaveImport(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		got, ok, err := s.Imported(ctx, "t1", "aa")
		if err != nil || !ok || !cmp.Equal(got, recs[1], cmpopts.EquateEmpty()) {
			t.Errorf("Imported(t1, aa) = %+v, %v, %v; want the imported record", got, ok, err)
		}
		if _, ok, err := s.Imported(ctx, "t2", "aa"); ok || err != nil {
			t.Errorf("Imported(t2, aa) = %v, %v; want none (rejected only)", ok, err)
		}
		page, err := s.Imports(ctx, "t1", 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		next, err := s.Imports(ctx, "t1", 2, &intake.ImportCursor{At: page[1].ImportedAt, ID: page[1].ID})
		if err != nil {
			t.Fatal(err)
		}
		want := []intake.Record{recs[2], recs[1], recs[0]}
		if diff := cmp.Diff(want, append(page, next...), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("pages newest first (-want +got):\n%s", diff)
		}
	})
	t.Run("CommitAndLookUp", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := context.Background()
		ev := func(id string) intake.Event {
			return intake.Event{
				Stream: es.StreamID{Tenant: "t1", Type: intake.StreamTransaction, ID: id}, ID: uuid.NewSHA1(uuid.Nil, []byte(id)),
				OccurredAt: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Actor: "user:a",
				Payload: &commonv1.Money{MinorUnits: int64(len(id)), Currency: "EUR"},
			}
		}
		b := &intake.Batch{
			Tenant: "t1",
			Events: []intake.Event{ev("tx-1"), ev("tx-22"), ev("notice-1")},
			Transactions: []intake.StoredTransaction{
				{ID: "tx-1", Account: "DE1", Fingerprint: "fp", Occurrence: 1, Books: true, TxIndex: 1, LinkRef: "REF-1",
					EntryAmount: 100, BookingDate: "2026-03-02", EntryRef: "N1"},
				{ID: "tx-22", Account: "DE1", Fingerprint: "fp", Occurrence: 2, Books: true, TxIndex: 1,
					EntryAmount: 200, BookingDate: "2026-03-02", EntryRef: "N2"},
				{ID: "notice-1", Account: "DE1", Notice: true, TxIndex: 1, EntryAmount: 200, BookingDate: "2026-03-02", EntryRef: "N2"},
				{ID: "notice-2", Account: "DE1", Notice: true, TxIndex: 1, LinkRef: "REF-1"},
			},
			Keys:           []intake.Key{{Key: "final/DE1/S/1/2026-03-02/1/1", TransactionID: "tx-1"}},
			Counterparties: []intake.Counterparty{{ID: "cp-1", Name: "Anna", IBAN: "DE75512108001245126199", BIC: "X", FirstSeen: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}},
			Settlement:     &intake.StoredSettlement{Marketplace: "amazon", ID: "S-9", FileSHA256: "aa", Lines: 3},
		}
		if res, err := s.Commit(ctx, b); err != nil || res.Skipped != 0 || len(res.StoredBefore) != 0 {
			t.Fatalf("Commit = %+v, %v; want nothing stored before", res, err)
		}
		// The same batch again stores nothing twice: an event id with the
		// same content is a replay, one with other content is skipped, and
		// an event not stored yet is appended.
		again := *b
		again.Events = append([]intake.Event{}, b.Events...)
		again.Events[0].Actor = "user:other"
		again.Events = append(again.Events, ev("tx-333"))
		want := intake.CommitResult{Skipped: 1, StoredBefore: []int{0, 1, 2}}
		if res, err := s.Commit(ctx, &again); err != nil || !cmp.Equal(res, want) {
			t.Errorf("Commit again = %+v, %v; want %+v", res, err, want)
		}
		keys, err := s.Keys(ctx, "t1", []string{"final/DE1/S/1/2026-03-02/1/1", "other"})
		if err != nil || !cmp.Equal(keys, map[string]string{"final/DE1/S/1/2026-03-02/1/1": "tx-1"}) {
			t.Errorf("Keys = %v, %v", keys, err)
		}
		occ, err := s.Occurrences(ctx, "t1", "DE1", []string{"fp", "fp2"})
		if err != nil || !cmp.Equal(occ, map[string]int{"fp": 2}) {
			t.Errorf("Occurrences = %v, %v; want fp: 2", occ, err)
		}
		if occ, _ := s.Occurrences(ctx, "t1", "DE2", []string{"fp"}); len(occ) != 0 {
			t.Errorf("Occurrences on another account = %v", occ)
		}
		byRef := intake.LinkKey{Ref: "REF-1"}
		byAmount := intake.LinkKey{Amount: 200, BookingDate: "2026-03-02", EntryRef: "N2"}
		none := intake.LinkKey{Amount: 200, BookingDate: "2026-03-03", EntryRef: "N2"}
		targets, err := s.LinkTargets(ctx, "t1", "DE1", []intake.LinkKey{byRef, byAmount, none})
		if err != nil || !cmp.Equal(targets, map[intake.LinkKey]string{byRef: "tx-1", byAmount: "tx-22"}) {
			t.Errorf("LinkTargets = %v, %v", targets, err)
		}
		waiting, err := s.WaitingNotices(ctx, "t1", "DE1", []intake.LinkKey{byRef, byAmount, none})
		if err != nil || !cmp.Equal(waiting, map[intake.LinkKey][]string{byRef: {"notice-2"}, byAmount: {"notice-1"}}) {
			t.Errorf("WaitingNotices = %v, %v", waiting, err)
		}
		if _, err := s.Commit(ctx, &intake.Batch{Tenant: "t1", Links: []intake.Link{{Notice: "notice-1", DetailOf: "tx-22"}}}); err != nil {
			t.Fatal(err)
		}
		if waiting, _ := s.WaitingNotices(ctx, "t1", "DE1", []intake.LinkKey{byAmount}); len(waiting) != 0 {
			t.Errorf("a linked notice still waits: %v", waiting)
		}
		if known, err := s.SettlementKnown(ctx, "t1", "amazon", "S-9"); !known || err != nil {
			t.Errorf("SettlementKnown(S-9) = %v, %v", known, err)
		}
		if known, _ := s.SettlementKnown(ctx, "t2", "amazon", "S-9"); known {
			t.Error("another tenant's settlement is known")
		}
		cps, err := s.Counterparties(ctx, "t1", []string{"cp-2", "cp-1"})
		if err != nil || !cmp.Equal(cps, b.Counterparties) {
			t.Errorf("Counterparties = %+v, %v", cps, err)
		}
	})
	t.Run("LockSerializesATenant", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := context.Background()
		unlock, err := s.Lock(ctx, "t1")
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 1)
		go func() {
			u, err := s.Lock(ctx, "t1")
			if err == nil {
				u()
			}
			got <- err
		}()
		select {
		case err := <-got:
			t.Fatalf("a second Lock returned (%v) while the first was held", err)
		case <-time.After(100 * time.Millisecond):
		}
		unlock()
		if err := <-got; err != nil {
			t.Fatal(err)
		}
	})
}
