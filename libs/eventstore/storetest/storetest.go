// Package storetest is the contract suite that every event store
// implementation passes: the PostgreSQL store in package eventstore and the
// in-memory store in package memstore run the same tests through Run.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// Store is what the suite tests.
type Store interface {
	Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events []eventstore.Event) ([]eventstore.Event, error)
	AppendBatch(ctx context.Context, groups []eventstore.AppendGroup) ([]eventstore.GroupResult, error)
	ReadStream(ctx context.Context, stream eventstore.StreamID, from int64, limit int) ([]eventstore.Event, error)
	ReadAll(ctx context.Context, after eventstore.Cursor, limit int) ([]eventstore.Event, eventstore.Cursor, error)
	Verify(ctx context.Context) (eventstore.Report, error)
	Checkpoint(ctx context.Context, name string) (eventstore.Cursor, error)
	SaveCheckpoint(ctx context.Context, name string, c eventstore.Cursor) error
}

// Harness adapts an implementation to the suite.
type Harness struct {
	// New returns an empty store, cleaned up when t ends.
	New func(t testing.TB) Store
	// CatchUp runs projection name of s once over everything after its
	// checkpoint, in batches of batchSize, calling handle for each event
	// inside the batch's transaction where the store has one.
	CatchUp func(ctx context.Context, s Store, name string, batchSize int, handle func(context.Context, eventstore.Event) error) (int, error)
	// Tamper overwrites the stored payload bytes of event id behind the
	// store's back, leaving its hashes as they are.
	Tamper func(t testing.TB, s Store, id uuid.UUID, data []byte)
}

// Run runs the contract suite.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"AppendAndRead", testAppendAndRead},
		{"ExpectedVersion", testExpectedVersion},
		{"ConcurrentWritersOneWinner", testConcurrentWriters},
		{"ConcurrentAnyVersion", testConcurrentAny},
		{"Idempotency", testIdempotency},
		{"IdempotencyAcrossEncodings", testIdempotencyAcrossEncodings},
		{"InvalidEvents", testInvalid},
		{"AppendBatchDecidesEachGroupAlone", testAppendBatch},
		{"ReadAllPages", testReadAll},
		{"VerifyDetectsTampering", testVerify},
		{"Checkpoints", testCheckpoints},
		{"ProjectionFailureKeepsCheckpoint", testProjection},
		{"TraceContextOfTheAppend", testTraceContext},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, h)
		})
	}
}

// hangGuard bounds waits for held-back events so that a broken store fails
// instead of hanging; it is not a performance goal.
const hangGuard = 2 * time.Minute

func pause(ctx context.Context) error {
	t := time.NewTimer(5 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

var occurred = time.Date(2024, 3, 1, 9, 30, 0, 123456789, time.UTC)

// NewEvent returns an event with a fresh id, a fixed occurred-at and a
// string payload, for tests.
func NewEvent(payload string) eventstore.Event {
	return eventstore.Event{
		Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: occurred},
		Payload:  wrapperspb.String(payload),
	}
}

func events(n int, prefix string) []eventstore.Event {
	out := make([]eventstore.Event, n)
	for i := range out {
		out[i] = NewEvent(fmt.Sprintf("%s-%d", prefix, i))
	}
	return out
}

func stream(id string) eventstore.StreamID {
	return eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: id}
}

func mustAppend(t testing.TB, s Store, st eventstore.StreamID, expected eventstore.ExpectedVersion, evs []eventstore.Event) []eventstore.Event {
	t.Helper()
	out, err := s.Append(context.Background(), st, expected, evs)
	if err != nil {
		t.Fatalf("Append(%s, %s): %v", st, expected, err)
	}
	return out
}

// stored compares events as read back: everything but the payload pointer
// identity.
var stored = cmp.Options{protocmp.Transform(), cmpopts.EquateEmpty()}

func testAppendAndRead(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	st := stream("INV-1")
	in := events(3, "a")
	in[0].CausationID, in[0].CorrelationID, in[0].Actor = "cmd-1", "corr-1", "user:jane"
	in[0].TraceParent, in[0].TraceState = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "vendor=x"
	out := mustAppend(t, s, st, eventstore.NoStream, in)
	if len(out) != 3 {
		t.Fatalf("Append returned %d events, want 3", len(out))
	}
	for i, ev := range out {
		if ev.Version != int64(i+1) || ev.Stream != st || ev.Type != "google.protobuf.StringValue" {
			t.Errorf("event %d: version %d stream %s type %q, want %d %s google.protobuf.StringValue", i, ev.Version, ev.Stream, ev.Type, i+1, st)
		}
		if ev.RecordedAt.IsZero() || ev.Position == 0 || len(ev.ContentHash) != 32 || len(ev.ChainHash) != 32 {
			t.Errorf("event %d: store-set fields missing: %+v", i, ev.Envelope)
		}
		if !ev.OccurredAt.Equal(occurred.Truncate(time.Microsecond)) {
			t.Errorf("event %d: occurred-at %v, want %v truncated to microseconds", i, ev.OccurredAt, occurred)
		}
		if i > 0 && !out[i-1].Cursor.Less(ev.Cursor) {
			t.Errorf("event %d: cursor %v not after %v", i, ev.Cursor, out[i-1].Cursor)
		}
	}
	got, err := s.ReadStream(ctx, st, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out, got, stored); diff != "" {
		t.Errorf("ReadStream differs from Append result (-appended +read):\n%s", diff)
	}
	got, err = s.ReadStream(ctx, st, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out[1:2], got, stored); diff != "" {
		t.Errorf("ReadStream(from 2, limit 1) (-want +got):\n%s", diff)
	}
	if got, err := s.ReadStream(ctx, stream("none"), 1, 0); err != nil || len(got) != 0 {
		t.Errorf("ReadStream of unknown stream = %d events, %v; want none", len(got), err)
	}
}

func testExpectedVersion(t *testing.T, h Harness) {
	s := h.New(t)
	st := stream("INV-2")
	mustAppend(t, s, st, eventstore.NoStream, events(2, "x"))
	tests := []struct {
		name     string
		expected eventstore.ExpectedVersion
		wantErr  bool
	}{
		{"no stream on existing stream", eventstore.NoStream, true},
		{"behind", 1, true},
		{"ahead", 5, true},
		{"exact", 2, false},
		{"any", eventstore.AnyVersion, false},
	}
	version := int64(2)
	for _, tc := range tests {
		_, err := s.Append(context.Background(), st, tc.expected, events(1, tc.name))
		if !tc.wantErr {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			version++
			continue
		}
		var ce *eventstore.ConflictError
		if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrVersionConflict) {
			t.Errorf("%s: error %v, want *ConflictError wrapping ErrVersionConflict", tc.name, err)
			continue
		}
		want := eventstore.ConflictError{Stream: st, Expected: tc.expected, Actual: version}
		if diff := cmp.Diff(want, *ce); diff != "" {
			t.Errorf("%s: conflict (-want +got):\n%s", tc.name, diff)
		}
	}
}

func testConcurrentWriters(t *testing.T, h Harness) {
	s := h.New(t)
	st := stream("INV-race")
	const writers, rounds = 16, 5
	for round := range rounds {
		expected := eventstore.ExpectedVersion(round)
		var wg sync.WaitGroup
		errs := make([]error, writers)
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				_, errs[w] = s.Append(context.Background(), st, expected, events(2, fmt.Sprintf("r%dw%d", round, w))[:1])
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for w, err := range errs {
			if err == nil {
				wins++
				continue
			}
			var ce *eventstore.ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("round %d writer %d: %v, want *ConflictError", round, w, err)
			}
			want := eventstore.ConflictError{Stream: st, Expected: expected, Actual: int64(round + 1)}
			if diff := cmp.Diff(want, *ce); diff != "" {
				t.Errorf("round %d writer %d conflict (-want +got):\n%s", round, w, diff)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d writers won, want exactly 1", round, wins)
		}
	}
	got, err := s.ReadStream(context.Background(), st, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != rounds {
		t.Errorf("stream has %d events, want %d", len(got), rounds)
	}
}

func testConcurrentAny(t *testing.T, h Harness) {
	s := h.New(t)
	st := stream("INV-any")
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := s.Append(context.Background(), st, eventstore.AnyVersion, events(1, fmt.Sprintf("w%d-%d", w, i))); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("AnyVersion append: %v", err)
	}
	got, err := s.ReadStream(context.Background(), st, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range got {
		if ev.Version != int64(i+1) {
			t.Fatalf("event %d has version %d: versions must be gapless", i, ev.Version)
		}
	}
	if len(got) != writers*each {
		t.Errorf("stream has %d events, want %d", len(got), writers*each)
	}
	rep, err := s.Verify(context.Background())
	if err != nil || !rep.OK() {
		t.Errorf("Verify after concurrent appends: %+v, %v", rep, err)
	}
}

func testIdempotency(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	st := stream("INV-idem")
	in := events(2, "i")
	first := mustAppend(t, s, st, eventstore.NoStream, in)

	// Same ids, same content, stale expected version and another trace:
	// a no-op that returns the originals.
	retry := append([]eventstore.Event(nil), in...)
	retry[0].TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	again, err := s.Append(ctx, st, eventstore.NoStream, retry)
	if err != nil {
		t.Fatalf("retry of stored events: %v", err)
	}
	if diff := cmp.Diff(first, again, stored); diff != "" {
		t.Errorf("retry result differs from original (-original +retry):\n%s", diff)
	}
	if got, _ := s.ReadStream(ctx, st, 1, 0); len(got) != 2 {
		t.Errorf("stream has %d events after retry, want 2", len(got))
	}

	// Same id, different content.
	changed := in[1]
	changed.Payload = wrapperspb.String("tampered")
	_, err = s.Append(ctx, st, eventstore.AnyVersion, []eventstore.Event{changed})
	var me *eventstore.ContentMismatchError
	if !errors.As(err, &me) || !errors.Is(err, eventstore.ErrContentMismatch) {
		t.Fatalf("same id, other content: %v, want *ContentMismatchError", err)
	}
	prep, err := eventstore.Prepare(st, []eventstore.Event{changed})
	if err != nil {
		t.Fatal(err)
	}
	want := eventstore.ContentMismatchError{EventID: in[1].EventID, StoredHash: first[1].ContentHash, AppendedHash: prep[0].ContentHash}
	if diff := cmp.Diff(want, *me); diff != "" {
		t.Errorf("mismatch error (-want +got):\n%s", diff)
	}

	// Same id in another stream is other content too.
	_, err = s.Append(ctx, stream("INV-other"), eventstore.AnyVersion, in[:1])
	if !errors.Is(err, eventstore.ErrContentMismatch) {
		t.Errorf("same event in another stream: %v, want ErrContentMismatch", err)
	}

	// Some stored, some new, in either order.
	_, err = s.Append(ctx, st, eventstore.AnyVersion, []eventstore.Event{in[0], NewEvent("new")})
	if !errors.Is(err, eventstore.ErrPartialDuplicate) {
		t.Errorf("partly stored batch: %v, want ErrPartialDuplicate", err)
	}
	_, err = s.Append(ctx, st, eventstore.AnyVersion, []eventstore.Event{NewEvent("new"), in[0]})
	if !errors.Is(err, eventstore.ErrPartialDuplicate) {
		t.Errorf("partly stored batch, the stored event last: %v, want ErrPartialDuplicate", err)
	}
	if got, _ := s.ReadStream(ctx, st, 1, 0); len(got) != 2 {
		t.Errorf("stream has %d events after rejected appends, want 2", len(got))
	}
}

// invoiceJSON is one payload as a shop might send it in protojson; the
// binary form below encodes the same message with fields in another order.
const invoiceJSON = `{"invoice":"INV-7","lines":[{"sku":"A","qty":2}],"total":{"currency":"EUR","minor_units":"1999"},"customer":"D-1"}`

func testIdempotencyAcrossEncodings(t *testing.T, h Harness) {
	fromJSON := &structpb.Struct{}
	if err := protojson.Unmarshal([]byte(invoiceJSON), fromJSON); err != nil {
		t.Fatal(err)
	}
	// Marshal non-deterministically (map order is random) and decode
	// again, as if the message had arrived as protobuf bytes.
	var wire []byte
	for range 5 {
		b, err := proto.Marshal(fromJSON)
		if err != nil {
			t.Fatal(err)
		}
		wire = b
	}
	fromBinary := &structpb.Struct{}
	if err := proto.Unmarshal(wire, fromBinary); err != nil {
		t.Fatal(err)
	}
	s := h.New(t)
	st := stream("INV-7")
	ev := NewEvent("")
	ev.Payload = fromJSON
	first := mustAppend(t, s, st, eventstore.NoStream, []eventstore.Event{ev})
	ev.Payload = fromBinary
	again, err := s.Append(context.Background(), st, eventstore.NoStream, []eventstore.Event{ev})
	if err != nil {
		t.Fatalf("same invoice decoded from binary after JSON: %v", err)
	}
	if diff := cmp.Diff(first, again, stored); diff != "" {
		t.Errorf("binary-decoded retry is not a no-op (-json +binary):\n%s", diff)
	}
}

func testInvalid(t *testing.T, h Harness) {
	s := h.New(t)
	dup := NewEvent("dup")
	tests := []struct {
		name   string
		stream eventstore.StreamID
		events []eventstore.Event
	}{
		{"no events", stream("a"), nil},
		{"no tenant", eventstore.StreamID{Type: "invoice", ID: "1"}, events(1, "x")},
		{"no stream id", eventstore.StreamID{Tenant: "acme", Type: "invoice"}, events(1, "x")},
		{"no event id", stream("a"), []eventstore.Event{{Envelope: eventstore.Envelope{OccurredAt: occurred}, Payload: wrapperspb.String("x")}}},
		{"no payload", stream("a"), []eventstore.Event{{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: occurred}}}},
		{"no occurred-at", stream("a"), []eventstore.Event{{Envelope: eventstore.Envelope{EventID: uuid.New()}, Payload: wrapperspb.String("x")}}},
		{"duplicate id in batch", stream("a"), []eventstore.Event{dup, dup}},
	}
	for _, tc := range tests {
		if _, err := s.Append(context.Background(), tc.stream, eventstore.AnyVersion, tc.events); !errors.Is(err, eventstore.ErrInvalidEvent) {
			t.Errorf("%s: %v, want ErrInvalidEvent", tc.name, err)
		}
	}
}

func testReadAll(t *testing.T, h Harness) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	s := h.New(t)
	var want []eventstore.Event
	for i := range 4 {
		want = append(want, mustAppend(t, s, stream(fmt.Sprint("S", i%2)), eventstore.AnyVersion, events(i+1, fmt.Sprint("b", i)))...)
	}
	var got []eventstore.Event
	var c eventstore.Cursor
	for page := 0; len(got) < len(want); page++ {
		evs, next, err := s.ReadAll(ctx, c, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			// A store may hold back committed events while older
			// transactions are in flight (PostgreSQL's horizon is
			// cluster-wide); they must show up on a later read.
			if next != c {
				t.Errorf("empty page moved the cursor from %v to %v", c, next)
			}
			if err := pause(ctx); err != nil {
				t.Fatalf("after %d of %d events: %v", len(got), len(want), err)
			}
			continue
		}
		if len(evs) > 3 {
			t.Fatalf("page %d has %d events, limit 3", page, len(evs))
		}
		if next != evs[len(evs)-1].Cursor {
			t.Errorf("page %d: next cursor %v, want last event's %v", page, next, evs[len(evs)-1].Cursor)
		}
		got = append(got, evs...)
		c = next
	}
	if evs, next, err := s.ReadAll(ctx, c, 3); err != nil || len(evs) != 0 || next != c {
		t.Errorf("ReadAll after the last event = %d events, cursor %v, %v; want none, %v", len(evs), next, err, c)
	}
	if diff := cmp.Diff(want, got, stored); diff != "" {
		t.Errorf("ReadAll pages differ from appends in commit order (-want +got):\n%s", diff)
	}
}

func testVerify(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	var victim eventstore.Event
	for i := range 3 {
		out := mustAppend(t, s, stream(fmt.Sprint("V", i)), eventstore.NoStream, events(4, fmt.Sprint("v", i)))
		if i == 1 {
			victim = out[2]
		}
	}
	rep, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(eventstore.Report{Streams: 3, Events: 12}, rep, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("Verify of untouched store (-want +got):\n%s", diff)
	}

	forged, err := proto.Marshal(wrapperspb.String("forged"))
	if err != nil {
		t.Fatal(err)
	}
	h.Tamper(t, s, victim.EventID, forged)
	rep, err = s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ev := victim
	ev.Data = forged
	want := eventstore.Report{Streams: 3, Events: 12, Broken: []eventstore.BrokenLink{{
		Stream: victim.Stream, Version: 3, EventID: victim.EventID, Field: "content_hash",
		Expected: fmt.Sprintf("%x", eventstore.ContentHash(&ev)), Stored: fmt.Sprintf("%x", victim.ContentHash),
	}}}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("Verify after tampering (-want +got):\n%s", diff)
	}
}

func testCheckpoints(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	if c, err := s.Checkpoint(ctx, "p"); err != nil || c != (eventstore.Cursor{}) {
		t.Fatalf("Checkpoint of unknown name = %v, %v; want zero cursor", c, err)
	}
	for _, c := range []eventstore.Cursor{{TxID: 7, Position: 3}, {TxID: 9, Position: 2}} {
		if err := s.SaveCheckpoint(ctx, "p", c); err != nil {
			t.Fatal(err)
		}
		got, err := s.Checkpoint(ctx, "p")
		if err != nil || got != c {
			t.Errorf("Checkpoint after saving %v = %v, %v", c, got, err)
		}
	}
}

func testProjection(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	all := mustAppend(t, s, stream("P"), eventstore.NoStream, events(7, "p"))
	errBoom := errors.New("boom")
	var seen []uuid.UUID
	// Batches of 3: the first batch commits, the second fails at its
	// second event.
	n, err := h.CatchUp(ctx, s, "proj", 3, func(_ context.Context, ev eventstore.Event) error {
		if ev.EventID == all[4].EventID {
			return errBoom
		}
		seen = append(seen, ev.EventID)
		return nil
	})
	if !errors.Is(err, errBoom) || n != 3 {
		t.Fatalf("CatchUp with failing handler = %d, %v; want 3, boom", n, err)
	}
	c, err := s.Checkpoint(ctx, "proj")
	if err != nil || c != all[2].Cursor {
		t.Fatalf("checkpoint after failure = %v, %v; want %v (end of the committed batch)", c, err, all[2].Cursor)
	}
	seen = nil
	n, err = h.CatchUp(ctx, s, "proj", 3, func(_ context.Context, ev eventstore.Event) error {
		seen = append(seen, ev.EventID)
		return nil
	})
	if err != nil || n != 4 {
		t.Fatalf("CatchUp after fix = %d, %v; want 4", n, err)
	}
	var want []uuid.UUID
	for _, ev := range all[3:] {
		want = append(want, ev.EventID)
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("events redelivered after failure (-want +got):\n%s", diff)
	}
	if c, _ := s.Checkpoint(ctx, "proj"); c != all[6].Cursor {
		t.Errorf("final checkpoint %v, want %v", c, all[6].Cursor)
	}
}

// outcome names a GroupResult for comparison: "ok", "replay" or the
// sentinel its error wraps.
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

func testAppendBatch(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.New(t)
	old := mustAppend(t, s, stream("old"), eventstore.NoStream, events(1, "old"))[0]
	again := NewEvent("old-0")
	again.EventID = old.EventID
	changed := NewEvent("other content")
	changed.EventID = old.EventID
	shared := NewEvent("shared")
	sharedChanged := NewEvent("shared, changed")
	sharedChanged.EventID = shared.EventID
	partial := events(1, "partial")
	mustAppend(t, s, stream("partial"), eventstore.NoStream, partial)

	groups := []eventstore.AppendGroup{
		// 0: an entry and an item on a debtor stream, atomically.
		{{Stream: stream("e1"), Expected: eventstore.NoStream, Events: events(1, "e1")},
			{Stream: stream("debtor"), Expected: eventstore.AnyVersion, Events: events(1, "item 1")}},
		// 1: the stored event again: a replay.
		{{Stream: stream("old"), Expected: eventstore.NoStream, Events: []eventstore.Event{again}}},
		// 2: its id with other content.
		{{Stream: stream("old"), Expected: eventstore.NoStream, Events: []eventstore.Event{changed}}},
		// 3: a stream that exists already, with NoStream.
		{{Stream: stream("old"), Expected: eventstore.NoStream, Events: events(1, "late")}},
		// 4: the debtor stream again, after group 0.
		{{Stream: stream("debtor"), Expected: 1, Events: events(1, "item 2")}},
		// 5: no events.
		{{Stream: stream("empty"), Expected: eventstore.NoStream}},
		// 6, 7, 8: one event id three times in one batch.
		{{Stream: stream("s"), Expected: eventstore.NoStream, Events: []eventstore.Event{shared}}},
		{{Stream: stream("s"), Expected: eventstore.NoStream, Events: []eventstore.Event{shared}}},
		{{Stream: stream("s"), Expected: eventstore.NoStream, Events: []eventstore.Event{sharedChanged}}},
		// 9: a stored event and a new one.
		{{Stream: stream("partial"), Expected: eventstore.AnyVersion, Events: append(partial, NewEvent("new"))}},
		// 10: a good stream and a stale one: neither is stored.
		{{Stream: stream("atomic"), Expected: eventstore.NoStream, Events: events(1, "atomic")},
			{Stream: stream("debtor"), Expected: 0, Events: events(1, "stale")}},
	}
	res, err := s.AppendBatch(ctx, groups)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(res))
	for i, r := range res {
		got[i] = outcome(r)
	}
	want := []string{"ok", "replay", "mismatch", "conflict", "ok", "invalid", "ok", "replay", "mismatch", "partial", "conflict"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if v := res[4].Events[0][0].Version; v != 2 {
		t.Errorf("second item has version %d, want 2", v)
	}
	if p := res[1].Events[0][0].Position; p != old.Position {
		t.Errorf("replay returned position %d, want the stored %d", p, old.Position)
	}
	if a, b := res[0].Events[0][0].Cursor.TxID, res[0].Events[1][0].Cursor.TxID; a != b {
		t.Errorf("the two streams of group 0 were written by transactions %d and %d, want one", a, b)
	}
	for _, st := range []eventstore.StreamID{stream("atomic"), stream("empty")} {
		if evs, err := s.ReadStream(ctx, st, 1, 0); err != nil || len(evs) != 0 {
			t.Errorf("%s has %d events, %v; want none", st, len(evs), err)
		}
	}
	debtor, err := s.ReadStream(ctx, stream("debtor"), 1, 0)
	if err != nil || len(debtor) != 2 {
		t.Errorf("debtor stream has %d events, %v; want 2", len(debtor), err)
	}
	if rep, err := s.Verify(ctx); err != nil || !rep.OK() {
		t.Errorf("Verify = %+v, %v; want intact chains", rep, err)
	}
}
