package xsd

import (
	"math/big"
	"strings"
	"testing"
)

// TestBuiltinTypes checks the lexical spaces of the built-in types.
func TestBuiltinTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ   string
		valid []string
		bad   []string
	}{
		{"decimal", []string{"0", "-1.5", "+.5", "5.", " 12.00 ", "0012.3400"}, []string{"", ".", "1e3", "1,5", "1.2.3", "- 1", "NaN"}},
		{"integer", []string{"0", "-12", "+7", "007"}, []string{"1.0", "1.", "a"}},
		{"int", []string{"2147483647", "-2147483648"}, []string{"2147483648", "-2147483649"}},
		{"nonNegativeInteger", []string{"0", "+3"}, []string{"-1"}},
		{"boolean", []string{"true", "false", "1", "0", " true\n"}, []string{"True", "yes", "2", ""}},
		{"date", []string{"2026-12-07", "2024-02-29", "2026-12-07Z", "2026-12-07+14:00", "-0044-03-15", "12026-01-01"},
			[]string{"2026-02-29", "2100-02-29", "2026-13-01", "2026-00-10", "2026-12-32", "26-12-07", "2026-1-07", "0000-01-01", "02026-01-01", "2026-12-07+15:00", "2026-12-07T00:00:00", "2026-12-07 "[:11] + "x"}},
		{"dateTime", []string{"2026-12-07T09:30:00", "2026-12-07T09:30:00.123456789Z", "2026-12-07T24:00:00", "2026-12-07T09:30:00-05:30"},
			[]string{"2026-12-07", "2026-12-07T9:30:00", "2026-12-07T09:60:00", "2026-12-07T24:00:01", "2026-12-07T09:30:00.", "2026-12-07 09:30:00", "2026-12-07T09:30:00+0100"}},
		{"time", []string{"09:30:00", "23:59:59.5+01:00"}, []string{"9:30", "25:00:00"}},
		{"gYear", []string{"2026", "2026Z"}, []string{"26", "2026-01"}},
		{"gYearMonth", []string{"2026-12", "2026-01+01:00"}, []string{"2026-13", "2026"}},
		{"string", []string{"", "  any thing \n"}, nil},
	}
	for _, tt := range tests {
		st := builtin(tt.typ)
		for _, v := range tt.valid {
			if msg := st.check(v); msg != "" {
				t.Errorf("xs:%s %q: %s", tt.typ, v, msg)
			}
		}
		for _, v := range tt.bad {
			if msg := st.check(v); msg == "" {
				t.Errorf("xs:%s accepts %q", tt.typ, v)
			}
		}
	}
}

// TestFacets checks the facets on values, including that totalDigits and
// fractionDigits count the value's digits, not its spelling.
func TestFacets(t *testing.T) {
	t.Parallel()
	amount := builtin("decimal").derive("Amount")
	amount.total, amount.fraction = 18, 5
	amount.minIncl, amount.bounds[0] = big.NewRat(0, 1), "0"
	rate := builtin("decimal").derive("Rate")
	rate.maxExcl, rate.bounds[3] = big.NewRat(100, 1), "100"
	rate.minExcl, rate.bounds[2] = big.NewRat(-1, 1), "-1"
	text := builtin("string").derive("Max35Text")
	text.minLen, text.maxLen = 1, 35
	exact := builtin("string").derive("Exact4")
	exact.length = 4
	code := builtin("token").derive("Code")
	code.enum = []string{"BOOK", "PDNG"}
	tests := []struct {
		st    *simpleType
		value string
		want  string // "" for valid
	}{
		{amount, "12.34500", ""},
		{amount, "0012.34", ""},
		{amount, "12.345678", "12.345678 has 6 fraction digits, at most 5"},
		{amount, "1234567890123456789", "1234567890123456789 has 19 digits, at most 18"},
		{amount, "-0.01", "-0.01 is less than 0"},
		{amount, "-0", ""},
		{amount, "12,5", "12,5 is not a decimal number"},
		{rate, "99.999", ""},
		{rate, "100", "100 is not less than 100"},
		{rate, "-1", "-1 is not greater than -1"},
		{text, "Straße", ""},
		{text, "", `"" has 0 characters, at least 1`},
		{text, strings.Repeat("ä", 35), ""},
		{text, strings.Repeat("ä", 36), strings.Repeat("ä", 36) + " has 36 characters, at most 35"},
		{exact, "ABCD", ""},
		{exact, "ABC", "ABC has 3 characters, must have 4"},
		{code, " BOOK ", ""},
		{code, "book", "book is not one of the values of Code (BOOK, PDNG)"},
	}
	for _, tt := range tests {
		if got := tt.st.check(tt.value); got != tt.want {
			t.Errorf("%s %q: %q, want %q", tt.st.name, tt.value, got, tt.want)
		}
	}
}
