package matchbench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// With fakeMatchEnv set the test binary acts as `o2c match` with a perfect
// engine: it answers every payment with its truth (TestRunExecsMatch).
const fakeMatchEnv = "O2C_MATCHBENCH_FAKE_MATCH"

func TestMain(m *testing.M) {
	switch os.Getenv(fakeMatchEnv) {
	case "1":
		os.Exit(fakeMatch(os.Args[1:]))
	case "fail":
		fmt.Fprintln(os.Stderr, "fake o2c: the engine failed")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func fakeMatch(args []string) int {
	flags := map[string]string{}
	if len(args) == 0 || args[0] != "match" {
		fmt.Fprintln(os.Stderr, "fake o2c: want match, got", args)
		return 2
	}
	for i := 1; i+1 < len(args); i += 2 {
		flags[args[i]] = args[i+1]
	}
	for _, f := range []string{"--open-items", "--payments", "--debtors", "--history"} {
		if _, err := os.Stat(flags[f]); err != nil {
			fmt.Fprintln(os.Stderr, "fake o2c:", f, err)
			return 1
		}
	}
	truth, err := os.Open(filepath.Join(filepath.Dir(flags["--payments"]), TruthFile))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer truth.Close()
	sc := bufio.NewScanner(truth)
	sc.Buffer(nil, 1<<24)
	enc := json.NewEncoder(os.Stdout)
	for sc.Scan() {
		var t Truth
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := enc.Encode(oracle(t)); err != nil {
			return 1
		}
	}
	return 0
}

// oracle is the decision of an engine that knows the truth.
func oracle(t Truth) Decision {
	d := Decision{Payment: t.Payment, Decision: "auto", Score: 100, Debtor: t.Debtor, Allocations: t.Allocations,
		Difference: t.Difference, Reverses: t.Reverses, Alternatives: []Alternative{}, Explanation: "truth"}
	if t.Match == MatchNone {
		d.Decision, d.Score, d.Allocations, d.Difference = "unmatched", 0, []Allocation{}, nil
	}
	return d
}

func writeLines[T any](tb testing.TB, name string, vs []T) {
	tb.Helper()
	f, err := os.Create(name)
	if err != nil {
		tb.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for _, v := range vs {
		if err := enc.Encode(v); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

func ptr(s string) *string { return &s }

func alloc(item string, amount int64) []Allocation {
	return []Allocation{{OpenItem: item, AmountMinor: amount}}
}

// counts is the part of a Report the tiny case knows the answers to.
type counts struct {
	Payments, WithMatch, Nobody, Auto, AutoOnMatch, AutoCorrect, Proposed, ProposedWithMatch, ProposedTop3 int
	Unmatched, NobodyAuto, NobodyProposed, Violations                                                      int
	AutoRate, AutoPrecision, Top3Accuracy                                                                  float64
	WrongAuto, Top3Misses                                                                                  []string
}

func countsOf(r Report) counts {
	ids := func(ms []Miss) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Payment)
		}
		return out
	}
	return counts{
		Payments: r.Payments, WithMatch: r.WithMatch, Nobody: r.Nobody, Auto: r.Auto, AutoOnMatch: r.AutoOnMatch,
		AutoCorrect: r.AutoCorrect, Proposed: r.Proposed, ProposedWithMatch: r.ProposedWithMatch, ProposedTop3: r.ProposedTop3,
		Unmatched: r.Unmatched, NobodyAuto: r.NobodyAuto, NobodyProposed: r.NobodyProposed, Violations: r.Violations,
		AutoRate: r.AutoRate, AutoPrecision: r.AutoPrecision, Top3Accuracy: r.Top3Accuracy,
		WrongAuto: ids(r.WrongAuto), Top3Misses: ids(r.Top3Misses),
	}
}

// TestScoreTinyCase scores six hand-made decisions whose metrics are known:
// two right autos, a false auto on a payment of nobody, a proposal with its
// truth as first alternative, one without, and an unmatched payment.
func TestScoreTinyCase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	item := func(id, debtor string, open int64) Item {
		return Item{ID: id, Debtor: debtor, Kind: "invoice", AmountMinor: open, OpenMinor: open, Currency: "EUR"}
	}
	i2 := item("I2", "D1", 5000)
	i2.CashDiscount = &CashDiscount{Until: "2026-11-10", PercentBP: 200}
	items := []Item{item("I1", "D1", 10000), i2, item("I3", "D2", 3000), item("I4", "D2", 3000)}
	pay := func(id string, amount int64) Payment {
		return Payment{ID: id, AmountMinor: amount, Currency: "EUR", BookingDate: "2026-11-05"}
	}
	payments := []Payment{pay("P1", 10000), pay("P2", 4900), pay("P3", 3000), pay("P4", 2500), pay("P5", 700), pay("P6", 1000)}
	truth := []Truth{
		{Payment: "P1", Match: MatchItems, Debtor: ptr("D1"), Allocations: alloc("I1", 10000), Situation: "exact"},
		{Payment: "P2", Match: MatchItems, Debtor: ptr("D1"), Allocations: alloc("I2", 5000), Difference: &Difference{Kind: "cash_discount", AmountMinor: -100}, Situation: "cash_discount"},
		{Payment: "P3", Match: MatchItems, Debtor: ptr("D2"), Allocations: alloc("I4", 3000), Situation: "equal_amounts"},
		{Payment: "P4", Match: MatchNone, Situation: "nobody"},
		{Payment: "P5", Match: MatchItems, Debtor: ptr("D2"), Allocations: alloc("I3", 700), Situation: "partial"},
		{Payment: "P6", Match: MatchItems, Debtor: ptr("D2"), Allocations: alloc("I3", 1000), Situation: "partial"},
	}
	decisions := []Decision{
		{Payment: "P1", Decision: "auto", Score: 99, Debtor: ptr("D1"), Allocations: alloc("I1", 10000)},
		{Payment: "P2", Decision: "auto", Score: 95, Debtor: ptr("D1"), Allocations: alloc("I2", 5000), Difference: &Difference{Kind: "cash_discount", AmountMinor: -100}},
		{Payment: "P3", Decision: "proposed", Score: 60, Debtor: ptr("D2"), Allocations: alloc("I3", 3000), Alternatives: []Alternative{{Score: 60, Allocations: alloc("I4", 3000)}}},
		{Payment: "P4", Decision: "auto", Score: 90, Debtor: ptr("D2"), Allocations: alloc("I3", 2500)},
		{Payment: "P5", Decision: "proposed", Score: 40, Debtor: ptr("D2"), Allocations: alloc("I4", 700)},
		{Payment: "P6", Decision: "unmatched", Score: 10},
	}
	writeLines(t, filepath.Join(dir, "items.jsonl"), items)
	writeLines(t, filepath.Join(dir, "payments.jsonl"), payments)
	writeLines(t, filepath.Join(dir, "truth.jsonl"), truth)
	writeLines(t, filepath.Join(dir, "decisions.jsonl"), decisions)
	f := Files{Dir: dir}
	r, err := Score(ScoreInput{Items: f.Items(), Payments: f.Payments(), Truth: f.Truth(), Decisions: filepath.Join(dir, "decisions.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	want := counts{
		Payments: 6, WithMatch: 5, Nobody: 1, Auto: 3, AutoOnMatch: 2, AutoCorrect: 2, Proposed: 2, ProposedWithMatch: 2,
		ProposedTop3: 1, Unmatched: 1, NobodyAuto: 1, AutoRate: 2.0 / 5, AutoPrecision: 2.0 / 3, Top3Accuracy: 0.5,
		WrongAuto: []string{"P4"}, Top3Misses: []string{"P5"},
	}
	if diff := cmp.Diff(want, countsOf(r)); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	// P4's false auto left I3 with 500 open; P5's proposal of 700 on I4
	// fits: nothing breaks the contract.
	if !r.Passed() {
		t.Errorf("violations %v", r.ViolationExamples)
	}

	// A decisions file that skips a payment does not belong to the truth.
	writeLines(t, filepath.Join(dir, "short.jsonl"), slices.Delete(slices.Clone(decisions), 2, 3))
	_, err = Score(ScoreInput{Items: f.Items(), Payments: f.Payments(), Truth: f.Truth(), Decisions: filepath.Join(dir, "short.jsonl")})
	if !errors.Is(err, ErrMismatch) {
		t.Errorf("Score with a payment left out: %v, want ErrMismatch", err)
	}
}

// TestCheckerCatchesBrokenDecisions gives the checker one broken decision
// each, after an auto decision that consumed 6,000 of I1's 10,000.
func TestCheckerCatchesBrokenDecisions(t *testing.T) {
	t.Parallel()
	items := []Item{
		{ID: "I1", Debtor: "D1", AmountMinor: 10000, OpenMinor: 10000},
		{ID: "I2", Debtor: "D1", AmountMinor: 5000, OpenMinor: 5000, CashDiscount: &CashDiscount{Until: "2026-11-04", PercentBP: 200}},
		{ID: "C1", Debtor: "D9", Kind: "credit", AmountMinor: -1500, OpenMinor: -1500},
	}
	first := Payment{ID: "P0", AmountMinor: 6000, BookingDate: "2026-11-05"}
	p := Payment{ID: "P1", AmountMinor: 4000, BookingDate: "2026-11-05"}
	five := make([]Alternative, 5)
	for i := range five {
		five[i] = Alternative{Allocations: alloc("I1", 4000)}
	}
	tests := []struct {
		name string
		pay  Payment
		d    Decision
		want []string
	}{
		{name: "correct", pay: p, d: Decision{Decision: "auto", Score: 90, Allocations: alloc("I1", 4000)}},
		{name: "sum is not the payment", pay: p, d: Decision{Decision: "auto", Score: 90, Allocations: alloc("I1", 3900)}, want: []string{RuleArithmetic}},
		{name: "difference balances", pay: p, d: Decision{Decision: "auto", Score: 90, Allocations: alloc("I1", 3900), Difference: &Difference{Kind: "overpayment", AmountMinor: 100}}},
		{name: "more than open", pay: Payment{ID: "P1", AmountMinor: 5000, BookingDate: "2026-11-05"}, d: Decision{Decision: "proposed", Allocations: alloc("I1", 5000)}, want: []string{RuleOpenAmount}},
		{name: "unknown item", pay: p, d: Decision{Decision: "proposed", Allocations: alloc("I7", 4000)}, want: []string{RuleUnknownItem}},
		{name: "unmatched with allocations", pay: p, d: Decision{Decision: "unmatched", Allocations: alloc("I1", 4000)}, want: []string{RuleUnmatched}},
		{name: "no such decision", pay: p, d: Decision{Decision: "maybe"}, want: []string{RuleDecision}},
		{name: "score above 100", pay: p, d: Decision{Decision: "unmatched", Score: 101}, want: []string{RuleScore}},
		{name: "unknown difference kind", pay: p, d: Decision{Decision: "proposed", Allocations: alloc("I1", 3900), Difference: &Difference{Kind: "gift", AmountMinor: 100}}, want: []string{RuleDifference}},
		{name: "five alternatives", pay: p, d: Decision{Decision: "proposed", Allocations: alloc("I1", 4000), Alternatives: five}, want: []string{RuleAlternatives}},
		{name: "alternative does not add up", pay: p, d: Decision{Decision: "proposed", Allocations: alloc("I1", 4000), Alternatives: []Alternative{{Allocations: alloc("I2", 3000)}}}, want: []string{RuleArithmetic}},
		{name: "discount after its period", pay: Payment{ID: "P1", AmountMinor: 4900, BookingDate: "2026-11-05"}, d: Decision{Decision: "auto", Allocations: alloc("I2", 5000), Difference: &Difference{Kind: "cash_discount", AmountMinor: -100}}, want: []string{RuleCashDiscount}},
		{name: "discount within its period", pay: Payment{ID: "P1", AmountMinor: 4900, BookingDate: "2026-11-04"}, d: Decision{Decision: "auto", Allocations: alloc("I2", 5000), Difference: &Difference{Kind: "cash_discount", AmountMinor: -100}}},
		{name: "discount above the percentage", pay: Payment{ID: "P1", AmountMinor: 4800, BookingDate: "2026-11-04"}, d: Decision{Decision: "auto", Allocations: alloc("I2", 5000), Difference: &Difference{Kind: "cash_discount", AmountMinor: -200}}, want: []string{RuleCashDiscount}},
		{name: "discount with a few cents of rounding", pay: Payment{ID: "P1", AmountMinor: 4897, BookingDate: "2026-11-04"}, d: Decision{Decision: "auto", Allocations: alloc("I2", 5000), Difference: &Difference{Kind: "cash_discount", AmountMinor: -103}}},
		{name: "reverses a later payment", pay: Payment{ID: "P1", AmountMinor: -6000, BookingDate: "2026-11-05", ReturnReason: "AM04"}, d: Decision{Decision: "auto", Allocations: alloc("I1", -6000), Reverses: ptr("P2")}, want: []string{RuleReverses}},
		{name: "return reopens what P0 consumed", pay: Payment{ID: "P1", AmountMinor: -6300, BookingDate: "2026-11-05", ReturnReason: "AM04"}, d: Decision{Decision: "auto", Allocations: alloc("I1", -6000), Difference: &Difference{Kind: "bank_fee", AmountMinor: -300}, Reverses: ptr("P0")}},
		{name: "return reopens more than consumed", pay: Payment{ID: "P1", AmountMinor: -7000, BookingDate: "2026-11-05", ReturnReason: "AM04"}, d: Decision{Decision: "auto", Allocations: alloc("I1", -7000), Reverses: ptr("P0")}, want: []string{RuleOpenAmount}},
		{name: "credit item consumed with its sign", pay: Payment{ID: "P1", AmountMinor: 2500, BookingDate: "2026-11-05"}, d: Decision{Decision: "auto", Allocations: []Allocation{{OpenItem: "I1", AmountMinor: 4000}, {OpenItem: "C1", AmountMinor: -1500}}}},
		{name: "credit item with the wrong sign", pay: Payment{ID: "P1", AmountMinor: 5500, BookingDate: "2026-11-05"}, d: Decision{Decision: "auto", Allocations: []Allocation{{OpenItem: "I1", AmountMinor: 4000}, {OpenItem: "C1", AmountMinor: 1500}}}, want: []string{RuleOpenAmount}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newChecker(items, 0)
			if vs := c.check(first, Decision{Payment: "P0", Decision: "auto", Allocations: alloc("I1", 6000)}); len(vs) > 0 {
				t.Fatalf("the first decision: %v", vs)
			}
			tt.d.Payment = tt.pay.ID
			var got []string
			for _, v := range c.check(tt.pay, tt.d) {
				got = append(got, v.Rule)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}

	// Two autos that together take more than is open: the second breaks
	// the rule, and only the first consumed.
	c := newChecker(items, 0)
	for i, want := range [][]string{nil, {RuleOpenAmount}} {
		d := Decision{Payment: fmt.Sprint("P", i), Decision: "auto", Allocations: alloc("I1", 6000)}
		var got []string
		for _, v := range c.check(Payment{ID: d.Payment, AmountMinor: 6000}, d) {
			got = append(got, v.Rule)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("auto %d (-want +got):\n%s", i+1, diff)
		}
	}
}

// TestTruthKeepsTheContract scores an engine that knows the truth on every
// scenario: the truth itself must keep the contract's rules, and score
// perfectly.
func TestTruthKeepsTheContract(t *testing.T) {
	t.Parallel()
	for _, name := range Scenarios() {
		div := 1
		if name == "scale" {
			div = 100
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc := small(t, name, div)
			dir, _ := generate(t, sc, 3)
			f := Files{Dir: dir}
			var ds []Decision
			for _, tr := range readLines[Truth](t, f.Truth()) {
				ds = append(ds, oracle(tr))
			}
			writeLines(t, filepath.Join(dir, DecisionsFile), ds)
			r, err := Score(ScoreInput{Items: f.Items(), Payments: f.Payments(), Truth: f.Truth(), Decisions: filepath.Join(dir, DecisionsFile)})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Passed() {
				t.Errorf("%d violations: %v", r.Violations, r.ViolationExamples)
			}
			if r.AutoRate != 1 || r.AutoPrecision != 1 || r.NobodyAuto != 0 || r.Payments != sc.Payments {
				t.Errorf("the truth scores auto rate %v, precision %v, %d false autos over %d payments", r.AutoRate, r.AutoPrecision, r.NobodyAuto, r.Payments)
			}
		})
	}
}

// TestRunExecsMatch runs the benchmark end to end with this test binary
// as o2c: generate, exec `match`, score, and the child's memory measured.
func TestRunExecsMatch(t *testing.T) {
	t.Setenv(fakeMatchEnv, "1")
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	sc := small(t, DefaultScenario, 4)
	r, err := Run(context.Background(), RunOptions{Scenario: sc, Seed: 5, Dir: t.TempDir(), Binary: bin})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed() || r.AutoPrecision != 1 || r.Payments != sc.Payments || r.Scenario != DefaultScenario {
		t.Errorf("report %+v", r)
	}
	if r.Engine == nil || r.Engine.PeakRSSBytes <= 0 {
		t.Errorf("engine run %+v: no peak memory", r.Engine)
	}
	var out bytes.Buffer
	r.Print(&out)
	for _, want := range []string{"automatic rate", "100.00 %", "verdict: PASS", "target (issue #14)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed report lacks %q:\n%s", want, out.String())
		}
	}

	// A match that fails is an error naming what it ran.
	t.Setenv(fakeMatchEnv, "fail")
	_, err = Run(context.Background(), RunOptions{Scenario: sc, Seed: 5, Dir: t.TempDir(), Binary: bin})
	if err == nil || !strings.Contains(err.Error(), "the engine failed") {
		t.Errorf("Run with a failing o2c match: %v, want its message", err)
	}
}
