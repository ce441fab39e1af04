package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/o2c-platform/o2c/services/ledger/internal/datev"
)

// exportPage is how many journal lines ExportEntries reads per query.
const exportPage = 5000

// PeriodState returns whether the tenant's month is closed now and, when
// it is, when it was closed last (the recorded time of that PeriodClosed,
// as projected). A month never closed is open. Its errors are storage
// failures.
func (s *Store) PeriodState(ctx context.Context, tenant string, year int, month time.Month) (closed bool, closedAt time.Time, err error) {
	err = s.pool.QueryRow(ctx, `SELECT closed, changed_at FROM periods WHERE tenant = $1 AND year = $2 AND month = $3`,
		tenant, year, int(month)).Scan(&closed, &closedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("period %04d-%02d of %s: %w", year, int(month), tenant, err)
	}
	if !closed {
		closedAt = time.Time{}
	}
	return closed, closedAt.UTC(), nil
}

// ExportEntries calls yield with every journal entry of the tenant
// effective from from to to (calendar dates, inclusive) that the ledger had
// recorded by knownAt, its legs in leg order, ordered by (effective date,
// position in the event log, entry id): the order the journal lists them.
// It reads the lines in keyset pages of a few thousand and never holds
// more than one page and one entry, and calls yield only between queries,
// so a slow consumer holds no connection. A yield error stops it and is
// returned as is; other errors are storage failures.
func (s *Store) ExportEntries(ctx context.Context, tenant string, from, to, knownAt time.Time, yield func(datev.Entry) error) error {
	type row struct {
		entry    uuid.UUID
		leg      int
		date     time.Time
		position int64
		doc      string
		line     datev.Line
	}
	var (
		cur      *datev.Entry
		curID    uuid.UUID
		lastDate = from.AddDate(0, 0, -1)
		lastPos  int64
		lastID   uuid.UUID
		lastLeg  = -1
	)
	page := make([]row, 0, exportPage)
	for {
		rows, err := s.pool.Query(ctx, `
			SELECT entry_id, leg_no, effective_date, event_position, document_number,
			       account, debtor_id, currency, amount_minor, tax_key
			FROM journal_lines
			WHERE tenant = $1 AND effective_date >= $2 AND effective_date <= $3 AND recorded_at <= $4
			  AND (effective_date, event_position, entry_id, leg_no) > ($5, $6, $7, $8)
			ORDER BY effective_date, event_position, entry_id, leg_no
			LIMIT $9`,
			tenant, from, to, knownAt, lastDate, lastPos, lastID, lastLeg, exportPage)
		if err != nil {
			return fmt.Errorf("journal of %s for the DATEV export: %w", tenant, err)
		}
		page = page[:0]
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.entry, &r.leg, &r.date, &r.position, &r.doc,
				&r.line.Account, &r.line.DebtorID, &r.line.Currency, &r.line.Minor, &r.line.TaxKey); err != nil {
				rows.Close()
				return fmt.Errorf("journal of %s for the DATEV export: %w", tenant, err)
			}
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("journal of %s for the DATEV export: %w", tenant, err)
		}
		for _, r := range page {
			if cur != nil && r.entry != curID {
				if err := yield(*cur); err != nil {
					return err
				}
				cur = nil
			}
			if cur == nil {
				curID = r.entry
				cur = &datev.Entry{ID: r.entry.String(), Date: r.date, Document: r.doc}
			}
			cur.Lines = append(cur.Lines, r.line)
		}
		if len(page) < exportPage {
			break
		}
		last := page[len(page)-1]
		lastDate, lastPos, lastID, lastLeg = last.date, last.position, last.entry, last.leg
	}
	if cur != nil {
		return yield(*cur)
	}
	return nil
}
