package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// ProjectionName is the checkpoint name of the payments projection.
const ProjectionName = "matching-payments"

// Projection returns the projection of matching's own events into the
// exception queue (payments), the allocations sent (sent_allocations),
// the returns booked (returns) and what the engine learned
// (learned_payers), each batch in the transaction that moves its
// checkpoint. poll is how often it looks for new events.
func (s *Store) Projection(poll time.Duration) eventstore.Projection {
	return eventstore.Projection{Name: ProjectionName, Poll: poll, Apply: s.apply}
}

// apply projects a batch: the events of each payment stream are folded
// into its row in order.
func (s *Store) apply(ctx context.Context, tx pgx.Tx, evs []eventstore.Event) error {
	type key struct{ tenant, id string }
	byStream := map[key][]eventstore.Event{}
	var order []key
	for _, ev := range evs {
		if ev.Stream.Type != queue.StreamType {
			continue
		}
		k := key{ev.Stream.Tenant, ev.Stream.ID}
		if _, ok := byStream[k]; !ok {
			order = append(order, k)
		}
		byStream[k] = append(byStream[k], ev)
	}
	for _, k := range order {
		if err := s.project(ctx, tx, k.tenant, k.id, byStream[k]); err != nil {
			return err
		}
	}
	return nil
}

// project folds a payment's new events into its row.
func (s *Store) project(ctx context.Context, tx pgx.Tx, tenant, id string, evs []eventstore.Event) error {
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT exception FROM payments WHERE tenant = $1 AND payment_id = $2 FOR UPDATE`, tenant, id).Scan(&raw)
	var e queue.Entry
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return fmt.Errorf("payment %s: %w", id, err)
	default:
		var ex matchingv1.Exception
		if err := proto.Unmarshal(raw, &ex); err != nil {
			return fmt.Errorf("payment %s: %w", id, err)
		}
		e = queue.Resume(tenant, &ex)
	}
	for _, ev := range evs {
		if ev.Version <= e.Version {
			continue // projected before
		}
		before := e
		if err := e.Next(tenant, ev); err != nil {
			return fmt.Errorf("payment %s: %w", id, err)
		}
		if err := s.sideEffects(ctx, tx, tenant, before, e, ev); err != nil {
			return fmt.Errorf("payment %s version %d: %w", id, ev.Version, err)
		}
	}
	if e.Stored == nil {
		return nil
	}
	b, err := proto.Marshal(queue.ExceptionMsg(e))
	if err != nil {
		return fmt.Errorf("payment %s: %w", id, err)
	}
	var debtors []string
	for _, p := range e.Proposals {
		if p.Debtor != "" && !slices.Contains(debtors, p.Debtor) {
			debtors = append(debtors, p.Debtor)
		}
	}
	if e.Match != nil && e.Match.Debtor != "" && !slices.Contains(debtors, e.Match.Debtor) {
		debtors = append(debtors, e.Match.Debtor)
	}
	if debtors == nil {
		debtors = []string{}
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO payments (tenant, payment_id, transaction_id, state, currency, amount_minor, debtor_ids, ledger_payment_id,
		                      received_at, updated_at, version, exception, remittance)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (tenant, payment_id) DO UPDATE SET state = EXCLUDED.state, debtor_ids = EXCLUDED.debtor_ids,
		    ledger_payment_id = EXCLUDED.ledger_payment_id, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version,
		    exception = EXCLUDED.exception`,
		tenant, id, e.Stored.GetTransactionId(), string(e.State), e.Payment.Amount.Currency, e.Payment.Amount.Minor, debtors,
		e.LedgerPaymentID, e.ReceivedAt, e.UpdatedAt, e.Version, b, e.Stored.GetRemittance())
	if err != nil {
		return fmt.Errorf("payment %s: %w", id, err)
	}
	return nil
}

// sideEffects records what a decision sent beyond the payment's row: the
// allocations it leaves pending, the return it books, the payer it
// teaches.
func (s *Store) sideEffects(ctx context.Context, tx pgx.Tx, tenant string, before, after queue.Entry, ev eventstore.Event) error {
	var sent []queue.Pending
	switch m := ev.Payload.(type) {
	case *matchingv1.PaymentDecided:
		if after.State == queue.Matched && after.Match != nil {
			sent = queue.PendingOf(*after.Match, after.LedgerPaymentID)
		}
	case *matchingv1.PaymentMatched:
		sent = queue.PendingOf(*after.Match, after.LedgerPaymentID)
		if cp := m.GetCounterpartyId(); cp != "" && after.Match.Debtor != "" && !after.Return() {
			if _, err := tx.Exec(ctx, `
				INSERT INTO learned_payers (tenant, counterparty_id, debtor_id, confirmations, last_at) VALUES ($1, $2, $3, 1, $4)
				ON CONFLICT (tenant, counterparty_id, debtor_id) DO UPDATE
				SET confirmations = learned_payers.confirmations + 1, last_at = EXCLUDED.last_at`,
				tenant, cp, after.Match.Debtor, ev.OccurredAt); err != nil {
				return err
			}
		}
	case *matchingv1.PaymentUnmatched:
		if before.Match != nil {
			for _, a := range before.Match.Allocations {
				sent = append(sent, queue.Pending{Item: a.Item, Document: m.GetLedgerPaymentId(), Amount: -a.Amount})
			}
		}
		// Take back the confirmation the person's match taught (above);
		// the fact stays while another standing match confirms it.
		if cp := before.Stored.GetCounterpartyId(); cp != "" && before.Match != nil && before.Match.Debtor != "" &&
			before.Resolution != "" && !before.Return() {
			if err := forgetPayer(ctx, tx, tenant, cp, before.Match.Debtor); err != nil {
				return err
			}
		}
	}
	if after.State == queue.Matched && after.Match != nil && after.Match.Reverses != "" && before.State != queue.Matched {
		if _, err := tx.Exec(ctx, `INSERT INTO returns (tenant, ledger_payment_id, return_id) VALUES ($1, $2, $3)
			ON CONFLICT (tenant, ledger_payment_id) DO NOTHING`, tenant, after.Match.Reverses, after.Payment.ID); err != nil {
			return err
		}
	}
	if after.State == queue.Matched && after.Match != nil && after.Match.Settlement != nil && before.State != queue.Matched {
		if _, err := tx.Exec(ctx, `UPDATE settlement_reports SET paid_by = $3 WHERE tenant = $1 AND settlement_id = $2`,
			tenant, after.Match.Settlement.ID, after.Payment.ID); err != nil {
			return err
		}
	}
	for _, p := range sent {
		if _, err := tx.Exec(ctx, `INSERT INTO sent_allocations (tenant, document, item_id, amount_minor, sent_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, tenant, p.Document, p.Item, p.Amount, ev.OccurredAt); err != nil {
			return err
		}
	}
	return nil
}

// forgetPayer takes one confirmation of counterparty cp for debtor back
// and deletes the fact when none is left.
func forgetPayer(ctx context.Context, tx pgx.Tx, tenant, cp, debtor string) error {
	_, err := tx.Exec(ctx, `UPDATE learned_payers SET confirmations = confirmations - 1
		WHERE tenant = $1 AND counterparty_id = $2 AND debtor_id = $3`, tenant, cp, debtor)
	if err == nil {
		_, err = tx.Exec(ctx, `DELETE FROM learned_payers
			WHERE tenant = $1 AND counterparty_id = $2 AND debtor_id = $3 AND confirmations <= 0`, tenant, cp, debtor)
	}
	if err != nil {
		return fmt.Errorf("forget payer %s of debtor %s: %w", cp, debtor, err)
	}
	return nil
}
