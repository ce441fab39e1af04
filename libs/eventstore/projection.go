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
// name are serialised by a transaction-level advisory lock. It returns
// when no event is left below the horizon, with the number of events in
// committed batches.
func (s *Store) CatchUp(ctx context.Context, name string, batchSize int, h Handler) (int, error) {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	n := 0
	for {
		k, err := s.catchUpBatch(ctx, name, batchSize, h)
		n += k
		if err != nil {
			return n, fmt.Errorf("projection %s: %w", name, err)
		}
		if k == 0 {
			return n, nil
		}
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
