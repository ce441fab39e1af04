package engine

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/money"
)

// TestNewRefusesBrokenInput: an item or debtor the engine cannot match
// against is refused with the field named.
func TestNewRefusesBrokenInput(t *testing.T) {
	t.Parallel()
	good := inv("I1", "D1", "RE-1", 100)
	for _, tc := range []struct {
		name    string
		items   []OpenItem
		debtors []Debtor
		want    error
		field   string
	}{
		{"empty item id", []OpenItem{withItem(good, func(it *OpenItem) { it.ID = "" })}, nil, ErrInvalidItem, "id"},
		{"empty debtor", []OpenItem{withItem(good, func(it *OpenItem) { it.Debtor = " " })}, nil, ErrInvalidItem, "debtor"},
		{"unknown currency", []OpenItem{withItem(good, func(it *OpenItem) { it.Amount.Currency = "XXX" })}, nil, ErrInvalidItem, "currency"},
		{"amount beyond bounds", []OpenItem{withItem(good, func(it *OpenItem) { it.Amount.Minor = money.MaxAbs + 1 })}, nil, ErrInvalidItem, "amount_minor"},
		{"open beyond bounds", []OpenItem{withItem(good, func(it *OpenItem) { it.Open = -money.MaxAbs - 1 })}, nil, ErrInvalidItem, "open_minor"},
		{"unknown kind", []OpenItem{withItem(good, func(it *OpenItem) { it.Kind = "voucher" })}, nil, ErrInvalidItem, "kind"},
		{"discount rate", []OpenItem{withItem(good, func(it *OpenItem) { it.CashDiscount = &CashDiscount{Until: day0, PercentBP: 20000} })}, nil, ErrInvalidItem, "cash_discount.percent_bp"},
		{"duplicate item", []OpenItem{good, good}, nil, ErrDuplicateItem, ""},
		{"empty debtor id", nil, []Debtor{{Name: "x"}}, ErrInvalidDebtor, "debtor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(DefaultConfig(), tc.items, tc.debtors, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("New = %v, want %v", err, tc.want)
			}
			var fe *FieldError
			if tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field) {
				t.Errorf("New = %v, want field %q named", err, tc.field)
			}
		})
	}
	if _, err := New(Config{}, nil, nil, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("New with a zero config = %v, want ErrInvalidConfig", err)
	}
}

// TestApplyRefusesWhatDoesNotFit: a decision that does not add up, names
// an unknown item or takes more than is open changes nothing.
func TestApplyRefusesWhatDoesNotFit(t *testing.T) {
	t.Parallel()
	p := pay("P1", 10000, "")
	for _, tc := range []struct {
		name string
		d    Decision
		want error
	}{
		{"does not add up", Decision{Payment: p, Kind: Auto, Allocations: one("I1", 9000)}, ErrUnbalanced},
		{"unknown item", Decision{Payment: p, Kind: Auto, Allocations: one("I9", 10000)}, ErrUnknownItem},
		{"more than open", Decision{Payment: pay("P1", 20000, ""), Kind: Confirmed, Allocations: one("I1", 20000)}, ErrExceedsOpen},
		{"twice to one item", Decision{Payment: pay("P1", 20000, ""), Kind: Auto, Allocations: []Allocation{{Item: "I1", Amount: 10000}, {Item: "I1", Amount: 10000}}}, ErrExceedsOpen},
		{"other currency", Decision{Payment: Payment{ID: "P1", Amount: money.MustNew(10000, "USD")}, Kind: Auto, Allocations: one("I1", 10000)}, ErrExceedsOpen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t, DefaultConfig(), []OpenItem{inv("I1", "D1", "RE-1", 10000)}, nil, nil)
			if err := e.Apply(tc.d); !errors.Is(err, tc.want) {
				t.Fatalf("Apply = %v, want %v", err, tc.want)
			}
			if open, _ := e.Open("I1"); open != 10000 {
				t.Errorf("open after a refused Apply = %d, want 10000", open)
			}
		})
	}
}

// TestOnlyBookedDecisionsConsume: a proposed decision leaves the open
// amounts as they are; an automatic or confirmed one consumes them.
func TestOnlyBookedDecisionsConsume(t *testing.T) {
	t.Parallel()
	for kind, want := range map[Kind]int64{Auto: 0, Confirmed: 0, Proposed: 10000, Unmatched: 10000} {
		e := newEngine(t, DefaultConfig(), []OpenItem{inv("I1", "D1", "RE-1", 10000)}, nil, nil)
		d := Decision{Payment: pay("P1", 10000, ""), Kind: kind, Allocations: one("I1", 10000)}
		if kind == Unmatched {
			d.Allocations = nil
		}
		if err := e.Apply(d); err != nil {
			t.Fatal(err)
		}
		if open, _ := e.Open("I1"); open != want {
			t.Errorf("%s: open = %d, want %d", kind, open, want)
		}
	}
}

// TestLearnFromConfirmed: a person's confirmation teaches the engine the
// payer's IBAN, so the next payment from it is booked without a person.
func TestLearnFromConfirmed(t *testing.T) {
	t.Parallel()
	items := []OpenItem{inv("I1", "D1", "RE-1", 4200), inv("I2", "D1", "RE-2", 5300)}
	e := newEngine(t, DefaultConfig(), items, []Debtor{{ID: "D1", Name: "Beispiel GmbH"}}, nil)
	first := with(pay("P1", 4200, "Danke"), func(p *Payment) { p.CounterpartyIBAN = ibanOther })
	if d := e.Match(first); d.Kind == Auto {
		t.Fatalf("before learning: %s %s", d.Kind, d.Explanation)
	}
	if err := e.Apply(Decision{Payment: first, Kind: Confirmed, Debtor: "D1", Allocations: one("I1", 4200)}); err != nil {
		t.Fatal(err)
	}
	e.Learn(first, "D1")
	second := with(pay("P2", 5300, "Danke"), func(p *Payment) { p.CounterpartyIBAN = ibanOther })
	d := e.Match(second)
	if d.Kind != Auto || d.Debtor != "D1" || len(d.Allocations) != 1 || d.Allocations[0].Item != "I2" {
		t.Errorf("after learning: %s %s %v (%s)", d.Kind, d.Debtor, d.Allocations, d.Explanation)
	}
}

// TestLearnedFromAutomatic: an automatic decision for items the text names
// says what it teaches (Decision.Learned) and teaches it when applied, so
// that the payer's next payment without a reference is booked too; a
// decision found by amount, or proposed, teaches nothing.
func TestLearnedFromAutomatic(t *testing.T) {
	t.Parallel()
	items := []OpenItem{inv("I1", "D1", "RE-1001", 4200), inv("I2", "D1", "RE-1002", 5300), inv("I3", "D1", "RE-1003", 6100)}
	e := newEngine(t, DefaultConfig(), items, []Debtor{{ID: "D1", Name: "Beispiel GmbH"}}, nil)
	from := func(p Payment) Payment {
		p.CounterpartyIBAN, p.CounterpartyName = "de02 1203 0000 0000 2020 51", "Beispiel GmbH Einkauf"
		return p
	}
	if d := e.Match(from(pay("P0", 5300, "Danke"))); d.Kind == Auto || d.Learned != nil {
		t.Fatalf("before: %s, learned %+v (%s)", d.Kind, d.Learned, d.Explanation)
	}
	ds := run(t, e, from(pay("P1", 4200, "Rechnung RE-1001")), from(pay("P2", 5300, "Danke")), from(pay("P3", 9999, "Danke")))
	want := []*Learned{{Debtor: "D1", IBAN: ibanOther, Name: "Beispiel GmbH Einkauf"}, nil, nil}
	var got []*Learned
	for _, d := range ds {
		got = append(got, d.Learned)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("learned (-want +got):\n%s", diff)
	}
	if ds[1].Kind != Auto || ds[1].Debtor != "D1" {
		t.Errorf("after learning: %s %s (%s)", ds[1].Kind, ds[1].Debtor, ds[1].Explanation)
	}
}

// TestRemoveItem: an item removed is no longer matched.
func TestRemoveItem(t *testing.T) {
	t.Parallel()
	e := newEngine(t, DefaultConfig(), []OpenItem{inv("I1", "D1", "RE-2024-0042", 10000)}, nil, nil)
	e.RemoveItem("I1")
	if d := e.Match(pay("P1", 10000, "RE-2024-0042")); d.Kind != Unmatched {
		t.Errorf("after RemoveItem: %s %v", d.Kind, d.Allocations)
	}
	if err := e.AddItem(inv("I1", "D1", "RE-2024-0042", 10000)); err != nil {
		t.Fatalf("add the item again: %v", err)
	}
	if d := e.Match(pay("P1", 10000, "RE-2024-0042")); d.Kind != Auto {
		t.Errorf("after AddItem: %s %s", d.Kind, d.Explanation)
	}
}

// TestInvalidPayments: a payment that cannot be matched gets an unmatched
// decision saying why.
func TestInvalidPayments(t *testing.T) {
	t.Parallel()
	e := newEngine(t, DefaultConfig(), []OpenItem{inv("I1", "D1", "RE-1", 100)}, nil, nil)
	for _, p := range []Payment{
		pay("P1", 0, "RE-1"),
		{ID: "P2", Amount: money.Amount{Minor: 100, Currency: "XXX"}},
		{ID: "P3", Amount: money.MustNew(100, "CHF"), Remittance: "RE-1"},
		{ID: "P4", Amount: money.Amount{Minor: money.MaxAbs + 1, Currency: "EUR"}},
	} {
		if d := e.Match(p); d.Kind != Unmatched || d.Explanation == "" {
			t.Errorf("%s: %s %q", p.ID, d.Kind, d.Explanation)
		}
	}
}

// TestExplanationIsOneLine: what a clerk reads names the evidence and
// ends with the score.
func TestExplanationIsOneLine(t *testing.T) {
	t.Parallel()
	e := newEngine(t, DefaultConfig(), []OpenItem{inv("I1", "D7", "RE-2024-0042", 10000)},
		[]Debtor{{ID: "D7", Name: "Anna Müller", IBANs: []string{ibanAnna}}}, nil)
	d := e.Match(fromAnna(pay("P1", 10000, "RE-2024-0042")))
	want := "RE-2024-0042 in remittance, amount equal, payer IBAN known for debtor D7 → 100"
	if d.Explanation != want {
		t.Errorf("explanation %q, want %q", d.Explanation, want)
	}
}

// TestPackNumbers: an item's id and numbers come back unchanged from the
// one string they are packed into, whichever of them are equal or empty.
func TestPackNumbers(t *testing.T) {
	t.Parallel()
	for _, tc := range [][4]string{
		{"I1", "RE-1", "W-9", "RF18539007547034"},
		{"I2", "RE-2", "RE-2", "RE-2"},
		{"I3", "RE-3", "", "RE-3"},
		{"I4", "", "O-4", "O-4"},
		{"I5", "", "", ""},
		{"I6", "RE-6", "O-6", "O-6"},
	} {
		id, doc, order, ref := packNumbers(tc[0], tc[1], tc[2], tc[3])
		if got := [4]string{id, doc, order, ref}; got != tc {
			t.Errorf("packNumbers(%q) = %q", tc, got)
		}
	}
}
