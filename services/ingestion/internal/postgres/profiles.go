package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Profile is the part of a debtor's master data payment matching needs to
// recognise its payments. It is personal data; after an erasure Name,
// IBAN and MandateID are empty and Erased is set.
type Profile struct {
	DebtorID  string
	Kind      string // DEBTOR_KIND_CONSUMER or DEBTOR_KIND_BUSINESS
	Name      string
	IBAN      string
	MandateID string
	UpdatedAt time.Time
	Erased    bool
}

// Profiles returns the profiles of tenant's debtors: those named by ids
// (an id it does not know is left out), or, without ids, at most limit of
// them ordered by debtor id after the debtor id after ("" from the first).
func (s *Store) Profiles(ctx context.Context, tenant string, ids []string, after string, limit int) ([]Profile, error) {
	var rows pgx.Rows
	var err error
	const cols = `debtor_id, kind, name, iban, mandate_id, updated_at, erased_at IS NOT NULL`
	if len(ids) > 0 {
		rows, err = s.pool.Query(ctx, `SELECT `+cols+` FROM debtors WHERE tenant = $1 AND debtor_id = ANY($2) ORDER BY debtor_id`, tenant, ids)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT `+cols+` FROM debtors WHERE tenant = $1 AND debtor_id > $2 ORDER BY debtor_id LIMIT $3`,
			tenant, after, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("debtor profiles of %s: %w", tenant, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Profile, error) {
		var p Profile
		err := r.Scan(&p.DebtorID, &p.Kind, &p.Name, &p.IBAN, &p.MandateID, &p.UpdatedAt, &p.Erased)
		p.UpdatedAt = p.UpdatedAt.UTC()
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("debtor profiles of %s: %w", tenant, err)
	}
	return out, nil
}
