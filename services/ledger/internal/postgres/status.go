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

// invoiceStatus adds p to the batch's invoice status facts.
func invoiceStatus(q *pipeline, ev eventstore.Event, p *statusv1.InvoiceStatusChanged) error {
	b, err := storedFact(ev, p)
	if err != nil {
		return fmt.Errorf("project status of invoice %s: %w", p.GetInvoiceNumber(), err)
	}
	q.invoiceFact(factRow{key: [3]string{p.GetTenant(), p.GetOpenItemId()}, fact: b, position: ev.Position, invoice: p})
	return nil
}

// customerStatus adds p to the batch's customer status facts.
func customerStatus(q *pipeline, ev eventstore.Event, p *statusv1.CustomerStatusChanged) error {
	b, err := storedFact(ev, p)
	if err != nil {
		return fmt.Errorf("project status of customer %s: %w", p.GetDebtorId(), err)
	}
	q.customerFact(factRow{key: [3]string{p.GetTenant(), p.GetDebtorId(), p.GetOpen().GetCurrency()}, fact: b, position: ev.Position})
	return nil
}

// factRow is a status fact of a batch: its row's key (tenant and open
// item, or tenant, debtor and currency), the stored fact and its event's
// position.
type factRow struct {
	key      [3]string
	fact     []byte
	position int64
	invoice  *statusv1.InvoiceStatusChanged // for invoice facts
}

// facts are the status facts of a batch, one per row: of several facts for
// one row the one with the highest position, which is the one the upserts
// below keep whatever the order they are applied in.
type facts struct {
	rows  []factRow
	index map[[3]string]int
}

func (f *facts) add(r factRow) {
	if i, ok := f.index[r.key]; ok {
		if r.position > f.rows[i].position {
			f.rows[i] = r
		}
		return
	}
	if f.index == nil {
		f.index = map[[3]string]int{}
	}
	f.index[r.key] = len(f.rows)
	f.rows = append(f.rows, r)
}

// upsertInvoiceStatus and upsertCustomerStatus replace each row unless a
// later fact (higher event position) is there.
const (
	upsertInvoiceStatus = `
		INSERT INTO invoice_status AS s (tenant, open_item_id, invoice_number, debtor_id, status, fact, event_position)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bigint[])
		ON CONFLICT (tenant, open_item_id) DO UPDATE SET invoice_number = EXCLUDED.invoice_number,
		    debtor_id = EXCLUDED.debtor_id, status = EXCLUDED.status, fact = EXCLUDED.fact,
		    event_position = EXCLUDED.event_position
		WHERE s.event_position < EXCLUDED.event_position`
	upsertCustomerStatus = `
		INSERT INTO customer_status AS s (tenant, debtor_id, currency, fact, event_position)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bigint[])
		ON CONFLICT (tenant, debtor_id, currency) DO UPDATE SET fact = EXCLUDED.fact, event_position = EXCLUDED.event_position
		WHERE s.event_position < EXCLUDED.event_position`
)

// queueFacts queues one upsert for the batch's invoice facts and one for
// its customer facts.
func (q *pipeline) queueFacts() {
	if n := len(q.invoices.rows); n > 0 {
		tenants, ids, numbers, debtors, statuses := make(eventstore.TextArray, n), make(eventstore.TextArray, n), make(eventstore.TextArray, n), make(eventstore.TextArray, n), make(eventstore.TextArray, n)
		fs, positions := make(eventstore.BytesArray, n), make(eventstore.Int64Array, n)
		for i, r := range q.invoices.rows {
			tenants[i], ids[i], numbers[i], debtors[i] = r.key[0], r.key[1], r.invoice.GetInvoiceNumber(), r.invoice.GetDebtorId()
			statuses[i], fs[i], positions[i] = r.invoice.GetStatus().String(), r.fact, r.position
		}
		q.queue(fmt.Sprintf("project the status of %d invoices", n), upsertInvoiceStatus, tenants, ids, numbers, debtors, statuses, fs, positions)
	}
	if n := len(q.customers.rows); n > 0 {
		tenants, debtors, currencies := make(eventstore.TextArray, n), make(eventstore.TextArray, n), make(eventstore.TextArray, n)
		fs, positions := make(eventstore.BytesArray, n), make(eventstore.Int64Array, n)
		for i, r := range q.customers.rows {
			tenants[i], debtors[i], currencies[i], fs[i], positions[i] = r.key[0], r.key[1], r.key[2], r.fact, r.position
		}
		q.queue(fmt.Sprintf("project the status of %d customers", n), upsertCustomerStatus, tenants, debtors, currencies, fs, positions)
	}
	q.invoices, q.customers = facts{}, facts{}
}

func (q *pipeline) invoiceFact(r factRow)  { q.invoices.add(r) }
func (q *pipeline) customerFact(r factRow) { q.customers.add(r) }

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
