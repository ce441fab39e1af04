package eventstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
)

// notes is a read model that stores each event's text; PostgreSQL rejects
// text holding a NUL byte with SQLSTATE 22021, as it would a real payload
// carrying one.
const notesDDL = `CREATE TABLE billing.notes (event_id uuid PRIMARY KEY, body text NOT NULL);
	GRANT SELECT, INSERT ON billing.notes TO billing_app`

func noteText(ev eventstore.Event) string {
	return ev.Payload.(*wrapperspb.StringValue).GetValue()
}

// applyNotes writes a batch with one statement, as set-based batch
// handlers do, so a failure does not say which event caused it.
func applyNotes(ctx context.Context, tx pgx.Tx, evs []eventstore.Event) error {
	ids := make([]uuid.UUID, len(evs))
	bodies := make([]string, len(evs))
	for i, ev := range evs {
		ids[i], bodies[i] = ev.EventID, noteText(ev)
	}
	_, err := tx.Exec(ctx, `INSERT INTO billing.notes SELECT * FROM unnest($1::uuid[], $2::text[])`, ids, bodies)
	return err
}

// noteEvents appends texts as one event each to one stream.
func noteEvents(t testing.TB, s *eventstore.Store, texts ...string) []eventstore.Event {
	t.Helper()
	in := make([]eventstore.Event, len(texts))
	for i, text := range texts {
		in[i] = storetest.NewEvent(text)
	}
	out, err := s.Append(context.Background(), eventstore.StreamID{Tenant: "acme", Type: "note", ID: "N-1"}, eventstore.NoStream, in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestProjectionNamesPoisonedEvent fails a projection on one event whose
// text PostgreSQL cannot store and checks that the error names that event
// (also when a set-based batch handler cannot say which it was), that
// PostgreSQL's SQLSTATE survives the wrapping, and that nothing of the
// failed batch is committed.
func TestProjectionNamesPoisonedEvent(t *testing.T) {
	t.Parallel()
	texts := []string{"n-0", "n-1", "n-2", "n-3", "bad\x00text", "n-5", "n-6"}
	const poisoned = 4
	tests := []struct {
		name      string
		batchSize int
		apply     eventstore.BatchHandler
		// committed is the number of events applied before the failed
		// batch: the checkpoint is at the last of them.
		committed int
	}{
		{"batch handler, batches of 3", 3, applyNotes, 3},
		{"batch handler, batches of 1", 1, applyNotes, 4},
		{"batch handler, one batch", 0, applyNotes, 0},
		{"per-event handler, batches of 3", 3, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := newTestDB(t)
			owner := connect(t, db.ownerURL)
			if _, err := owner.Exec(ctx, notesDDL); err != nil {
				t.Fatal(err)
			}
			s := newStore(t, db)
			evs := noteEvents(t, s, texts...)

			var n int
			var err error
			if tt.apply != nil {
				n, err = s.CatchUpProjection(ctx, eventstore.Projection{Name: "notes", BatchSize: tt.batchSize, Apply: tt.apply})
			} else {
				n, err = s.CatchUp(ctx, "notes", tt.batchSize, func(ctx context.Context, tx pgx.Tx, ev eventstore.Event) error {
					return applyNotes(ctx, tx, []eventstore.Event{ev})
				})
			}
			var evErr *eventstore.EventError
			if !errors.As(err, &evErr) {
				t.Fatalf("CatchUp = %d, %v; want an *EventError", n, err)
			}
			if evErr.Projection != "notes" || evErr.Event.EventID != evs[poisoned].EventID || evErr.Event.Position != evs[poisoned].Position {
				t.Errorf("EventError names projection %q, event %s at %d; want notes, %s at %d",
					evErr.Projection, evErr.Event.EventID, evErr.Event.Position, evs[poisoned].EventID, evs[poisoned].Position)
			}
			if got := sqlState(err); got != "22021" {
				t.Errorf("SQLSTATE %q, want 22021 (invalid byte sequence); error %v", got, err)
			}
			if n != tt.committed {
				t.Errorf("CatchUp applied %d events, want %d", n, tt.committed)
			}
			var rows int
			if err := owner.QueryRow(ctx, `SELECT count(*) FROM billing.notes`).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if rows != tt.committed {
				t.Errorf("read model has %d rows, want %d (the failed batch and the search are rolled back)", rows, tt.committed)
			}
			want := eventstore.Cursor{}
			if tt.committed > 0 {
				want = evs[tt.committed-1].Cursor
			}
			if c, err := s.Checkpoint(ctx, "notes"); err != nil || c != want {
				t.Errorf("checkpoint %v, %v; want %v", c, err, want)
			}
		})
	}
}

// TestProjectionBatchFailureWithoutCulprit fails a batch handler on every
// batch of more than one event: no single event is to blame, so the
// handler's own error comes back without an *EventError.
func TestProjectionBatchFailureWithoutCulprit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t, newTestDB(t))
	noteEvents(t, s, "a", "b", "c")
	errPair := errors.New("the read model cannot take two events at once")
	var sizes []int
	n, err := s.CatchUpProjection(ctx, eventstore.Projection{Name: "pairs", BatchSize: 2, Apply: func(_ context.Context, _ pgx.Tx, evs []eventstore.Event) error {
		sizes = append(sizes, len(evs))
		if len(evs) > 1 {
			return errPair
		}
		return nil
	}})
	var evErr *eventstore.EventError
	if !errors.Is(err, errPair) || errors.As(err, &evErr) || n != 0 {
		t.Fatalf("CatchUpProjection = %d, %v; want 0 and the handler's error without an *EventError", n, err)
	}
	// The batch of two, then each of its events on its own.
	if diff := cmp.Diff([]int{2, 1, 1}, sizes); diff != "" {
		t.Errorf("batch sizes handed to Apply (-want +got):\n%s", diff)
	}
}

// TestProjectionUndecodableEvent stores bytes that do not decode as the
// event's type and checks that the projection stops before that event with
// ErrUndecodable, having applied the events before it in earlier batches.
func TestProjectionUndecodableEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	s := newStore(t, db)
	evs := noteEvents(t, s, "a", "b", "c", "d")
	// Field 1 as a length-delimited string that claims more bytes than
	// follow.
	tamper(t, db.ownerURL, `UPDATE billing.events SET payload = '\x0a05ab'::bytea WHERE event_id = $1`, evs[2].EventID)
	// The projection runs on a store that did not append the events (as
	// after a restart, or in another process): s keeps what it committed
	// and would hand the projection those bytes instead of the row's.
	s = newStore(t, db)

	var applied []uuid.UUID
	n, err := s.CatchUp(ctx, "undecodable", 2, func(_ context.Context, _ pgx.Tx, ev eventstore.Event) error {
		applied = append(applied, ev.EventID)
		return nil
	})
	var evErr *eventstore.EventError
	if !errors.As(err, &evErr) || !errors.Is(err, eventstore.ErrUndecodable) || evErr.Event.EventID != evs[2].EventID {
		t.Fatalf("CatchUp = %d, %v; want an *EventError for %s wrapping ErrUndecodable", n, err, evs[2].EventID)
	}
	if diff := cmp.Diff([]uuid.UUID{evs[0].EventID, evs[1].EventID}, applied); diff != "" || n != 2 {
		t.Errorf("applied %d events (-want +got):\n%s", n, diff)
	}
	if c, err := s.Checkpoint(ctx, "undecodable"); err != nil || c != evs[1].Cursor {
		t.Errorf("checkpoint %v, %v; want %v", c, err, evs[1].Cursor)
	}
}
