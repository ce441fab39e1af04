package eventstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

var bigEndian = binary.BigEndian

// recentSlots is the number of events a Store keeps of what it committed
// last (see recent): about half a second of the ledger's write path at full
// rate, several times what its relay and projection lag behind.
const recentSlots = 4096

// recentBytes bounds the payload bytes the kept events hold together: an
// event that would take them past it is not kept (and is read from the
// table), so that a store appending large events (up to MaxEventBytes)
// keeps a few megabytes, not gigabytes.
const recentBytes = 8 << 20

// recent holds the last events a Store committed, by position, as they are
// stored: envelope, store-assigned fields, payload bytes and hashes, no
// decoded payload. Its readers (the ordered read of the relay and the
// projections in the same process) take an event from here instead of
// reading its row and its payload back from PostgreSQL.
//
// It holds only committed events (they are added after their transaction's
// commit returned) and events are never changed once stored, so an event
// found here under the position PostgreSQL names is the stored row. What
// the ordered read returns, and in which order, is still decided by
// PostgreSQL (see Store.readLog): the cache saves the rows' bytes, never a
// decision of the horizon. Events committed by other processes, by another
// Store, before a restart or pushed out of the ring are read from the
// table.
type recent struct {
	mu   sync.Mutex
	ring []Event // slot position % recentSlots; nil until the first commit
	// bytes is the sum of the kept events' payload lengths.
	bytes int
	// hits counts the events the ordered read took from the ring (for
	// tests).
	hits atomic.Int64
}

// add keeps committed events. Their payload messages stay with the caller;
// the ring keeps the encoded bytes, which nobody writes to after Prepare.
func (r *recent) add(evs []Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range evs {
		r.keep(&evs[i])
	}
}

// addPtrs is add for the rows of a multi-stream INSERT.
func (r *recent) addPtrs(evs []*Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range evs {
		r.keep(ev)
	}
}

// keep puts a copy of ev, without its payload message, in its slot, or
// empties the slot when ev would take the kept bytes past recentBytes.
// r.mu is held.
func (r *recent) keep(ev *Event) {
	if ev.Position <= 0 {
		return
	}
	if r.ring == nil {
		r.ring = make([]Event, recentSlots)
	}
	slot := &r.ring[ev.Position%recentSlots]
	r.bytes -= len(slot.Data)
	*slot = Event{}
	if r.bytes+len(ev.Data) > recentBytes {
		return
	}
	*slot = *ev
	slot.Payload = nil
	r.bytes += len(ev.Data)
}

// empty reports whether nothing was committed through this store.
func (r *recent) empty() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ring == nil
}

// fill sets evs[i] to the kept event at cursors[i] where there is one and
// returns the indexes of the others.
func (r *recent) fill(cursors []Cursor, evs []Event) (missing []int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, c := range cursors {
		if r.ring != nil {
			if ev := r.ring[c.Position%recentSlots]; ev.Position == c.Position && ev.Cursor == c {
				evs[i] = ev
				continue
			}
		}
		missing = append(missing, i)
	}
	r.hits.Add(int64(len(cursors) - len(missing)))
	return missing
}

// readLog returns up to limit events after from in log order (see ReadAll),
// undecoded. When this store committed events lately it asks PostgreSQL
// only for the cursors of the events the ordered read returns (the same
// condition, horizon and order as the full read, from the index of the
// log), takes the events it keeps from memory and reads the rest by
// position; otherwise it reads the rows whole.
func (s *Store) readLog(ctx context.Context, q querier, from Cursor, limit int) ([]Event, error) {
	if s.recent.empty() {
		rows, err := q.Query(ctx, s.q.all, strconv.FormatUint(from.TxID, 10), from.Position, limit)
		if err != nil {
			return nil, err
		}
		return s.collect(rows, false)
	}
	rows, err := q.Query(ctx, s.q.allCursors, strconv.FormatUint(from.TxID, 10), from.Position, limit)
	if err != nil {
		return nil, err
	}
	var cursors []Cursor
	binary := len(rows.FieldDescriptions()) == 2 && rows.FieldDescriptions()[0].Format == pgx.BinaryFormatCode
	for rows.Next() {
		c, err := scanCursor(rows, binary)
		if err != nil {
			rows.Close()
			return nil, err
		}
		cursors = append(cursors, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(cursors) == 0 {
		return nil, nil
	}
	evs := make([]Event, len(cursors))
	missing := s.recent.fill(cursors, evs)
	if len(missing) == 0 {
		return evs, nil
	}
	positions := make(Int64Array, len(missing))
	for k, i := range missing {
		positions[k] = cursors[i].Position
	}
	rows, err = q.Query(ctx, s.q.byPositions, positions)
	if err != nil {
		return nil, err
	}
	read, err := s.collect(rows, false)
	if err != nil {
		return nil, err
	}
	byPos := make(map[int64]int, len(read))
	for k := range read {
		byPos[read[k].Position] = k
	}
	for _, i := range missing {
		k, ok := byPos[cursors[i].Position]
		if !ok || read[k].Cursor != cursors[i] {
			// Stored events are never deleted (a trigger refuses it).
			return nil, fmt.Errorf("event at position %d of the log is gone", cursors[i].Position)
		}
		evs[i] = read[k]
	}
	return evs, nil
}

// scanCursor reads a row of (position, tx_id::text), from the raw values
// without allocating where the position comes in binary.
func scanCursor(rows pgx.Rows, binary bool) (Cursor, error) {
	var pos int64
	var txt []byte
	if v := rows.RawValues(); binary && len(v) == 2 && len(v[0]) == 8 {
		pos, txt = int64(bigEndian.Uint64(v[0])), v[1]
	} else {
		var s string
		if err := rows.Scan(&pos, &s); err != nil {
			return Cursor{}, fmt.Errorf("log cursor: %w", err)
		}
		txt = []byte(s)
	}
	tx, err := parseTxID(txt)
	if err != nil {
		return Cursor{}, fmt.Errorf("event at position %d: %w", pos, err)
	}
	return Cursor{TxID: tx, Position: pos}, nil
}

// parseTxID parses a transaction id as tx_id::text writes it.
func parseTxID(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("empty transaction id")
	}
	var tx uint64
	for _, c := range b {
		d := uint64(c - '0')
		if c < '0' || c > '9' || tx > (math.MaxUint64-d)/10 {
			return 0, fmt.Errorf("transaction id %q", b)
		}
		tx = tx*10 + d
	}
	return tx, nil
}
