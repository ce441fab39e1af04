package loadtest_test

import (
	"testing"
	"time"
)

// TestBacklogAndDrain checks the figures that separate what the pipeline
// sustains from what the shops built up: the most invoices acknowledged and
// not yet booked at once, and the time from the last acknowledgement to
// the last booking.
func TestBacklogAndDrain(t *testing.T) {
	t.Parallel()
	ms := func(v ...int64) []int64 {
		for i := range v {
			v[i] *= int64(time.Millisecond)
		}
		return v
	}
	for _, tc := range []struct {
		name        string
		ack, book   []int64
		wantBacklog int
		wantDrain   time.Duration
	}{
		{"kept up: each booked before the next is acknowledged", ms(1, 3, 5), ms(2, 4, 6), 1, time.Millisecond},
		{"booked at the instant of the next acknowledgement", ms(1, 2, 3), ms(2, 3, 4), 1, time.Millisecond},
		{"all acknowledged before the first booking", ms(1, 2, 3, 4), ms(10, 11, 12, 13), 4, 9 * time.Millisecond},
		{"booked in another order than acknowledged", ms(1, 2, 3, 4), ms(5, 3, 6, 7), 3, 3 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &result{n: len(tc.ack), pubAt: tc.ack, ackAt: tc.ack, bookAt: tc.book}
			if got := r.backlog(); got != tc.wantBacklog {
				t.Errorf("backlog = %d, want %d", got, tc.wantBacklog)
			}
			if got := time.Duration(r.drain()); got != tc.wantDrain {
				t.Errorf("drain = %v, want %v", got, tc.wantDrain)
			}
		})
	}
}
