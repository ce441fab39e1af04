package engine

import (
	"testing"
	"time"

	"github.com/o2c-platform/o2c/libs/money"
)

// day0 is the booking date of the payments in the tests unless they say
// otherwise.
var day0 = time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// inv is an open invoice of debtor with its whole amount open, issued a
// month and due two weeks before day0.
func inv(id, debtor, doc string, minor int64) OpenItem {
	return OpenItem{
		ID: id, Debtor: debtor, Kind: ItemInvoice, DocumentNumber: doc, Amount: money.MustNew(minor, "EUR"),
		Open: minor, IssueDate: day0.AddDate(0, -1, 0), DueDate: day0.AddDate(0, 0, -14), Channel: "shop",
	}
}

// pay is a payment received on day0.
func pay(id string, minor int64, remittance string) Payment {
	return Payment{ID: id, Amount: money.MustNew(minor, "EUR"), BookingDate: day0, ValueDate: day0, Remittance: remittance,
		EndToEndID: "NOTPROVIDED"}
}

// newEngine builds an engine or fails the test.
func newEngine(tb testing.TB, cfg Config, items []OpenItem, debtors []Debtor, history []Confirmation) *Engine {
	tb.Helper()
	e, err := New(cfg, items, debtors, history)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// outcome is what the rule tests compare of a decision.
type outcome struct {
	Kind        Kind
	Debtor      string
	Allocations []Allocation
	Difference  *Difference
	Reverses    string
}

func outcomeOf(d Decision) outcome {
	return outcome{Kind: d.Kind, Debtor: d.Debtor, Allocations: d.Allocations, Difference: d.Difference, Reverses: d.Reverses}
}

// run matches and applies the payments in order and returns the decisions.
func run(tb testing.TB, e *Engine, payments ...Payment) []Decision {
	tb.Helper()
	var out []Decision
	for _, p := range payments {
		d := e.Match(p)
		checkDecision(tb, e, d)
		if err := e.Apply(d); err != nil {
			tb.Fatalf("apply %s: %v (%s)", p.ID, err, d.Explanation)
		}
		out = append(out, d)
	}
	return out
}

// reporter is what checkDecision needs of a test: testing.TB or a rapid.T.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// checkDecision fails when a decision breaks the contract's arithmetic
// (allocations plus difference equal the payment) or allocates more than
// is open now, in its main proposal or any alternative.
func checkDecision(tb reporter, e *Engine, d Decision) {
	tb.Helper()
	check := func(what string, allocs []Allocation, diff *Difference) {
		if len(allocs) == 0 {
			return
		}
		sum := int64(0)
		per := map[string]int64{}
		for _, a := range allocs {
			sum += a.Amount
			per[a.Item] += a.Amount
		}
		if diff != nil {
			sum += diff.Amount
		}
		if sum != d.Payment.Amount.Minor {
			tb.Errorf("%s %s: allocations and difference make %d, the payment is %d", d.Payment.ID, what, sum, d.Payment.Amount.Minor)
		}
		if d.Reverses != "" {
			return
		}
		for id, a := range per {
			open, ok := e.Open(id)
			fits := ok && (open >= 0 && a >= 0 && a <= open || open < 0 && a <= 0 && a >= open)
			if !fits {
				tb.Errorf("%s %s: %d on item %s with %d open", d.Payment.ID, what, a, id, open)
			}
		}
	}
	check("decision", d.Allocations, d.Difference)
	if len(d.Alternatives) > 4 {
		tb.Errorf("%s: %d alternatives, at most 4", d.Payment.ID, len(d.Alternatives))
	}
	for i, a := range d.Alternatives {
		check("alternative "+string(rune('1'+i)), a.Allocations, a.Difference)
	}
	if d.Score < 0 || d.Score > 100 {
		tb.Errorf("%s: score %d", d.Payment.ID, d.Score)
	}
	if d.Kind == Unmatched && len(d.Allocations) > 0 {
		tb.Errorf("%s: unmatched with allocations", d.Payment.ID)
	}
}
