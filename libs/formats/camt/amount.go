package camt

import (
	"fmt"
	"strconv"
)

// Amount is a money amount in minor units of its ISO 4217 currency. Minor
// is signed from the account holder's point of view where the type says
// so (credit positive, debit negative); it never went through a float.
type Amount struct {
	Minor    int64
	Currency string
	// Exact is the decimal text as written in the file, set only when it
	// had more decimals than the currency's exponent and Minor is therefore
	// rounded (half-even).
	Exact string
}

// parseDecimal converts the unsigned decimal text s (xs:decimal without a
// sign: digits, optionally a point and more digits) to minor units with
// exp decimals, rounding half-even. rounded reports that s had more
// decimals than exp, whether or not the dropped digits were zero.
func parseDecimal(s string, exp int) (minor int64, rounded bool, err error) {
	i := 0
	if i < len(s) && s[i] == '+' {
		i++
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := s[intStart:i]
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		frac = s[fs:i]
	}
	if i != len(s) || len(intDigits)+len(frac) == 0 {
		return 0, false, fmt.Errorf("%s is not a decimal amount", strconv.Quote(s))
	}
	const maxInt = int64(^uint64(0) >> 1)
	var v int64
	add := func(d byte) bool {
		if v > (maxInt-int64(d-'0'))/10 {
			return false
		}
		v = v*10 + int64(d-'0')
		return true
	}
	for j := 0; j < len(intDigits); j++ {
		if !add(intDigits[j]) {
			return 0, false, fmt.Errorf("amount %s is too large", strconv.Quote(s))
		}
	}
	for j := 0; j < exp; j++ {
		d := byte('0')
		if j < len(frac) {
			d = frac[j]
		}
		if !add(d) {
			return 0, false, fmt.Errorf("amount %s is too large", strconv.Quote(s))
		}
	}
	if len(frac) <= exp {
		return v, false, nil
	}
	rest := frac[exp:]
	up := false
	switch {
	case rest[0] > '5':
		up = true
	case rest[0] == '5':
		up = v%2 == 1
		for j := 1; j < len(rest); j++ {
			if rest[j] != '0' {
				up = true
				break
			}
		}
	}
	if up {
		if v == maxInt {
			return 0, false, fmt.Errorf("amount %s is too large", strconv.Quote(s))
		}
		v++
	}
	return v, true, nil
}

// formatMinor writes minor units as a decimal with exp places, for
// messages.
func formatMinor(v int64, exp int) string {
	s := strconv.FormatInt(v, 10)
	neg := false
	if v < 0 {
		neg = true
		s = s[1:]
	}
	if exp > 0 {
		for len(s) <= exp {
			s = "0" + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
