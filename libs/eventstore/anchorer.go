package eventstore

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// AnchorerOptions configure an Anchorer. The zero value is usable.
type AnchorerOptions struct {
	// Interval is how often Run looks for new events to anchor; one minute
	// when zero. Changes after the latest anchor are not covered, so the
	// interval is the window in which a deleted tail goes unnoticed.
	Interval time.Duration
	// MaxHeads bounds the stream heads listed in one anchor, so that an
	// anchor fits in one JetStream message; 1000 when zero. When more
	// streams moved, the anchorer writes several anchors in a row, each
	// covering a longer prefix of the log.
	MaxHeads int
	// Log receives the failures of Run's rounds; slog.Default() when nil.
	Log *slog.Logger
	// Now is the clock of CreatedAt; time.Now when nil.
	Now func() time.Time
}

// Anchorer writes signed anchors of a store's stream heads to a sink
// outside PostgreSQL (see Anchor). Several anchorers of one service, one
// per replica, may share a sink: the sink rejects all but one anchor per
// sequence number, and the losers reload and continue.
//
// On its first anchor, and after a failed append, an anchorer reads and
// verifies every anchor of its service in the sink to learn the stream
// heads; it then reads only the events after the latest anchor. It keeps
// every stream's head in memory, a few hundred bytes a stream.
type Anchorer struct {
	store *Store
	sink  AnchorSink
	key   ed25519.PrivateKey
	opt   AnchorerOptions

	mu    sync.Mutex
	chain *anchorChain // nil until loaded from the sink, and after a failed append
}

// anchorPage is the number of log rows an anchorer reads per query.
const anchorPage = 1000

// NewAnchorer returns an anchorer of store's log that signs with key and
// appends to sink, under the service name store.Schema().
func NewAnchorer(store *Store, sink AnchorSink, key ed25519.PrivateKey, opt AnchorerOptions) *Anchorer {
	if opt.Interval <= 0 {
		opt.Interval = time.Minute
	}
	if opt.MaxHeads <= 0 {
		opt.MaxHeads = 1000
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Anchorer{store: store, sink: sink, key: key, opt: opt}
}

// Run anchors once at once and then every Interval until ctx ends, and
// returns nil then. A failed round (database or sink unreachable, a
// broken anchor chain in the sink) is logged at error level and retried
// at the next tick: anchoring is a safety net and does not stop the
// service, but while it fails new events are not anchored.
func (a *Anchorer) Run(ctx context.Context) error {
	t := time.NewTicker(a.opt.Interval)
	defer t.Stop()
	for {
		if _, err := a.Anchor(ctx); err != nil && ctx.Err() == nil {
			a.opt.Log.ErrorContext(ctx, "anchoring failed; new events are not anchored", "service", a.store.Schema(), "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Anchor writes anchors now for every event the log gained since the
// latest anchor in the sink, and returns how many it wrote: none when the
// log did not move. It reads only events of transactions that have ended
// (as ReadAll does), so an anchor never covers a prefix of the log that
// could still change. When another anchorer wins a sequence number, it
// reloads the sink and tries again, a few times.
func (a *Anchorer) Anchor(ctx context.Context) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	written := 0
	for attempt := 1; ; attempt++ {
		n, err := a.anchorOnce(ctx)
		written += n
		if err != nil {
			a.chain = nil // reload from the sink next time
			if errors.Is(err, ErrAnchorConflict) && attempt < 5 {
				continue
			}
			return written, fmt.Errorf("anchor %s: %w", a.store.Schema(), err)
		}
		return written, nil
	}
}

func (a *Anchorer) anchorOnce(ctx context.Context) (int, error) {
	if a.chain == nil {
		c, err := loadAnchorChain(ctx, a.sink, a.store.Schema(), a.key.Public().(ed25519.PublicKey))
		if err != nil {
			return 0, err
		}
		a.chain = c
	}
	c := a.chain
	written := 0
	var moved []StreamID
	movedSet := map[StreamID]bool{}
	cursor, events := c.cursor, c.events
	emit := func() error {
		if len(moved) == 0 {
			return nil
		}
		if err := a.emit(ctx, moved, cursor, events); err != nil {
			return err
		}
		written++
		moved, movedSet = moved[:0], map[StreamID]bool{}
		return nil
	}
	for {
		rows, err := a.store.readHeads(ctx, cursor, anchorPage)
		if err != nil {
			return written, err
		}
		for _, r := range rows {
			if !movedSet[r.stream] {
				if len(moved) >= a.opt.MaxHeads {
					if err := emit(); err != nil {
						return written, err
					}
				}
				movedSet[r.stream] = true
				moved = append(moved, r.stream)
			}
			c.heads.set(r.stream, r.version, r.chain)
			cursor = r.cursor
			events++
		}
		if len(rows) < anchorPage {
			break
		}
	}
	return written, emit()
}

// emit signs and appends the next anchor, listing the heads of the moved
// streams as they stand in the chain's head set.
func (a *Anchorer) emit(ctx context.Context, moved []StreamID, cursor Cursor, events int64) error {
	c := a.chain
	heads := make([]StreamHead, len(moved))
	for i, st := range moved {
		h := c.heads.heads[st]
		heads[i] = StreamHead{Stream: st, Version: h.version, ChainHash: h.chain}
	}
	sortHeads(heads)
	an := &Anchor{
		Service:   a.store.Schema(),
		Seq:       c.seq + 1,
		Prev:      c.hash,
		CreatedAt: a.opt.Now().UTC().Truncate(time.Microsecond),
		Cursor:    cursor,
		Events:    events,
		Streams:   int64(c.heads.len()),
		Root:      c.heads.root(),
		Heads:     heads,
	}
	an.Sign(a.key)
	if err := a.sink.AppendAnchor(ctx, an); err != nil {
		return fmt.Errorf("append anchor %d: %w", an.Seq, err)
	}
	c.seq, c.hash, c.cursor, c.events, c.latest = an.Seq, an.Hash(), cursor, events, an
	return nil
}

func sortHeads(heads []StreamHead) {
	slices.SortFunc(heads, func(a, b StreamHead) int { return compareStreamIDs(a.Stream, b.Stream) })
}

// loadAnchorChain folds the anchors of service in src and fails with an
// error wrapping ErrAnchorChain at the first problem.
func loadAnchorChain(ctx context.Context, src AnchorSource, service string, pub ed25519.PublicKey) (*anchorChain, error) {
	c := newAnchorChain(service, pub, false)
	err := src.ReadAnchors(ctx, service, func(an *Anchor) error {
		c.add(an)
		if len(c.problems) > 0 {
			return fmt.Errorf("%w: %s", ErrAnchorChain, c.problems[0])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read anchors: %w", err)
	}
	return c, nil
}

// headRow is one event's place in its stream and in the log.
type headRow struct {
	stream  StreamID
	version int64
	chain   []byte
	cursor  Cursor
}

// readHeads returns up to limit events after the cursor in log order,
// below the horizon (see ReadAll), with only what anchoring needs.
func (s *Store) readHeads(ctx context.Context, after Cursor, limit int) ([]headRow, error) {
	t := pgx.Identifier{s.schema, "events"}.Sanitize()
	rows, err := s.pool.Query(ctx, `SELECT e.tenant, e.stream_type, e.stream_id, e.version, e.chain_hash, e.tx_id::text AS tx, e.position FROM `+t+` e
		WHERE (e.tx_id, e.position) > ($1::text::xid8, $2) AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY e.tx_id, e.position LIMIT $3`, strconv.FormatUint(after.TxID, 10), after.Position, limit)
	if err != nil {
		return nil, fmt.Errorf("read heads after %v: %w", after, err)
	}
	defer rows.Close()
	var out []headRow
	for rows.Next() {
		var r headRow
		var tx string
		if err := rows.Scan(&r.stream.Tenant, &r.stream.Type, &r.stream.ID, &r.version, &r.chain, &tx, &r.cursor.Position); err != nil {
			return nil, fmt.Errorf("read heads after %v: %w", after, err)
		}
		if r.cursor.TxID, err = strconv.ParseUint(tx, 10, 64); err != nil {
			return nil, fmt.Errorf("read heads after %v: transaction id %q: %w", after, tx, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read heads after %v: %w", after, err)
	}
	return out, nil
}
