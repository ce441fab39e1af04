package web

import (
	"strings"
	"testing"
)

// TestParseAmount reads amounts as people type them in their locale and
// refuses, rather than guesses, what the locale does not make clear.
func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang, in, cur string
		want          int64
		bad           string // a word the error must contain; "" for none
	}{
		{"de", "150", "EUR", 15000, ""},
		{"de", "150,5", "EUR", 15050, ""},
		{"de", "1.234,56", "EUR", 123456, ""},
		{"de", "1234,56", "EUR", 123456, ""},
		{"de", "1.505", "EUR", 150500, ""},
		{"de", "-20,00", "EUR", -2000, ""},
		{"de", ",5", "EUR", 50, ""},
		{"de", "1000", "JPY", 1000, ""},
		{"de", "10.000.000.000.000,00", "EUR", 1_000_000_000_000_000, ""},
		{"en", "1,234.56", "EUR", 123456, ""},
		{"en", "1,505", "EUR", 150500, ""},
		{"en", "1.5", "EUR", 150, ""},
		{"en", "-0.01", "EUR", -1, ""},
		{"xx", "1.234,56", "EUR", 123456, ""}, // an unknown language reads as German
		{"de", "1,505", "EUR", 0, "decimals"},
		{"en", "1.505", "EUR", 0, "decimals"},
		{"de", "1,234.56", "EUR", 0, "after the decimals"},
		{"en", "1.234,56", "EUR", 0, "after the decimals"},
		{"de", "1.5", "EUR", 0, "ambiguous"},
		{"en", "1,5", "EUR", 0, "ambiguous"},
		{"de", "1.23.456", "EUR", 0, "ambiguous"},
		{"de", "1234.567", "EUR", 0, "separates thousands"},
		{"de", ".500", "EUR", 0, "separates thousands"},
		{"de", "1,5", "JPY", 0, "decimals"},
		{"de", "1,2,3", "EUR", 0, "twice"},
		{"de", "12,", "EUR", 0, "decimal separator"},
		{"de", "", "EUR", 0, "no amount"},
		{"de", "-", "EUR", 0, "not an amount"},
		{"de", "zwölf", "EUR", 0, "not an amount"},
		{"de", "1e3", "EUR", 0, "not an amount"},
		{"de", "+5", "EUR", 0, "not an amount"},
		{"de", "--5", "EUR", 0, "not an amount"},
		{"de", "5\x00", "EUR", 0, "not an amount"},
		{"de", "5\u00a0000", "EUR", 0, "not an amount"},
		{"de", "<b>5</b>", "EUR", 0, "not an amount"},
		{"de", "10.000.000.000.000,01", "EUR", 0, "largest amount"},
		{"de", "9.223.372.036.854.775.807", "JPY", 0, "largest amount"},
		{"de", "99999999999999999999", "EUR", 0, "largest amount"},
		{"de", strings.Repeat("9", 1<<20), "EUR", 0, "characters"},
	}
	for _, tt := range tests {
		m, err := parseAmount(tt.lang, tt.in, tt.cur)
		if tt.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tt.bad) {
				t.Errorf("parseAmount(%s, %.40q, %s) = %v, %v; want an error saying %q", tt.lang, tt.in, tt.cur, m, err, tt.bad)
			}
			if err != nil && len(err.Error()) > 300 {
				t.Errorf("parseAmount(%s, %.40q): an error of %d bytes, want the input not echoed whole", tt.lang, tt.in, len(err.Error()))
			}
			continue
		}
		if err != nil || m.GetMinorUnits() != tt.want || m.GetCurrency() != tt.cur {
			t.Errorf("parseAmount(%s, %q, %s) = %v, %v; want %d", tt.lang, tt.in, tt.cur, m, err, tt.want)
		}
	}
}
