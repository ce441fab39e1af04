package dunning

import (
	"testing"
	"time"
)

// TestDateMatchesTimePackage checks the civil-date arithmetic against the
// time package for every day from 1999 to 2031.
func TestDateMatchesTimePackage(t *testing.T) {
	t.Parallel()
	start := time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)
	d0 := MakeDate(1999, 1, 1)
	for i := 0; i < 33*366; i++ {
		want := DateOf(start.AddDate(0, 0, i))
		if got := d0.AddDays(i); got != want {
			t.Fatalf("1999-01-01 + %d days = %s, want %s", i, got, want)
		}
		if got := want.DaysSince(d0); got != i {
			t.Fatalf("%s - 1999-01-01 = %d days, want %d", want, got, i)
		}
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2026-02-28", MakeDate(2026, 2, 28), true},
		{"2024-02-29", MakeDate(2024, 2, 29), true},
		{"2026-02-29", Date{}, false},
		{"28.02.2026", Date{}, false},
	} {
		got, err := ParseDate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDate(%q) = %s, %v; want %s, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if got := MakeDate(2026, 4, 31); got != MakeDate(2026, 5, 1) {
		t.Errorf("MakeDate(2026, 4, 31) = %s, want 2026-05-01", got)
	}
}
