package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/services/ingestion/internal/shop"
)

// Hold records h, keeping the time a message with the same tenant, event
// type and document was first held (a redelivery does not restart its
// holding period).
func (s *Store) Hold(ctx context.Context, h shop.Hold) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO pending (tenant, event_type, document, waits_kind, waits_key, reason, message, held_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tenant, event_type, document) DO UPDATE
		SET waits_kind = EXCLUDED.waits_kind, waits_key = EXCLUDED.waits_key,
		    reason = EXCLUDED.reason, message = EXCLUDED.message`,
		h.Tenant, h.EventType, h.Document, h.WaitsFor.Kind, h.WaitsFor.Key, h.Reason, h.Message, h.HeldAt)
	if err != nil {
		return fmt.Errorf("hold %s %s: %w", h.EventType, h.Document, err)
	}
	return nil
}

// Waiting returns tenant's holds waiting for fact, oldest first.
func (s *Store) Waiting(ctx context.Context, tenant string, fact shop.Fact) ([]shop.Hold, error) {
	return s.holds(ctx, `WHERE tenant = $1 AND waits_kind = $2 AND waits_key = $3`, tenant, fact.Kind, fact.Key)
}

// WaitingAny returns tenant's holds waiting for any of facts, oldest
// first: Waiting for many facts with one query.
func (s *Store) WaitingAny(ctx context.Context, tenant string, facts []shop.Fact) ([]shop.Hold, error) {
	kinds, keys := make([]string, len(facts)), make([]string, len(facts))
	for i, f := range facts {
		kinds[i], keys[i] = f.Kind, f.Key
	}
	return s.holds(ctx, `WHERE tenant = $1 AND (waits_kind, waits_key) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
		tenant, kinds, keys)
}

// Pending returns the holds of tenant (every tenant's for ""), oldest
// first.
func (s *Store) Pending(ctx context.Context, tenant string) ([]shop.Hold, error) {
	return s.holds(ctx, `WHERE $1 = '' OR tenant = $1`, tenant)
}

func (s *Store) holds(ctx context.Context, where string, args ...any) ([]shop.Hold, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT tenant, event_type, document, waits_kind, waits_key, reason, message, held_at
		FROM pending `+where+` ORDER BY held_at, tenant, event_type, document`, args...)
	if err != nil {
		return nil, fmt.Errorf("list holds: %w", err)
	}
	hs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (shop.Hold, error) {
		var h shop.Hold
		err := r.Scan(&h.Tenant, &h.EventType, &h.Document, &h.WaitsFor.Kind, &h.WaitsFor.Key, &h.Reason, &h.Message, &h.HeldAt)
		h.HeldAt = h.HeldAt.UTC()
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("list holds: %w", err)
	}
	return hs, nil
}

// Release deletes the hold of tenant's document of eventType, if any.
func (s *Store) Release(ctx context.Context, tenant, eventType, document string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM pending WHERE tenant = $1 AND event_type = $2 AND document = $3`,
		tenant, eventType, document); err != nil {
		return fmt.Errorf("release %s %s: %w", eventType, document, err)
	}
	return nil
}

// KnownCustomer returns the master data held of tenant's customer id as a
// debtor, and false when there is none: never received, erased, or
// without a name.
func (s *Store) KnownCustomer(ctx context.Context, tenant, id string) (*shopv1.Debtor, bool, error) {
	var kind, name, vatID, email string
	var addr []byte
	err := s.pool.QueryRow(ctx, `
		SELECT kind, name, vat_id, email, address FROM debtors
		WHERE tenant = $1 AND debtor_id = $2 AND erased_at IS NULL AND name <> ''`, tenant, id).
		Scan(&kind, &name, &vatID, &email, &addr)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("customer %s of %s: %w", id, tenant, err)
	}
	d := &shopv1.Debtor{CustomerId: id, Kind: shopv1.DebtorKind(shopv1.DebtorKind_value[kind]), Name: name, VatId: vatID, Email: email}
	if addr != nil {
		d.BillingAddress = &shopv1.Address{}
		if err := json.Unmarshal(addr, d.BillingAddress); err != nil {
			return nil, false, fmt.Errorf("customer %s of %s: address: %w", id, tenant, err)
		}
	}
	return d, true, nil
}
