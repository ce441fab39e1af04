package books

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// Given an invoice, when a payment of exactly its amount arrives without
// allocations, then these events are emitted, in this order.
func TestApplyPaymentEvents(t *testing.T) {
	t.Parallel()
	l := given(t, invoice("RE-1", "C-1", 10000, date(2026, 11, 16)))
	got, err := pay("P-1", "C-1", 11900)(l)
	if err != nil {
		t.Fatal(err)
	}
	entryID := PaymentEntryID(tenant, "P-1")
	itemID := itemID(l, "RE-1")
	want := []proto.Message{
		&ledgerv1.CommandAccepted{
			Tenant: tenant, IdempotencyKey: "payment:P-1", Command: "o2c.ledger.v1.ApplyPayment", Actor: "service:test",
			RecordedAt: timestamppb.New(recordedAt), EntryIds: []string{entryID},
		},
		&ledgerv1.JournalEntryPosted{
			Tenant: tenant, EntryId: entryID, EffectiveDate: date(2026, 11, 18), DocumentNumber: "P-1", Text: "Zahlung",
			IdempotencyKey: "payment:P-1",
			Legs: []*ledgerv1.JournalLeg{
				{Account: "1200", Amount: eur(11900)},
				{Account: "10000", Amount: eur(-11900), DebtorId: "C-1"},
			},
		},
		&ledgerv1.OpenItemCleared{
			Tenant: tenant, OpenItemId: itemID, DebtorId: "C-1",
			Settlements: []*ledgerv1.Settlement{{
				OpenItemId: itemID, Amount: eur(11900), Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT,
				Document: "P-1", EntryId: entryID, Date: date(2026, 11, 18), Actor: "service:test", Rule: "bgb366",
			}},
			OpenAmount: eur(0),
		},
	}
	opts := []cmp.Option{
		protocmp.Transform(),
		protocmp.IgnoreFields(&ledgerv1.CommandAccepted{}, "content_hash"),
		protocmp.IgnoreFields(&ledgerv1.Settlement{}, "settlement_id"),
	}
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if err := l.Apply(got...); err != nil {
		t.Fatal(err)
	}
	again, err := pay("P-1", "C-1", 11900)(l)
	if err != nil || len(again) != 0 {
		t.Errorf("retry = %d events, %v; want none and no error", len(again), err)
	}
}

// Given November is closed, when an entry dated in November is reversed,
// then the reversal is dated on the recording date, or on the first day of
// the next open period when the recording date's period is closed too.
func TestReversalDateInClosedPeriod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		closed   []time.Month
		recorded time.Time
		want     Date
	}{
		{"recording date in an open period", []time.Month{time.November}, time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC), Date{2026, time.December, 5}},
		{"recording date in a closed period", []time.Month{time.November, time.December}, time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC), Date{2027, time.January, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			steps := []step{invoice("RE-1", "C-1", 10000, date(2026, 11, 16))}
			for _, m := range tt.closed {
				steps = append(steps, closePeriod(2026, m, cfo()))
			}
			l := given(t, steps...)
			evs, err := l.ReverseEntry(&ledgerv1.ReverseEntry{Tenant: tenant, IdempotencyKey: "rev", EntryId: entryOf("RE-1")(l)}, Origin{Actor: "user:x", Now: tt.recorded})
			if err != nil {
				t.Fatal(err)
			}
			var got Date
			for _, ev := range evs {
				if e, ok := ev.(*ledgerv1.JournalEntryPosted); ok {
					got = DateOf(e.GetEffectiveDate())
				}
			}
			if got != tt.want {
				t.Errorf("reversal dated %s, want %s", got, tt.want)
			}
			if err := l.Apply(evs...); err != nil {
				t.Fatal(err)
			}
			if err := l.Check(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestPeriodClosedErrorNamesPeriod(t *testing.T) {
	t.Parallel()
	l := given(t, closePeriod(2026, time.November, cfo()))
	_, err := invoice("RE-1", "C-1", 100, date(2026, 11, 16))(l)
	var pc *PeriodClosedError
	if !errors.As(err, &pc) || pc.Period != (Period{2026, time.November}) || pc.Date != (Date{2026, time.November, 2}) {
		t.Fatalf("err = %v, want a PeriodClosedError for 2026-11 on 2026-11-02", err)
	}
}

func TestChartAccounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		chart Chart
		l     Logical
		want  string
	}{
		{Chart{}, ReceivablesControl, "1400"},
		{Chart{}, Revenue19, "8400"},
		{Chart{}, OutputVAT7, "1771"},
		{Chart{Standard: SKR04}, ReceivablesControl, "1200"},
		{Chart{Standard: SKR04}, Revenue19, "4400"},
		{Chart{Standard: SKR04}, Revenue7, "4300"},
		{Chart{Standard: SKR04}, OutputVAT19, "3806"},
		{Chart{Standard: SKR04}, OutputVAT7, "3801"},
		{Chart{Standard: SKR04, Accounts: map[Logical]string{Revenue19: "4401"}}, Revenue19, "4401"},
		{Chart{Accounts: map[Logical]string{Revenue19: ""}}, Revenue19, "8400"},
	}
	for _, tt := range tests {
		got, err := tt.chart.Account(tt.l)
		if err != nil || got != tt.want {
			t.Errorf("%v %s = %q, %v; want %q", tt.chart.Standard, tt.l, got, err, tt.want)
		}
	}
	if _, err := (Chart{}).Account("nonsense"); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("unknown logical account: err = %v", err)
	}
	// Every logical account exists in both standards.
	for l := range standardAccounts[SKR03] {
		if _, ok := standardAccounts[SKR04][l]; !ok {
			t.Errorf("SKR04 lacks %s", l)
		}
	}
}

func TestDebtorRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		length      int
		first, last int64
		err         error
	}{
		{0, 10000, 69999, nil},
		{4, 10000, 69999, nil},
		{5, 100000, 699999, nil},
		{8, 100000000, 699999999, nil},
		{3, 0, 0, ErrAccountLength},
		{9, 0, 0, ErrAccountLength},
	}
	for _, tt := range tests {
		first, last, err := DebtorRange(tt.length)
		if first != tt.first || last != tt.last || !errors.Is(err, tt.err) {
			t.Errorf("DebtorRange(%d) = %d, %d, %v; want %d, %d, %v", tt.length, first, last, err, tt.first, tt.last, tt.err)
		}
	}
	c := Chart{AccountLength: 4}
	if a, err := c.DebtorAccountNumber(0); a != "10000" || err != nil {
		t.Errorf("first debtor = %q, %v", a, err)
	}
	if a, err := c.DebtorAccountNumber(59999); a != "69999" || err != nil {
		t.Errorf("last debtor = %q, %v", a, err)
	}
	if _, err := c.DebtorAccountNumber(60000); !errors.Is(err, ErrDebtorRangeFull) {
		t.Errorf("debtor 60001: err = %v, want ErrDebtorRangeFull", err)
	}
	if FirstDebtorAccount != 10000 {
		t.Errorf("FirstDebtorAccount = %d", FirstDebtorAccount)
	}
}

func TestContentHash(t *testing.T) {
	t.Parallel()
	base := &ledgerv1.ApplyPayment{Tenant: tenant, IdempotencyKey: "k1", PaymentId: "P-1", Amount: eur(100)}
	h := ContentHash(base)
	tests := []struct {
		name string
		m    proto.Message
		same bool
	}{
		{"another idempotency key", &ledgerv1.ApplyPayment{Tenant: tenant, IdempotencyKey: "k2", PaymentId: "P-1", Amount: eur(100)}, true},
		{"a default-valued field set", &ledgerv1.ApplyPayment{Tenant: tenant, IdempotencyKey: "k1", PaymentId: "P-1", Amount: eur(100), Iban: ""}, true},
		{"another amount", &ledgerv1.ApplyPayment{Tenant: tenant, IdempotencyKey: "k1", PaymentId: "P-1", Amount: eur(101)}, false},
		{"another currency", &ledgerv1.ApplyPayment{Tenant: tenant, IdempotencyKey: "k1", PaymentId: "P-1", Amount: &commonv1.Money{MinorUnits: 100, Currency: "USD"}}, false},
		{"another command type", &ledgerv1.WriteOff{Tenant: tenant, IdempotencyKey: "k1", Amount: eur(100)}, false},
		{"value moved to another field", &ledgerv1.ApplyPayment{Tenant: tenant, IdempotencyKey: "k1", DebtorId: "P-1", Amount: eur(100)}, false},
	}
	for _, tt := range tests {
		if got := ContentHash(tt.m) == h; got != tt.same {
			t.Errorf("%s: same hash = %v, want %v", tt.name, got, tt.same)
		}
	}
	if len(h) != 64 {
		t.Errorf("hash %q is not hex SHA-256", h)
	}
}

func TestInvariantChecks(t *testing.T) {
	t.Parallel()
	good := Entry{ID: "e", Legs: []Leg{{Account: "10000", Currency: "EUR", Minor: 100, DebtorID: "C-1"}, {Account: "8400", Currency: "EUR", Minor: -100}}}
	bad := Entry{ID: "b", Legs: []Leg{{Account: "10000", Currency: "EUR", Minor: 100}, {Account: "8400", Currency: "USD", Minor: -100}}}
	item := OpenItem{DebtorID: "C-1", Currency: "EUR", Amount: 100}
	tests := []struct {
		name string
		err  error
	}{
		{"balanced entry", CheckEntry(good)},
		{"trial balance", CheckTrialBalance(TrialBalance([]Entry{good}))},
		{"open items equal personal account", CheckOpenItems(DebtorBalances([]Entry{good}), OpenItemBalances([]OpenItem{item}))},
		{"control account", CheckControlAccount(ControlAccount("1400", DebtorBalances([]Entry{good})), DebtorBalances([]Entry{good}))},
	}
	for _, tt := range tests {
		if tt.err != nil {
			t.Errorf("%s: %v", tt.name, tt.err)
		}
	}
	broken := []struct {
		name string
		err  error
	}{
		{"entry across currencies", CheckEntry(bad)},
		{"one-leg entry", CheckEntry(Entry{ID: "x", Legs: good.Legs[:1]})},
		{"trial balance", CheckTrialBalance(TrialBalance([]Entry{bad}))},
		{"open items differ", CheckOpenItems(DebtorBalances([]Entry{good}), OpenItemBalances([]OpenItem{{DebtorID: "C-1", Currency: "EUR", Amount: 99}}))},
		{"control account differs", CheckControlAccount([]Balance{{Account: "1400", Currency: "EUR", Minor: 101}}, DebtorBalances([]Entry{good}))},
	}
	for _, tt := range broken {
		if !errors.Is(tt.err, ErrInvariant) {
			t.Errorf("%s: err = %v, want ErrInvariant", tt.name, tt.err)
		}
	}
}

func TestApplyRejectsInconsistentEvents(t *testing.T) {
	t.Parallel()
	l := New(tenant, testConfig())
	err := l.Apply(&ledgerv1.OpenItemCleared{OpenItemId: "nope"})
	if !errors.Is(err, ErrInconsistentEvent) {
		t.Errorf("clear unknown item: err = %v", err)
	}
	if err := l.Apply(&ledgerv1.ClosePeriod{}); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("a command as event: err = %v", err)
	}
}

// TestMoreCommands covers the commands the main table does not: opening
// balances, return fees and guards on reversals.
func TestMoreCommands(t *testing.T) {
	t.Parallel()
	due := date(2026, 11, 16)
	re1 := invoice("RE-1", "C-1", 10000, due)
	opening := func(doc string, amount int64) step {
		return func(l *Ledger) ([]proto.Message, error) {
			return l.RecordOpeningBalance(&ledgerv1.RecordOpeningBalance{
				Tenant: tenant, IdempotencyKey: "opening:" + doc, DocumentNumber: doc, DebtorId: "C-1", Amount: eur(amount),
				DocumentDate: date(2025, 12, 1), DueDate: date(2025, 12, 15), BookingDate: date(2026, 1, 1),
			}, "10000", origin())
		}
	}
	tests := []struct {
		name     string
		given    []step
		when     step
		wantErr  error
		wantOpen map[string]int64
		wantBal  map[string]int64
	}{
		{
			name: "opening balance opens an item against the opening balance account", when: opening("A-7", 5000),
			wantOpen: map[string]int64{"opening_balance:A-7": 5000},
			wantBal:  map[string]int64{"10000": 5000, "9008": -5000},
		},
		{
			name: "a negative opening balance is a credit the next invoice consumes", given: []step{opening("A-8", -500)},
			when:     re1,
			wantOpen: map[string]int64{"opening_balance:A-8": 0, "invoice:RE-1": 11400},
			wantBal:  map[string]int64{"10000": 11400, "9008": 500, "8400": -10000, "1776": -1900},
		},
		{
			name:  "a return fee is an expense on the account that had received the payment",
			given: []step{re1, pay("P-1", "C-1", 11900)},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.ReturnPayment(&ledgerv1.ReturnPayment{
					Tenant: tenant, IdempotencyKey: "ret", PaymentId: "P-1", Kind: ledgerv1.ReturnKind_RETURN_KIND_RETURNED_DEBIT,
					ReturnDate: date(2026, 11, 19), BankFee: eur(350),
				}, origin())
			},
			wantOpen: map[string]int64{"invoice:RE-1": 11900},
			wantBal:  map[string]int64{"10000": 11900, "1200": -350, "4970": 350, "8400": -10000, "1776": -1900},
		},
		{
			name:     "a returned-debit fee charged to the debtor is costs in the claim",
			given:    []step{re1},
			when:     charge("RL-1", "C-1", "RE-1", ledgerv1.ChargeKind_CHARGE_KIND_RETURNED_DEBIT_FEE, 300),
			wantOpen: map[string]int64{"invoice:RE-1": 11900, "returned_debit_fee:RL-1": 300},
			wantBal:  map[string]int64{"10000": 12200, "2700": -300, "8400": -10000, "1776": -1900},
		},
		{
			name:  "an accepted short payment reduces revenue and VAT like a discount",
			given: []step{re1},
			when: payWith("P-1", "C-1", 11800, func(l *Ledger) []*ledgerv1.Allocation {
				return []*ledgerv1.Allocation{{OpenItemId: itemID(l, "RE-1"), Amount: eur(11800), Difference: eur(100)}}
			}),
			wantOpen: map[string]int64{"invoice:RE-1": 0},
			wantBal:  map[string]int64{"1200": 11800, "8720": 84, "8400": -10000, "1776": -1884},
		},
		{
			name: "a charge on another debtor's claim is rejected", given: []step{re1, invoice("RE-2", "C-2", 100, due)},
			when:    charge("M-1", "C-1", "RE-2", ledgerv1.ChargeKind_CHARGE_KIND_DUNNING_FEE, 500),
			wantErr: ErrInvalidCommand,
		},
		{
			name: "a write-off that was partly recovered cannot be reversed",
			given: []step{re1, writeOff("W-1", "RE-1", 11900), func(l *Ledger) ([]proto.Message, error) {
				return l.RecoverWrittenOff(&ledgerv1.RecoverWrittenOff{
					Tenant: tenant, IdempotencyKey: "r", RecoveryId: "R-1", OpenItemId: itemID(l, "RE-1"), Amount: eur(100),
					ValueDate: date(2026, 11, 25), Iban: iban,
				}, origin())
			}},
			when: reverse(entryOf("W-1")), wantErr: ErrItemSettled,
		},
		{
			name: "a reversal cannot be reversed", given: []step{re1, reverse(entryOf("RE-1"))},
			when: func(l *Ledger) ([]proto.Message, error) {
				var id string
				for _, e := range l.Entries() {
					if e.Reverses != "" {
						id = e.ID
					}
				}
				return l.ReverseEntry(&ledgerv1.ReverseEntry{Tenant: tenant, IdempotencyKey: "again", EntryId: id}, origin())
			},
			wantErr: ErrAlreadyReversed,
		},
		{
			name: "a payment to an unknown IBAN is rejected", given: []step{re1},
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.ApplyPayment(&ledgerv1.ApplyPayment{
					Tenant: tenant, IdempotencyKey: "p", PaymentId: "P-1", DebtorId: "C-1", Amount: eur(1), ValueDate: due, Iban: "DE00",
				}, origin())
			},
			wantErr: ErrUnknownAccount,
		},
		{
			name: "a command for another tenant is rejected",
			when: func(l *Ledger) ([]proto.Message, error) {
				return l.ClosePeriod(&ledgerv1.ClosePeriod{Tenant: "other", IdempotencyKey: "c", Year: 2026, Month: 1, Reason: "x"}, cfo())
			},
			wantErr: ErrInvalidCommand,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := given(t, tt.given...)
			_, err := run(t, l, tt.when)
			if tt.wantErr != nil || err != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if diff := cmp.Diff(tt.wantOpen, openByDocument(l)); diff != "" {
				t.Errorf("open items (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantBal, balances(l)); diff != "" {
				t.Errorf("balances (-want +got):\n%s", diff)
			}
		})
	}
}
