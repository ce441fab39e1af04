package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// ErrUnknownInvoice means a status was asked for an invoice number the
// ledger has not booked for the tenant (or not projected yet).
var ErrUnknownInvoice = errors.New("unknown invoice")

// factBytes encodes a status fact deterministically, so the live read model
// and a rebuild by VerifyReadModels hold the same bytes.
func factBytes(m proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

// storedFact returns the fact's deterministic encoding: the bytes the
// event store holds for ev when it carries them (the encoding made when it
// was appended; no need to encode the payload again), else a fresh
// encoding of p.
func storedFact(ev eventstore.Event, p proto.Message) ([]byte, error) {
	if len(ev.Data) > 0 {
		return ev.Data, nil
	}
	return factBytes(p)
}

func invoiceStatus(q *pipeline, ev eventstore.Event, p *statusv1.InvoiceStatusChanged) error {
	b, err := storedFact(ev, p)
	if err != nil {
		return fmt.Errorf("project status of invoice %s: %w", p.GetInvoiceNumber(), err)
	}
	q.queue("project status of invoice "+p.GetInvoiceNumber(), `
		INSERT INTO invoice_status (tenant, open_item_id, invoice_number, debtor_id, status, fact, event_position)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tenant, open_item_id) DO UPDATE SET invoice_number = EXCLUDED.invoice_number,
		    debtor_id = EXCLUDED.debtor_id, status = EXCLUDED.status, fact = EXCLUDED.fact,
		    event_position = EXCLUDED.event_position
		WHERE invoice_status.event_position < EXCLUDED.event_position`,
		p.GetTenant(), p.GetOpenItemId(), p.GetInvoiceNumber(), p.GetDebtorId(), p.GetStatus().String(), b, ev.Position)
	return nil
}

func customerStatus(q *pipeline, ev eventstore.Event, p *statusv1.CustomerStatusChanged) error {
	b, err := storedFact(ev, p)
	if err != nil {
		return fmt.Errorf("project status of customer %s: %w", p.GetDebtorId(), err)
	}
	q.queue("project status of customer "+p.GetDebtorId(), `
		INSERT INTO customer_status (tenant, debtor_id, currency, fact, event_position)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant, debtor_id, currency) DO UPDATE SET fact = EXCLUDED.fact, event_position = EXCLUDED.event_position
		WHERE customer_status.event_position < EXCLUDED.event_position`,
		p.GetTenant(), p.GetDebtorId(), p.GetOpen().GetCurrency(), b, ev.Position)
	return nil
}

// InvoiceStatus returns the last status fact the ledger published for the
// tenant's invoice number: after a debtor merge, the survivor's. Its errors
// wrap ErrInvalidQuery (no tenant or invoice number), ErrUnknownInvoice, a
// context error, or are storage failures.
func (s *Store) InvoiceStatus(ctx context.Context, tenant, invoiceNumber string) (*statusv1.InvoiceStatusChanged, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	if invoiceNumber == "" || len(invoiceNumber) > maxKeyLen {
		return nil, invalidQuery("invoice_number %q: want 1 to %d bytes", invoiceNumber, maxKeyLen)
	}
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT fact FROM invoice_status WHERE tenant = $1 AND invoice_number = $2
		ORDER BY event_position DESC LIMIT 1`, tenant, invoiceNumber).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w %q of tenant %s", ErrUnknownInvoice, invoiceNumber, tenant)
	}
	if err != nil {
		return nil, fmt.Errorf("status of invoice %s: %w", invoiceNumber, err)
	}
	f := &statusv1.InvoiceStatusChanged{}
	if err := proto.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("status of invoice %s: %w", invoiceNumber, err)
	}
	return f, nil
}

// CustomerStatus returns the last customer status fact per currency of the
// tenant's debtor, by currency, and the current status of each invoice the
// debtor holds, by invoice number; an invoice a merge moved to another
// debtor is left out (the survivor's answer lists it). Its errors wrap
// ErrInvalidQuery (no tenant or debtor id), books.ErrUnknownDebtor (the
// ledger published no status for the debtor), a context error, or are
// storage failures.
func (s *Store) CustomerStatus(ctx context.Context, tenant, debtorID string) ([]*statusv1.CustomerStatusChanged, []*statusv1.InvoiceStatusChanged, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, nil, err
	}
	if debtorID == "" || len(debtorID) > maxKeyLen {
		return nil, nil, invalidQuery("debtor_id %q: want 1 to %d bytes", debtorID, maxKeyLen)
	}
	var batch pgx.Batch
	batch.Queue(`SELECT fact FROM customer_status WHERE tenant = $1 AND debtor_id = $2 ORDER BY currency`, tenant, debtorID)
	batch.Queue(`SELECT i.fact FROM invoice_status i WHERE i.tenant = $1 AND i.debtor_id = $2
		AND NOT EXISTS (SELECT 1 FROM invoice_status n WHERE n.tenant = i.tenant AND n.invoice_number = i.invoice_number
		                AND n.debtor_id <> i.debtor_id AND n.event_position > i.event_position)
		ORDER BY i.invoice_number, i.open_item_id`, tenant, debtorID)
	br := s.pool.SendBatch(ctx, &batch)
	defer br.Close()
	var balances []*statusv1.CustomerStatusChanged
	var invoices []*statusv1.InvoiceStatusChanged
	for q := range 2 {
		rows, err := br.Query()
		if err != nil {
			return nil, nil, fmt.Errorf("status of customer %s: %w", debtorID, err)
		}
		facts, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return nil, nil, fmt.Errorf("status of customer %s: %w", debtorID, err)
		}
		for _, b := range facts {
			var m proto.Message
			if q == 0 {
				c := &statusv1.CustomerStatusChanged{}
				balances, m = append(balances, c), c
			} else {
				i := &statusv1.InvoiceStatusChanged{}
				invoices, m = append(invoices, i), i
			}
			if err := proto.Unmarshal(b, m); err != nil {
				return nil, nil, fmt.Errorf("status of customer %s: %w", debtorID, err)
			}
		}
	}
	if len(balances) == 0 && len(invoices) == 0 {
		return nil, nil, fmt.Errorf("%w %q of tenant %s", books.ErrUnknownDebtor, debtorID, tenant)
	}
	return balances, invoices, nil
}
