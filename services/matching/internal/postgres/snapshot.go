package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/services/matching/internal/engine"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// Learned is a payer fact people confirmed or automatic decisions taught
// (PaymentDecided.learned_counterparty_id): payments from Counterparty are
// Debtor's, Confirmations times (both kinds counted alike, less the
// unmatched ones).
type Learned struct {
	Counterparty, Debtor string
	Confirmations        int
}

// Recent is a booked payment of the returns window, for the engine to
// remember: its decision (Payment.ID the ledger payment id, no payer yet)
// and its counterparty, whose payer the caller resolves.
type Recent struct {
	Decision     engine.Decision
	Counterparty string
}

// Snapshot is what the store holds for a tenant's engine (the payers and
// debtors' master data come from ingestion).
type Snapshot struct {
	Items   []engine.OpenItem
	Learned []Learned
	Recent  []Recent
	Decided []string
	Pending []queue.Pending
}

// Snapshot reads what tenant's engine starts from: the matchable items
// that are open, or were cleared after since (a return may reopen them);
// the payer facts learned; the payments booked after since and the ids of
// the payments that arrived after decidedSince (a redelivery of an older
// bank transaction is impossible: the stream keeps messages for less);
// and the allocations sent after pendingSince that the ledger has not
// reported back (see queue.PendingTTL).
func (s *Store) Snapshot(ctx context.Context, tenant string, since, decidedSince, pendingSince time.Time) (Snapshot, error) {
	var snap Snapshot
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+itemColumns+` FROM `+itemFrom+`
			WHERE i.tenant = $1 AND i.amount_minor > 0 AND (i.open_minor <> 0 OR i.cleared_at > $2)`, tenant, since)
		if err != nil {
			return err
		}
		for rows.Next() {
			it, err := scanItem(rows)
			if err != nil {
				rows.Close()
				return err
			}
			if it.Kind != "" {
				snap.Items = append(snap.Items, it)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT counterparty_id, debtor_id, confirmations FROM learned_payers WHERE tenant = $1
			ORDER BY last_at`, tenant)
		if err != nil {
			return err
		}
		if snap.Learned, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Learned, error) {
			var l Learned
			err := r.Scan(&l.Counterparty, &l.Debtor, &l.Confirmations)
			return l, err
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT exception FROM payments WHERE tenant = $1 AND state = 'matched' AND updated_at > $2
			ORDER BY received_at, payment_id`, tenant, since)
		if err != nil {
			return err
		}
		if snap.Recent, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Recent, error) {
			var b []byte
			if err := r.Scan(&b); err != nil {
				return Recent{}, err
			}
			var ex matchingv1.Exception
			if err := proto.Unmarshal(b, &ex); err != nil {
				return Recent{}, err
			}
			return recent(queue.Resume(tenant, &ex)), nil
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT payment_id FROM payments WHERE tenant = $1 AND received_at > $2`, tenant, decidedSince)
		if err != nil {
			return err
		}
		if snap.Decided, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT a.item_id, a.document, a.amount_minor, a.sent_at FROM sent_allocations a
			WHERE a.tenant = $1 AND a.sent_at > $2 AND NOT EXISTS (SELECT 1 FROM ledger_settlements s
				WHERE s.tenant = a.tenant AND s.item_id = a.item_id AND s.document = a.document AND (a.amount_minor > 0 OR s.undone))`,
			tenant, pendingSince)
		if err != nil {
			return err
		}
		snap.Pending, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (queue.Pending, error) {
			var p queue.Pending
			err := r.Scan(&p.Item, &p.Document, &p.Amount, &p.Sent)
			p.Sent = p.Sent.UTC()
			return p, err
		})
		return err
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot of tenant %s: %w", tenant, err)
	}
	return snap, nil
}

// recent is the decision a matched entry booked, as the engine remembers
// it.
func recent(e queue.Entry) Recent {
	d := engine.Decision{Payment: e.Payment, Kind: engine.Confirmed}
	d.Payment.ID = e.LedgerPaymentID
	if m := e.Match; m != nil {
		d.Debtor, d.Allocations, d.Difference, d.Reverses = m.Debtor, m.Allocations, m.Difference, m.Reverses
		if m.Settlement != nil {
			d.Allocations = append(d.Allocations, m.Settlement.Items...)
		}
	}
	return Recent{Decision: d, Counterparty: e.Stored.GetCounterpartyId()}
}
