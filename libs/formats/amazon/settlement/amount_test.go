package settlement

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		exp     int
		want    amount
		wantErr string
	}{
		{in: "1016.08", exp: 2, want: amount{minor: 101608}},
		{in: "-321.69", exp: 2, want: amount{minor: -32169}},
		{in: "32.09    ", exp: 2, want: amount{minor: 3209}},
		{in: "1141,18", exp: 2, want: amount{minor: 114118}},
		{in: "5,05", exp: 2, want: amount{minor: 505}},
		{in: "-128.00", exp: 2, want: amount{minor: -12800}},
		{in: "0.00", exp: 2, want: amount{minor: 0}},
		{in: "+2.5", exp: 2, want: amount{minor: 250}},
		{in: "2,", exp: 2, want: amount{minor: 200}},
		{in: ",3", exp: 2, want: amount{minor: 30}},
		{in: "12", exp: 2, want: amount{minor: 1200}},
		{in: "1500", exp: 0, want: amount{minor: 1500}},
		{in: "12.345", exp: 3, want: amount{minor: 12345}},
		// More decimals than the currency: half-even, exact text kept.
		{in: "1.005", exp: 2, want: amount{minor: 100, exact: "1.005", rounded: true}},
		{in: "2,675", exp: 2, want: amount{minor: 268, exact: "2,675", rounded: true}},
		{in: "-2.675", exp: 2, want: amount{minor: -268, exact: "-2.675", rounded: true}},
		{in: "1.0051", exp: 2, want: amount{minor: 101, exact: "1.0051", rounded: true}},
		{in: "1.004", exp: 2, want: amount{minor: 100, exact: "1.004", rounded: true}},
		{in: "0.5", exp: 0, want: amount{minor: 0, exact: "0.5", rounded: true}},
		{in: "1.5", exp: 0, want: amount{minor: 2, exact: "1.5", rounded: true}},
		{in: "1000.00", exp: 0, want: amount{minor: 1000, exact: "1000.00"}},
		{in: "1,350", exp: 0, wantErr: "thousands separator"},
		{in: "-1.350", exp: 0, wantErr: "thousands separator"},
		{in: "999999999999999.99", exp: 2, want: amount{minor: 99999999999999999}},
		{in: "1.234,56", exp: 2, wantErr: "two separators"},
		{in: "1,234.56", exp: 2, wantErr: "two separators"},
		{in: "1.2.3", exp: 2, wantErr: "two separators"},
		{in: "", exp: 2, wantErr: "empty"},
		{in: "-", exp: 2, wantErr: "no digits"},
		{in: ".", exp: 2, wantErr: "no digits"},
		{in: "12a", exp: 2, wantErr: "not a decimal"},
		{in: "1 000", exp: 2, wantErr: "not a decimal"},
		{in: "--1", exp: 2, wantErr: "not a decimal"},
		{in: "1e5", exp: 2, wantErr: "not a decimal"},
		{in: "99999999999999999999", exp: 2, wantErr: "too large"},
	}
	for _, tt := range tests {
		got, err := parseAmount(tt.in, tt.exp)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseAmount(%q, %d) error = %v, want it to contain %q", tt.in, tt.exp, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseAmount(%q, %d): %v", tt.in, tt.exp, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(amount{})); diff != "" {
			t.Errorf("parseAmount(%q, %d) mismatch (-want +got):\n%s", tt.in, tt.exp, diff)
		}
	}
}

func TestExponent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code string
		want int
		ok   bool
	}{
		{"EUR", 2, true}, {"USD", 2, true}, {"HUF", 2, true}, {"JPY", 0, true}, {"KRW", 0, true},
		{"BHD", 3, true}, {"KWD", 3, true}, {"TND", 3, true}, {"eur", 0, false}, {"", 0, false}, {"EURO", 0, false},
	}
	for _, tt := range tests {
		got, ok := exponent(tt.code)
		if got != tt.want || ok != tt.ok {
			t.Errorf("exponent(%q) = %d, %v, want %d, %v", tt.code, got, ok, tt.want, tt.ok)
		}
	}
}
