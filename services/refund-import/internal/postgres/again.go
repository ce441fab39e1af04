package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-platform/o2c/services/refund-import/internal/refund"
)

// Flag is a booked refund whose order a shop credit note credited again
// (refund.CreditedAgain).
type Flag struct {
	Tenant, OrderID, ItemID string
	// RefundKey is the refund's key, CreditNote its booked credit note's
	// number.
	RefundKey, CreditNote string
	// By is the shop's credit note number.
	By string
}

// CreditedAgain brings the flags of itemID's booked refunds up to date
// with the credit notes on the item and the decisions on its order
// (refund.CreditedAgain), in one transaction, and returns the flags it
// added. A flag whose shop credit note no longer counts (undone) or whose
// refund is no longer booked on the item is removed. An item refund import
// does not hold (not an order's, or not classified) has none.
func (s *Store) CreditedAgain(ctx context.Context, tenant, itemID string, now time.Time) ([]Flag, error) {
	var order string
	err := s.pool.QueryRow(ctx, `SELECT order_id FROM items WHERE tenant = $1 AND item_id = $2 AND classified`, tenant, itemID).Scan(&order)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("credited again: item %s: %w", itemID, err)
	}
	items, err := s.orderItems(ctx, tenant, []string{order})
	if err != nil {
		return nil, fmt.Errorf("credited again: %w", err)
	}
	var item *refund.Item
	for _, it := range items[order] {
		if it.ID == itemID {
			item = it
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT r.refund, r.version, coalesce(e.entry_id, '') FROM refunds r
		LEFT JOIN ledger_entries e ON e.tenant = r.tenant AND e.document = r.credit_note_number
		WHERE r.tenant = $1 AND r.order_id = $2 ORDER BY r.posted, r.key`, tenant, order)
	if err != nil {
		return nil, fmt.Errorf("credited again: refunds of order %s: %w", order, err)
	}
	decided, err := scanDecided(rows)
	if err != nil {
		return nil, fmt.Errorf("credited again: refunds of order %s: %w", order, err)
	}
	booked := map[string]string{} // refund key -> its credit note
	for _, d := range decided {
		if d.State == refund.Booked {
			booked[d.Key()] = d.CreditNoteNumber
		}
	}
	var keys, numbers []string
	if item != nil {
		for key, nums := range refund.CreditedAgain(item, decided) {
			for _, n := range nums {
				keys, numbers = append(keys, key), append(numbers, n)
			}
		}
	}
	var added []Flag
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM credited_again c WHERE c.tenant = $1 AND c.item_id = $2
			AND NOT EXISTS (SELECT FROM unnest($3::text[], $4::text[]) AS k(key, num) WHERE k.key = c.refund_key AND k.num = c.credit_note_number)`,
			tenant, itemID, keys, numbers); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `INSERT INTO credited_again (tenant, item_id, refund_key, credit_note_number, flagged_at)
			SELECT $1, $2, key, num, $5 FROM unnest($3::text[], $4::text[]) AS k(key, num)
			ON CONFLICT (tenant, refund_key, credit_note_number) DO NOTHING
			RETURNING refund_key, credit_note_number`, tenant, itemID, keys, numbers, now)
		if err != nil {
			return err
		}
		defer rows.Close()
		added = added[:0]
		for rows.Next() {
			f := Flag{Tenant: tenant, OrderID: order, ItemID: itemID}
			if err := rows.Scan(&f.RefundKey, &f.By); err != nil {
				return err
			}
			f.CreditNote = booked[f.RefundKey]
			added = append(added, f)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("credited again: item %s: %w", itemID, err)
	}
	return added, nil
}

// creditedAgainBy returns the shop credit note numbers flagged on each of
// tenant's refunds keys, oldest flag first.
func (s *Store) creditedAgainBy(ctx context.Context, tenant string, keys []string) (map[string][]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT refund_key, credit_note_number FROM credited_again
		WHERE tenant = $1 AND refund_key = ANY($2) ORDER BY flagged_at, credit_note_number`, tenant, keys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var key, num string
		if err := rows.Scan(&key, &num); err != nil {
			return nil, err
		}
		out[key] = append(out[key], num)
	}
	return out, rows.Err()
}
