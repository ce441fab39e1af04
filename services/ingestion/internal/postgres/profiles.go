package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// Profile is the part of a debtor's master data the other services need:
// matching to recognise its payments and collect under its mandate,
// dunning and collections to address the debtor. It is personal data;
// after an erasure every personal field is empty and Erased is set.
type Profile struct {
	DebtorID string
	Kind     string // DEBTOR_KIND_CONSUMER or DEBTOR_KIND_BUSINESS
	Name     string
	// Email and Address are the shop's; Address is nil when it gave none.
	Email   string
	Address *shopv1.Address
	// Language is the preferred language (ISO 639-1), "" for the tenant's.
	Language  string
	IBAN      string
	MandateID string
	// SignedOn is the mandate's signature date (UTC midnight), zero when
	// not known; Sequence the shop's sequence type (a shopv1.SequenceType
	// name), "" without a mandate.
	SignedOn  time.Time
	Sequence  string
	UpdatedAt time.Time
	Erased    bool
}

// Profiles returns the profiles of tenant's debtors: those named by ids
// (an id it does not know is left out), or, without ids, at most limit of
// them ordered by debtor id after the debtor id after ("" from the first).
func (s *Store) Profiles(ctx context.Context, tenant string, ids []string, after string, limit int) ([]Profile, error) {
	var rows pgx.Rows
	var err error
	const cols = `debtor_id, kind, name, email, address, preferred_language, iban, mandate_id, mandate_signed_on,
		sequence_type, updated_at, erased_at IS NOT NULL`
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
		var addr []byte
		var signed *time.Time
		if err := r.Scan(&p.DebtorID, &p.Kind, &p.Name, &p.Email, &addr, &p.Language, &p.IBAN, &p.MandateID, &signed,
			&p.Sequence, &p.UpdatedAt, &p.Erased); err != nil {
			return p, err
		}
		p.UpdatedAt = p.UpdatedAt.UTC()
		if p.Erased {
			// Erasure cleared the personal columns; the language is not
			// personal but goes with the rest.
			return Profile{DebtorID: p.DebtorID, Kind: p.Kind, UpdatedAt: p.UpdatedAt, Erased: true}, nil
		}
		if signed != nil {
			y, m, d := signed.Date()
			p.SignedOn = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
		if len(addr) > 0 {
			p.Address = &shopv1.Address{}
			if err := json.Unmarshal(addr, p.Address); err != nil {
				return p, fmt.Errorf("address of %s: %w", p.DebtorID, err)
			}
		}
		return p, nil
	})
	if err != nil {
		return nil, fmt.Errorf("debtor profiles of %s: %w", tenant, err)
	}
	return out, nil
}
