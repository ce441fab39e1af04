package directorytest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// RunPostings runs the contract suite of books.Postings; newPostings
// returns an empty event store and the Postings that reads it, cleaned up
// when t ends. The suite appends journal entries to the store and asks
// right away, with no wait between: an entry stored before the question
// counts.
func RunPostings(t *testing.T, newPostings func(t testing.TB) (books.EventStore, books.Postings)) {
	t.Run("FirstPosting", func(t *testing.T) {
		t.Parallel()
		events, p := newPostings(t)
		ctx := context.Background()
		first := func(tenant, account, currency string) (books.Date, bool) {
			t.Helper()
			d, ok, err := p.FirstPosting(ctx, tenant, account, currency)
			if err != nil {
				t.Fatalf("FirstPosting(%s, %s, %s): %v", tenant, account, currency, err)
			}
			return d, ok
		}
		if d, ok := first("acme", "1200", "EUR"); ok {
			t.Errorf("FirstPosting before any entry = %s, want none", d)
		}
		post(t, events, "acme", books.DebtorStream("acme", "C-1"), 2026, 3, 5, "1200", "EUR")
		post(t, events, "acme", books.BankTransactionStream("acme", "T-1"), 2026, 3, 1, "1200", "EUR")
		post(t, events, "acme", books.BankTransactionStream("acme", "T-2"), 2026, 2, 1, "1200", "USD")
		post(t, events, "acme", books.BankTransactionStream("acme", "T-3"), 2026, 1, 1, "1800", "EUR")
		post(t, events, "other", books.BankTransactionStream("other", "T-1"), 2025, 1, 1, "1200", "EUR")
		tests := []struct {
			tenant, account, currency string
			want                      books.Date
			ok                        bool
		}{
			{"acme", "1200", "EUR", books.Date{Year: 2026, Month: time.March, Day: 1}, true},
			{"acme", "1200", "USD", books.Date{Year: 2026, Month: time.February, Day: 1}, true},
			{"acme", "1800", "EUR", books.Date{Year: 2026, Month: time.January, Day: 1}, true},
			{"acme", "1800", "USD", books.Date{}, false},
			{"other", "1200", "EUR", books.Date{Year: 2025, Month: time.January, Day: 1}, true},
			{"none", "1200", "EUR", books.Date{}, false},
		}
		for _, tt := range tests {
			if d, ok := first(tt.tenant, tt.account, tt.currency); d != tt.want || ok != tt.ok {
				t.Errorf("FirstPosting(%s, %s, %s) = %s, %v; want %s, %v", tt.tenant, tt.account, tt.currency, d, ok, tt.want, tt.ok)
			}
		}
	})
}

// post appends to stream an entry dated y-m-d that moves 100 minor units
// of currency from 9000 to account.
func post(tb testing.TB, events books.EventStore, tenant string, stream es.StreamID, y int, m time.Month, d int, account, currency string) {
	tb.Helper()
	e := &ledgerv1.JournalEntryPosted{
		Tenant: tenant, EntryId: uuid.NewString(), EffectiveDate: &commonv1.Date{Year: int32(y), Month: int32(m), Day: int32(d)},
		Legs: []*ledgerv1.JournalLeg{
			{Account: account, Amount: &commonv1.Money{MinorUnits: 100, Currency: currency}},
			{Account: "9000", Amount: &commonv1.Money{MinorUnits: -100, Currency: currency}},
		},
	}
	ev := es.Event{Envelope: es.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: e}
	if _, err := events.Append(context.Background(), stream, es.NoStream, []es.Event{ev}); err != nil {
		tb.Fatalf("append to %s: %v", stream, err)
	}
}
