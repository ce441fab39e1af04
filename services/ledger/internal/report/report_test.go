package report

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func date(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBuckets(t *testing.T) {
	t.Parallel()
	b, err := NewBuckets(nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"not due", "1-30", "31-60", "61-90", "over 90"}, b.Titles()); diff != "" {
		t.Errorf("titles (-want +got):\n%s", diff)
	}
	for _, tt := range []struct{ days, want int }{
		{-5, 0}, {0, 0}, {1, 1}, {30, 1}, {31, 2}, {60, 2}, {61, 3}, {90, 3}, {91, 4}, {4000, 4},
	} {
		if got := b.Index(tt.days); got != tt.want {
			t.Errorf("Index(%d) = %d, want %d", tt.days, got, tt.want)
		}
	}
	for _, bad := range [][]int{{0}, {30, 30}, {60, 30}, {-1, 5}, make([]int, MaxBuckets+1)} {
		if _, err := NewBuckets(bad); !errors.Is(err, ErrInvalidBuckets) {
			t.Errorf("NewBuckets(%v) = %v, want ErrInvalidBuckets", bad, err)
		}
	}
}

func TestDaysOverdue(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		due, asOf string
		want      int
	}{
		{"2026-03-15", "2026-03-31", 16},
		{"2026-03-31", "2026-03-31", 0},
		{"2026-04-10", "2026-03-31", -10},
		{"2025-12-31", "2026-03-31", 90}, // across a year end
		{"2026-03-28", "2026-03-30", 2},  // across the switch to summer time, in UTC anyway
	} {
		if got := DaysOverdue(date(t, tt.due), date(t, tt.asOf)); got != tt.want {
			t.Errorf("DaysOverdue(%s, %s) = %d, want %d", tt.due, tt.asOf, got, tt.want)
		}
	}
}

func TestAgingGroupsAndBuckets(t *testing.T) {
	t.Parallel()
	asOf := date(t, "2026-03-31")
	items := []Item{
		{Currency: "EUR", Open: 1000, DueDate: date(t, "2026-04-14"), Channel: "shop"},  // not due
		{Currency: "EUR", Open: 500, DueDate: date(t, "2026-03-31"), Channel: "amazon"}, // due today: not due
		{Currency: "EUR", Open: 2000, DueDate: date(t, "2026-03-01"), Channel: "shop"},  // 30 days
		{Currency: "EUR", Open: -300, DueDate: date(t, "2026-02-01"), Channel: "shop"},  // a credit, 58 days
		{Currency: "EUR", Open: 700, DueDate: date(t, "2025-12-01"), Channel: "amazon"}, // 120 days
		{Currency: "USD", Open: 900, DueDate: date(t, "2026-01-15"), Channel: "shop"},   // 75 days
		{Currency: "EUR", Open: 100, DueDate: date(t, "2026-01-30"), Channel: "shop", DunningLevel: "2"},
	}
	tests := []struct {
		name         string
		dims         []Dimension
		rows, totals []AgingRow
	}{
		{"by currency only", nil,
			[]AgingRow{
				{Group: Group{Currency: "EUR"}, Buckets: []int64{1500, 2000, -300 + 100, 0, 700}, Total: 4000, Items: 6},
				{Group: Group{Currency: "USD"}, Buckets: []int64{0, 0, 0, 900, 0}, Total: 900, Items: 1},
			},
			[]AgingRow{
				{Group: Group{Currency: "EUR"}, Buckets: []int64{1500, 2000, -200, 0, 700}, Total: 4000, Items: 6},
				{Group: Group{Currency: "USD"}, Buckets: []int64{0, 0, 0, 900, 0}, Total: 900, Items: 1},
			}},
		{"by channel and dunning level", []Dimension{ByChannel, ByDunningLevel},
			[]AgingRow{
				{Group: Group{Currency: "EUR", Channel: "amazon"}, Buckets: []int64{500, 0, 0, 0, 700}, Total: 1200, Items: 2},
				{Group: Group{Currency: "EUR", Channel: "shop"}, Buckets: []int64{1000, 2000, -300, 0, 0}, Total: 2700, Items: 3},
				{Group: Group{Currency: "EUR", Channel: "shop", DunningLevel: "2"}, Buckets: []int64{0, 0, 100, 0, 0}, Total: 100, Items: 1},
				{Group: Group{Currency: "USD", Channel: "shop"}, Buckets: []int64{0, 0, 0, 900, 0}, Total: 900, Items: 1},
			},
			[]AgingRow{
				{Group: Group{Currency: "EUR"}, Buckets: []int64{1500, 2000, -200, 0, 700}, Total: 4000, Items: 6},
				{Group: Group{Currency: "USD"}, Buckets: []int64{0, 0, 0, 900, 0}, Total: 900, Items: 1},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, _ := NewBuckets(nil)
			a, err := NewAging(asOf, b, tt.dims)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				a.Add(it)
			}
			if diff := cmp.Diff(tt.rows, a.Rows()); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.totals, a.Totals()); diff != "" {
				t.Errorf("totals (-want +got):\n%s", diff)
			}
		})
	}
	for _, dims := range [][]Dimension{{ByChannel, ByChannel}, {Dimension(9)}} {
		if _, err := NewAging(asOf, Buckets{}, dims); !errors.Is(err, ErrInvalidDimension) {
			t.Errorf("NewAging(%v) = %v, want ErrInvalidDimension", dims, err)
		}
	}
	if err := CheckDimensions([]Dimension{ByDunningLevel}, false); !errors.Is(err, ErrInvalidDimension) {
		t.Errorf("dunning level for the DSO: %v, want ErrInvalidDimension", err)
	}
}

// TestAgingAgainstAModel sums random items bucket by bucket the plain way
// (a bucket is the range of days between two limits) and compares.
func TestAgingAgainstAModel(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	asOf := date(t, "2026-06-30")
	for round := range 50 {
		var limits []int
		for l := 0; len(limits) < 1+r.IntN(5); {
			l += 1 + r.IntN(40)
			limits = append(limits, l)
		}
		b, err := NewBuckets(limits)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := NewAging(asOf, b, []Dimension{ByChannel})
		want := map[Group][]int64{}
		for range r.IntN(60) {
			days := r.IntN(400) - 100
			it := Item{Currency: []string{"EUR", "CHF"}[r.IntN(2)], Open: r.Int64N(100000) - 20000,
				DueDate: asOf.AddDate(0, 0, -days), Channel: []string{"shop", "amazon", "otto"}[r.IntN(3)]}
			a.Add(it)
			g := Group{Currency: it.Currency, Channel: it.Channel}
			if want[g] == nil {
				want[g] = make([]int64, len(limits)+2)
			}
			idx, low := len(limits)+1, 1
			if days <= 0 {
				idx = 0
			} else {
				for i, l := range limits {
					if days >= low && days <= l {
						idx = i + 1
						break
					}
					low = l + 1
				}
			}
			want[g][idx] += it.Open
		}
		got := map[Group][]int64{}
		for _, row := range a.Rows() {
			got[row.Group] = row.Buckets
			var sum int64
			for _, v := range row.Buckets {
				sum += v
			}
			if sum != row.Total {
				t.Errorf("round %d: %+v total %d, buckets sum to %d", round, row.Group, row.Total, sum)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("round %d, limits %v (-want +got):\n%s", round, limits, diff)
		}
	}
}

func TestKeyDates(t *testing.T) {
	t.Parallel()
	got, err := KeyDates(date(t, "2025-12-17"), date(t, "2026-03-20"))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{date(t, "2025-12-31"), date(t, "2026-01-31"), date(t, "2026-02-28"), date(t, "2026-03-20")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("key dates (-want +got):\n%s", diff)
	}
	if _, err := KeyDates(date(t, "2026-04-01"), date(t, "2026-03-31")); !errors.Is(err, ErrInvalidPeriod) {
		t.Errorf("from after as_of: %v, want ErrInvalidPeriod", err)
	}
	if _, err := KeyDates(date(t, "2010-01-01"), date(t, "2026-03-31")); !errors.Is(err, ErrInvalidPeriod) {
		t.Errorf("too long: %v, want ErrInvalidPeriod", err)
	}
}

func TestCountBackDSO(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		receivables int64
		history     []MonthSales
		want        int64
	}{
		{"within the current month", 30, []MonthSales{{31, 60}, {30, 80}}, 1550},
		{"into the month before", 100, []MonthSales{{31, 60}, {30, 80}}, 3100 + 1500},
		{"a month without sales counts whole", 100, []MonthSales{{31, 60}, {28, 0}, {30, 80}}, 3100 + 2800 + 1500},
		{"more than the history", 1000, []MonthSales{{31, 60}, {30, 80}}, 6100},
		{"rounded half away from zero", 1, []MonthSales{{31, 200}}, 16}, // 15.5 hundredths
		{"no receivables", 0, []MonthSales{{31, 60}}, 0},
		{"a credit balance", -50, []MonthSales{{31, 60}}, 0},
	}
	for _, tt := range tests {
		if got := CountBackDSO(tt.receivables, tt.history); got != tt.want {
			t.Errorf("%s: CountBackDSO = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestComputeDSO(t *testing.T) {
	t.Parallel()
	m := Month{KeyDate: date(t, "2026-03-31"), Receivables: 12000, Current: 9000, Sales: 10000, Cleared: 4000, ClearedDays: 4000*10 + 0}
	got := ComputeDSO(m, []MonthSales{{28, 8000}})
	want := Figures{
		CountBack:             3100 + 700, // 31 days, then 2000 of February's 8000 x 28 days
		DSO:                   3720,       // 12000 / 10000 x 31
		BestPossible:          2790,       // 9000 / 10000 x 31
		AverageDaysDelinquent: 930,
		HasSales:              true,
		TimeToCash:            1000,
		HasPayments:           true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}
	if got := ComputeDSO(Month{KeyDate: date(t, "2026-03-31"), Receivables: 500}, nil); got.HasSales || got.HasPayments || got.DSO != 0 {
		t.Errorf("no sales, no payments: %+v", got)
	}
}

func TestMatchRate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name           string
		decided, auto  int64
		wantRate       int64
		wantHasMatched bool
	}{
		{"no decision reached the ledger", 0, 0, 0, false},
		{"every decided payment by matching alone", 4000, 4000, 10000, true},
		{"none by matching alone", 4000, 0, 0, true},
		{"two thirds, rounded half away from zero", 3000, 2000, 6667, true},
	} {
		m := Month{KeyDate: date(t, "2026-03-31"), Cleared: 4000, ClearedDays: 4000, Decided: tt.decided, Auto: tt.auto}
		got := ComputeDSO(m, nil)
		if got.MatchRate != tt.wantRate || got.HasMatchRate != tt.wantHasMatched {
			t.Errorf("%s: match rate %d (%v), want %d (%v)", tt.name, got.MatchRate, got.HasMatchRate, tt.wantRate, tt.wantHasMatched)
		}
	}
}
