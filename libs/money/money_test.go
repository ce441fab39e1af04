package money

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestAddRefusesMixedCurrencies(t *testing.T) {
	t.Parallel()
	_, err := MustNew(100, "EUR").Add(MustNew(100, "USD"))
	if !errors.Is(err, ErrCurrencyMismatch) {
		t.Fatalf("Add(EUR, USD) error = %v, want ErrCurrencyMismatch", err)
	}
}

func TestAddOverflow(t *testing.T) {
	t.Parallel()
	_, err := MustNew(1<<62, "EUR").Add(MustNew(1<<62, "EUR"))
	if !errors.Is(err, ErrOverflow) {
		t.Fatalf("error = %v, want ErrOverflow", err)
	}
}

func TestNewUnknownCurrency(t *testing.T) {
	t.Parallel()
	if _, err := New(1, "XXX"); !errors.Is(err, ErrUnknownCurrency) {
		t.Fatalf("error = %v, want ErrUnknownCurrency", err)
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a    Amount
		want string
	}{
		{MustNew(-1234, "EUR"), "-12.34 EUR"},
		{MustNew(5, "EUR"), "0.05 EUR"},
		{MustNew(500, "JPY"), "500 JPY"},
		{MustNew(1005, "BHD"), "1.005 BHD"},
	} {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.a, got, tc.want)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in       string
		cur      string
		want     int64
		rounded  bool
		wantFail bool
	}{
		{"12.34", "EUR", 1234, false, false},
		{"12,3", "EUR", 1230, false, false},
		{"-0.5", "EUR", -50, false, false},
		{"300,", "EUR", 30000, false, false},
		{"000000000025,00", "EUR", 2500, false, false},
		{"18.150", "EUR", 1815, false, false},
		{"8.855", "EUR", 886, true, false},   // half to even: 885.5 -> 886
		{"8.845", "EUR", 884, true, false},   // 884.5 -> 884
		{"8.8451", "EUR", 885, true, false},  // above half
		{"-8.855", "EUR", -886, true, false}, // symmetric
		{"32.09    ", "EUR", 3209, false, false},
		{"1234", "JPY", 1234, false, false},
		{"1.2345", "BHD", 1234, true, false},
		{"1.2.3", "EUR", 0, false, true},
		{"", "EUR", 0, false, true},
		{"1e3", "EUR", 0, false, true},
		{"99999999999999999999", "EUR", 0, false, true},
	} {
		got, rounded, err := ParseDecimal(tc.in, tc.cur)
		if tc.wantFail {
			if err == nil {
				t.Errorf("ParseDecimal(%q) = %d, want error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want || rounded != tc.rounded {
			t.Errorf("ParseDecimal(%q, %s) = %d, %v, %v; want %d, %v", tc.in, tc.cur, got, rounded, err, tc.want, tc.rounded)
		}
	}
}

func TestSplitExamples(t *testing.T) {
	t.Parallel()
	parts, err := MustNew(100, "EUR").Split([]int64{1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []Amount{MustNew(34, "EUR"), MustNew(33, "EUR"), MustNew(33, "EUR")}
	if diff := cmp.Diff(want, parts); diff != "" {
		t.Errorf("Split(100, 1:1:1) (-want +got):\n%s", diff)
	}
	parts, _ = MustNew(-1000, "EUR").Split([]int64{19, 7})
	if got := []int64{parts[0].Minor, parts[1].Minor}; !cmp.Equal(got, []int64{-731, -269}) {
		t.Errorf("Split(-1000, 19:7) = %v, want [-731 -269]", got)
	}
}

// TestSplitSumsToWhole checks the property every booking split relies on.
func TestSplitSumsToWhole(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		total := rapid.Int64Range(-1<<40, 1<<40).Draw(t, "total")
		weights := rapid.SliceOfN(rapid.Int64Range(0, 1<<31), 1, 20).Draw(t, "weights")
		var wsum int64
		for _, w := range weights {
			wsum += w
		}
		if wsum == 0 {
			t.Skip("zero weights")
		}
		parts, err := MustNew(total, "EUR").Split(weights)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for i, p := range parts {
			sum += p.Minor
			if (total > 0 && p.Minor < 0) || (total < 0 && p.Minor > 0) {
				t.Fatalf("part %d = %d has the wrong sign for %d", i, p.Minor, total)
			}
		}
		if sum != total {
			t.Fatalf("parts sum to %d, want %d", sum, total)
		}
	})
}
