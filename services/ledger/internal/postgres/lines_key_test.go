package postgres_test

import (
	"context"
	"testing"
	"time"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// TestJournalLinesProjectOncePerEvent: journal lines are identified by
// the event that posted them (tenant, effective date, position, leg). The
// same entry event applied again (a projection batch repeated after a
// lost checkpoint) adds no line and no turnover; a reopening in a later
// batch finds the date of its entry's lines by the entry id.
func TestJournalLinesProjectOncePerEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, postgres.PosterOptions{})
	ctx := context.Background()
	const entry = "00000000-0000-0000-0000-0000000000e1"
	march := &commonv1.Date{Year: 2026, Month: 3, Day: 14}
	posted := eventstore.Event{Envelope: eventstore.Envelope{Position: 7, RecordedAt: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},
		Payload: &ledgerv1.JournalEntryPosted{Tenant: "acme", EntryId: entry, EffectiveDate: march, DocumentNumber: "B-1", Legs: []*ledgerv1.JournalLeg{
			{Account: "1200", Amount: eur(5000)}, {Account: "1360", Amount: eur(-5000)}}}}
	apply := func(evs ...eventstore.Event) { e.apply(t, evs...) }
	apply(posted)
	apply(posted)
	var lines, turnover int64
	if err := e.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM journal_lines WHERE tenant = 'acme'),
		(SELECT debit_minor FROM account_balances WHERE tenant = 'acme' AND account = '1200')`).Scan(&lines, &turnover); err != nil {
		t.Fatal(err)
	}
	if lines != 2 || turnover != 5000 {
		t.Errorf("after the same event twice: %d lines, debit turnover of 1200 %d; want 2 and 5000", lines, turnover)
	}

	// A settlement of an item, undone in a later batch by the entry's
	// reopening: the negative settlement row is dated on the entry's day.
	day := &commonv1.Date{Year: 2026, Month: 3, Day: 1}
	const item = "00000000-0000-0000-0000-00000000000a"
	apply(eventstore.Event{Envelope: eventstore.Envelope{Position: 8, RecordedAt: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},
		Payload: &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: item, DebtorId: "D-1", DebtorAccount: "10001", Kind: "invoice",
			DocumentNumber: "R-1", Amount: eur(5000), DocumentDate: day, DueDate: day, EntryId: entry}},
		eventstore.Event{Envelope: eventstore.Envelope{Position: 9, RecordedAt: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},
			Payload: &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: item, DebtorId: "D-1", Settlements: []*ledgerv1.Settlement{{
				SettlementId: "11111111-1111-1111-1111-111111111111", OpenItemId: item, Amount: eur(1000),
				Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT, Document: "P-1", Date: day}}}})
	apply(eventstore.Event{Envelope: eventstore.Envelope{Position: 10, OccurredAt: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC),
		RecordedAt: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)},
		Payload: &ledgerv1.OpenItemReopened{Tenant: "acme", OpenItemId: item, EntryId: entry, SettlementIds: []string{"11111111-1111-1111-1111-111111111111"}}})
	var undone time.Time
	if err := e.pool.QueryRow(ctx, `SELECT effective_date FROM settlements WHERE tenant = 'acme' AND amount_minor < 0`).Scan(&undone); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC); !undone.Equal(want) {
		t.Errorf("the reopening is dated %s, want its entry's %s", undone.Format(time.DateOnly), want.Format(time.DateOnly))
	}
}
