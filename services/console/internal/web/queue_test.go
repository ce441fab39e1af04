package web

import "testing"

// TestParseAmount reads amounts as people type them, German or English.
func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		cur  string
		want int64
		bad  bool
	}{
		{"150", "EUR", 15000, false},
		{"150,5", "EUR", 15050, false},
		{"1.234,56", "EUR", 123456, false},
		{"1,234.56", "EUR", 123456, false},
		{"1.234", "EUR", 123400, false},
		{"-20,00", "EUR", -2000, false},
		{"1000", "JPY", 1000, false},
		{"zwölf", "EUR", 0, true},
		{"1,2,3x", "EUR", 0, true},
	}
	for _, tt := range tests {
		m, err := parseAmount(tt.in, tt.cur)
		if tt.bad {
			if err == nil {
				t.Errorf("parseAmount(%q) = %v; want an error", tt.in, m)
			}
			continue
		}
		if err != nil || m.GetMinorUnits() != tt.want || m.GetCurrency() != tt.cur {
			t.Errorf("parseAmount(%q, %s) = %v, %v; want %d", tt.in, tt.cur, m, err, tt.want)
		}
	}
}
