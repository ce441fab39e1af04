package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
)

// outcome names a GroupResult for comparison: "ok", "replay" or the
// sentinel the error wraps.
func outcome(r eventstore.GroupResult) string {
	switch {
	case r.Err == nil && r.Replayed:
		return "replay"
	case r.Err == nil:
		return "ok"
	case errors.Is(r.Err, eventstore.ErrContentMismatch):
		return "mismatch"
	case errors.Is(r.Err, eventstore.ErrVersionConflict):
		return "conflict"
	case errors.Is(r.Err, eventstore.ErrPartialDuplicate):
		return "partial"
	case errors.Is(r.Err, eventstore.ErrInvalidEvent):
		return "invalid"
	}
	return "error: " + r.Err.Error()
}

func TestAppendBatchDecidesEachGroupAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t, newTestDB(t))
	st := func(id string) eventstore.StreamID { return eventstore.StreamID{Tenant: "acme", Type: "entry", ID: id} }

	stored := appendN(t, s, st("old"), 1)[0]
	again := stored
	again.Envelope = eventstore.Envelope{EventID: stored.EventID, OccurredAt: stored.OccurredAt}
	changed := storetest.NewEvent("other content")
	changed.EventID = stored.EventID
	shared := storetest.NewEvent("shared")
	sharedChanged := storetest.NewEvent("shared, changed")
	sharedChanged.EventID = shared.EventID

	groups := []eventstore.AppendGroup{
		// 0: a new entry and an open item on a debtor stream, atomically.
		{{Stream: st("e1"), Expected: eventstore.NoStream, Events: []eventstore.Event{storetest.NewEvent("e1")}},
			{Stream: st("debtor-1"), Expected: eventstore.AnyVersion, Events: []eventstore.Event{storetest.NewEvent("item 1")}}},
		// 1: the stored event again: a replay.
		{{Stream: st("old"), Expected: eventstore.NoStream, Events: []eventstore.Event{again}}},
		// 2: its id with other content.
		{{Stream: st("old"), Expected: eventstore.NoStream, Events: []eventstore.Event{changed}}},
		// 3: a stream that exists already, with NoStream.
		{{Stream: st("old"), Expected: eventstore.NoStream, Events: []eventstore.Event{storetest.NewEvent("late")}}},
		// 4: the debtor stream again, after group 0.
		{{Stream: st("debtor-1"), Expected: eventstore.ExpectedVersion(1), Events: []eventstore.Event{storetest.NewEvent("item 2")}}},
		// 5: no events.
		{{Stream: st("empty"), Expected: eventstore.NoStream}},
		// 6, 7, 8: one event id posted three times in one batch.
		{{Stream: st("s"), Expected: eventstore.NoStream, Events: []eventstore.Event{shared}}},
		{{Stream: st("s"), Expected: eventstore.NoStream, Events: []eventstore.Event{shared}}},
		{{Stream: st("s"), Expected: eventstore.NoStream, Events: []eventstore.Event{sharedChanged}}},
	}
	res, err := s.AppendBatch(ctx, groups)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ok", "replay", "mismatch", "conflict", "ok", "invalid", "ok", "replay", "mismatch"}
	for i, r := range res {
		if got := outcome(r); got != want[i] {
			t.Errorf("group %d: %s, want %s (%v)", i, got, want[i], r.Err)
		}
	}
	if got := res[4].Events[0][0].Version; got != 2 {
		t.Errorf("second open item has version %d, want 2", got)
	}
	if got := res[1].Events[0][0].Position; got != stored.Position {
		t.Errorf("replay returned position %d, want the stored %d", got, stored.Position)
	}
	if res[0].Events[0][0].Cursor.TxID != res[0].Events[1][0].Cursor.TxID {
		t.Errorf("the two streams of group 0 were written by different transactions")
	}
	rep, err := s.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Errorf("Verify = %+v, %v; want intact chains", rep, err)
	}
	debtor, err := s.ReadStream(ctx, st("debtor-1"), 1, 0)
	if err != nil || len(debtor) != 2 {
		t.Fatalf("debtor stream has %d events, %v; want 2", len(debtor), err)
	}
}

func TestAppendBatchManyGroupsOneCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t, newTestDB(t))
	groups := make([]eventstore.AppendGroup, 50)
	for i := range groups {
		groups[i] = eventstore.AppendGroup{{
			Stream:   eventstore.StreamID{Tenant: "acme", Type: "entry", ID: fmt.Sprint("E-", i)},
			Expected: eventstore.NoStream,
			Events:   []eventstore.Event{storetest.NewEvent(fmt.Sprint(i))},
		}}
	}
	res, err := s.AppendBatch(ctx, groups)
	if err != nil {
		t.Fatal(err)
	}
	txs := map[uint64]bool{}
	for i, r := range res {
		if r.Err != nil || r.Replayed {
			t.Fatalf("group %d: %s", i, outcome(r))
		}
		txs[r.Events[0][0].Cursor.TxID] = true
	}
	if len(txs) != 1 {
		t.Errorf("50 independent groups took %d transactions, want 1", len(txs))
	}
}

func TestBatchProjectionCallsCommittedAfterEachBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t, newTestDB(t))
	appendN(t, s, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "I-b"}, 5)
	var applied, committed []int
	n, err := s.CatchUpProjection(ctx, eventstore.Projection{
		Name:      "batched",
		BatchSize: 2,
		Apply: func(_ context.Context, _ pgx.Tx, evs []eventstore.Event) error {
			applied = append(applied, len(evs))
			return nil
		},
		Committed: func(_ context.Context, evs []eventstore.Event) error {
			committed = append(committed, len(evs))
			return nil
		},
	})
	if err != nil || n != 5 {
		t.Fatalf("CatchUpProjection = %d, %v; want 5", n, err)
	}
	if fmt.Sprint(applied) != "[2 2 1]" || fmt.Sprint(committed) != "[2 2 1]" {
		t.Errorf("applied %v, committed %v; want batches [2 2 1] for both", applied, committed)
	}
}

// TestAppendBatchWithCommitsTogether: the statements queued for the groups
// a round writes commit in the round's transaction; one that fails keeps
// its group's events out and leaves the other groups written with theirs;
// a replayed group gets none.
func TestAppendBatchWithCommitsTogether(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	owner := connect(t, db.ownerURL)
	if _, err := owner.Exec(ctx, `CREATE TABLE billing.sidecar (id text PRIMARY KEY CHECK (id <> 'bad'), tx text NOT NULL);
		GRANT SELECT, INSERT ON billing.sidecar TO PUBLIC`); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, db)
	st := func(id string) eventstore.StreamID { return eventstore.StreamID{Tenant: "acme", Type: "entry", ID: id} }
	old := appendN(t, s, st("old"), 1)[0]
	again := old
	again.Envelope = eventstore.Envelope{EventID: old.EventID, OccurredAt: old.OccurredAt}
	ids := []string{"a", "bad", "c", "old"}
	groups := []eventstore.AppendGroup{
		{{Stream: st("a"), Expected: eventstore.NoStream, Events: []eventstore.Event{storetest.NewEvent("a")}}},
		{{Stream: st("bad"), Expected: eventstore.NoStream, Events: []eventstore.Event{storetest.NewEvent("bad")}}},
		{{Stream: st("c"), Expected: eventstore.NoStream, Events: []eventstore.Event{storetest.NewEvent("c")}}},
		{{Stream: st("old"), Expected: eventstore.NoStream, Events: []eventstore.Event{again}}},
	}
	res, err := s.AppendBatchWith(ctx, groups, func(written []int, b *pgx.Batch) {
		for _, i := range written {
			b.Queue(`INSERT INTO billing.sidecar (id, tx) VALUES ($1, pg_current_xact_id()::text)`, ids[i])
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res {
		o := outcome(r)
		if strings.HasPrefix(o, "error: ") {
			o = "error"
		}
		got = append(got, o)
	}
	if diff := cmp.Diff([]string{"ok", "error", "ok", "replay"}, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	rows, err := owner.Query(ctx, `SELECT id, tx FROM billing.sidecar ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	side := map[string]string{}
	for rows.Next() {
		var id, tx string
		if err := rows.Scan(&id, &tx); err != nil {
			t.Fatal(err)
		}
		side[id] = tx
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a": fmt.Sprint(res[0].Events[0][0].Cursor.TxID),
		"c": fmt.Sprint(res[2].Events[0][0].Cursor.TxID),
	}
	if diff := cmp.Diff(want, side); diff != "" {
		t.Errorf("sidecar rows by transaction (-want +got):\n%s", diff)
	}
	if evs, err := s.ReadStream(ctx, st("bad"), 1, 0); err != nil || len(evs) != 0 {
		t.Errorf("stream bad holds %d events (%v), want none: its statement failed", len(evs), err)
	}
}
