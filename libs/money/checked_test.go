package money

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"pgregory.net/rapid"
)

func TestCheckedArithmetic(t *testing.T) {
	t.Parallel()
	const maxI, minI = math.MaxInt64, math.MinInt64
	for _, tc := range []struct {
		name     string
		f        func() (int64, error)
		want     int64
		overflow bool
	}{
		{"add", func() (int64, error) { return Add(2, 3) }, 5, false},
		{"add to the max", func() (int64, error) { return Add(maxI-1, 1) }, maxI, false},
		{"add past the max", func() (int64, error) { return Add(maxI, 1) }, 0, true},
		{"add past the min", func() (int64, error) { return Add(minI, -1) }, 0, true},
		{"add opposite signs", func() (int64, error) { return Add(maxI, minI) }, -1, false},
		{"sub", func() (int64, error) { return Sub(2, 3) }, -1, false},
		{"sub the min from a negative", func() (int64, error) { return Sub(-1, minI) }, maxI, false},
		{"sub the min from zero", func() (int64, error) { return Sub(0, minI) }, 0, true},
		{"sub past the min", func() (int64, error) { return Sub(minI, 1) }, 0, true},
		{"sum", func() (int64, error) { return Sum(1, 2, 3) }, 6, false},
		{"sum of nothing", func() (int64, error) { return Sum() }, 0, false},
		// The example that once booked 0.01 EUR: two maximal lines and 3
		// wrap around to 1.
		{"sum that wraps to 1", func() (int64, error) { return Sum(maxI, maxI, 3) }, 0, true},
		{"mul", func() (int64, error) { return Mul(-4, 5) }, -20, false},
		{"mul by zero", func() (int64, error) { return Mul(0, minI) }, 0, false},
		{"mul past the max", func() (int64, error) { return Mul(1<<32, 1<<31) }, 0, true},
		{"mul min by -1", func() (int64, error) { return Mul(minI, -1) }, 0, true},
		{"mul -1 by min", func() (int64, error) { return Mul(-1, minI) }, 0, true},
		{"19 % of 100.00", func() (int64, error) { return ApplyRateBP(10000, 1900) }, 1900, false},
		{"7 % of 0.05 rounds half up", func() (int64, error) { return ApplyRateBP(50, 1000) }, 5, false},
		{"19 % of 0.03 rounds up", func() (int64, error) { return ApplyRateBP(3, 1900) }, 1, false},
		{"19 % of 0.02 rounds down", func() (int64, error) { return ApplyRateBP(2, 1900) }, 0, false},
		{"half away from zero, negative", func() (int64, error) { return ApplyRateBP(-50, 1000) }, -5, false},
		{"0.5 rounds away from zero", func() (int64, error) { return ApplyRateBP(5, 1000) }, 1, false},
		{"-0.5 rounds away from zero", func() (int64, error) { return ApplyRateBP(-5, 1000) }, -1, false},
		// net × rate would wrap; the VAT itself fits and is exact.
		{"19 % of a huge net", func() (int64, error) { return ApplyRateBP(maxI, 1900) }, 1752440687002407403, false},
		{"100 % of the max", func() (int64, error) { return ApplyRateBP(maxI, 10000) }, maxI, false},
		{"100 % of the min", func() (int64, error) { return ApplyRateBP(minI, 10000) }, minI, false},
		{"200 % of the max", func() (int64, error) { return ApplyRateBP(maxI, 20000) }, 0, true},
		{"a huge rate", func() (int64, error) { return ApplyRateBP(1<<50, math.MaxInt32) }, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.f()
			if tc.overflow {
				if !errors.Is(err, ErrOverflow) {
					t.Fatalf("= %d, %v; want ErrOverflow", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("= %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestInBounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		minor int64
		want  bool
	}{
		{0, true}, {MaxAbs, true}, {-MaxAbs, true}, {MaxAbs + 1, false}, {-MaxAbs - 1, false},
		{2 * MaxAbs, false}, {math.MinInt64, false},
	} {
		if got := InBounds(tc.minor); got != tc.want {
			t.Errorf("InBounds(%d) = %v, want %v", tc.minor, got, tc.want)
		}
	}
}

// TestCheckedAgainstBig compares the checked operations with exact big.Int
// arithmetic: the result when it fits into int64, ErrOverflow otherwise.
func TestCheckedAgainstBig(t *testing.T) {
	t.Parallel()
	fits := func(x *big.Int) bool { return x.IsInt64() }
	rapid.Check(t, func(t *rapid.T) {
		// Mix full-range values with small ones so that both the overflow
		// and the exact paths are exercised.
		gen := rapid.OneOf(rapid.Int64(), rapid.Int64Range(-1<<20, 1<<20))
		a, b := gen.Draw(t, "a"), gen.Draw(t, "b")
		rate := rapid.OneOf(rapid.Int32(), rapid.Int32Range(-20000, 20000)).Draw(t, "rate")
		ba, bb := big.NewInt(a), big.NewInt(b)
		check := func(op string, got int64, err error, want *big.Int) {
			if fits(want) {
				if err != nil || got != want.Int64() {
					t.Fatalf("%s(%d, %d, rate %d) = %d, %v; want %s", op, a, b, rate, got, err, want)
				}
			} else if !errors.Is(err, ErrOverflow) {
				t.Fatalf("%s(%d, %d, rate %d) = %d, %v; want ErrOverflow (exact %s)", op, a, b, rate, got, err, want)
			}
		}
		got, err := Add(a, b)
		check("Add", got, err, new(big.Int).Add(ba, bb))
		got, err = Sub(a, b)
		check("Sub", got, err, new(big.Int).Sub(ba, bb))
		got, err = Mul(a, b)
		check("Mul", got, err, new(big.Int).Mul(ba, bb))
		got, err = ApplyRateBP(a, rate)
		check("ApplyRateBP", got, err, roundHalfAway(new(big.Int).Mul(ba, big.NewInt(int64(rate))), 10000))
	})
}

// roundHalfAway returns n/d rounded half away from zero, for d > 0.
func roundHalfAway(n *big.Int, d int64) *big.Int {
	abs := new(big.Int).Abs(n)
	q, r := new(big.Int).QuoRem(abs, big.NewInt(d), new(big.Int))
	if new(big.Int).Mul(r, big.NewInt(2)).Cmp(big.NewInt(d)) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if n.Sign() < 0 {
		q.Neg(q)
	}
	return q
}

func TestSplitMostNegative(t *testing.T) {
	t.Parallel()
	parts, err := MustNew(math.MinInt64, "EUR").Split([]int64{1, 0})
	if err != nil {
		t.Fatal(err)
	}
	if parts[0].Minor != math.MinInt64 || parts[1].Minor != 0 {
		t.Errorf("Split(MinInt64, 1:0) = %v, want [MinInt64 0]", parts)
	}
}

func TestAmountSub(t *testing.T) {
	t.Parallel()
	got, err := MustNew(-1, "EUR").Sub(MustNew(math.MinInt64, "EUR"))
	if err != nil || got.Minor != math.MaxInt64 {
		t.Errorf("-1 - MinInt64 = %v, %v; want MaxInt64", got, err)
	}
	if _, err := MustNew(0, "EUR").Sub(MustNew(math.MinInt64, "EUR")); !errors.Is(err, ErrOverflow) {
		t.Errorf("0 - MinInt64: error = %v, want ErrOverflow", err)
	}
	if _, err := MustNew(1, "EUR").Sub(MustNew(1, "USD")); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("EUR - USD: error = %v, want ErrCurrencyMismatch", err)
	}
}

func BenchmarkApplyRateBP(b *testing.B) {
	for i := range b.N {
		if _, err := ApplyRateBP(int64(i), 1900); err != nil {
			b.Fatal(err)
		}
	}
}
