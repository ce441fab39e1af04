package money

import (
	"errors"
	"math/big"
	"regexp"
	"strings"
	"testing"
)

// FuzzParseDecimal feeds ParseDecimalExp any text, as amounts arrive from
// CLI flags, bank files and marketplace reports. It must never panic; an
// amount it takes must agree with an exact big-number reading of the same
// text rounded half to even, stay below 10^18 in magnitude (larger is ErrOverflow), and print back
// (FormatMinor) as text that parses to itself without rounding.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "12.50", "-12,5", "+0.005", "0.015", "999999999999999999", "9999999999999999.995",
		"1e5", "", "-", ".", "1.2.3", " 7 ", "92233720368547758.08", "00000000000000000000001", "١٢"} {
		f.Add(s, 2)
	}
	f.Add("1.23456", 0)
	f.Add("1.23456", 3)
	f.Fuzz(func(t *testing.T, s string, exp int) {
		if exp < 0 || exp > 8 {
			return
		}
		v, rounded, err := ParseDecimalExp(s, exp)
		if err != nil {
			if v != 0 || rounded {
				t.Fatalf("ParseDecimalExp(%q, %d) = %d, %v with error %v", s, exp, v, rounded, err)
			}
			if want := exact(s, exp); want != nil && !errors.Is(err, ErrOverflow) {
				t.Fatalf("ParseDecimalExp(%q, %d): %v, but it is the decimal %s", s, exp, err, want)
			}
			return
		}
		if v > maxDigits18 || v < -maxDigits18 {
			t.Fatalf("ParseDecimalExp(%q, %d) = %d, beyond 18 digits", s, exp, v)
		}
		if want := exact(s, exp); want != nil && want.Cmp(big.NewInt(v)) != 0 {
			t.Fatalf("ParseDecimalExp(%q, %d) = %d, exact rounding gives %s", s, exp, v, want)
		}
		back := FormatMinor(v, exp)
		w, r, err := ParseDecimalExp(back, exp)
		if err != nil || r || w != v {
			t.Fatalf("FormatMinor(%d, %d) = %q parses to %d, %v, %v", v, exp, back, w, r, err)
		}
	})
}

// plainDecimal is the text ParseDecimalExp reads, its comma made a dot.
var plainDecimal = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$`)

// exact is s in minor units of exp decimals rounded half to even, read
// with big numbers, or nil when s is not plain decimal text.
func exact(s string, exp int) *big.Int {
	s = strings.TrimSpace(strings.Replace(s, ",", ".", 1))
	if !plainDecimal.MatchString(s) {
		return nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil
	}
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)))
	q, m := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
	// Round half to even on the remainder m / denom, by magnitude.
	twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
	switch c := twice.Cmp(scaled.Denom()); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		if scaled.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}
