package dunning

import (
	"testing"
	"time"
)

// TestBaseRatesFromTheData checks the embedded table against the rates the
// issue and the sources name, and that it changes on 1 January and 1 July
// only.
func TestBaseRatesFromTheData(t *testing.T) {
	t.Parallel()
	r := DefaultBaseRates()
	for _, tc := range []struct {
		on   Date
		want int
	}{
		{day(2002, 1, 1), 257},
		{day(2009, 6, 30), 162},
		{day(2010, 8, 1), 12},
		{day(2016, 6, 30), -83},
		{day(2016, 7, 1), -88},
		{day(2022, 12, 31), -88},
		{day(2023, 1, 1), 162},
		{day(2023, 7, 1), 312},
		{day(2025, 6, 30), 227},
		{day(2025, 7, 1), 127},
		{day(2026, 3, 1), 127},
	} {
		if got := r.At(tc.on); got != tc.want {
			t.Errorf("base rate on %s = %d bp, want %d", tc.on, got, tc.want)
		}
	}
	for _, p := range r.Periods() {
		if p.From.Day != 1 || (p.From.Month != time.January && p.From.Month != time.July) {
			t.Errorf("period from %s: the base rate changes on 1 January and 1 July only", p.From)
		}
	}
	if r.Covers(day(2001, 12, 31)) || !r.Covers(day(2002, 1, 1)) {
		t.Errorf("the table covers 2001-12-31: %v, 2002-01-01: %v; want false, true", r.Covers(day(2001, 12, 31)), r.Covers(day(2002, 1, 1)))
	}
	law := r.Law
	if law.ConsumerPointsBP != 500 || law.BusinessPointsBP != 900 || law.LumpSum != 4000 || law.LumpSumCurrency != "EUR" ||
		law.ThirtyDays != 30 || law.LimitationYears != 3 || law.RunOutMonths != 3 {
		t.Errorf("law = %+v, want §288 (1) 500 bp, (2) 900 bp, (5) 4000 EUR, §286 (3) 30 days, §195 3 years, §203 3 months", law)
	}
}
