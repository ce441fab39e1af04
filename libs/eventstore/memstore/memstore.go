// Package memstore is an in-memory event store for domain tests. It follows
// the same contract as the PostgreSQL store in package eventstore (the
// storetest suite runs against both): optimistic concurrency per stream,
// idempotent appends by event id and content hash, atomic groups of appends
// to several streams (AppendBatch), hash chains, an ordered log read with
// cursors, and checkpoints. Nothing is persisted, and a projection's read
// model is the caller's memory, which a failing batch does not roll back
// (only the checkpoint stays where it was).
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
	"github.com/o2c-platform/o2c/libs/eventstore/es"
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
	g, err := prepareGroup(eventstore.AppendGroup{{Stream: stream, Expected: expected, Events: events}})
	if err != nil {
		return nil, err
	}
	stampTrace(ctx, g)
	s.mu.Lock()
	defer s.mu.Unlock()
	out, _, err := s.appendGroup(g)
	if err != nil {
		return nil, fmt.Errorf("append to %s: %w", stream, err)
	}
	return out[0], nil
}

// AppendBatch stores each group atomically and on its own, in order, as
// eventstore.Store.AppendBatch does: a group's result is that of appending
// it after every earlier group of the call, and a group that fails (its
// GroupResult.Err) does not fail the others. The returned error is the
// context's.
func (s *Store) AppendBatch(ctx context.Context, groups []eventstore.AppendGroup) ([]eventstore.GroupResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("append batch: %w", err)
	}
	res := make([]eventstore.GroupResult, len(groups))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, g := range groups {
		pg, err := prepareGroup(g)
		if err != nil {
			res[i].Err = err
			continue
		}
		stampTrace(ctx, pg)
		out, replayed, err := s.appendGroup(pg)
		if err != nil {
			res[i].Err = fmt.Errorf("append batch: %w", err)
			continue
		}
		res[i] = eventstore.GroupResult{Events: out, Replayed: replayed}
	}
	return res, nil
}

// prepareGroup validates a group and computes its events' content hashes.
func prepareGroup(g eventstore.AppendGroup) (eventstore.AppendGroup, error) {
	if len(g) == 0 {
		return nil, fmt.Errorf("%w: empty append group", eventstore.ErrInvalidEvent)
	}
	out := make(eventstore.AppendGroup, len(g))
	streams := make(map[eventstore.StreamID]bool, len(g))
	ids := make(map[uuid.UUID]bool)
	for i, a := range g {
		if streams[a.Stream] {
			return nil, fmt.Errorf("%w: stream %s appears twice in one group", eventstore.ErrInvalidEvent, a.Stream)
		}
		streams[a.Stream] = true
		if a.Expected < eventstore.AnyVersion {
			return nil, fmt.Errorf("%w: expected version %d", eventstore.ErrInvalidEvent, a.Expected)
		}
		evs, err := eventstore.Prepare(a.Stream, a.Events)
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			if ids[ev.EventID] {
				return nil, fmt.Errorf("%w: event id %s appears twice in one group", eventstore.ErrInvalidEvent, ev.EventID)
			}
			ids[ev.EventID] = true
		}
		out[i] = eventstore.StreamAppend{Stream: a.Stream, Expected: a.Expected, Events: evs}
	}
	return out, nil
}

// appendGroup stores a prepared group with s.mu held: all of its events in
// one transaction, or, when every event id is stored with the same
// content, nothing (replayed). It returns the stored events per append.
func (s *Store) appendGroup(g eventstore.AppendGroup) (_ [][]eventstore.Event, replayed bool, _ error) {
	out := make([][]eventstore.Event, len(g))
	some, all := false, true
	for k, a := range g {
		for _, ev := range a.Events {
			i, ok := s.byID[ev.EventID]
			if !ok {
				all = false
				continue
			}
			some = true
			old := s.log[i]
			if !bytes.Equal(old.ContentHash, ev.ContentHash) {
				return nil, false, &eventstore.ContentMismatchError{EventID: ev.EventID, StoredHash: old.ContentHash, AppendedHash: ev.ContentHash}
			}
			out[k] = append(out[k], clone(old))
		}
	}
	switch {
	case some && all:
		return out, true, nil
	case some:
		return nil, false, eventstore.ErrPartialDuplicate
	}
	for _, a := range g {
		if v := int64(len(s.streams[a.Stream])); a.Expected != eventstore.AnyVersion && int64(a.Expected) != v {
			return nil, false, &eventstore.ConflictError{Stream: a.Stream, Expected: a.Expected, Actual: v}
		}
	}
	s.tx++
	now := s.now().UTC().Truncate(time.Microsecond)
	for k, a := range g {
		idx := s.streams[a.Stream]
		version := int64(len(idx))
		var prev []byte
		if version > 0 {
			prev = s.log[idx[len(idx)-1]].ChainHash
		}
		out[k] = make([]eventstore.Event, len(a.Events))
		for j, ev := range a.Events {
			version++
			ev.Version = version
			ev.Position = int64(len(s.log) + 1)
			ev.Cursor = eventstore.Cursor{TxID: s.tx, Position: ev.Position}
			ev.RecordedAt = now
			ev.ChainHash = eventstore.ChainHash(prev, ev.ContentHash, a.Stream, version)
			ev.Payload = proto.Clone(ev.Payload)
			prev = ev.ChainHash
			s.byID[ev.EventID] = len(s.log)
			s.streams[a.Stream] = append(s.streams[a.Stream], len(s.log))
			s.log = append(s.log, ev)
			out[k][j] = clone(ev)
		}
	}
	return out, false, nil
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

// stampTrace gives the events of g that carry no trace context the W3C
// trace context of the span in ctx, as eventstore.Store.Append does.
func stampTrace(ctx context.Context, g eventstore.AppendGroup) {
	parent, state := es.TraceContext(ctx)
	if parent == "" {
		return
	}
	for _, a := range g {
		for i := range a.Events {
			if a.Events[i].TraceParent == "" {
				a.Events[i].TraceParent, a.Events[i].TraceState = parent, state
			}
		}
	}
}
