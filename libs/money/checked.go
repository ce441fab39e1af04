package money

import (
	"fmt"
	"math"
)

// MaxAbs is the largest magnitude, in minor units, that o2c accepts for any
// single amount at its door (an invoice line or total, an amount in a ledger
// command): 10^15 minor units, ten trillion in a currency with two decimals.
// Any realistic amount fits, and so do the sums of thousands of such amounts;
// sums are overflow-checked all the same (Add, Sum), since the number of
// amounts in a message is not bounded.
const MaxAbs int64 = 1_000_000_000_000_000

// InBounds reports whether |minor| ≤ MaxAbs.
func InBounds(minor int64) bool { return minor >= -MaxAbs && minor <= MaxAbs }

// Add returns a+b in minor units, or ErrOverflow when the sum does not fit
// into int64.
func Add(a, b int64) (int64, error) {
	s := a + b
	if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
		return 0, fmt.Errorf("add %d to %d: %w", b, a, ErrOverflow)
	}
	return s, nil
}

// Sub returns a-b in minor units, or ErrOverflow.
func Sub(a, b int64) (int64, error) {
	d := a - b
	if (b < 0 && d < a) || (b > 0 && d > a) {
		return 0, fmt.Errorf("subtract %d from %d: %w", b, a, ErrOverflow)
	}
	return d, nil
}

// Sum returns the sum of xs in minor units, or ErrOverflow as soon as a
// partial sum does not fit into int64. A sum whose true value fits but whose
// partial sums do not (MaxInt64, 1, -1) is an overflow too: callers add
// amounts of one sign or bounded amounts, where that cannot happen.
func Sum(xs ...int64) (int64, error) {
	var s int64
	for _, x := range xs {
		var err error
		if s, err = Add(s, x); err != nil {
			return 0, err
		}
	}
	return s, nil
}

// Mul returns a·b, or ErrOverflow when the product does not fit into int64.
func Mul(a, b int64) (int64, error) {
	if a == 0 || b == 0 {
		return 0, nil
	}
	p := a * b
	if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, fmt.Errorf("multiply %d by %d: %w", a, b, ErrOverflow)
	}
	return p, nil
}

// ApplyRateBP returns minor·rateBP/10000 (a rate in basis points: 1900 is
// 19 %) rounded half away from zero to the minor unit (kaufmännische
// Rundung), or ErrOverflow when the result does not fit into int64. The
// product is never formed in full, so a result that fits is always
// returned: for rates of at most 100 % in magnitude that is every result.
func ApplyRateBP(minor int64, rateBP int32) (int64, error) {
	// minor = q·10000 + r with r of minor's sign, so minor·rate/10000 is
	// q·rate plus r·rate/10000, two parts of the same sign: rounding the
	// second rounds the whole. |r·rate| < 10^4·2^31 cannot overflow.
	q, r := minor/10000, minor%10000
	whole, err := Mul(q, int64(rateBP))
	if err != nil {
		return 0, fmt.Errorf("apply %d bp to %d: %w", rateBP, minor, ErrOverflow)
	}
	p := r * int64(rateBP)
	frac, rest := p/10000, p%10000
	if rest >= 5000 {
		frac++
	} else if rest <= -5000 {
		frac--
	}
	v, err := Add(whole, frac)
	if err != nil {
		return 0, fmt.Errorf("apply %d bp to %d: %w", rateBP, minor, ErrOverflow)
	}
	return v, nil
}
