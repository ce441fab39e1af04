// Package money represents amounts of money as int64 minor units plus an
// ISO 4217 currency code, and nothing else: there is no floating point
// anywhere on the path. Arithmetic refuses to mix currencies and to overflow:
// Add, Sub, Sum, Mul and ApplyRateBP work on bare minor units and return
// ErrOverflow instead of wrapping, and MaxAbs bounds what o2c accepts as one
// amount. Split divides an amount by the largest-remainder method so that
// the parts always sum to the whole.
package money

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
)

// ErrCurrencyMismatch means an operation was given amounts in two different
// currencies.
var ErrCurrencyMismatch = errors.New("currency mismatch")

// ErrUnknownCurrency means a code is not an ISO 4217 currency with a minor unit.
var ErrUnknownCurrency = errors.New("unknown currency")

// ErrOverflow means a result does not fit into int64 minor units.
var ErrOverflow = errors.New("amount overflows int64 minor units")

// Amount is a signed amount in the minor unit of its currency (cents for EUR,
// yen for JPY, fils for BHD). The zero Amount has no currency and is only
// useful as "nothing"; use New for real amounts.
type Amount struct {
	Minor    int64
	Currency string
}

// New returns minor units of currency, or ErrUnknownCurrency.
func New(minor int64, currency string) (Amount, error) {
	if _, ok := exponents[currency]; !ok {
		return Amount{}, fmt.Errorf("%w %q", ErrUnknownCurrency, currency)
	}
	return Amount{Minor: minor, Currency: currency}, nil
}

// MustNew is New for constants in tests and tables; it panics on an unknown
// currency and must not be used on input.
func MustNew(minor int64, currency string) Amount {
	a, err := New(minor, currency)
	if err != nil {
		panic(err)
	}
	return a
}

// IsZero reports whether a is zero (in any currency).
func (a Amount) IsZero() bool { return a.Minor == 0 }

// Neg returns -a. It fails only for the most negative int64.
func (a Amount) Neg() (Amount, error) {
	if a.Minor == math.MinInt64 {
		return Amount{}, ErrOverflow
	}
	return Amount{Minor: -a.Minor, Currency: a.Currency}, nil
}

// Add returns a+b; both must have the same currency.
func (a Amount) Add(b Amount) (Amount, error) {
	if a.Currency != b.Currency {
		return Amount{}, fmt.Errorf("add %s to %s: %w", b.Currency, a.Currency, ErrCurrencyMismatch)
	}
	s, err := Add(a.Minor, b.Minor)
	if err != nil {
		return Amount{}, fmt.Errorf("%s: %w", a.Currency, err)
	}
	return Amount{Minor: s, Currency: a.Currency}, nil
}

// Sub returns a-b; both must have the same currency.
func (a Amount) Sub(b Amount) (Amount, error) {
	if a.Currency != b.Currency {
		return Amount{}, fmt.Errorf("subtract %s from %s: %w", b.Currency, a.Currency, ErrCurrencyMismatch)
	}
	d, err := Sub(a.Minor, b.Minor)
	if err != nil {
		return Amount{}, fmt.Errorf("%s: %w", a.Currency, err)
	}
	return Amount{Minor: d, Currency: a.Currency}, nil
}

// String formats a as a decimal with the currency's exponent and its code,
// e.g. "-12.34 EUR". It is for people and logs, not for machines.
func (a Amount) String() string {
	exp, ok := exponents[a.Currency]
	if !ok {
		return fmt.Sprintf("%d (minor) %s", a.Minor, a.Currency)
	}
	return FormatMinor(a.Minor, exp) + " " + a.Currency
}

// FormatMinor writes minor units with exp decimal places and a dot.
func FormatMinor(minor int64, exp int) string {
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = -u
	}
	digits := fmt.Sprintf("%0*d", exp+1, u)
	s := digits
	if exp > 0 {
		s = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Split divides a into len(weights) parts proportional to the non-negative
// weights by the largest-remainder method: each part gets the floor of its
// exact share, and the remaining minor units go one each to the parts with
// the largest remainders (ties to the earlier part). The parts always sum to
// a, carry a's sign, and never differ from the exact share by a whole unit.
func (a Amount) Split(weights []int64) ([]Amount, error) {
	if len(weights) == 0 {
		return nil, errors.New("split: no weights")
	}
	total := new(big.Int)
	for i, w := range weights {
		if w < 0 {
			return nil, fmt.Errorf("split: weight %d is negative (%d)", i, w)
		}
		total.Add(total, big.NewInt(w))
	}
	if total.Sign() == 0 {
		return nil, errors.New("split: weights sum to zero")
	}
	// Shares are computed on |a| and get a's sign at the end; each is at
	// most |a|, so it fits into int64 once signed, even for the most
	// negative amount.
	abs := new(big.Int).Abs(big.NewInt(a.Minor))
	shares := make([]*big.Int, len(weights))
	rems := make([]*big.Int, len(weights))
	assigned := new(big.Int)
	for i, w := range weights {
		shares[i], rems[i] = new(big.Int).QuoRem(new(big.Int).Mul(abs, big.NewInt(w)), total, new(big.Int))
		assigned.Add(assigned, shares[i])
	}
	left := new(big.Int).Sub(abs, assigned).Int64()
	for ; left > 0; left-- {
		best := -1
		for i, r := range rems {
			if r.Sign() > 0 && (best < 0 || r.Cmp(rems[best]) > 0) {
				best = i
			}
		}
		shares[best].Add(shares[best], big.NewInt(1))
		rems[best].SetInt64(0)
	}
	parts := make([]Amount, len(weights))
	for i, q := range shares {
		if a.Minor < 0 {
			q.Neg(q)
		}
		parts[i] = Amount{Minor: q.Int64(), Currency: a.Currency}
	}
	return parts, nil
}

// ParseDecimal converts the decimal text s (optional sign, digits, optional
// "." or "," and fraction; no exponent, no thousands separators) into minor
// units of currency. When s has more decimals than the currency, the value is
// rounded half to even and rounded reports true.
func ParseDecimal(s, currency string) (minor int64, rounded bool, err error) {
	exp, ok := exponents[currency]
	if !ok {
		return 0, false, fmt.Errorf("%w %q", ErrUnknownCurrency, currency)
	}
	return ParseDecimalExp(s, exp)
}

// ParseDecimalExp is ParseDecimal for a given exponent.
func ParseDecimalExp(s string, exp int) (minor int64, rounded bool, err error) {
	orig := s
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexAny(s, ".,"); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return 0, false, fmt.Errorf("%q is not a decimal amount", orig)
	}
	keep, drop := frac, ""
	if len(frac) > exp {
		keep, drop = frac[:exp], frac[exp:]
	}
	keep += strings.Repeat("0", exp-len(keep))
	digits := strings.TrimLeft(intPart+keep, "0")
	if len(digits) > 18 {
		return 0, false, fmt.Errorf("%q: %w", orig, ErrOverflow)
	}
	var v int64
	for _, c := range digits {
		v = v*10 + int64(c-'0')
	}
	if strings.Trim(drop, "0") != "" {
		rounded = true
		switch first := drop[0]; {
		case first > '5', first == '5' && strings.Trim(drop[1:], "0") != "":
			v++
		case first == '5' && v%2 == 1:
			v++
		}
		if v > maxDigits18 { // 999…9.995 rounded up to 19 digits
			return 0, false, fmt.Errorf("%q: %w", orig, ErrOverflow)
		}
	}
	if neg {
		v = -v
	}
	return v, rounded, nil
}

// maxDigits18 is the largest number of 18 digits, the most ParseDecimalExp
// reads, so that every amount it returns it also reads back.
const maxDigits18 = 999_999_999_999_999_999

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
