package settlement

import (
	"strings"
	"testing"
)

// TestControlCharactersAreRefused: a flat report with a NUL or an escape
// in a cell, or a cell of 100,000 bytes, is refused naming the line and
// the column, since Amazon writes none, a NUL would travel into every read
// model of the settlement, and cells that long would make an event NATS
// cannot carry.
func TestControlCharactersAreRefused(t *testing.T) {
	t.Parallel()
	v2 := "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tamount-type\tamount-description\tamount\tsku\n" +
		"1\t\t\t\t1.00\tEUR\t\t\t\t\t\t\n"
	for _, tt := range []struct {
		name, in, want string
	}{
		{"NUL in a SKU", v2 + "1\t\t\t\t\t\tOrder\tA\tItemPrice\tPrincipal\t1.00\tSK\x00U\n", "line 3: control character U+0000 in column 12"},
		{"escape in an order id", v2 + "1\t\t\t\t\t\tOrder\t\x1b[2J\tItemPrice\tPrincipal\t1.00\tSKU\n", "line 3: control character U+001B in column 8"},
		{"NUL in the header", strings.Replace(v2, "sku", "s\x00ku", 1), "line 1: control character U+0000 in column 12"},
		{"a SKU of 100,000 bytes", v2 + "1\t\t\t\t\t\tOrder\tA\tItemPrice\tPrincipal\t1.00\t" + strings.Repeat("S", 100000) + "\n",
			"line 3: column 12: 100000 bytes, more than the 1000 a cell may hold"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := readAll(t, strings.NewReader(tt.in))
			if rep.err == nil || !strings.Contains(rep.err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", rep.err, tt.want)
			}
		})
	}
}
