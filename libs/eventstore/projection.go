package eventstore

import (
	"context"
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
func (s *Store) CatchUp(ctx context.Context, name string, batchSize int, h Handler) (int, error) {
	return s.CatchUpProjection(ctx, Projection{Name: name, BatchSize: batchSize, Apply: perEvent(h)})
}

// perEvent turns a Handler into a BatchHandler.
func perEvent(h Handler) BatchHandler {
	return func(ctx context.Context, tx pgx.Tx, evs []Event) error {
		for _, ev := range evs {
			if err := h(ctx, tx, ev); err != nil {
				return fmt.Errorf("event %s (stream %s version %d): %w", ev.EventID, ev.Stream, ev.Version, err)
			}
		}
		return nil
	}
}

// CatchUpProjection is CatchUp for a batched projection: p.Apply gets each
// batch whole, and p.Committed, when set, runs after each commit.
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

	// The advisory lock assigns no transaction id, so this transaction does
	// not hold back the read horizon before it writes.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockID("projection", s.schema+"\x00"+name)); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	from, err := s.checkpoint(ctx, tx, name)
	if err != nil {
		return nil, err
	}
	evs, next, err := s.readAll(ctx, tx, from, batchSize)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, nil
	}
	if err := h(ctx, tx, evs); err != nil {
		return nil, err
	}
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
// cancellation and the first handler or database error otherwise.
func (s *Store) RunProjection(ctx context.Context, name string, batchSize int, poll time.Duration, h Handler) error {
	return s.RunBatchProjection(ctx, Projection{Name: name, BatchSize: batchSize, Poll: poll, Apply: perEvent(h)})
}

// RunBatchProjection keeps p caught up until ctx ends, polling for new
// events every p.Poll. It returns ctx's error on cancellation and the first
// Apply, Committed or database error otherwise.
func (s *Store) RunBatchProjection(ctx context.Context, p Projection) error {
	poll := p.Poll
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := s.CatchUpProjection(ctx, p); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
