package postgres

import (
	"context"
	"time"

	"github.com/o2c-platform/o2c/services/collections/internal/collections"
)

// Release decides a release under cfg and stores the new case. A case id
// that exists already (a release delivered twice) returns that case with
// created false and decides nothing.
func (s *Store) Release(ctx context.Context, r collections.Release, cfg collections.Config, occurred time.Time) (*collections.Case, bool, error) {
	existing, err := s.Load(ctx, r.Tenant, r.CaseID)
	if err != nil {
		return nil, false, err
	}
	if existing.ID != "" {
		return existing, false, nil
	}
	msgs, err := collections.DecideRelease(r, cfg)
	if err != nil {
		return nil, false, err
	}
	return s.Create(ctx, r.Tenant, r.CaseID, r.Actor, occurred, msgs)
}
