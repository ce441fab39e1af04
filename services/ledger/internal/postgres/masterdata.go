package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-platform/o2c/services/ledger/internal/datev"
)

// RecordedMasterData returns the debtor master data recorded for the
// tenant's month as closed at closedAt (see RecordMasterData), by
// personal account; empty when none was. Its errors are storage failures.
func (s *Store) RecordedMasterData(ctx context.Context, tenant string, year int, month time.Month, closedAt time.Time) (map[string]datev.Profile, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT account, profile FROM datev_master_data
		WHERE tenant = $1 AND year = $2 AND month = $3 AND closed_at = $4`, tenant, year, int(month), closedAt)
	if err != nil {
		return nil, fmt.Errorf("DATEV master data of %04d-%02d: %w", year, int(month), err)
	}
	out := map[string]datev.Profile{}
	err = forEachRow(rows, func(r pgx.Rows) error {
		var account string
		var raw []byte
		if err := r.Scan(&account, &raw); err != nil {
			return err
		}
		var p datev.Profile
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("profile of account %s: %w", account, err)
		}
		out[account] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("DATEV master data of %04d-%02d: %w", year, int(month), err)
	}
	return out, nil
}

// RecordMasterData keeps the profiles of debtors (those with a Profile)
// as the master data of the tenant's month as closed at closedAt; a
// personal account recorded before keeps its record unless its new
// profile is erased. Every recorded profile, of any month, of a debtor
// whose new profile is erased is pseudonymised with it (ForgetMasterData).
// Its errors are storage failures.
func (s *Store) RecordMasterData(ctx context.Context, tenant string, year int, month time.Month, closedAt time.Time, debtors []datev.Debtor) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	var b pgx.Batch
	for _, d := range debtors {
		if d.Profile == nil {
			continue
		}
		raw, err := json.Marshal(d.Profile)
		if err != nil {
			return fmt.Errorf("profile of debtor %s: %w", d.DebtorID, err)
		}
		if d.Profile.Erased {
			b.Queue(forgetMasterData, tenant, []string{d.DebtorID})
			b.Queue(`INSERT INTO datev_master_data (tenant, year, month, closed_at, account, debtor_id, profile)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (tenant, year, month, closed_at, account) DO UPDATE SET profile = EXCLUDED.profile`,
				tenant, year, int(month), closedAt, d.Account, d.DebtorID, raw)
			continue
		}
		b.Queue(`INSERT INTO datev_master_data (tenant, year, month, closed_at, account, debtor_id, profile)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			tenant, year, int(month), closedAt, d.Account, d.DebtorID, raw)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("record DATEV master data of %04d-%02d: %w", year, int(month), err)
	}
	return nil
}

// forgetMasterData pseudonymises every recorded profile of the debtors $2.
const forgetMasterData = `UPDATE datev_master_data SET profile = '{"erased": true}'
	WHERE tenant = $1 AND debtor_id = ANY($2) AND profile <> '{"erased": true}'`

// ForgetMasterData replaces every recorded profile of debtors, of any
// month, by the pseudonymised one ({"erased": true}): the DATEV export
// calls it for the debtors ingestion reports erased, so the ledger keeps
// none of their personal data. Its errors are storage failures.
func (s *Store) ForgetMasterData(ctx context.Context, tenant string, debtors []string) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	if len(debtors) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, forgetMasterData, tenant, debtors); err != nil {
		return fmt.Errorf("pseudonymise the DATEV master data of %d erased debtors: %w", len(debtors), err)
	}
	return nil
}
