package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/o2c-platform/o2c/services/collections/internal/collections"
)

// Release decides a release under cfg and stores the new case. A case id
// that exists already (a release delivered twice) returns that case with
// created false and decides nothing.
//
// Releases of one debtor are taken one at a time: Release holds a
// PostgreSQL advisory lock on the tenant and debtor while it reads the
// cases holding r.Items again, decides and stores the case. So two
// releases of the same items that race (two operators, or an operator and
// dunning, neither with the other's idempotency key) cannot both hand an
// item over: the second sees the first one's case and refuses the item as
// in collection, as it would have a moment later. The lock lives on one
// pooled connection and ends with it if the process dies; every replica
// of the service takes the same lock.
func (s *Store) Release(ctx context.Context, r collections.Release, cfg collections.Config, occurred time.Time) (*collections.Case, bool, error) {
	unlock, err := s.lockDebtor(ctx, r.Tenant, r.DebtorID)
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	existing, err := s.Load(ctx, r.Tenant, r.CaseID)
	if err != nil {
		return nil, false, err
	}
	if existing.ID != "" {
		return existing, false, nil
	}
	if err := s.Holdings(ctx, r.Tenant, r.Items); err != nil {
		return nil, false, fmt.Errorf("release to collection of debtor %s: %w", r.DebtorID, err)
	}
	msgs, err := collections.DecideRelease(r, cfg)
	if err != nil {
		return nil, false, err
	}
	return s.Create(ctx, r.Tenant, r.CaseID, r.Actor, occurred, msgs)
}

// lockDebtor takes the session advisory lock of tenant's debtor on a
// pooled connection and returns the function that gives both back. While
// another release holds the lock it waits without holding a connection,
// trying again every few milliseconds, until ctx ends.
func (s *Store) lockDebtor(ctx context.Context, tenant, debtor string) (func(), error) {
	select {
	case s.releasing <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("lock debtor %s for a release: %w", debtor, ctx.Err())
	}
	const key = `hashtextextended('o2c.collections.release' || chr(1) || $1 || chr(1) || $2, 0)`
	wait := 2 * time.Millisecond
	for {
		conn, err := s.pool.Acquire(ctx)
		if err != nil {
			<-s.releasing
			return nil, fmt.Errorf("lock debtor %s for a release: %w", debtor, err)
		}
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+key+`)`, tenant, debtor).Scan(&got); err != nil {
			conn.Release()
			<-s.releasing
			return nil, fmt.Errorf("lock debtor %s for a release: %w", debtor, err)
		}
		if got {
			return func() {
				// A cancelled ctx must not keep the lock: unlock on a
				// context of its own, and close the connection (which
				// ends the lock) if even that fails.
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(`+key+`)`, tenant, debtor); err != nil {
					_ = conn.Conn().Close(ctx)
				}
				conn.Release()
				<-s.releasing
			}, nil
		}
		conn.Release()
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			<-s.releasing
			return nil, fmt.Errorf("lock debtor %s for a release: %w", debtor, ctx.Err())
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}
