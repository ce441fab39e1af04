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
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	target, err := s.snapshotXmax(ctx)
	if err != nil {
		return 0, fmt.Errorf("projection %s: %w", name, err)
	}
	n := 0
	wait := time.Millisecond
	for {
		k, err := s.catchUpBatch(ctx, name, batchSize, h)
		n += k
		if err != nil {
			return n, fmt.Errorf("projection %s: %w", name, err)
		}
		if k > 0 {
			wait = time.Millisecond
			continue
		}
		ok, err := s.horizonReached(ctx, target)
		if err != nil {
			return n, fmt.Errorf("projection %s: %w", name, err)
		}
		if ok {
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

func (s *Store) catchUpBatch(ctx context.Context, name string, batchSize int, h Handler) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // After Commit this is a no-op; on failure the error that matters is returned.

	// The advisory lock assigns no transaction id, so this transaction does
	// not hold back the read horizon before it writes.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockID("projection", s.schema+"\x00"+name)); err != nil {
		return 0, fmt.Errorf("lock: %w", err)
	}
	from, err := s.checkpoint(ctx, tx, name)
	if err != nil {
		return 0, err
	}
	evs, next, err := s.readAll(ctx, tx, from, batchSize)
	if err != nil {
		return 0, err
	}
	if len(evs) == 0 {
		return 0, nil
	}
	for _, ev := range evs {
		if err := h(ctx, tx, ev); err != nil {
			return 0, fmt.Errorf("event %s (stream %s version %d): %w", ev.EventID, ev.Stream, ev.Version, err)
		}
	}
	if _, err := tx.Exec(ctx, s.q.saveCheckpoint, name, strconv.FormatUint(next.TxID, 10), next.Position); err != nil {
		return 0, fmt.Errorf("save checkpoint: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return len(evs), nil
}

// RunProjection keeps projection name caught up until ctx ends, polling for
// new events every poll (0 means one second). It returns ctx's error on
// cancellation and the first handler or database error otherwise.
func (s *Store) RunProjection(ctx context.Context, name string, batchSize int, poll time.Duration, h Handler) error {
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := s.CatchUp(ctx, name, batchSize, h); err != nil {
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
