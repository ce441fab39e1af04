package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Handler applies one event to a read model inside tx, the transaction that
// also advances the projection's checkpoint. It must not commit or roll back
// tx. An error rolls back the whole batch, read model and checkpoint alike.
type Handler func(ctx context.Context, tx pgx.Tx, ev Event) error

// DefaultBatchSize is the number of events a projection applies per
// transaction when the caller passes 0.
const DefaultBatchSize = 500

// BatchHandler applies a batch of events, in log order, to a read model
// inside tx, the transaction that also advances the projection's
// checkpoint. It must not commit or roll back tx. An error rolls back the
// whole batch. Batch handlers let a read model write a batch with a few
// set-based statements instead of statements per event.
type BatchHandler func(ctx context.Context, tx pgx.Tx, evs []Event) error

// Projection describes a batched projection for CatchUpProjection and
// RunBatchProjection.
type Projection struct {
	// Name is the checkpoint name.
	Name string
	// BatchSize is the number of events per transaction (0 means
	// DefaultBatchSize).
	BatchSize int
	// Poll is how often RunBatchProjection looks for new events (0 means
	// one second).
	Poll time.Duration
	// Apply writes a batch to the read model.
	Apply BatchHandler
	// Committed, when set, is called after each batch's transaction
	// committed, with the batch's events; runtime checks of the read model
	// belong here. Its error stops the projection like an Apply error, but
	// the batch stays committed.
	Committed func(ctx context.Context, evs []Event) error
}

// ErrUndecodable means a stored event's payload does not decode as the
// message its type names. Retrying cannot help: the stored bytes never
// change. Projections report it inside an *EventError.
var ErrUndecodable = errors.New("eventstore: stored payload does not decode")

// EventError is the error of a projection that failed on one event: the
// handler returned Err for it, or its payload does not decode (Err wraps
// ErrUndecodable). The projection's checkpoint is before Event: neither it
// nor any later event has been applied.
//
// Whether the failure is permanent depends on Err: a lost connection is
// not, a value PostgreSQL rejects is (see database.IsTransient and
// database.IsPermanent).
type EventError struct {
	// Projection is the projection's checkpoint name.
	Projection string
	// Event is the envelope of the event that failed.
	Event Envelope
	Err   error
}

func (e *EventError) Error() string {
	return fmt.Sprintf("event %s (%s, stream %s version %d, position %d): %v",
		e.Event.EventID, e.Event.Type, e.Event.Stream, e.Event.Version, e.Event.Position, e.Err)
}

// Unwrap returns Err.
func (e *EventError) Unwrap() error { return e.Err }

// CatchUp applies h to every event of the ordered log (see ReadAll) after
// the checkpoint of projection name, in batches of batchSize (0 means
// DefaultBatchSize). Each batch runs in one transaction that reads the
// checkpoint, applies the events and writes the new checkpoint, so the read
// model and the checkpoint always agree. Concurrent CatchUp calls for one
// name are serialised by a transaction-level advisory lock.
//
// CatchUp returns once every event committed before it was called has been
// applied, with the number of events in committed batches. Transaction ids
// are cluster-wide, so it may wait for transactions of other databases on
// the same server that were running when it was called.
//
// When h fails, or an event's payload does not decode, CatchUp returns an
// error wrapping an *EventError naming the event; the failed batch is
// rolled back, so the checkpoint stays at the end of the last committed
// batch, before the event.
func (s *Store) CatchUp(ctx context.Context, name string, batchSize int, h Handler) (int, error) {
	return s.CatchUpProjection(ctx, Projection{Name: name, BatchSize: batchSize, Apply: perEvent(name, h)})
}

// perEvent turns a Handler of projection name into a BatchHandler whose
// errors are *EventError.
func perEvent(name string, h Handler) BatchHandler {
	return func(ctx context.Context, tx pgx.Tx, evs []Event) error {
		for _, ev := range evs {
			if err := h(ctx, tx, ev); err != nil {
				return &EventError{Projection: name, Event: ev.Envelope, Err: err}
			}
		}
		return nil
	}
}

// CatchUpProjection is CatchUp for a batched projection: p.Apply gets each
// batch whole, and p.Committed, when set, runs after each commit.
//
// When p.Apply fails on a batch of several events, CatchUpProjection finds
// the event it fails on by applying the batch again one event at a time,
// in a transaction that it then rolls back, and returns an error wrapping
// an *EventError naming that event. When every event of the batch applies
// on its own (the batch failed as a whole, or the failure has passed), it
// returns p.Apply's error as it was. Either way nothing of the batch is
// committed, and the checkpoint stays at the end of the last committed
// batch.
func (s *Store) CatchUpProjection(ctx context.Context, p Projection) (int, error) {
	name := p.Name
	if p.BatchSize <= 0 {
		p.BatchSize = DefaultBatchSize
	}
	target, err := s.snapshotXmax(ctx)
	if err != nil {
		return 0, fmt.Errorf("projection %s: %w", name, err)
	}
	n := 0
	wait := time.Millisecond
	for {
		// Look at the horizon before reading, never after: an empty read
		// proves the log is exhausted only if the horizon had already
		// passed target when the read's snapshot was taken. (Checking
		// after the read could see the horizon pass between the two and
		// stop with events still unread.)
		reached, err := s.horizonReached(ctx, target)
		if err != nil {
			return n, fmt.Errorf("projection %s: %w", name, err)
		}
		evs, err := s.catchUpBatch(ctx, name, p.BatchSize, p.Apply)
		n += len(evs)
		if err != nil {
			return n, fmt.Errorf("projection %s: %w", name, err)
		}
		if len(evs) > 0 {
			if p.Committed != nil {
				if err := p.Committed(ctx, evs); err != nil {
					return n, fmt.Errorf("projection %s: after commit: %w", name, err)
				}
			}
			if reached && len(evs) < p.BatchSize {
				// The read saw every event below target, and there was
				// room for more: nothing is left to wait for.
				return n, nil
			}
			wait = time.Millisecond
			continue
		}
		if reached {
			return n, nil
		}
		if err := sleep(ctx, wait); err != nil {
			return n, fmt.Errorf("projection %s: %w", name, err)
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// snapshotXmax returns the first transaction id not yet assigned: every
// event committed so far belongs to a transaction below it.
func (s *Store) snapshotXmax(ctx context.Context) (uint64, error) {
	var x string
	if err := s.pool.QueryRow(ctx, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text`).Scan(&x); err != nil {
		return 0, fmt.Errorf("read snapshot: %w", err)
	}
	return strconv.ParseUint(x, 10, 64)
}

// horizonReached reports whether every transaction below target has ended,
// so that ReadAll can return all their events.
func (s *Store) horizonReached(ctx context.Context, target uint64) (bool, error) {
	var x string
	if err := s.pool.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text`).Scan(&x); err != nil {
		return false, fmt.Errorf("read snapshot: %w", err)
	}
	xmin, err := strconv.ParseUint(x, 10, 64)
	return xmin >= target, err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *Store) catchUpBatch(ctx context.Context, name string, batchSize int, h BatchHandler) ([]Event, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // After Commit this is a no-op; on failure the error that matters is returned.

	from, err := s.lockProjection(ctx, tx, name)
	if err != nil {
		return nil, err
	}
	evs, err := s.readDecoded(ctx, tx, name, from, batchSize)
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	if err := h(ctx, tx, evs); err != nil {
		var evErr *EventError
		if errors.As(err, &evErr) || ctx.Err() != nil {
			return nil, err
		}
		if len(evs) == 1 {
			return nil, &EventError{Projection: name, Event: evs[0].Envelope, Err: err}
		}
		// The lock is held until this transaction ends; the search takes
		// it again.
		_ = tx.Rollback(ctx)
		if evErr := s.failingEvent(ctx, name, from, evs, h); evErr != nil {
			return nil, evErr
		}
		return nil, err
	}
	next := evs[len(evs)-1].Cursor
	if _, err := tx.Exec(ctx, s.q.saveCheckpoint, name, strconv.FormatUint(next.TxID, 10), next.Position); err != nil {
		return nil, fmt.Errorf("save checkpoint: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return evs, nil
}

// RunProjection keeps projection name caught up until ctx ends, polling for
// new events every poll (0 means one second). It returns ctx's error on
// cancellation and the first handler or database error otherwise; a
// handler's error and an undecodable event come wrapped in an *EventError
// naming the event. It does not retry: that is the caller's decision (see
// package host, which retries transient errors and stops a projection on
// others).
func (s *Store) RunProjection(ctx context.Context, name string, batchSize int, poll time.Duration, h Handler) error {
	return s.RunBatchProjection(ctx, Projection{Name: name, BatchSize: batchSize, Poll: poll, Apply: perEvent(name, h)})
}

// RunBatchProjection keeps p caught up until ctx ends: it applies a batch
// of what the log holds after the checkpoint, the next batch at once while
// batches come full (the projection is behind), and otherwise waits for the
// next tick of p.Poll, so that a projection keeping up with a steady stream
// of appends applies it in batches of about one poll interval's events
// instead of many small ones, each with its own transaction, checkpoint
// write and Committed checks. It returns ctx's error on cancellation and
// the first Apply, Committed or database error otherwise, an Apply error
// and an undecodable event wrapped in an *EventError naming the event where
// CatchUpProjection can tell which one it is.
func (s *Store) RunBatchProjection(ctx context.Context, p Projection) error {
	poll := p.Poll
	if poll <= 0 {
		poll = time.Second
	}
	if p.BatchSize <= 0 {
		p.BatchSize = DefaultBatchSize
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		evs, err := s.catchUpBatch(ctx, p.Name, p.BatchSize, p.Apply)
		if err == nil && len(evs) > 0 && p.Committed != nil {
			if err = p.Committed(ctx, evs); err != nil {
				err = fmt.Errorf("after commit: %w", err)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("projection %s: %w", p.Name, err)
		}
		if len(evs) == p.BatchSize {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// lockProjection takes the transaction-level advisory lock of projection
// name in tx and returns its checkpoint. The lock assigns no transaction
// id, so tx does not hold back the read horizon before it writes.
func (s *Store) lockProjection(ctx context.Context, tx pgx.Tx, name string) (Cursor, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockID("projection", s.schema+"\x00"+name)); err != nil {
		return Cursor{}, fmt.Errorf("lock: %w", err)
	}
	return s.checkpoint(ctx, tx, name)
}

// readDecoded reads up to limit events after from in log order, like
// readAll, and decodes their payloads. When a payload does not decode it
// returns an *EventError naming that event and no events, so that the
// checkpoint stays where it is, as after an Apply error.
func (s *Store) readDecoded(ctx context.Context, q querier, name string, from Cursor, limit int) ([]Event, error) {
	evs, err := s.readLog(ctx, q, from, limit)
	if err != nil {
		return nil, fmt.Errorf("read all after %v: %w", from, err)
	}
	for i := range evs {
		if err := DecodePayload(&evs[i], s.types); err != nil {
			return nil, &EventError{Projection: name, Event: evs[i].Envelope, Err: fmt.Errorf("%w: %w", ErrUndecodable, err)}
		}
	}
	return evs, nil
}

// failingEvent applies evs, a batch h failed on, again one event at a time
// in a transaction that it rolls back, and returns an *EventError for the
// first event h fails on. It returns nil when every event applies on its
// own, when another runner of the projection moved the checkpoint away
// from from meanwhile, and when the search itself fails (the batch's error
// then stands).
func (s *Store) failingEvent(ctx context.Context, name string, from Cursor, evs []Event, h BatchHandler) *EventError {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil
	}
	defer tx.Rollback(ctx) //nolint:errcheck // Nothing of the search is kept.
	if at, err := s.lockProjection(ctx, tx, name); err != nil || at != from {
		return nil
	}
	for i := range evs {
		if err := h(ctx, tx, evs[i:i+1]); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return &EventError{Projection: name, Event: evs[i].Envelope, Err: err}
		}
	}
	return nil
}
