package settlement

import (
	"errors"
	"fmt"
	"strings"
)

// amount is a parsed decimal amount in minor units.
type amount struct {
	minor int64
	// exact is the trimmed text as written, set only when it carried more
	// decimals than the currency has.
	exact string
	// rounded reports that dropping the extra decimals changed the value.
	rounded bool
}

// maxDigits bounds the digits of an amount so that the minor-unit value
// always fits in an int64 (18 digits plus a three-decimal scale is < 2^63).
const maxDigits = 18

// parseAmount parses a decimal amount as Amazon writes it: an optional sign,
// digits, and at most one decimal mark, which may be a dot or a comma (the
// flat file V2 mixes both within one report). There are no thousands
// separators, so a second separator is an error. Surrounding spaces are
// ignored. Decimals beyond the currency's exponent exp are rounded half-even,
// except three digits after the mark of a currency without minor units
// (JPY 1,350): a thousands separator, refused rather than read as 1.
func parseAmount(text string, exp int) (amount, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return amount{}, errors.New("empty amount")
	}
	neg := false
	body := s
	switch body[0] {
	case '-':
		neg = true
		body = body[1:]
	case '+':
		body = body[1:]
	}
	intPart, frac := body, ""
	sep := strings.IndexAny(body, ".,")
	if sep >= 0 {
		intPart, frac = body[:sep], body[sep+1:]
		if strings.ContainsAny(frac, ".,") {
			return amount{}, fmt.Errorf("amount %q has two separators; only one decimal mark and no thousands separators are allowed", s)
		}
	}
	if intPart == "" && frac == "" {
		return amount{}, fmt.Errorf("amount %q has no digits", s)
	}
	if !allDigits(intPart) || !allDigits(frac) {
		return amount{}, fmt.Errorf("amount %q is not a decimal number", s)
	}
	if exp == 0 && len(frac) == 3 && intPart != "" {
		// Three digits after the mark in a currency without minor units
		// (JPY 1,350) is a thousands separator, which Amazon does not
		// write; read as decimals it would be 1 yen.
		return amount{}, fmt.Errorf("amount %q in a currency without minor units has three digits after its mark: a thousands separator, which is not allowed", s)
	}
	intPart = strings.TrimLeft(intPart, "0")
	kept, dropped := frac, ""
	if len(frac) > exp {
		kept, dropped = frac[:exp], frac[exp:]
	}
	if len(intPart)+exp > maxDigits {
		return amount{}, fmt.Errorf("amount %q is too large", s)
	}
	var v int64
	for i := 0; i < len(intPart); i++ {
		v = v*10 + int64(intPart[i]-'0')
	}
	for i := 0; i < exp; i++ {
		v *= 10
		if i < len(kept) {
			v += int64(kept[i] - '0')
		}
	}
	a := amount{}
	if dropped != "" {
		a.exact = s
		if strings.Trim(dropped, "0") != "" {
			a.rounded = true
			if roundUp(dropped, v) {
				v++
			}
		}
	}
	if neg {
		v = -v
	}
	a.minor = v
	return a, nil
}

// roundUp reports whether half-even rounding of kept (the magnitude kept so
// far) goes up given the dropped digits.
func roundUp(dropped string, kept int64) bool {
	switch {
	case dropped[0] > '5':
		return true
	case dropped[0] < '5':
		return false
	case strings.Trim(dropped[1:], "0") != "":
		return true
	default:
		return kept%2 == 1
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
