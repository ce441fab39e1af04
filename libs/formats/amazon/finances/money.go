package finances

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount as Amazon wrote it, converted to int64 minor units of its
// ISO 4217 currency. Exact holds the decimal text from the file when the file
// had more decimals than the currency and Minor had to be rounded half-even;
// it is empty when Minor is exact.
type Money struct {
	Currency string
	Minor    int64
	Exact    string
}

// errNotMoney is returned by readMoney for an object that is not a Currency
// object at all.
var errNotMoney = errors.New("not a money object")

// maxExponent bounds the decimal exponent accepted in a JSON number such as
// 1E+5; anything larger cannot be a meaningful amount.
const maxExponent = 400

// decimalToMinor converts the decimal text s (JSON number grammar: optional
// minus, digits, optional fraction, optional exponent) into an integer count of
// 10^-exp units. More decimals than exp are rounded half-even; inexact reports
// whether that rounding changed the value. It never goes through float64.
func decimalToMinor(s string, exp int) (minor int64, inexact bool, err error) {
	t := s
	neg := false
	if strings.HasPrefix(t, "-") {
		neg = true
		t = t[1:]
	} else if strings.HasPrefix(t, "+") {
		t = t[1:]
	}
	mant, e10 := t, 0
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		mant = t[:i]
		es := t[i+1:]
		n, perr := strconv.Atoi(es)
		if perr != nil || es == "" || strings.HasPrefix(es, "+-") || strings.HasPrefix(es, "-+") {
			return 0, false, fmt.Errorf("amount %q has a malformed exponent", s)
		}
		if n > maxExponent || n < -maxExponent {
			return 0, false, fmt.Errorf("amount %q has an exponent out of range", s)
		}
		e10 = n
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
		if frac == "" {
			return 0, false, fmt.Errorf("amount %q has no digits after the decimal point", s)
		}
	}
	if intPart == "" && frac == "" {
		return 0, false, fmt.Errorf("amount %q is not a decimal number", s)
	}
	if intPart == "" {
		return 0, false, fmt.Errorf("amount %q has no digits before the decimal point", s)
	}
	digits := intPart + frac
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false, fmt.Errorf("amount %q is not a decimal number", s)
		}
	}
	digits = strings.TrimLeft(digits, "0")
	// value = digits × 10^(e10 - len(frac)); we want value × 10^exp.
	shift := exp + e10 - len(frac)
	if digits == "" {
		return 0, false, nil
	}
	var kept string
	roundUp := false
	if shift >= 0 {
		if len(digits)+shift > 19 {
			return 0, false, fmt.Errorf("amount %q does not fit into int64 minor units", s)
		}
		kept = digits + strings.Repeat("0", shift)
	} else {
		drop := -shift
		var dropped string
		if drop >= len(digits) {
			kept = ""
			dropped = strings.Repeat("0", drop-len(digits)) + digits
		} else {
			kept = digits[:len(digits)-drop]
			dropped = digits[len(digits)-drop:]
		}
		rest := strings.TrimRight(dropped[1:], "0")
		inexact = strings.TrimLeft(dropped, "0") != ""
		switch {
		case dropped[0] > '5':
			roundUp = true
		case dropped[0] == '5' && rest != "":
			roundUp = true
		case dropped[0] == '5':
			last := byte('0')
			if kept != "" {
				last = kept[len(kept)-1]
			}
			roundUp = (last-'0')%2 == 1
		}
	}
	if len(kept) > 19 {
		return 0, false, fmt.Errorf("amount %q does not fit into int64 minor units", s)
	}
	var u uint64
	if kept != "" {
		u, err = strconv.ParseUint(kept, 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("amount %q does not fit into int64 minor units", s)
		}
	}
	if roundUp {
		u++
	}
	if u > 1<<63-1 {
		return 0, false, fmt.Errorf("amount %q does not fit into int64 minor units", s)
	}
	minor = int64(u)
	if neg {
		minor = -minor
	}
	return minor, inexact, nil
}

// validCurrency reports whether code looks like an ISO 4217 alphabetic code.
func validCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return false
		}
	}
	return true
}

// isMoney reports whether n is a Currency object: it has a CurrencyAmount,
// or nothing but a CurrencyCode.
func isMoney(n *node) bool {
	if n == nil || n.kind != kindObject || len(n.keys) == 0 {
		return false
	}
	for _, k := range n.keys {
		if strings.EqualFold(k, "CurrencyAmount") {
			return true
		}
	}
	for _, k := range n.keys {
		if !strings.EqualFold(k, "CurrencyCode") {
			return false
		}
	}
	return true
}

// money converts the Currency object n at path (inside the event starting
// at byte off) to a Money.
func (p *parser) money(n *node, path string, off int64) (Money, error) {
	code := n.get("CurrencyCode")
	if code == nil || code.kind == kindNull {
		return Money{}, atErr(path+".CurrencyCode", off, "currency code missing")
	}
	if code.kind != kindString || !validCurrency(code.text) {
		return Money{}, atErr(path+".CurrencyCode", off, "%q is not an ISO 4217 currency code (three capital letters)", code.text)
	}
	exp, listed := exponent(code.text)
	if !listed {
		p.warnOnce("currency "+code.text, "currency %s is not in the exponent table: assumed 2 decimals", code.text)
	}
	amt := n.get("CurrencyAmount")
	ap := path + ".CurrencyAmount"
	if amt == nil || amt.kind == kindNull {
		return Money{}, atErr(ap, off, "amount missing")
	}
	switch amt.kind {
	case kindNumber:
	case kindString:
		p.warnOnce("string amount", "%s: amount written as a JSON string %q, read as a decimal", ap, amt.text)
	default:
		return Money{}, atErr(ap, off, "expected a decimal number, found %s", amt.kind)
	}
	minor, inexact, err := decimalToMinor(amt.text, exp)
	if err != nil {
		return Money{}, atErr(ap, off, "%v", err)
	}
	m := Money{Currency: code.text, Minor: minor}
	if inexact {
		m.Exact = amt.text
		p.warn("%s: %s %s has more decimals than the currency's %d; rounded half-even to %d minor units", ap, amt.text, code.text, exp, minor)
	}
	return m, nil
}
