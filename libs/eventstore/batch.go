package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// AppendBatch stores many independent groups with as few commits as it can:
// the groups that pass their checks are written by one multi-row INSERT,
// which is one transaction and one WAL flush for all of them. Each group is
// decided on its own, exactly as Append decides one append (idempotency by
// event id, optimistic concurrency per stream), and a group that fails does
// not fail the others. Groups that touch a stream or event id an earlier
// group of the same call also touches are written in a later round, after
// the earlier one committed, so the results are those of appending the
// groups one after another in order. When a round's INSERT fails with
// anything but a lost race, its groups are retried one by one, so that the
// error lands on the group that causes it.
//
// The returned error is for the call as a whole (the context ended or a
// round could not be read); it leaves the results unset.
//
// Events without TraceParent get the trace context of the span in ctx, as
// with Append.
func (s *Store) AppendBatch(ctx context.Context, groups []AppendGroup) ([]GroupResult, error) {
	return s.appendBatch(ctx, groups, nil)
}

// With queues, into b, statements that belong with the groups of
// AppendBatchWith that a round writes (their indexes in the call's
// groups, in order). They run after the round's INSERT in its
// transaction: they commit with those groups' events or not at all. They
// must not fail with a unique violation (use ON CONFLICT), which the
// round would take for a lost race; any other failure is one of the
// round's INSERT (the groups are then retried one by one). With may be
// called more than once for a group, once per attempt to write it.
type With func(written []int, b *pgx.Batch)

// AppendBatchWith is AppendBatch that also runs the statements with
// queues for the groups each round writes, in the same transaction (one
// round trip and one commit for the events and, say, a read model the
// caller keeps beside them). Groups decided without writing (replays,
// conflicts) get no statements.
func (s *Store) AppendBatchWith(ctx context.Context, groups []AppendGroup, with With) ([]GroupResult, error) {
	return s.appendBatch(ctx, groups, with)
}

func (s *Store) appendBatch(ctx context.Context, groups []AppendGroup, with With) ([]GroupResult, error) {
	res := make([]GroupResult, len(groups))
	prepared := make([]AppendGroup, len(groups))
	var pending []int
	for i, g := range groups {
		pg, err := prepareGroup(g)
		if err != nil {
			res[i].Err = err
			continue
		}
		for _, a := range pg {
			stampTrace(ctx, a.Events)
		}
		prepared[i] = pg
		pending = append(pending, i)
	}
	isolate := false
	races := 0
	for len(pending) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("append batch: %w", err)
		}
		round, deferred := splitRound(prepared, pending, isolate)
		raced, err := s.appendRound(ctx, prepared, round, res, with)
		switch {
		case err != nil && len(round) > 1:
			// Find the group that fails by retrying one at a time.
			isolate = true
			deferred = append(round, deferred...)
		case err != nil:
			res[round[0]].Err = fmt.Errorf("append batch: %w", err)
		case raced:
			races++
			if races >= maxAppendAttempts {
				for _, i := range append(round, deferred...) {
					res[i].Err = fmt.Errorf("append batch: lost %d races with concurrent appends", races)
				}
				return res, nil
			}
			deferred = append(round, deferred...)
		}
		pending = deferred
	}
	return res, nil
}

// prepareGroup validates a group and computes its events' content hashes.
func prepareGroup(g AppendGroup) (AppendGroup, error) {
	if len(g) == 0 {
		return nil, fmt.Errorf("%w: empty append group", ErrInvalidEvent)
	}
	out := make(AppendGroup, len(g))
	if len(g) == 1 {
		// One stream: Prepare checks its event ids (the common case of a
		// write path that gives each entry a stream of its own).
		a := g[0]
		if a.Expected < AnyVersion {
			return nil, fmt.Errorf("%w: expected version %d", ErrInvalidEvent, a.Expected)
		}
		evs, err := Prepare(a.Stream, a.Events)
		if err != nil {
			return nil, err
		}
		out[0] = StreamAppend{Stream: a.Stream, Expected: a.Expected, Events: evs}
		return out, nil
	}
	streams := make(map[StreamID]bool, len(g))
	ids := make(map[uuid.UUID]bool)
	for i, a := range g {
		if streams[a.Stream] {
			return nil, fmt.Errorf("%w: stream %s appears twice in one group", ErrInvalidEvent, a.Stream)
		}
		streams[a.Stream] = true
		if a.Expected < AnyVersion {
			return nil, fmt.Errorf("%w: expected version %d", ErrInvalidEvent, a.Expected)
		}
		evs, err := Prepare(a.Stream, a.Events)
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			if ids[ev.EventID] {
				return nil, fmt.Errorf("%w: event id %s appears twice in one group", ErrInvalidEvent, ev.EventID)
			}
			ids[ev.EventID] = true
		}
		out[i] = StreamAppend{Stream: a.Stream, Expected: a.Expected, Events: evs}
	}
	return out, nil
}

// splitRound picks the groups of pending that share no stream and no event
// id with an earlier pick; the rest wait for a later round. In isolate mode
// a round is a single group.
func splitRound(groups []AppendGroup, pending []int, isolate bool) (round, deferred []int) {
	if isolate {
		return pending[:1], pending[1:]
	}
	streams := make(map[StreamID]bool, len(pending))
	ids := make(map[uuid.UUID]bool, len(pending))
	for _, i := range pending {
		clash := false
		for _, a := range groups[i] {
			if streams[a.Stream] {
				clash = true
			}
			for _, ev := range a.Events {
				if ids[ev.EventID] {
					clash = true
				}
			}
		}
		if clash {
			deferred = append(deferred, i)
			continue
		}
		for _, a := range groups[i] {
			streams[a.Stream] = true
			for _, ev := range a.Events {
				ids[ev.EventID] = true
			}
		}
		round = append(round, i)
	}
	return round, deferred
}

type streamHead struct {
	version int64
	chain   []byte
}

// appendRound decides and writes one round. raced reports that the INSERT
// lost a race with a concurrent writer (a unique violation): nothing was
// written and the round should be decided again. Groups decided without
// writing (replays, conflicts) get their results even then.
func (s *Store) appendRound(ctx context.Context, groups []AppendGroup, round []int, res []GroupResult, with With) (raced bool, _ error) {
	if fresh, err := s.appendFresh(ctx, groups, round, res, with); fresh || err != nil {
		return false, err
	}
	heads, stored, err := s.lookUp(ctx, groups, round)
	if err != nil {
		return false, err
	}
	ins := newInsertRows(countEvents(groups, round))
	var writing []int
	for _, gi := range round {
		g := groups[gi]
		if r, done := decideStored(g, stored); done {
			res[gi] = r
			continue
		}
		out := make([][]Event, len(g))
		var gerr error
		for k, a := range g {
			h := heads[a.Stream]
			if a.Expected != AnyVersion && int64(a.Expected) != h.version {
				gerr = &ConflictError{Stream: a.Stream, Expected: a.Expected, Actual: h.version}
				break
			}
			out[k] = make([]Event, len(a.Events))
			for j, ev := range a.Events {
				h.version++
				ev.Version = h.version
				ev.ChainHash = ChainHash(h.chain, ev.ContentHash, a.Stream, h.version)
				h.chain = ev.ChainHash
				out[k][j] = ev
			}
		}
		if gerr != nil {
			res[gi] = GroupResult{Err: fmt.Errorf("append batch: %w", gerr)}
			continue
		}
		for k := range out {
			for j := range out[k] {
				ins.add(&out[k][j])
			}
		}
		res[gi] = GroupResult{Events: out}
		writing = append(writing, gi)
	}
	if len(writing) == 0 {
		return false, nil
	}
	if err := s.insertRows(ctx, ins, writing, with); err != nil {
		for _, gi := range writing {
			res[gi] = GroupResult{}
		}
		if sqlState(err) == "23505" {
			return true, nil
		}
		return false, err
	}
	return false, nil
}

// appendFresh writes a round whose appends all expect NoStream without
// looking anything up first: the new streams start at version 1 and the
// unique constraints on (stream, version) and event id reject the INSERT if
// any stream or id exists. That is the common case of a write path that
// gives every entry its own stream, and it saves a round trip and the
// index probes of the look-up. fresh is false, with nothing written, when
// the round has another expectation or the INSERT hit a unique
// constraint; the caller then decides the round with a look-up.
func (s *Store) appendFresh(ctx context.Context, groups []AppendGroup, round []int, res []GroupResult, with With) (fresh bool, _ error) {
	for _, gi := range round {
		for _, a := range groups[gi] {
			if a.Expected != NoStream {
				return false, nil
			}
		}
	}
	ins := newInsertRows(countEvents(groups, round))
	outs := make([][][]Event, len(round))
	for r, gi := range round {
		g := groups[gi]
		outs[r] = make([][]Event, len(g))
		for k, a := range g {
			outs[r][k] = make([]Event, len(a.Events))
			var prev []byte
			for j, ev := range a.Events {
				ev.Version = int64(j + 1)
				ev.ChainHash = ChainHash(prev, ev.ContentHash, a.Stream, ev.Version)
				prev = ev.ChainHash
				outs[r][k][j] = ev
				ins.add(&outs[r][k][j])
			}
		}
	}
	if err := s.insertRows(ctx, ins, round, with); err != nil {
		if sqlState(err) == "23505" {
			return false, nil
		}
		return false, err
	}
	for r, gi := range round {
		res[gi] = GroupResult{Events: outs[r]}
	}
	return true, nil
}

// lookUp reads, in one round trip, the heads of the round's streams and the
// stored events among the round's event ids.
func (s *Store) lookUp(ctx context.Context, groups []AppendGroup, round []int) (map[StreamID]*streamHead, map[uuid.UUID]Event, error) {
	var tenants, types, sids []string
	var ids []pgtype.UUID
	heads := make(map[StreamID]*streamHead)
	for _, gi := range round {
		for _, a := range groups[gi] {
			heads[a.Stream] = &streamHead{}
			tenants, types, sids = append(tenants, a.Stream.Tenant), append(types, a.Stream.Type), append(sids, a.Stream.ID)
			for _, ev := range a.Events {
				ids = append(ids, pgtype.UUID{Bytes: ev.EventID, Valid: true})
			}
		}
	}
	var b pgx.Batch
	b.Queue(s.q.heads, tenants, types, sids)
	b.Queue(s.q.existing, ids)
	br := s.pool.SendBatch(ctx, &b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("read stream heads: %w", err)
	}
	for rows.Next() {
		var st StreamID
		var h streamHead
		if err := rows.Scan(&st.Tenant, &st.Type, &st.ID, &h.version, &h.chain); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("read stream heads: %w", err)
		}
		if p := heads[st]; p != nil {
			*p = h
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read stream heads: %w", err)
	}
	rows, err = br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("look up event ids: %w", err)
	}
	evs, err := s.collect(rows, true)
	if err != nil {
		return nil, nil, fmt.Errorf("look up event ids: %w", err)
	}
	stored := make(map[uuid.UUID]Event, len(evs))
	for _, ev := range evs {
		stored[ev.EventID] = ev
	}
	return heads, stored, nil
}

// decideStored decides a group some of whose ids are stored already, as
// Append's replay does; done is false when none is stored.
func decideStored(g AppendGroup, stored map[uuid.UUID]Event) (GroupResult, bool) {
	some, all := false, true
	for _, a := range g {
		for _, ev := range a.Events {
			if _, ok := stored[ev.EventID]; ok {
				some = true
			} else {
				all = false
			}
		}
	}
	if !some {
		return GroupResult{}, false
	}
	out := make([][]Event, len(g))
	for k, a := range g {
		var sub []Event
		for _, ev := range a.Events {
			if old, ok := stored[ev.EventID]; ok {
				sub = append(sub, old)
			}
		}
		r, err := replay(a.Events, sub)
		if errors.Is(err, ErrContentMismatch) || (err != nil && all) {
			return GroupResult{Err: fmt.Errorf("append to %s: %w", a.Stream, err)}, true
		}
		out[k] = r
	}
	if !all {
		return GroupResult{Err: fmt.Errorf("append batch: %w", ErrPartialDuplicate)}, true
	}
	return GroupResult{Events: out, Replayed: true}, true
}

// insertRows are the column arrays of one multi-stream INSERT.
type insertRows struct {
	evs                                                                []*Event
	ids                                                                UUIDArray
	types, tenants, streamTypes, streamIDs, causes, corrs, actors, tps TextArray
	tss                                                                TextArray
	versions                                                           Int64Array
	occurred                                                           TimeArray
	payloads, contents, chains                                         BytesArray
}

// countEvents returns the number of events of the round's groups.
func countEvents(groups []AppendGroup, round []int) int {
	n := 0
	for _, gi := range round {
		for _, a := range groups[gi] {
			n += len(a.Events)
		}
	}
	return n
}

// newInsertRows returns rows with room for n events.
func newInsertRows(n int) *insertRows {
	return &insertRows{
		evs: make([]*Event, 0, n), ids: make(UUIDArray, 0, n),
		types: make(TextArray, 0, n), tenants: make(TextArray, 0, n), streamTypes: make(TextArray, 0, n), streamIDs: make(TextArray, 0, n),
		causes: make(TextArray, 0, n), corrs: make(TextArray, 0, n), actors: make(TextArray, 0, n), tps: make(TextArray, 0, n), tss: make(TextArray, 0, n),
		versions: make(Int64Array, 0, n), occurred: make(TimeArray, 0, n),
		payloads: make(BytesArray, 0, n), contents: make(BytesArray, 0, n), chains: make(BytesArray, 0, n),
	}
}

func (r *insertRows) add(ev *Event) {
	r.evs = append(r.evs, ev)
	r.ids = append(r.ids, ev.EventID)
	r.types = append(r.types, ev.Type)
	r.tenants = append(r.tenants, ev.Stream.Tenant)
	r.streamTypes = append(r.streamTypes, ev.Stream.Type)
	r.streamIDs = append(r.streamIDs, ev.Stream.ID)
	r.causes = append(r.causes, ev.CausationID)
	r.corrs = append(r.corrs, ev.CorrelationID)
	r.actors = append(r.actors, ev.Actor)
	r.tps = append(r.tps, ev.TraceParent)
	r.tss = append(r.tss, ev.TraceState)
	r.versions = append(r.versions, ev.Version)
	r.occurred = append(r.occurred, ev.OccurredAt)
	r.payloads = append(r.payloads, ev.Data)
	r.contents = append(r.contents, ev.ContentHash)
	r.chains = append(r.chains, ev.ChainHash)
}

// insertRows writes r in one statement (one transaction) and sets the
// store-assigned fields of its events. With with, the statements it
// queues for the groups written run after it, in the same implicit
// transaction of one pipelined batch.
func (s *Store) insertRows(ctx context.Context, r *insertRows, written []int, with With) error {
	if with != nil {
		return s.insertRowsWith(ctx, r, written, with)
	}
	rows, err := s.pool.Query(ctx, s.q.insertMulti, r.ids, r.types, r.tenants, r.streamTypes, r.streamIDs,
		r.versions, r.occurred, r.causes, r.corrs, r.actors, r.tps, r.tss, r.payloads, r.contents, r.chains)
	if err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	if err := r.scanInserted(rows); err != nil {
		return err
	}
	// The statement ran in an implicit transaction that ended with the
	// rows (an error of its commit would have come with them).
	s.recent.addPtrs(r.evs)
	return nil
}

// insertRowsWith is insertRows followed by the statements with queues. A
// batch sent without BEGIN runs in one implicit transaction up to its
// Sync: when any statement fails, none of it is kept.
func (s *Store) insertRowsWith(ctx context.Context, r *insertRows, written []int, with With) error {
	var b pgx.Batch
	b.Queue(s.q.insertMulti, r.ids, r.types, r.tenants, r.streamTypes, r.streamIDs,
		r.versions, r.occurred, r.causes, r.corrs, r.actors, r.tps, r.tss, r.payloads, r.contents, r.chains)
	with(written, &b)
	br := s.pool.SendBatch(ctx, &b)
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return fmt.Errorf("insert: %w", err)
	}
	if err := r.scanInserted(rows); err != nil {
		br.Close()
		return err
	}
	for i := 1; i < b.Len(); i++ {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("insert: statement %d with the events: %w", i, err)
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	// The batch's implicit transaction committed at its Sync, which
	// Close read.
	s.recent.addPtrs(r.evs)
	return nil
}

// scanInserted sets the store-assigned fields of r's events from the rows
// the INSERT returned, and closes rows.
func (r *insertRows) scanInserted(rows pgx.Rows) error {
	var err error
	byID := make(map[uuid.UUID]*Event, len(r.evs))
	for _, ev := range r.evs {
		byID[ev.EventID] = ev
	}
	// The scan's targets are declared once: each escapes to the heap.
	var id pgtype.UUID
	var pos int64
	var tx string
	var recorded time.Time
	for rows.Next() {
		if err := rows.Scan(&id, &pos, &tx, &recorded); err != nil {
			rows.Close()
			return fmt.Errorf("insert: %w", err)
		}
		ev := byID[id.Bytes]
		if ev == nil {
			rows.Close()
			return fmt.Errorf("insert returned unknown event id %s", uuid.UUID(id.Bytes))
		}
		ev.Position, ev.RecordedAt = pos, recorded.UTC()
		ev.Cursor = Cursor{Position: pos}
		if ev.Cursor.TxID, err = strconv.ParseUint(tx, 10, 64); err != nil {
			rows.Close()
			return fmt.Errorf("insert: transaction id %q: %w", tx, err)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	return nil
}
