package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// refundStates are the refund_decisions.state values.
var refundStates = map[queue.RefundState]string{queue.RefundLinked: "linked", queue.RefundHeld: "held", queue.RefundBooked: "booked"}

// PutRefundDecision records refund import's decision d, made at, about a
// refund of tenant: a linked, held or booked refund is kept (replacing an
// earlier decision), any other decision removes what was kept, so that
// matching credits the refund with its payout. A decision older than the one kept
// (a redelivery) changes nothing.
func (s *Store) PutRefundDecision(ctx context.Context, tenant string, d queue.RefundDecision, at time.Time) error {
	state, keep := refundStates[d.State]
	var err error
	if keep {
		_, err = s.pool.Exec(ctx, `INSERT INTO refund_decisions (tenant, adjustment_id, state, reason, credit_note, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (tenant, adjustment_id) DO UPDATE SET state = excluded.state, reason = excluded.reason,
				credit_note = excluded.credit_note, decided_at = excluded.decided_at
			WHERE refund_decisions.decided_at <= excluded.decided_at`,
			tenant, d.AdjustmentID, state, d.Reason, d.CreditNote, at)
	} else {
		_, err = s.pool.Exec(ctx, `DELETE FROM refund_decisions WHERE tenant = $1 AND adjustment_id = $2 AND decided_at <= $3`,
			tenant, d.AdjustmentID, at)
	}
	if err != nil {
		return fmt.Errorf("refund decision %s: %w", d.AdjustmentID, err)
	}
	return nil
}

// RefundDecisions returns tenant's linked, held and booked refunds
// (queue.RefundDecisions).
func (s *Store) RefundDecisions(ctx context.Context, tenant string) ([]queue.RefundDecision, error) {
	rows, err := s.pool.Query(ctx, `SELECT adjustment_id, state, reason, credit_note FROM refund_decisions
		WHERE tenant = $1 ORDER BY adjustment_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("refund decisions of %s: %w", tenant, err)
	}
	defer rows.Close()
	var out []queue.RefundDecision
	for rows.Next() {
		var d queue.RefundDecision
		var state string
		if err := rows.Scan(&d.AdjustmentID, &state, &d.Reason, &d.CreditNote); err != nil {
			return nil, fmt.Errorf("refund decisions of %s: %w", tenant, err)
		}
		for k, v := range refundStates {
			if v == state {
				d.State = k
			}
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("refund decisions of %s: %w", tenant, err)
	}
	return out, nil
}
