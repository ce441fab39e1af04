package notice

import (
	"strings"
	"testing"
	"time"
)

// TestFormatAmount writes minor units the way each language writes money,
// with the currency's decimals, from the integer's digits.
func TestFormatAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang, cur string
		minor     int64
		want      string
	}{
		{"de", "EUR", 123456, "1.234,56 €"},
		{"en", "EUR", 123456, "EUR 1,234.56"},
		{"de", "EUR", 5, "0,05 €"},
		{"en", "EUR", 0, "EUR 0.00"},
		{"de", "EUR", 100000000, "1.000.000,00 €"},
		{"en", "EUR", 99999, "EUR 999.99"},
		{"de", "EUR", -123456, "-1.234,56 €"},
		{"de", "USD", 250, "2,50 USD"},
		{"de", "JPY", 1234, "1.234 JPY"},
		{"en", "KWD", 1234567, "KWD 1,234.567"},
		{"de", "EUR", 9223372036854775807, "92.233.720.368.547.758,07 €"},
	}
	for _, tt := range tests {
		if got := formatAmount(tt.lang, tt.cur, tt.minor); got != tt.want {
			t.Errorf("formatAmount(%s, %s, %d) = %q, want %q", tt.lang, tt.cur, tt.minor, got, tt.want)
		}
	}
}

// TestFormatDatesAndRates writes dates and rates per language.
func TestFormatDatesAndRates(t *testing.T) {
	t.Parallel()
	d := time.Date(2026, time.March, 7, 23, 30, 0, 0, time.FixedZone("CET", 3600))
	for _, tt := range []struct{ got, want string }{
		{formatDate("de", d), "07.03.2026"},
		{formatDate("en", d), "7 Mar 2026"},
		{formatLongDate("de", d), "7. März 2026"},
		{formatLongDate("en", d), "7 March 2026"},
		{formatRate("de", 1027), "10,27 %"},
		{formatRate("en", 1027), "10.27%"},
		{formatRate("de", -88), "-0,88 %"},
		{formatRate("en", 500), "5.00%"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestReference lists the customer number and the invoice numbers once
// each, and keeps within a SEPA remittance's 140 characters without
// cutting a number.
func TestReference(t *testing.T) {
	t.Parallel()
	if got, want := Reference(" 10042 ", []string{"RE-1", "RE-2", "RE-1", " "}), "KD 10042 RE-1 RE-2"; got != want {
		t.Errorf("Reference = %q, want %q", got, want)
	}
	if got, want := Reference("", []string{"RE-1"}), "RE-1"; got != want {
		t.Errorf("Reference without customer = %q, want %q", got, want)
	}
	var docs []string
	for i := range 20 {
		docs = append(docs, "RE-2026-"+strings.Repeat("0", 5)+string(rune('A'+i)))
	}
	got := Reference("10042", docs)
	if len(got) > 140 {
		t.Errorf("Reference is %d characters long", len(got))
	}
	for _, f := range strings.Fields(got)[2:] {
		if len(f) != len(docs[0]) {
			t.Errorf("Reference %q holds a cut number %q", got, f)
		}
	}
	if !strings.HasPrefix(got, "KD 10042 RE-2026-00000A ") {
		t.Errorf("Reference %q does not start with the customer and the first invoice", got)
	}
}

// TestFeeLabel names the fee kinds in each language.
func TestFeeLabel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ lang, kind, want string }{
		{"de", "fee", "Mahnkosten"},
		{"de-DE", "lump-sum", "Verzugspauschale (§ 288 Abs. 5 BGB)"},
		{"en", "fee", "Dunning fee"},
		{"fr", "lump-sum", "Lump sum for late payment (§ 288 (5) BGB)"},
		{"de", "other", "other"},
	} {
		if got := FeeLabel(tt.lang, tt.kind); got != tt.want {
			t.Errorf("FeeLabel(%s, %s) = %q, want %q", tt.lang, tt.kind, got, tt.want)
		}
	}
}
