package eventstore_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
)

// TestReadAllAcrossTransactionIDDigitBoundary writes events in transactions
// whose ids cross a power of ten (…998, …999, 1000…) and reads the log in
// pages of two. Ordering transaction ids as text would put "1000" before
// "999" and lose events at the page boundary; the log must come back
// complete and in commit order.
func TestReadAllAcrossTransactionIDDigitBoundary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	s := newStore(t, db)
	owner := connect(t, db.ownerURL)
	var current string
	if err := owner.QueryRow(ctx, `SELECT pg_current_xact_id()::text`).Scan(&current); err != nil {
		t.Fatal(err)
	}
	x, err := strconv.ParseUint(current, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	boundary := uint64(10)
	for boundary <= x+50 {
		boundary *= 10
	}
	burn := boundary - x - 6
	if testing.Short() && burn > 200_000 {
		t.Skipf("the next transaction-id digit boundary is %d transactions away", burn)
	}
	// Each COMMIT inside the procedure ends a transaction, so every loop
	// round uses up one transaction id.
	if _, err := owner.Exec(ctx, `CREATE PROCEDURE pg_temp.burn(n bigint) LANGUAGE plpgsql AS $$
		BEGIN FOR i IN 1..n LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, `CALL pg_temp.burn($1)`, int64(burn)); err != nil {
		t.Fatal(err)
	}
	var want []eventstore.Event
	for i := range 12 {
		evs, err := s.Append(ctx, eventstore.StreamID{Tenant: "acme", Type: "t", ID: fmt.Sprint(i)}, eventstore.NoStream,
			[]eventstore.Event{storetest.NewEvent(fmt.Sprint("e", i))})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, evs...)
	}
	if first, last := want[0].Cursor.TxID, want[len(want)-1].Cursor.TxID; first >= boundary || last < boundary {
		t.Logf("events were written in transactions %d..%d, boundary %d (other sessions used ids meanwhile)", first, last, boundary)
	}
	var got []eventstore.Event
	var after eventstore.Cursor
	// Another database of a shared test cluster may hold the server-wide
	// read horizon back for a moment: an empty page means "not yet", so
	// wait, within a deadline, rather than give up.
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < len(want) && time.Now().Before(deadline) {
		evs, next, err := s.ReadAll(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		got = append(got, evs...)
		after = next
	}
	if len(got) != len(want) {
		t.Fatalf("read %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].EventID != want[i].EventID {
			t.Fatalf("event %d is %s (tx %d), want %s (tx %d)", i, got[i].EventID, got[i].Cursor.TxID, want[i].EventID, want[i].Cursor.TxID)
		}
	}
}
