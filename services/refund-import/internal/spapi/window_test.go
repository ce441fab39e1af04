package spapi

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestWindows splits a span into windows that each pass the check, join
// without gap or overlap, and end two and a half minutes before now.
func TestWindows(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	end := now.Add(-MinAge - margin)
	for _, tc := range []struct {
		name string
		from time.Time
		want []Window
	}{
		{"from after the end", now.Add(-time.Minute), nil},
		{"from at the end", end, nil},
		{"one short window", now.Add(-time.Hour), []Window{{now.Add(-time.Hour), end}}},
		{"exactly 180 days", end.Add(-MaxWindow), []Window{{end.Add(-MaxWindow), end}}},
		{"a second more than 180 days", end.Add(-MaxWindow - time.Second), []Window{
			{end.Add(-MaxWindow - time.Second), end.Add(-time.Second)}, {end.Add(-time.Second), end},
		}},
		{"sub-millisecond start is truncated", now.Add(-time.Hour + 1500*time.Microsecond), []Window{{now.Add(-time.Hour + time.Millisecond), end}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, Windows(tc.from, now)); diff != "" {
				t.Errorf("Windows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWindowsNeverInvalid checks random spans: every window passes the
// check at now and, thanks to the margin, half a minute later.
func TestWindowsNeverInvalid(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
		from := now.Add(-time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour))))
		ws := Windows(from, now.Add(time.Duration(r.IntN(1000))*time.Millisecond))
		for j, w := range ws {
			if err := w.check(now.Add(margin - time.Millisecond)); err != nil {
				t.Fatalf("case %d: window %d of Windows(%s, %s) is invalid: %v", i, j, from, now, err)
			}
			if j > 0 && !w.PostedAfter.Equal(ws[j-1].PostedBefore) {
				t.Fatalf("case %d: gap or overlap between windows %d and %d", i, j-1, j)
			}
		}
		if len(ws) > 0 && !ws[0].PostedAfter.Equal(from.Truncate(time.Millisecond)) {
			t.Fatalf("case %d: first window starts %s, not at %s", i, ws[0].PostedAfter, from)
		}
	}
}

// TestWindowCheck names each rule a window can break.
func TestWindowCheck(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		w    Window
		ok   bool
	}{
		{"valid", Window{now.Add(-time.Hour), now.Add(-3 * time.Minute)}, true},
		{"two minutes and a millisecond", Window{now.Add(-time.Hour), now.Add(-MinAge - time.Millisecond)}, true},
		{"exactly two minutes", Window{now.Add(-time.Hour), now.Add(-MinAge)}, false},
		{"no start", Window{time.Time{}, now.Add(-time.Hour)}, false},
		{"no end", Window{now.Add(-time.Hour), time.Time{}}, false},
		{"reversed", Window{now.Add(-time.Hour), now.Add(-2 * time.Hour)}, false},
		{"180 days", Window{now.Add(-time.Hour - MaxWindow), now.Add(-time.Hour)}, true},
		{"180 days and a millisecond", Window{now.Add(-time.Hour - MaxWindow - time.Millisecond), now.Add(-time.Hour)}, false},
	} {
		err := tc.w.check(now)
		if tc.ok != (err == nil) || err != nil && !errors.Is(err, ErrInvalidWindow) {
			t.Errorf("%s: check = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// TestBucket takes the burst at once, then one token per 1/rate, and a 429
// lowers the rate.
func TestBucket(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBucket(Rate{PerSecond: 2, Burst: 2})
	var waits []time.Duration
	for range 4 {
		waits = append(waits, b.reserve(now))
	}
	want := []time.Duration{0, 0, 500 * time.Millisecond, time.Second}
	if diff := cmp.Diff(want, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	later := now.Add(10 * time.Second) // full again
	if got := b.throttled(later, 0.5); got != 2*time.Second {
		t.Errorf("wait after a 429 naming 0.5/s = %s, want 2s", got)
	}
}
