package books

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

func manual(key string) ManualEntry {
	return ManualEntry{
		Tenant: tenant, IdempotencyKey: key, EffectiveDate: date(2026, 11, 5), DocumentNumber: "B-" + key, Text: "Umbuchung",
		Legs: []*ledgerv1.JournalLeg{
			{Account: "1200", Amount: eur(500)},
			{Account: "1360", Amount: eur(-500)},
		},
	}
}

func TestJournalEntryChecksTheEntry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*ManualEntry)
		field  string
	}{
		{"no tenant", func(e *ManualEntry) { e.Tenant = "" }, "tenant"},
		{"not a tenant id", func(e *ManualEntry) { e.Tenant = "ACME!" }, "tenant"},
		{"no key", func(e *ManualEntry) { e.IdempotencyKey = "" }, "idempotency_key"},
		{"key too long", func(e *ManualEntry) { e.IdempotencyKey = strings.Repeat("k", 201) }, "idempotency_key"},
		{"text not UTF-8", func(e *ManualEntry) { e.Text = "\xff" }, "text"},
		{"no date", func(e *ManualEntry) { e.EffectiveDate = nil }, "effective_date"},
		{"31 February", func(e *ManualEntry) { e.EffectiveDate = date(2026, 2, 31) }, "effective_date"},
		{"one leg", func(e *ManualEntry) { e.Legs = e.Legs[:1] }, "legs"},
		{"no account", func(e *ManualEntry) { e.Legs[0].Account = "" }, "legs[0].account"},
		{"unknown currency", func(e *ManualEntry) { e.Legs[1].Amount.Currency = "EUX" }, "legs[1].amount.currency"},
		{"zero leg", func(e *ManualEntry) { e.Legs[0].Amount.MinorUnits = 0 }, "legs[0].amount.minor_units"},
		{"leg over 10^15", func(e *ManualEntry) { e.Legs[0].Amount.MinorUnits = maxAmount + 1 }, "legs[0].amount.minor_units"},
		{"debtor on a G/L account", func(e *ManualEntry) { e.Legs[0].DebtorId = "C-1" }, "legs[0].account"},
		{"unbalanced", func(e *ManualEntry) { e.Legs[1].Amount.MinorUnits = -499 }, "legs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := manual("M-1")
			e.Legs = []*ledgerv1.JournalLeg{proto.CloneOf(e.Legs[0]), proto.CloneOf(e.Legs[1])}
			tt.change(&e)
			_, err := JournalEntry(e)
			var invalid *InvalidCommandError
			if !errors.As(err, &invalid) || invalid.Field != tt.field {
				t.Errorf("JournalEntry = %v, want an invalid %s", err, tt.field)
			}
		})
	}
	e := manual("M-1")
	e.Legs[1].Amount.MinorUnits = -499
	if _, err := JournalEntry(e); !errors.Is(err, ErrUnbalanced) {
		t.Errorf("unbalanced entry: %v, want ErrUnbalanced too", err)
	}
}

func TestPostJournalEntry(t *testing.T) {
	t.Parallel()
	closed := given(t, closePeriod(2026, time.November, cfo()))
	tests := []struct {
		name string
		l    *Ledger
		e    ManualEntry
		err  error
	}{
		{"open period", New(tenant, testConfig()), manual("M-1"), nil},
		{"closed period", closed, manual("M-1"), ErrPeriodClosed},
		{"another tenant's books", New("other", testConfig()), manual("M-1"), ErrInvalidCommand},
		{"invalid in a closed period", closed, ManualEntry{Tenant: tenant, IdempotencyKey: "M-2"}, ErrInvalidCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			posted, err := tt.l.PostJournalEntry(tt.e)
			if !errors.Is(err, tt.err) {
				t.Fatalf("PostJournalEntry = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if got, want := posted.GetEntryId(), JournalEntryID(tenant, "M-1").String(); got != want {
				t.Errorf("entry id %s, want %s", got, want)
			}
			if err := CheckBalanced(posted); err != nil {
				t.Error(err)
			}
		})
	}
}
