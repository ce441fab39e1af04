package matchbench

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/fault/faulttest"
)

func TestErrorsAreClassified(t *testing.T) {
	t.Parallel()
	faulttest.CheckTable(t, ".", Errors)
}

// small returns the scenario with its sizes divided by div, for tests that
// cover the whole mix without the full size.
func small(tb testing.TB, name string, div int) Scenario {
	tb.Helper()
	sc, err := Lookup(name)
	if err != nil {
		tb.Fatal(err)
	}
	sc.Debtors, sc.Items, sc.Payments = sc.Debtors/div, sc.Items/div, sc.Payments/div
	return sc
}

func generate(tb testing.TB, sc Scenario, seed uint64) (string, Summary) {
	tb.Helper()
	dir := tb.TempDir()
	sum, err := Generate(dir, sc, seed)
	if err != nil {
		tb.Fatalf("Generate(%s, %d): %v", sc.Name, seed, err)
	}
	return dir, sum
}

func readLines[T any](tb testing.TB, name string) []T {
	tb.Helper()
	f, err := os.Open(name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			tb.Fatalf("%s line %d: %v", name, len(out)+1, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	sc := small(t, "b2b-wholesale", 2)
	a, _ := generate(t, sc, 7)
	b, _ := generate(t, sc, 7)
	c, _ := generate(t, sc, 8)
	for _, name := range []string{ItemsFile, PaymentsFile, DebtorsFile, HistoryFile, TruthFile} {
		x, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with seed 7", name)
		}
		z, err := os.ReadFile(filepath.Join(c, name))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(x, z) {
			t.Errorf("%s is the same for seeds 7 and 8", name)
		}
	}
}

func TestIBANAndRF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		iban bool
		rf   bool
	}{
		{in: "DE89370400440532013000", iban: true},
		{in: "DE89370400440532013001"},
		{in: "NL91ABNA0417164300", iban: true},
		{in: "BE68539007547034", iban: true},
		{in: "AT611904300234573201", iban: true},
		{in: "RF18539007547034", rf: true},
		{in: "RF18000000000539007547034", rf: true},
		{in: "RF19539007547034"},
		{in: "RF18 5390 0754 7034"},
	}
	for _, tt := range tests {
		if got := ValidIBAN(tt.in); got != tt.iban {
			t.Errorf("ValidIBAN(%q) = %v, want %v", tt.in, got, tt.iban)
		}
		if got := ValidRF(tt.in); got != tt.rf {
			t.Errorf("ValidRF(%q) = %v, want %v", tt.in, got, tt.rf)
		}
	}
}

// TestGeneratedData checks every scenario (scale at a hundredth): sizes,
// IBANs and RF references valid, and the truth consistent with the items.
func TestGeneratedData(t *testing.T) {
	t.Parallel()
	for _, name := range Scenarios() {
		div := 1
		if name == "scale" {
			div = 100
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc := small(t, name, div)
			dir, sum := generate(t, sc, 1)
			items := readLines[Item](t, filepath.Join(dir, ItemsFile))
			payments := readLines[Payment](t, filepath.Join(dir, PaymentsFile))
			debtors := readLines[Debtor](t, filepath.Join(dir, DebtorsFile))
			history := readLines[Payment](t, filepath.Join(dir, HistoryFile))
			truth := readLines[Truth](t, filepath.Join(dir, TruthFile))
			got := map[string]int{"items": len(items), "payments": len(payments), "debtors": len(debtors), "truth": len(truth)}
			want := map[string]int{"items": sc.Items, "payments": sc.Payments, "debtors": sc.Debtors, "truth": sc.Payments}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("sizes (-want +got):\n%s", diff)
			}
			if sum.Payments != len(payments) || sum.Items != len(items) || sum.History != len(history) {
				t.Errorf("summary %+v does not count what was written", sum)
			}
			checkIBANs(t, payments, debtors, history)
			checkRF(t, items, payments)
			checkTruth(t, items, payments, debtors, truth)
		})
	}
}

func checkIBANs(tb testing.TB, payments []Payment, debtors []Debtor, history []Payment) {
	tb.Helper()
	for _, p := range append(payments, history...) {
		if !ValidIBAN(p.CounterpartyIBAN) {
			tb.Errorf("payment %s: invalid IBAN %q", p.ID, p.CounterpartyIBAN)
		}
	}
	for _, d := range debtors {
		for _, iban := range d.IBANs {
			if !ValidIBAN(iban) {
				tb.Errorf("debtor %s: invalid IBAN %q", d.Debtor, iban)
			}
		}
	}
}

func checkRF(tb testing.TB, items []Item, payments []Payment) {
	tb.Helper()
	n := 0
	for _, it := range items {
		if strings.HasPrefix(it.PaymentReference, "RF") {
			n++
			if !ValidRF(it.PaymentReference) {
				tb.Errorf("item %s: invalid RF %q", it.ID, it.PaymentReference)
			}
		}
	}
	for _, p := range payments {
		for _, ref := range p.CreditorReferences {
			if !ValidRF(ref) {
				tb.Errorf("payment %s: invalid RF %q", p.ID, ref)
			}
		}
	}
	if n == 0 {
		tb.Errorf("no item has an RF reference")
	}
}

// checkTruth replays the truth in payment order: every allocation names an
// item of the true debtor and keeps its open amount between 0 and
// open_minor, allocations plus difference equal the payment, a return
// reverses an earlier payment of the same debtor and reopens what it
// allocated, and a discount is taken within its period.
func checkTruth(tb testing.TB, items []Item, payments []Payment, debtors []Debtor, truth []Truth) {
	tb.Helper()
	byID := map[string]Item{}
	open := map[string]int64{}
	for _, it := range items {
		if _, dup := byID[it.ID]; dup {
			tb.Errorf("item id %s twice", it.ID)
		}
		byID[it.ID] = it
		open[it.ID] = it.OpenMinor
	}
	known := map[string]bool{}
	for _, d := range debtors {
		known[d.Debtor] = true
	}
	seen := map[string]Truth{}
	situations := map[string]int{}
	for i, tr := range truth {
		p := payments[i]
		if tr.Payment != p.ID {
			tb.Fatalf("truth line %d is for %s, payment %s", i+1, tr.Payment, p.ID)
		}
		situations[tr.Situation]++
		var sum, eligible int64
		for _, a := range tr.Allocations {
			it, ok := byID[a.OpenItem]
			if !ok {
				tb.Errorf("%s: unknown item %s", p.ID, a.OpenItem)
				continue
			}
			if tr.Debtor == nil || it.Debtor != *tr.Debtor {
				tb.Errorf("%s: item %s is not the true debtor's", p.ID, a.OpenItem)
			}
			sum += a.AmountMinor
			open[a.OpenItem] -= a.AmountMinor
			left := open[a.OpenItem]
			if it.OpenMinor >= 0 && (left < 0 || left > it.OpenMinor) || it.OpenMinor < 0 && (left > 0 || left < it.OpenMinor) {
				tb.Errorf("%s: item %s left with %d open of %d", p.ID, a.OpenItem, left, it.OpenMinor)
			}
			if it.CashDiscount != nil && p.BookingDate <= it.CashDiscount.Until {
				eligible += (it.OpenMinor*it.CashDiscount.PercentBP + 5000) / 10000
			}
		}
		if tr.Difference != nil {
			sum += tr.Difference.AmountMinor
			if tr.Difference.Kind == "cash_discount" && -tr.Difference.AmountMinor != eligible {
				tb.Errorf("%s: cash discount %d, the items within their period allow %d", p.ID, -tr.Difference.AmountMinor, eligible)
			}
		}
		switch tr.Match {
		case MatchItems:
			if len(tr.Allocations) == 0 || sum != p.AmountMinor {
				tb.Errorf("%s: allocations and difference make %d, payment is %d", p.ID, sum, p.AmountMinor)
			}
		case MatchDebtor:
			if len(tr.Allocations) != 0 || sum != p.AmountMinor || tr.Debtor == nil {
				tb.Errorf("%s: a debtor-only truth must keep the whole payment as a difference: %+v", p.ID, tr)
			}
		case MatchNone:
			if tr.Debtor != nil || len(tr.Allocations) != 0 {
				tb.Errorf("%s: a payment of nobody has a debtor or allocations", p.ID)
			}
		default:
			tb.Errorf("%s: match %q", p.ID, tr.Match)
		}
		if tr.Debtor != nil && !known[*tr.Debtor] {
			tb.Errorf("%s: unknown debtor %s", p.ID, *tr.Debtor)
		}
		if tr.Reverses != nil {
			orig, ok := seen[*tr.Reverses]
			if !ok || p.AmountMinor >= 0 || p.ReturnReason == "" {
				tb.Errorf("%s: reverses %s, which is not an earlier payment, or is no return", p.ID, *tr.Reverses)
			} else if len(orig.Allocations) != len(tr.Allocations) || orig.Allocations[0].AmountMinor != -tr.Allocations[0].AmountMinor {
				tb.Errorf("%s: reopens %v, %s allocated %v", p.ID, tr.Allocations, orig.Payment, orig.Allocations)
			}
		}
		if i > 0 && p.BookingDate < payments[i-1].BookingDate {
			tb.Errorf("%s booked %s before its predecessor's %s", p.ID, p.BookingDate, payments[i-1].BookingDate)
		}
		seen[p.ID] = tr
	}
	if len(situations) < 10 {
		tb.Errorf("only %d situations: %v", len(situations), situations)
	}
}

// TestScenariosAreFixed pins the data of every scenario (scale at a
// hundredth) to what it was when the noise mixes were fixed in commit
// b590e3d: figures measured at different times must stay comparable.
// A change of situations or noise belongs in a new scenario.
func TestScenariosAreFixed(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"b2c-shop":      "d035d8ea902c63db6a7c936adbc19caf328056d57936cf5c1515b143a0dbd8a1",
		"b2b-wholesale": "3169cce4b94ddf017fc69668d3af8e39c213ecabfb089774364307dcfb23948b",
		"marketplace":   "e4b007ed0e2ba246be6b08c1fe0b8d4afd18b3738b2e1c723826b1ea98a5a6a6",
		"scale":         "5f077f5e2d2253e2acbe411b28b66c4e5200fb7a79b1e24f97fc605a14ba8a3a",
	}
	for _, name := range Scenarios() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			div := 1
			if name == "scale" {
				div = 100
			}
			dir, _ := generate(t, small(t, name, div), 1)
			h := sha256.New()
			for _, f := range []string{ItemsFile, PaymentsFile, DebtorsFile, HistoryFile, TruthFile} {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				h.Write(b)
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != want[name] {
				t.Errorf("scenario %s generates other data than when its mix was fixed (sha256 %s, want %s); add a new scenario instead of changing this one", name, got, want[name])
			}
		})
	}
}
