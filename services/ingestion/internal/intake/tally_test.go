package intake

import (
	"strconv"
	"testing"
)

// TestStatementTallyOmitsLongLists: a statement lists its transaction ids
// up to MaxStatementIDs; beyond, the list is dropped and said to be, while
// the count and sum stay complete.
func TestStatementTallyOmitsLongLists(t *testing.T) {
	t.Parallel()
	for _, n := range []int{MaxStatementIDs, MaxStatementIDs + 1} {
		var tally statementTally
		for i := range n {
			tally.book(strconv.Itoa(i), 2)
		}
		wantIDs, wantOmitted := n, false
		if n > MaxStatementIDs {
			wantIDs, wantOmitted = 0, true
		}
		if len(tally.ids) != wantIDs || tally.omitted != wantOmitted || tally.count != n || tally.sum != int64(2*n) {
			t.Errorf("%d bookings: %d ids, omitted %v, count %d, sum %d; want %d, %v, %d, %d",
				n, len(tally.ids), tally.omitted, tally.count, tally.sum, wantIDs, wantOmitted, n, 2*n)
		}
	}
}
