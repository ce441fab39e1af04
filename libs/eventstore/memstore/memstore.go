// Package memstore is an in-memory event store for domain tests. It follows
// the same contract as the PostgreSQL store in package eventstore (the
// storetest suite runs against both): optimistic concurrency per stream,
// idempotent appends by event id and content hash, hash chains, an ordered
// log read with cursors, and checkpoints. Nothing is persisted, and a
// projection's read model is the caller's memory, which a failing batch does
// not roll back (only the checkpoint stays where it was).
package memstore

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// Store is an in-memory event store. The zero value is not usable; call New.
// A Store is safe for concurrent use.
type Store struct {
	now func() time.Time

	mu          sync.Mutex
	log         []eventstore.Event // in commit order
	byID        map[uuid.UUID]int  // index into log
	streams     map[eventstore.StreamID][]int
	checkpoints map[string]eventstore.Cursor
	tx          uint64
}

// New returns an empty store. now supplies RecordedAt; nil means time.Now.
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{
		now:         now,
		byID:        make(map[uuid.UUID]int),
		streams:     make(map[eventstore.StreamID][]int),
		checkpoints: make(map[string]eventstore.Cursor),
	}
}

// Append writes events to the end of stream if the stream is at version
// expected (or any version for eventstore.AnyVersion), atomically. It
// returns the stored events. An append whose event ids are all stored with
// the same content returns the stored events and writes nothing; see
// eventstore.Store.Append for the errors.
func (s *Store) Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events []eventstore.Event) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prepared, err := eventstore.Prepare(stream, events)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	var stored []eventstore.Event
	for _, ev := range prepared {
		i, ok := s.byID[ev.EventID]
		if !ok {
			continue
		}
		old := s.log[i]
		if !bytes.Equal(old.ContentHash, ev.ContentHash) {
			return nil, fmt.Errorf("append to %s: %w", stream, &eventstore.ContentMismatchError{EventID: ev.EventID, StoredHash: old.ContentHash, AppendedHash: ev.ContentHash})
		}
		stored = append(stored, clone(old))
	}
	if len(stored) == len(prepared) {
		return stored, nil
	}
	if len(stored) > 0 {
		return nil, fmt.Errorf("append to %s: %w", stream, eventstore.ErrPartialDuplicate)
	}

	idx := s.streams[stream]
	version := int64(len(idx))
	if expected != eventstore.AnyVersion && int64(expected) != version {
		return nil, fmt.Errorf("append: %w", &eventstore.ConflictError{Stream: stream, Expected: expected, Actual: version})
	}
	var prev []byte
	if version > 0 {
		prev = s.log[idx[len(idx)-1]].ChainHash
	}
	s.tx++
	now := s.now().UTC().Truncate(time.Microsecond)
	out := make([]eventstore.Event, len(prepared))
	for i, ev := range prepared {
		version++
		ev.Version = version
		ev.Position = int64(len(s.log) + 1)
		ev.Cursor = eventstore.Cursor{TxID: s.tx, Position: ev.Position}
		ev.RecordedAt = now
		ev.ChainHash = eventstore.ChainHash(prev, ev.ContentHash, stream, version)
		ev.Payload = proto.Clone(ev.Payload)
		prev = ev.ChainHash
		s.byID[ev.EventID] = len(s.log)
		s.streams[stream] = append(s.streams[stream], len(s.log))
		s.log = append(s.log, ev)
		out[i] = clone(ev)
	}
	return out, nil
}

// ReadStream returns up to limit events of stream with version >= from, by
// version. limit <= 0 means no limit.
func (s *Store) ReadStream(ctx context.Context, stream eventstore.StreamID, from int64, limit int) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []eventstore.Event
	for _, i := range s.streams[stream] {
		if s.log[i].Version < from {
			continue
		}
		if limit > 0 && len(out) == limit {
			break
		}
		out = append(out, clone(s.log[i]))
	}
	return out, nil
}

// ReadAll returns up to limit events after the cursor in log order and the
// cursor of the last one returned (after itself when none). limit <= 0
// means no limit. Appends are atomic here, so no event is ever in flight.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Cursor, limit int) ([]eventstore.Event, eventstore.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return nil, after, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	start, _ := slices.BinarySearchFunc(s.log, after, func(ev eventstore.Event, c eventstore.Cursor) int {
		switch {
		case ev.Cursor.Less(c):
			return -1
		case c.Less(ev.Cursor):
			return 1
		}
		return 0
	})
	for start < len(s.log) && !after.Less(s.log[start].Cursor) {
		start++
	}
	end := len(s.log)
	if limit > 0 && start+limit < end {
		end = start + limit
	}
	out := make([]eventstore.Event, 0, end-start)
	for _, ev := range s.log[start:end] {
		out = append(out, clone(ev))
	}
	if len(out) > 0 {
		after = out[len(out)-1].Cursor
	}
	return out, after, nil
}

// Verify recomputes the hash chain of every stream.
func (s *Store) Verify(ctx context.Context) (eventstore.Report, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Report{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]eventstore.StreamID, 0, len(s.streams))
	for k := range s.streams {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareStreams)
	var v eventstore.Verifier
	for _, k := range keys {
		for _, i := range s.streams[k] {
			v.Add(&s.log[i])
		}
	}
	return v.Report(), nil
}

// Checkpoint returns the saved cursor of name, the zero cursor if none.
func (s *Store) Checkpoint(ctx context.Context, name string) (eventstore.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Cursor{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkpoints[name], nil
}

// SaveCheckpoint stores the cursor of name.
func (s *Store) SaveCheckpoint(ctx context.Context, name string, c eventstore.Cursor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkpoints[name] = c
	return nil
}

// CatchUp applies handle to every event after the checkpoint of name in
// batches of batchSize (<= 0 means 500) and advances the checkpoint after
// each batch that handle accepted completely. When handle fails, the
// checkpoint stays before the batch, so the batch is delivered again on the
// next call. It returns the number of events in completed batches.
func (s *Store) CatchUp(ctx context.Context, name string, batchSize int, handle func(context.Context, eventstore.Event) error) (int, error) {
	if batchSize <= 0 {
		batchSize = 500
	}
	n := 0
	for {
		from, err := s.Checkpoint(ctx, name)
		if err != nil {
			return n, err
		}
		evs, next, err := s.ReadAll(ctx, from, batchSize)
		if err != nil {
			return n, err
		}
		if len(evs) == 0 {
			return n, nil
		}
		for _, ev := range evs {
			if err := handle(ctx, ev); err != nil {
				return n, fmt.Errorf("projection %s: event %s (stream %s version %d): %w", name, ev.EventID, ev.Stream, ev.Version, err)
			}
		}
		if err := s.SaveCheckpoint(ctx, name, next); err != nil {
			return n, err
		}
		n += len(evs)
	}
}

func clone(ev eventstore.Event) eventstore.Event {
	ev.Payload = proto.Clone(ev.Payload)
	ev.Data = slices.Clone(ev.Data)
	ev.ContentHash = slices.Clone(ev.ContentHash)
	ev.ChainHash = slices.Clone(ev.ChainHash)
	return ev
}

func compareStreams(a, b eventstore.StreamID) int {
	return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Type, b.Type), cmp.Compare(a.ID, b.ID))
}
