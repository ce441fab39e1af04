package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/services/matching/internal/engine"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// SaveReport records a settlement report's header and reports whether the
// report is complete (all its batches of lines are there).
func (s *Store) SaveReport(ctx context.Context, r *ingestionv1.SettlementReportReceived) (bool, error) {
	b, err := proto.Marshal(r)
	if err != nil {
		return false, fmt.Errorf("settlement %s: %w", r.GetSettlementId(), err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO settlement_reports (tenant, settlement_id, report, batch_count) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant, settlement_id) DO NOTHING`, r.GetTenant(), r.GetSettlementId(), b, r.GetBatchCount()); err != nil {
		return false, fmt.Errorf("settlement %s: %w", r.GetSettlementId(), err)
	}
	return s.complete(ctx, r.GetTenant(), r.GetSettlementId())
}

// SaveLines records a batch of a settlement report's lines and reports
// whether the report is complete now.
func (s *Store) SaveLines(ctx context.Context, l *ingestionv1.SettlementLinesReceived) (bool, error) {
	b, err := proto.Marshal(l)
	if err != nil {
		return false, fmt.Errorf("settlement %s batch %d: %w", l.GetSettlementId(), l.GetBatchIndex(), err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO settlement_batches (tenant, settlement_id, batch_index, lines) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant, settlement_id, batch_index) DO NOTHING`, l.GetTenant(), l.GetSettlementId(), l.GetBatchIndex(), b); err != nil {
		return false, fmt.Errorf("settlement %s batch %d: %w", l.GetSettlementId(), l.GetBatchIndex(), err)
	}
	return s.complete(ctx, l.GetTenant(), l.GetSettlementId())
}

func (s *Store) complete(ctx context.Context, tenant, id string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT r.batch_count <= (SELECT count(*) FROM settlement_batches b
		WHERE b.tenant = r.tenant AND b.settlement_id = r.settlement_id) FROM settlement_reports r
		WHERE r.tenant = $1 AND r.settlement_id = $2`, tenant, id).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("settlement %s: %w", id, err)
	}
	return ok, nil
}

// Report returns a complete settlement report with its lines in order.
func (s *Store) Report(ctx context.Context, tenant, id string) (queue.Report, error) {
	var b []byte
	if err := s.pool.QueryRow(ctx, `SELECT report FROM settlement_reports WHERE tenant = $1 AND settlement_id = $2`, tenant, id).Scan(&b); err != nil {
		return queue.Report{}, fmt.Errorf("settlement %s: %w", id, err)
	}
	var h ingestionv1.SettlementReportReceived
	if err := proto.Unmarshal(b, &h); err != nil {
		return queue.Report{}, fmt.Errorf("settlement %s: %w", id, err)
	}
	r := queue.Report{ID: id, Marketplace: h.GetMarketplace(), Currency: h.GetCurrency(), Total: h.GetTotal().GetMinorUnits(),
		HasTotal: h.GetHasTotal()}
	if d := dateOf(h.GetDepositDate()); d != nil {
		r.Deposit = *d
	}
	rows, err := s.pool.Query(ctx, `SELECT lines FROM settlement_batches WHERE tenant = $1 AND settlement_id = $2 ORDER BY batch_index`, tenant, id)
	if err != nil {
		return queue.Report{}, fmt.Errorf("settlement %s: %w", id, err)
	}
	batches, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return queue.Report{}, fmt.Errorf("settlement %s: %w", id, err)
	}
	for _, b := range batches {
		var l ingestionv1.SettlementLinesReceived
		if err := proto.Unmarshal(b, &l); err != nil {
			return queue.Report{}, fmt.Errorf("settlement %s: %w", id, err)
		}
		r.Lines = append(r.Lines, l.GetLines()...)
	}
	return r, nil
}

// OrderItems returns the matchable items of tenant's marketplace debtors
// whose order id or document number is one of ids, by that id
// (queue.Settlements).
func (s *Store) OrderItems(ctx context.Context, tenant string, ids []string) (map[string]engine.OpenItem, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+itemColumns+` FROM `+itemFrom+`
		WHERE i.tenant = $1 AND i.debtor_id LIKE 'marketplace:%' AND i.amount_minor > 0
		  AND (i.order_id = ANY($2) OR i.document_number = ANY($2))`, tenant, ids)
	if err != nil {
		return nil, fmt.Errorf("order items: %w", err)
	}
	defer rows.Close()
	out := map[string]engine.OpenItem{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("order items: %w", err)
		}
		if it.Kind == "" {
			continue
		}
		if it.OrderID != "" {
			out[it.OrderID] = it
		}
		out[it.DocumentNumber] = it
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("order items: %w", err)
	}
	return out, nil
}

// UnpaidSettlements returns the ids of tenant's complete settlement
// reports no payment was matched to yet.
func (s *Store) UnpaidSettlements(ctx context.Context, tenant string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.settlement_id FROM settlement_reports r WHERE r.tenant = $1 AND r.paid_by = ''
		AND r.batch_count <= (SELECT count(*) FROM settlement_batches b WHERE b.tenant = r.tenant AND b.settlement_id = r.settlement_id)
		ORDER BY r.settlement_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("unpaid settlements: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("unpaid settlements: %w", err)
	}
	return ids, nil
}

// PaymentsFor returns the open payments of tenant that may pay settlement
// id: those whose remittance names it, or of its total.
func (s *Store) PaymentsFor(ctx context.Context, tenant, id string, total int64, hasTotal bool) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT payment_id FROM payments WHERE tenant = $1 AND state = 'open'
		AND (strpos(remittance, $2) > 0 OR ($4 AND amount_minor = $3)) ORDER BY received_at, payment_id`, tenant, id, total, hasTotal)
	if err != nil {
		return nil, fmt.Errorf("payments for settlement %s: %w", id, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("payments for settlement %s: %w", id, err)
	}
	return ids, nil
}
