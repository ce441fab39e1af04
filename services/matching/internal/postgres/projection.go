package postgres

import (
	"context"
	"encoding/json"
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
// into its row in order. The rows are read (and locked) with one
// statement and written with one each for payments and sent_allocations,
// so the transaction, which holds back the event-store relay of every
// service while it is open, stays short.
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
	if len(order) == 0 {
		return nil
	}
	tenants, ids := make([]string, len(order)), make([]string, len(order))
	for i, k := range order {
		tenants[i], ids[i] = k.tenant, k.id
	}
	rows, err := tx.Query(ctx, `SELECT p.tenant, p.payment_id, p.exception FROM payments p
		JOIN unnest($1::text[], $2::text[]) AS k(tenant, payment_id) USING (tenant, payment_id)
		ORDER BY p.tenant, p.payment_id FOR UPDATE OF p`, tenants, ids)
	if err != nil {
		return fmt.Errorf("payments: %w", err)
	}
	stored := map[key][]byte{}
	for rows.Next() {
		var k key
		var raw []byte
		if err := rows.Scan(&k.tenant, &k.id, &raw); err != nil {
			rows.Close()
			return fmt.Errorf("payments: %w", err)
		}
		stored[k] = raw
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("payments: %w", err)
	}
	var w batchWrite
	for _, k := range order {
		if err := s.project(ctx, tx, &w, k.tenant, k.id, stored[k], byStream[k]); err != nil {
			return err
		}
	}
	return w.flush(ctx, tx)
}

// batchWrite gathers a batch's rows of payments and sent_allocations, one
// column array each, to write with one statement per table.
type batchWrite struct {
	// payments, one row per payment stream of the batch.
	tenant, id, tx, state, currency, ledgerID, remittance []string
	amount, version                                       []int64
	debtors                                               [][]string
	received, updated                                     []time.Time
	exception                                             [][]byte
	// sent_allocations.
	sTenant, sDoc, sItem []string
	sAmount              []int64
	sAt                  []time.Time
}

func (w *batchWrite) sent(tenant string, p queue.Pending, at time.Time) {
	w.sTenant, w.sDoc, w.sItem = append(w.sTenant, tenant), append(w.sDoc, p.Document), append(w.sItem, p.Item)
	w.sAmount, w.sAt = append(w.sAmount, p.Amount), append(w.sAt, at)
}

// flush writes the gathered rows. A payment's debtors travel as one JSON
// array per row: PostgreSQL's unnest cannot take an array of arrays of
// different lengths apart.
func (w *batchWrite) flush(ctx context.Context, tx pgx.Tx) error {
	if len(w.sTenant) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO sent_allocations (tenant, document, item_id, amount_minor, sent_at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[])
			ON CONFLICT DO NOTHING`, w.sTenant, w.sDoc, w.sItem, w.sAmount, w.sAt); err != nil {
			return fmt.Errorf("sent allocations: %w", err)
		}
	}
	if len(w.id) == 0 {
		return nil
	}
	debtors := make([]string, len(w.debtors))
	for i, d := range w.debtors {
		b, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("payment %s: %w", w.id[i], err)
		}
		debtors[i] = string(b)
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO payments (tenant, payment_id, transaction_id, state, currency, amount_minor, debtor_ids, ledger_payment_id,
		                      received_at, updated_at, version, exception, remittance)
		SELECT r.tenant, r.payment_id, r.transaction_id, r.state, r.currency, r.amount_minor,
		       ARRAY(SELECT jsonb_array_elements_text(r.debtors)), r.ledger_payment_id, r.received_at, r.updated_at, r.version,
		       r.exception, r.remittance
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::jsonb[], $8::text[],
		            $9::timestamptz[], $10::timestamptz[], $11::bigint[], $12::bytea[], $13::text[])
		     AS r(tenant, payment_id, transaction_id, state, currency, amount_minor, debtors, ledger_payment_id,
		          received_at, updated_at, version, exception, remittance)
		ON CONFLICT (tenant, payment_id) DO UPDATE SET state = EXCLUDED.state, debtor_ids = EXCLUDED.debtor_ids,
		    ledger_payment_id = EXCLUDED.ledger_payment_id, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version,
		    exception = EXCLUDED.exception`,
		w.tenant, w.id, w.tx, w.state, w.currency, w.amount, debtors, w.ledgerID, w.received, w.updated, w.version,
		w.exception, w.remittance)
	if err != nil {
		return fmt.Errorf("payments: %w", err)
	}
	return nil
}

// project folds a payment's new events into its row (raw, nil for a new
// payment) and adds the row to w.
func (s *Store) project(ctx context.Context, tx pgx.Tx, w *batchWrite, tenant, id string, raw []byte, evs []eventstore.Event) error {
	var e queue.Entry
	if raw != nil {
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
		if err := s.sideEffects(ctx, tx, w, tenant, before, e, ev); err != nil {
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
	debtors := []string{}
	for _, p := range e.Proposals {
		if p.Debtor != "" && !slices.Contains(debtors, p.Debtor) {
			debtors = append(debtors, p.Debtor)
		}
	}
	if e.Match != nil && e.Match.Debtor != "" && !slices.Contains(debtors, e.Match.Debtor) {
		debtors = append(debtors, e.Match.Debtor)
	}
	w.tenant, w.id, w.tx = append(w.tenant, tenant), append(w.id, id), append(w.tx, e.Stored.GetTransactionId())
	w.state, w.currency = append(w.state, string(e.State)), append(w.currency, e.Payment.Amount.Currency)
	w.amount, w.debtors = append(w.amount, e.Payment.Amount.Minor), append(w.debtors, debtors)
	w.ledgerID, w.received, w.updated = append(w.ledgerID, e.LedgerPaymentID), append(w.received, e.ReceivedAt), append(w.updated, e.UpdatedAt)
	w.version, w.exception = append(w.version, e.Version), append(w.exception, b)
	w.remittance = append(w.remittance, e.Stored.GetRemittance())
	return nil
}

// sideEffects records what a decision sent beyond the payment's row: the
// allocations it leaves pending (gathered in w), the return it books, the
// payer it teaches or forgets.
func (s *Store) sideEffects(ctx context.Context, tx pgx.Tx, w *batchWrite, tenant string, before, after queue.Entry, ev eventstore.Event) error {
	var sent []queue.Pending
	switch m := ev.Payload.(type) {
	case *matchingv1.PaymentDecided:
		if after.State == queue.Matched && after.Match != nil {
			sent = queue.PendingOf(*after.Match, after.LedgerPaymentID)
			// What an automatic decision taught counts like a person's
			// confirmation (below).
			if cp := m.GetLearnedCounterpartyId(); cp != "" && after.Match.Debtor != "" && !after.Return() {
				if err := learnPayer(ctx, tx, tenant, cp, after.Match.Debtor, ev.OccurredAt); err != nil {
					return err
				}
			}
		}
	case *matchingv1.PaymentMatched:
		sent = queue.PendingOf(*after.Match, after.LedgerPaymentID)
		if cp := m.GetCounterpartyId(); cp != "" && after.Match.Debtor != "" && !after.Return() {
			if err := learnPayer(ctx, tx, tenant, cp, after.Match.Debtor, ev.OccurredAt); err != nil {
				return err
			}
		}
	case *matchingv1.PaymentUnmatched:
		if before.Match != nil {
			for _, a := range before.Match.Allocations {
				sent = append(sent, queue.Pending{Item: a.Item, Document: m.GetLedgerPaymentId(), Amount: -a.Amount})
			}
		}
		// Take back the confirmation the person's match or the automatic
		// decision taught (above); the fact stays while another standing
		// match confirms it.
		cp := before.Learned
		if before.Resolution != "" {
			cp = before.Stored.GetCounterpartyId()
		}
		if cp != "" && before.Match != nil && before.Match.Debtor != "" && !before.Return() {
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
		w.sent(tenant, p, ev.OccurredAt)
	}
	return nil
}

// learnPayer adds one confirmation of counterparty cp for debtor at.
func learnPayer(ctx context.Context, tx pgx.Tx, tenant, cp, debtor string, at time.Time) error {
	if _, err := tx.Exec(ctx, `
		INSERT INTO learned_payers (tenant, counterparty_id, debtor_id, confirmations, last_at) VALUES ($1, $2, $3, 1, $4)
		ON CONFLICT (tenant, counterparty_id, debtor_id) DO UPDATE
		SET confirmations = learned_payers.confirmations + 1, last_at = EXCLUDED.last_at`,
		tenant, cp, debtor, at); err != nil {
		return fmt.Errorf("learn payer %s of debtor %s: %w", cp, debtor, err)
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
