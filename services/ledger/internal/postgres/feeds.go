package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// The feeds: what dunning, collections, matching and ingestion publish about
// the ledger's items and debtors, stored for the reports (migration
// 00010_report_feeds.sql). Every fact keeps its effective date and the
// time the ledger recorded it (the database's clock at the insert), and is
// keyed by the event it came from: a redelivered event stores nothing and
// keeps its first recorded time, so a report issued with a known_at before
// the fact arrived reads the same rows whenever it is reproduced.

// Block is a dunning block (Mahnsperre) on a debtor, or on one of its items
// when OpenItemID is set.
type Block struct {
	ID         string
	DebtorID   string
	OpenItemID uuid.NullUUID
	Reason     string
	// Set is the day it was set; Expires the day it ends (zero: never).
	Set, Expires time.Time
}

// RecordDunningLevels stores the dunning level each item has after the
// dunning decision eventID of debtorID dated date; seq is the event's
// sequence in dunning's stream. It returns a storage error.
func (s *Store) RecordDunningLevels(ctx context.Context, tenant string, eventID uuid.UUID, seq int64, debtorID string, date time.Time, levels map[uuid.UUID]int32) error {
	if len(levels) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(levels))
	ls := make([]int32, 0, len(levels))
	for id, l := range levels {
		ids = append(ids, id)
		ls = append(ls, l)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO report_dunning_levels (tenant, open_item_id, event_id, debtor_id, level, effective_date, seq)
		SELECT $1, i.id, $2, $3, i.level, $4, $5 FROM unnest($6::uuid[], $7::int[]) AS i(id, level)
		ON CONFLICT DO NOTHING`, tenant, eventID, debtorID, date, seq, ids, ls)
	if err != nil {
		return fmt.Errorf("dunning levels of decision %s: %w", eventID, err)
	}
	return nil
}

// RecordBlock stores a dunning block as set; a block stored before is left
// as it is. It returns a storage error.
func (s *Store) RecordBlock(ctx context.Context, tenant string, b Block) error {
	var expires *time.Time
	if !b.Expires.IsZero() {
		expires = &b.Expires
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO report_dunning_blocks (tenant, block_id, debtor_id, open_item_id, reason, set_date, expires)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		tenant, b.ID, b.DebtorID, b.OpenItemID, b.Reason, b.Set, expires)
	if err != nil {
		return fmt.Errorf("dunning block %s: %w", b.ID, err)
	}
	return nil
}

// LiftBlock records that block id was lifted on day on; a block lifted
// before keeps its first lift, and a block never stored is ignored (its
// BlockSet was for a tenant or item the ledger does not report). It
// returns a storage error.
func (s *Store) LiftBlock(ctx context.Context, tenant, id string, on time.Time) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE report_dunning_blocks SET lifted_on = $3, lifted_recorded_at = clock_timestamp()
		WHERE tenant = $1 AND block_id = $2 AND lifted_on IS NULL`, tenant, id, on)
	if err != nil {
		return fmt.Errorf("lift dunning block %s: %w", id, err)
	}
	return nil
}

// RecordCollectionCase stores the items of collection case caseID. It
// returns a storage error.
func (s *Store) RecordCollectionCase(ctx context.Context, tenant, caseID string, items []uuid.UUID) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO report_collection_items (tenant, case_id, open_item_id)
		SELECT $1, $2, id FROM unnest($3::uuid[]) AS id ON CONFLICT DO NOTHING`, tenant, caseID, items)
	if err != nil {
		return fmt.Errorf("items of collection case %s: %w", caseID, err)
	}
	return nil
}

// RecordCollectionStatus stores status, effective on date, for items of
// collection case caseID, or for every item of the case (as
// RecordCollectionCase stored them) when items is empty; eventID is the
// collection event and seq its sequence in collections' stream. It
// returns a storage error.
func (s *Store) RecordCollectionStatus(ctx context.Context, tenant string, eventID uuid.UUID, seq int64, caseID, status string, date time.Time, items []uuid.UUID) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO report_collection_statuses (tenant, open_item_id, event_id, case_id, status, effective_date, seq)
		SELECT $1, c.open_item_id, $2, $3, $4, $5, $6 FROM report_collection_items c
		WHERE c.tenant = $1 AND c.case_id = $3 AND (COALESCE(cardinality($7::uuid[]), 0) = 0 OR c.open_item_id = ANY($7))
		ON CONFLICT DO NOTHING`, tenant, eventID, caseID, status, date, seq, items)
	if err != nil {
		return fmt.Errorf("status %s of collection case %s: %w", status, caseID, err)
	}
	return nil
}

// RecordPaymentDecision stores matching's decision eventID on the payment
// the ledger books under journal entry entryID: auto when no person
// decided it. It returns a storage error.
func (s *Store) RecordPaymentDecision(ctx context.Context, tenant string, eventID, entryID uuid.UUID, paymentID string, auto bool) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO report_payment_decisions (tenant, entry_id, event_id, payment_id, auto)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, tenant, entryID, eventID, paymentID, auto)
	if err != nil {
		return fmt.Errorf("matching decision on payment %s: %w", paymentID, err)
	}
	return nil
}

// RecordCustomerGroup stores the customer group of one version of debtorID's
// data, which the shop changed at updatedAt (effective from that day in
// UTC); eventID is ingestion's CustomerIngested and seq its sequence in
// ingestion's stream. It returns a storage error.
func (s *Store) RecordCustomerGroup(ctx context.Context, tenant string, eventID uuid.UUID, seq int64, debtorID, group string, updatedAt time.Time) error {
	u := updatedAt.UTC()
	day := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	_, err := s.pool.Exec(ctx, `
		INSERT INTO report_customer_groups (tenant, debtor_id, event_id, customer_group, updated_at, effective_date, seq)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, tenant, debtorID, eventID, group, u, day, seq)
	if err != nil {
		return fmt.Errorf("customer group of debtor %s: %w", debtorID, err)
	}
	return nil
}

// SQL of the feeds' values of open item o (an alias of open_items) at
// effective date $3 as recorded by $4 (NULL: all), for ReportOpenItems.
const (
	// sqlDunningLevel is the level of the latest decision listing the item.
	sqlDunningLevel = `(SELECT d.level::text FROM report_dunning_levels d
		WHERE d.tenant = o.tenant AND d.open_item_id = o.id AND d.effective_date <= $3
		  AND ($4::timestamptz IS NULL OR d.recorded_at <= $4)
		ORDER BY d.effective_date DESC, d.seq DESC LIMIT 1)`
	// sqlDunningBlock is the reasons, sorted and comma-separated, of the
	// blocks holding on the item or its debtor: set by then, not expired
	// and not lifted by then.
	sqlDunningBlock = `(SELECT string_agg(DISTINCT b.reason, ',' ORDER BY b.reason) FROM report_dunning_blocks b
		WHERE b.tenant = o.tenant AND b.debtor_id = o.debtor_id AND (b.open_item_id IS NULL OR b.open_item_id = o.id)
		  AND b.set_date <= $3 AND ($4::timestamptz IS NULL OR b.set_recorded_at <= $4)
		  AND (b.expires IS NULL OR b.expires > $3)
		  AND NOT (b.lifted_on IS NOT NULL AND b.lifted_on <= $3 AND ($4::timestamptz IS NULL OR b.lifted_recorded_at <= $4)))`
	// sqlCollectionStatus is the latest step of a collection case holding
	// the item.
	sqlCollectionStatus = `(SELECT c.status FROM report_collection_statuses c
		WHERE c.tenant = o.tenant AND c.open_item_id = o.id AND c.effective_date <= $3
		  AND ($4::timestamptz IS NULL OR c.recorded_at <= $4)
		ORDER BY c.effective_date DESC, c.seq DESC LIMIT 1)`
)

// sqlCustomerGroup is the customer group of the debtor of open item o in
// the latest version of its data changed by the date parameter at and
// recorded by the parameter known (NULL: all).
func sqlCustomerGroup(at, known string) string {
	return `COALESCE((SELECT g.customer_group FROM report_customer_groups g
		WHERE g.tenant = o.tenant AND g.debtor_id = o.debtor_id AND g.effective_date <= ` + at + `
		  AND (` + known + `::timestamptz IS NULL OR g.recorded_at <= ` + known + `)
		ORDER BY g.effective_date DESC, g.updated_at DESC, g.seq DESC LIMIT 1), '')`
}
