package eventstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
)

// slowInsert inserts ev as the next event of stream in tx's open
// transaction, as Append would, and returns it as stored and its position.
func slowInsert(ctx context.Context, tx interface {
	QueryRow(context.Context, string, ...any) interface{ Scan(...any) error }
}, stream eventstore.StreamID, version int64, prev []byte, ev eventstore.Event) (eventstore.Event, int64, error) {
	prep, err := eventstore.Prepare(stream, []eventstore.Event{ev})
	if err != nil {
		return ev, 0, err
	}
	p := prep[0]
	p.Version = version
	p.ChainHash = eventstore.ChainHash(prev, p.ContentHash, stream, version)
	var pos int64
	if err := tx.QueryRow(ctx, `INSERT INTO billing.events (event_id, event_type, tenant, stream_type, stream_id, version, occurred_at, payload, content_hash, chain_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING position`,
		p.EventID, p.Type, stream.Tenant, stream.Type, stream.ID, version, p.OccurredAt, p.Data, p.ContentHash, p.ChainHash).Scan(&pos); err != nil {
		return p, 0, fmt.Errorf("insert in the open transaction: %w", err)
	}
	return p, pos, nil
}

// rowQuerier adapts a pgx.Tx's QueryRow to slowInsert.
type rowQuerier struct {
	q func(context.Context, string, ...any) interface{ Scan(...any) error }
}

func (r rowQuerier) QueryRow(ctx context.Context, sql string, args ...any) interface{ Scan(...any) error } {
	return r.q(ctx, sql, args...)
}

// TestReadAllFromMemoryAsStored appends through one store with Append and
// AppendBatch (envelope fields set, an occurred-at with nanoseconds, a
// trace context from the events) and, in a transaction of another
// connection that stays open across them, two events before and after them
// in position order; the store's ordered read, which takes what it
// committed itself from memory, returns exactly what a store that committed
// nothing reads from the table: the same events, fields and order.
func TestReadAllFromMemoryAsStored(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := newTestDB(t)
	writer := newStore(t, db)
	reader := newStore(t, db) // commits nothing: reads every row from the table

	slowConn := connect(t, db.appURL)
	slowTx, err := slowConn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slow := rowQuerier{q: func(ctx context.Context, sql string, args ...any) interface{ Scan(...any) error } {
		return slowTx.QueryRow(ctx, sql, args...)
	}}
	slowStream := eventstore.StreamID{Tenant: "acme", Type: "order", ID: "O-slow"}
	s1, _, err := slowInsert(ctx, slow, slowStream, 1, nil, storetest.NewEvent("slow 1"))
	if err != nil {
		t.Fatal(err)
	}

	ev := storetest.NewEvent("appended")
	ev.OccurredAt = time.Date(2026, 12, 7, 6, 0, 0, 123456789, time.FixedZone("CET", 3600))
	ev.CausationID, ev.CorrelationID, ev.Actor = "cause", "correlation", "user:ada"
	ev.TraceParent, ev.TraceState = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "vendor=1"
	if _, err := writer.Append(ctx, eventstore.StreamID{Tenant: "acme", Type: "order", ID: "O-1"}, eventstore.NoStream,
		[]eventstore.Event{ev, storetest.NewEvent("appended 2")}); err != nil {
		t.Fatal(err)
	}
	var groups []eventstore.AppendGroup
	for i := range 5 {
		groups = append(groups, eventstore.AppendGroup{
			{Stream: eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: fmt.Sprint("I-", i)}, Expected: eventstore.NoStream,
				Events: []eventstore.Event{storetest.NewEvent(fmt.Sprint("invoice ", i))}},
			{Stream: eventstore.StreamID{Tenant: "beta", Type: "entry", ID: fmt.Sprint("E-", i)}, Expected: eventstore.AnyVersion,
				Events: []eventstore.Event{storetest.NewEvent(fmt.Sprint("entry ", i)), storetest.NewEvent(fmt.Sprint("entry ", i, "b"))}},
		})
	}
	res, err := writer.AppendBatch(ctx, groups)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("group %d: %v", i, r.Err)
		}
	}
	// After the writer's events in position order, before them in the
	// log's order (its transaction began first).
	s2, pos2, err := slowInsert(ctx, slow, slowStream, 2, s1.ChainHash, storetest.NewEvent("slow 2"))
	if err != nil {
		t.Fatal(err)
	}
	if pos2 <= res[len(res)-1].Events[1][1].Position {
		t.Fatalf("the open transaction's second event at %d, not after the writer's", pos2)
	}
	if evs, _, err := writer.ReadAll(ctx, eventstore.Cursor{}, 100); err != nil || len(evs) != 0 {
		t.Fatalf("ReadAll past an open transaction = %d events, %v; want none", len(evs), err)
	}
	if err := slowTx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	const n = 2 + 5*3 + 2
	want := readUntil(ctx, t, reader, eventstore.Cursor{}, n)
	got := readUntil(ctx, t, writer, eventstore.Cursor{}, n)
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("writer's ordered read (-from the table +from memory):\n%s", diff)
	}
	if want[0].EventID != s1.EventID || want[1].EventID != s2.EventID {
		t.Errorf("log starts with %s, %s; want the open transaction's %s, %s", want[0].EventID, want[1].EventID, s1.EventID, s2.EventID)
	}
	for i := 0; i+1 < n; i += 7 {
		raw, _, err := writer.ReadAllRaw(ctx, want[i].Cursor, 7)
		if err != nil {
			t.Fatal(err)
		}
		rawWant, _, err := reader.ReadAllRaw(ctx, want[i].Cursor, 7)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rawWant, raw); diff != "" {
			t.Errorf("ReadAllRaw after %v (-from the table +from memory):\n%s", want[i].Cursor, diff)
		}
	}
	if hits := writer.RecentHits(); hits < 2*(n-2) {
		t.Errorf("the writer took %d events from memory, want at least %d (its own, read twice)", hits, 2*(n-2))
	}
	if hits := reader.RecentHits(); hits != 0 {
		t.Errorf("a store that committed nothing took %d events from memory", hits)
	}
}

// TestReadAllFromMemorySkipsNothing reads the log while eight writers
// append through the reading store and a ninth commits through its own
// transactions, each held open while the others commit, so that
// transactions commit out of position order; the reader sees every event
// exactly once and in the order a store reading only the table sees.
func TestReadAllFromMemorySkipsNothing(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := newTestDB(t)
	s := newStore(t, db)
	table := newStore(t, db)

	const writers, rounds, perRound, slowTxs = 8, 10, 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				var groups []eventstore.AppendGroup
				for g := range perRound {
					groups = append(groups, eventstore.AppendGroup{{
						Stream:   eventstore.StreamID{Tenant: "acme", Type: "entry", ID: fmt.Sprint(w, "-", r, "-", g)},
						Expected: eventstore.NoStream, Events: []eventstore.Event{storetest.NewEvent("entry")},
					}})
				}
				res, err := s.AppendBatch(ctx, groups)
				if err == nil {
					for _, gr := range res {
						err = gr.Err
						if err != nil {
							break
						}
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		conn := connect(t, db.appURL)
		for i := range slowTxs {
			tx, err := conn.Begin(ctx)
			if err != nil {
				errs <- err
				return
			}
			q := rowQuerier{q: func(ctx context.Context, sql string, args ...any) interface{ Scan(...any) error } {
				return tx.QueryRow(ctx, sql, args...)
			}}
			st := eventstore.StreamID{Tenant: "acme", Type: "slow", ID: fmt.Sprint(i)}
			first, _, err := slowInsert(ctx, q, st, 1, nil, storetest.NewEvent("slow"))
			if err == nil {
				time.Sleep(10 * time.Millisecond) // others commit meanwhile
				_, _, err = slowInsert(ctx, q, st, 2, first.ChainHash, storetest.NewEvent("slow"))
			}
			if err == nil {
				err = tx.Commit(ctx)
			}
			if err != nil {
				errs <- err
				return
			}
		}
	})

	const n = writers*rounds*perRound + 2*slowTxs
	var got []eventstore.Event
	var c eventstore.Cursor
	for len(got) < n {
		evs, next, err := s.ReadAll(ctx, c, 37)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			select {
			case err := <-errs:
				t.Fatal(err)
			case <-ctx.Done():
				t.Fatalf("read %d of %d events: %v", len(got), n, ctx.Err())
			case <-time.After(2 * time.Millisecond):
			}
		}
		got, c = append(got, evs...), next
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if evs, _, err := s.ReadAll(ctx, c, 100); err != nil || len(evs) != 0 {
		t.Fatalf("ReadAll after the last event = %d events, %v; want none", len(evs), err)
	}
	seen := make(map[uuid.UUID]bool, n)
	for _, ev := range got {
		if seen[ev.EventID] {
			t.Fatalf("event %s read twice", ev.EventID)
		}
		seen[ev.EventID] = true
	}
	want := readUntil(ctx, t, table, eventstore.Cursor{}, n)
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("read while appending (-from the table +from memory):\n%s", diff)
	}
	if s.RecentHits() == 0 {
		t.Error("no event was taken from memory")
	}
}
