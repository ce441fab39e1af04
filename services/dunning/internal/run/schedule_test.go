package run_test

import (
	"testing"
	"time"

	"github.com/o2c-platform/o2c/services/dunning/internal/dunning"
	"github.com/o2c-platform/o2c/services/dunning/internal/run"
)

// TestDue: the daily run is due at or after its time of day in the zone,
// once a day; the day is the zone's, not UTC's.
func TestDue(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	six := 6 * time.Hour
	tests := []struct {
		name    string
		now     time.Time
		last    dunning.Date
		wantDay dunning.Date
		want    bool
	}{
		{"before six in Berlin", time.Date(2026, 12, 7, 4, 59, 0, 0, time.UTC), dunning.Date{}, dunning.MakeDate(2026, 12, 7), false},
		{"six in Berlin is five UTC", time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC), dunning.Date{}, dunning.MakeDate(2026, 12, 7), true},
		{"run already today", time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), dunning.MakeDate(2026, 12, 7), dunning.MakeDate(2026, 12, 7), false},
		{"yesterday's run", time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), dunning.MakeDate(2026, 12, 6), dunning.MakeDate(2026, 12, 7), true},
		{"late evening UTC is the next day in Berlin", time.Date(2026, 12, 7, 23, 30, 0, 0, time.UTC), dunning.MakeDate(2026, 12, 7),
			dunning.MakeDate(2026, 12, 8), false},
		{"summer time: six is four UTC", time.Date(2026, 7, 1, 4, 0, 0, 0, time.UTC), dunning.Date{}, dunning.MakeDate(2026, 7, 1), true},
	}
	for _, tt := range tests {
		day, due := run.Due(tt.now, berlin, six, tt.last)
		if day != tt.wantDay || due != tt.want {
			t.Errorf("%s: Due = %s, %t; want %s, %t", tt.name, day, due, tt.wantDay, tt.want)
		}
	}
}
