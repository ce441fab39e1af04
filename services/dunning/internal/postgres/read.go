package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"

	"github.com/o2c-platform/o2c/services/dunning/internal/dunning"
	"github.com/o2c-platform/o2c/services/dunning/internal/run"
)

func day(t *time.Time) dunning.Date {
	if t == nil {
		return dunning.Date{}
	}
	return dunning.DateOf(t.UTC())
}

func dayProto(t *time.Time) *commonv1.Date { return run.DateProto(day(t)) }

func sqlDate(d dunning.Date) *time.Time {
	if d.IsZero() {
		return nil
	}
	t := d.Time()
	return &t
}

// CountDebtors returns how many debtors Debtors lists for tenant.
func (s *Store) CountDebtors(ctx context.Context, tenant string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (
		SELECT debtor_id FROM items WHERE tenant = $1 AND open_minor > 0 AND amount_minor > 0
		UNION SELECT debtor_id FROM debtor_state WHERE tenant = $1 AND active) d`, tenant).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count debtors of %s: %w", tenant, err)
	}
	return n, nil
}

// Debtors returns up to limit debtors of tenant after the id after that
// have open items or a running procedure, with their input for date (see
// run.Store).
func (s *Store) Debtors(ctx context.Context, tenant, after string, limit int, date dunning.Date) ([]run.Debtor, error) {
	// Each side is read in index order up to the limit, so a page costs
	// the page, not the tenant's items.
	rows, err := s.pool.Query(ctx, `SELECT debtor_id FROM (
		(SELECT DISTINCT debtor_id FROM items WHERE tenant = $1 AND open_minor > 0 AND amount_minor > 0 AND debtor_id > $2
			ORDER BY debtor_id LIMIT $3)
		UNION (SELECT debtor_id FROM debtor_state WHERE tenant = $1 AND active AND debtor_id > $2 ORDER BY debtor_id LIMIT $3)) d
		ORDER BY debtor_id LIMIT $3`, tenant, after, limit)
	if err != nil {
		return nil, fmt.Errorf("debtors of %s: %w", tenant, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("debtors of %s: %w", tenant, err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := s.load(ctx, tenant, ids, date)
	if err != nil {
		return nil, fmt.Errorf("debtors of %s: %w", tenant, err)
	}
	return out, nil
}

// load reads the input of the debtors ids for date, in the order of ids.
func (s *Store) load(ctx context.Context, tenant string, ids []string, date dunning.Date) ([]run.Debtor, error) {
	byID := make(map[string]*run.Debtor, len(ids))
	out := make([]run.Debtor, len(ids))
	for i, id := range ids {
		out[i].Facts = dunning.Debtor{ID: id, Kind: "b2c"}
		byID[id] = &out[i]
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT debtor_id, kind, grp, language, channel FROM debtors WHERE tenant = $1 AND debtor_id = ANY($2)`, tenant, ids).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id string
				var f dunning.Debtor
				if err := rows.Scan(&id, &f.Kind, &f.Group, &f.Language, &f.Channel); err != nil {
					return err
				}
				f.ID = id
				byID[id].Facts = f
			}
			return rows.Err()
		})
	b.Queue(`SELECT i.item_id, i.debtor_id, i.claim_id, i.component, i.document_number, i.currency, i.amount_minor, i.open_minor,
			i.document_date, i.due_date, i.marketplace, i.dunnable, i.part_payments, i.reopened_on,
			coalesce(v.consumer_default_notice, false), v.delivered_on, coalesce(v.channel, '')
		FROM items i LEFT JOIN invoices v ON v.tenant = i.tenant AND v.invoice_number = i.document_number AND i.component = 'principal'
		WHERE i.tenant = $1 AND i.debtor_id = ANY($2) AND i.open_minor > 0 AND i.amount_minor > 0
		ORDER BY i.debtor_id, i.due_date, i.item_id`, tenant, ids).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var it run.Item
				var docDate, dueDate, reopened, delivered *time.Time
				var parts []time.Time
				var channel string
				if err := rows.Scan(&it.ID, &it.Debtor, &it.Claim, &it.Component, &it.Document, &it.Currency, &it.Amount, &it.Open,
					&docDate, &dueDate, &it.Marketplace, &it.Dunnable, &parts, &reopened, &it.ConsumerDefaultNotice, &delivered,
					&channel); err != nil {
					return err
				}
				it.DocumentDate, it.DueDate, it.DeliveryDate, it.ReopenedOn = day(docDate), day(dueDate), day(delivered), day(reopened)
				for _, p := range parts {
					it.PartPayments = append(it.PartPayments, day(&p))
				}
				d := byID[it.Debtor]
				if d.Facts.Channel == "" && channel != "" {
					d.Facts.Channel = channel
				}
				d.Items = append(d.Items, it)
			}
			return rows.Err()
		})
	b.Queue(`SELECT `+blockColumns+` FROM blocks WHERE tenant = $1 AND debtor_id = ANY($2) AND NOT lifted ORDER BY set_date, block_id`,
		tenant, ids).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			bl, err := scanBlock(rows)
			if err != nil {
				return err
			}
			d := byID[bl.GetDebtorId()]
			d.Blocks = append(d.Blocks, run.BlockOf(bl))
		}
		return rows.Err()
	})
	// The decisions are looked up debtor by debtor on the primary key:
	// with debtor_id = ANY($2) PostgreSQL may scan the day's index
	// instead, every decision stored so far that day for each page, so a
	// run's reads grew with the square of its debtors.
	b.Queue(`SELECT u.id, d.decision FROM unnest($2::text[]) AS u(id)
		CROSS JOIN LATERAL (SELECT decision FROM decisions WHERE tenant = $1 AND debtor_id = u.id AND day < $3
			ORDER BY day DESC LIMIT 1) d`, tenant, ids, date.Time()).Query(func(rows pgx.Rows) error {
		return scanDecisions(rows, func(id string, ev *dunningv1.DunningDecisionRecorded) { byID[id].Last = ev })
	})
	b.Queue(`SELECT u.id, d.decision FROM unnest($2::text[]) AS u(id)
		CROSS JOIN LATERAL (SELECT decision FROM decisions WHERE tenant = $1 AND debtor_id = u.id AND day = $3) d`, tenant, ids, date.Time()).
		Query(func(rows pgx.Rows) error {
			return scanDecisions(rows, func(id string, ev *dunningv1.DunningDecisionRecorded) { byID[id].Today = ev })
		})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return out, nil
}

func scanDecisions(rows pgx.Rows, put func(string, *dunningv1.DunningDecisionRecorded)) error {
	for rows.Next() {
		var id string
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return err
		}
		ev := &dunningv1.DunningDecisionRecorded{}
		if err := proto.Unmarshal(raw, ev); err != nil {
			return fmt.Errorf("decision of %s: %w", id, err)
		}
		put(id, ev)
	}
	return rows.Err()
}

// Decisions returns tenant's stored decisions (of debtor, or all when it
// is empty) from from to to inclusive, by date and debtor.
func (s *Store) Decisions(ctx context.Context, tenant, debtor string, from, to dunning.Date) ([]*dunningv1.DunningDecisionRecorded, error) {
	rows, err := s.pool.Query(ctx, `SELECT debtor_id, decision FROM decisions
		WHERE tenant = $1 AND ($2 = '' OR debtor_id = $2) AND ($3::date IS NULL OR day >= $3) AND day <= $4
		ORDER BY day, debtor_id`, tenant, debtor, sqlDate(from), to.Time())
	if err != nil {
		return nil, fmt.Errorf("decisions of %s: %w", tenant, err)
	}
	var out []*dunningv1.DunningDecisionRecorded
	err = scanDecisions(rows, func(_ string, ev *dunningv1.DunningDecisionRecorded) { out = append(out, ev) })
	if err != nil {
		return nil, fmt.Errorf("decisions of %s: %w", tenant, err)
	}
	return out, nil
}

const blockColumns = `block_id, debtor_id, item_id, reason, set_by, source, set_date, expires, lifted, lifted_on, lifted_by`

func scanBlock(row pgx.Row) (*dunningv1.Block, error) {
	var b dunningv1.Block
	var set time.Time
	var expires, lifted *time.Time
	if err := row.Scan(&b.BlockId, &b.DebtorId, &b.OpenItemId, &b.Reason, &b.SetBy, &b.Source, &set, &expires, &b.Lifted, &lifted, &b.LiftedBy); err != nil {
		return nil, err
	}
	b.SetDate, b.Expires, b.LiftedOn = dayProto(&set), dayProto(expires), dayProto(lifted)
	return &b, nil
}

// Blocks returns tenant's blocks (of debtor, or all when it is empty),
// lifted ones only when lifted is set, by debtor and date set.
func (s *Store) Blocks(ctx context.Context, tenant, debtor string, lifted bool) ([]*dunningv1.Block, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+blockColumns+` FROM blocks WHERE tenant = $1 AND ($2 = '' OR debtor_id = $2) AND ($3 OR NOT lifted)
		ORDER BY debtor_id, set_date, block_id`, tenant, debtor, lifted)
	if err != nil {
		return nil, fmt.Errorf("blocks of %s: %w", tenant, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*dunningv1.Block, error) { return scanBlock(r) })
	if err != nil {
		return nil, fmt.Errorf("blocks of %s: %w", tenant, err)
	}
	return out, nil
}

// Block returns one of tenant's blocks, or an error wrapping
// run.ErrBlockNotFound.
func (s *Store) Block(ctx context.Context, tenant, id string) (*dunningv1.Block, error) {
	b, err := scanBlock(s.pool.QueryRow(ctx, `SELECT `+blockColumns+` FROM blocks WHERE tenant = $1 AND block_id = $2`, tenant, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", run.ErrBlockNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("block %s: %w", id, err)
	}
	return b, nil
}

// Notices returns tenant's notices (of debtor, or all when it is empty),
// newest first, at most limit.
func (s *Store) Notices(ctx context.Context, tenant, debtor string, limit int) ([]*dunningv1.NoticeIssued, error) {
	rows, err := s.pool.Query(ctx, `SELECT issued FROM notices WHERE tenant = $1 AND ($2 = '' OR debtor_id = $2)
		ORDER BY day DESC, notice_id DESC LIMIT $3`, tenant, debtor, limit)
	if err != nil {
		return nil, fmt.Errorf("notices of %s: %w", tenant, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*dunningv1.NoticeIssued, error) {
		var raw []byte
		if err := r.Scan(&raw); err != nil {
			return nil, err
		}
		n := &dunningv1.NoticeIssued{}
		return n, proto.Unmarshal(raw, n)
	})
	if err != nil {
		return nil, fmt.Errorf("notices of %s: %w", tenant, err)
	}
	return out, nil
}

// Notice returns one of tenant's notices, or an error wrapping
// run.ErrNoticeNotFound.
func (s *Store) Notice(ctx context.Context, tenant, id string) (*dunningv1.NoticeIssued, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT issued FROM notices WHERE tenant = $1 AND notice_id = $2`, tenant, id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", run.ErrNoticeNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("notice %s: %w", id, err)
	}
	n := &dunningv1.NoticeIssued{}
	if err := proto.Unmarshal(raw, n); err != nil {
		return nil, fmt.Errorf("notice %s: %w", id, err)
	}
	return n, nil
}
