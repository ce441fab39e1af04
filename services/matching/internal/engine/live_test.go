package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/money"
)

func liveEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(DefaultConfig(), []OpenItem{{
		ID: "I-1", Debtor: "D-1", DocumentNumber: "RE-1001", Amount: money.MustNew(10000, "EUR"), Open: 10000,
		IssueDate: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	}}, []Debtor{{ID: "D-1", Name: "Beispiel GmbH", IBANs: []string{"DE89370400440532013000"}, Business: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestSetOpen: given an item of 100.00, when the ledger reports 40.00 open,
// then the engine holds 40.00; amounts beyond the item and unknown items
// are refused and change nothing.
func TestSetOpen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		id       string
		open     int64
		wantErr  error
		wantOpen int64
	}{
		{"partly cleared", "I-1", 4000, nil, 4000},
		{"cleared", "I-1", 0, nil, 0},
		{"more than the item", "I-1", 10001, ErrExceedsOpen, 10000},
		{"negative", "I-1", -1, ErrExceedsOpen, 10000},
		{"unknown item", "I-9", 100, ErrUnknownItem, 10000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := liveEngine(t)
			if err := e.SetOpen(tc.id, tc.open); !errors.Is(err, tc.wantErr) {
				t.Fatalf("SetOpen = %v, want %v", err, tc.wantErr)
			}
			if got, _ := e.Open("I-1"); got != tc.wantOpen {
				t.Errorf("open = %d, want %d", got, tc.wantOpen)
			}
		})
	}
}

// TestRememberLetsAReturnFindThePayment: given an engine built with the
// item already cleared by a payment decided in an earlier life, when that
// payment is remembered and its return arrives, then the return reverses
// it and reopens the item, and no open amount changed by remembering.
func TestRememberLetsAReturnFindThePayment(t *testing.T) {
	t.Parallel()
	e := liveEngine(t)
	if err := e.SetOpen("I-1", 0); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	paid := Payment{ID: "P-1", Amount: money.MustNew(10000, "EUR"), BookingDate: day, MandateID: "M-1",
		EndToEndID: "E2E-1", CounterpartyIBAN: "DE89370400440532013000"}
	e.Remember(Decision{Payment: paid, Kind: Confirmed, Debtor: "D-1", Allocations: []Allocation{{Item: "I-1", Amount: 10000}}})
	if got, _ := e.Open("I-1"); got != 0 {
		t.Fatalf("open after Remember = %d, want 0", got)
	}
	ret := Payment{ID: "R-1", Amount: money.MustNew(-10300, "EUR"), BookingDate: day.AddDate(0, 0, 5), MandateID: "M-1",
		EndToEndID: "E2E-1", CounterpartyIBAN: "DE89370400440532013000", ReturnReason: "MD06"}
	d := e.Match(ret)
	if d.Reverses != "P-1" {
		t.Fatalf("return reverses %q, want P-1 (%s)", d.Reverses, d.Explanation)
	}
	if diff := cmp.Diff([]Allocation{{Item: "I-1", Amount: -10000}}, d.Allocations); diff != "" {
		t.Errorf("allocations (-want +got):\n%s", diff)
	}
	// Remembering the return marks the payment as returned: a second
	// return of it finds nothing.
	e.Remember(Decision{Payment: ret, Kind: Confirmed, Reverses: "P-1"})
	if again := e.Match(Payment{ID: "R-2", Amount: money.MustNew(-10300, "EUR"), BookingDate: day.AddDate(0, 0, 6),
		MandateID: "M-1", EndToEndID: "E2E-1", ReturnReason: "MD06"}); again.Reverses != "" {
		t.Errorf("second return reverses %q, want nothing", again.Reverses)
	}
}
