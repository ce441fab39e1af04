package mt940

import (
	"errors"
	"fmt"
	"strings"
)

// parseEntry parses the collected :61: field (first line plus an optional
// supplementary-details line) into a pending entry.
func (r *Reader) parseEntry(line int) (*Entry, error) {
	st := r.st
	s := r.lines[0]
	fail := func(format string, args ...any) error {
		return syntaxErrorf(line, ":61: %q: %s", clip(strings.TrimSpace(s)), fmt.Sprintf(format, args...))
	}
	if st.Currency == "" {
		return nil, syntaxErrorf(line, ":61: before the statement currency is known (no :60F:/:60M: balance, :34F: or currency in :25:)")
	}
	e := r.newEntry()
	e.Line, e.Currency = line, st.Currency
	if len(s) < 6 {
		return nil, fail("too short for a value date YYMMDD")
	}
	vd, err := parseYYMMDD(s[:6])
	if err != nil {
		return nil, fail("value date: %v", err)
	}
	e.ValueDate, e.BookingDate = vd, vd
	i := 6
	if len(s) >= 10 && allDigits(s[6:10]) {
		ed, err := entryDate(vd, s[6:10])
		if err != nil {
			return nil, fail("entry date: %v", err)
		}
		e.EntryDate, e.BookingDate = ed, ed
		i = 10
	}
	switch {
	case i+1 < len(s) && s[i] == 'R' && (s[i+1] == 'C' || s[i+1] == 'D'):
		e.Mark, e.Reversal = s[i:i+2], true
		i += 2
	case i < len(s) && (s[i] == 'C' || s[i] == 'D'):
		e.Mark = s[i : i+1]
		i++
	default:
		return nil, fail("debit/credit mark must be C, D, RC or RD")
	}
	if i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		e.FundsCode = s[i : i+1]
		i++
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	j := i
	for j < len(s) && (isDigit(s[j]) || s[j] == ',') {
		j++
	}
	if j == i {
		return nil, fail("missing amount after the mark %s%s", e.Mark, e.FundsCode)
	}
	if j < len(s) && s[j] == '.' {
		return nil, fail("amount must use a decimal comma, not a point")
	}
	m, exact, err := parseAmountExp(s[i:j], r.exponent(e.Currency))
	if err != nil {
		return nil, fail("%v", err)
	}
	if exact != "" {
		r.warnf("line %d: amount %s%s has more decimals than %s allows; rounded half-even", line, e.Currency, exact, e.Currency)
	}
	if e.Mark == "D" || e.Mark == "RC" {
		m = -m
	}
	e.Amount, e.AmountExact = m, exact
	i = j
	for i < len(s) && s[i] == ' ' {
		i++
	}
	rest := s[i:]
	switch {
	case len(rest) >= 4:
		e.TypeCode, rest = rest[:4], rest[4:]
	case rest != "":
		r.warnf("line %d: transaction type %q is shorter than 4 characters", line, rest)
		e.TypeCode, rest = rest, ""
	default:
		r.warnf("line %d: :61: has no transaction type", line)
	}
	if e.TypeCode != "" && e.TypeCode[0] != 'N' && e.TypeCode[0] != 'F' && e.TypeCode[0] != 'S' {
		r.warnf("line %d: transaction type %q does not start with N, F or S", line, e.TypeCode)
	}
	if k := strings.Index(rest, "//"); k >= 0 {
		e.CustomerReference = strings.TrimSpace(rest[:k])
		e.BankReference = strings.TrimSpace(rest[k+2:])
	} else {
		e.CustomerReference = strings.TrimSpace(rest)
	}
	if len(r.lines) > 1 {
		e.Supplementary = strings.TrimSpace(strings.Join(r.lines[1:], " "))
	}
	return e, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// parseYYMMDD reads a 6-digit date. Two-digit years 80-99 are 1980-1999,
// 00-79 are 2000-2079. Month and day are checked against 1-12 and 1-31 only:
// files do carry dates such as 31 November in balances, and the contract
// keeps dates as written.
func parseYYMMDD(s string) (Date, error) {
	if len(s) != 6 || !allDigits(s) {
		return Date{}, fmt.Errorf("%q is not a date YYMMDD", s)
	}
	yy := atoi2(s[0:2])
	y := 2000 + yy
	if yy >= 80 {
		y = 1900 + yy
	}
	m, d := atoi2(s[2:4]), atoi2(s[4:6])
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return Date{}, fmt.Errorf("%q is not a date YYMMDD", s)
	}
	return Date{y, m, d}, nil
}

// entryDate reads the MMDD entry date of :61: and gives it the year of the
// value date, moved across the year end when the months are more than six
// apart: entry 1231 with value date 2021-01-02 is 2020-12-31, and entry 0102
// with value date 2020-12-31 is 2021-01-02.
func entryDate(value Date, mmdd string) (Date, error) {
	m, d := atoi2(mmdd[:2]), atoi2(mmdd[2:])
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return Date{}, fmt.Errorf("%q is not a date MMDD", mmdd)
	}
	y := value.Year
	switch {
	case m-value.Month > 6:
		y--
	case value.Month-m > 6:
		y++
	}
	return Date{y, m, d}, nil
}

func atoi2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

var errAmount = errors.New("amount must be digits with an optional decimal comma")

// parseAmount reads an MT940 amount ("1234,56", "300,", "0,3",
// "000000000025,00", "15000") into minor units of currency. When it has more
// decimals than the currency's exponent it is rounded half-even and the text
// is returned as exact.
func parseAmount(s, currency string) (minor int64, exact string, err error) {
	return parseAmountExp(s, exponent(currency))
}

// parseAmountExp is parseAmount for a currency with exp decimals.
func parseAmountExp(s string, exp int) (minor int64, exact string, err error) {
	intPart, frac, hasComma := strings.Cut(s, ",")
	if intPart == "" && !hasComma || !allDigitsOrEmpty(intPart) || !allDigitsOrEmpty(frac) || (intPart == "" && frac == "") {
		return 0, "", fmt.Errorf("%w, got %q", errAmount, s)
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > 15 {
		return 0, "", fmt.Errorf("amount %q has more than 15 integer digits", s)
	}
	var v int64
	for i := 0; i < len(intPart); i++ {
		v = v*10 + int64(intPart[i]-'0')
	}
	for k := 0; k < exp; k++ {
		v *= 10
		if k < len(frac) {
			v += int64(frac[k] - '0')
		}
	}
	if len(frac) > exp {
		exact = s
		rest := frac[exp:]
		first := rest[0]
		tail := strings.TrimRight(rest[1:], "0") != ""
		switch {
		case first > '5', first == '5' && tail, first == '5' && !tail && v%2 == 1:
			v++
		}
	}
	return v, exact, nil
}

func allDigitsOrEmpty(s string) bool { return s == "" || allDigits(s) }
