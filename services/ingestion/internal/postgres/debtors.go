package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/services/ingestion/internal/erasure"
)

// Debtor is what ingestion's master data holds about one debtor. After an
// erasure Name, VATID, Email and Address are empty and ErasedAt and
// ErasedBy say when and by whom.
type Debtor struct {
	Tenant    string
	DebtorID  string
	Kind      string
	Name      string
	VATID     string
	Email     string
	Address   json.RawMessage // the shop's address message as JSON; nil when none
	UpdatedAt time.Time
	ErasedAt  time.Time // zero while not erased
	ErasedBy  string
}

// Debtor returns the master data of tenant's debtor id, or an error
// wrapping erasure.ErrUnknownDebtor.
func (s *Store) Debtor(ctx context.Context, tenant, id string) (Debtor, error) {
	d := Debtor{Tenant: tenant, DebtorID: id}
	var erasedAt *time.Time
	var addr []byte
	err := s.pool.QueryRow(ctx, `
		SELECT kind, name, vat_id, email, address, updated_at, erased_at, erased_by
		FROM debtors WHERE tenant = $1 AND debtor_id = $2`, tenant, id).
		Scan(&d.Kind, &d.Name, &d.VATID, &d.Email, &addr, &d.UpdatedAt, &erasedAt, &d.ErasedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return Debtor{}, fmt.Errorf("debtor %s of %s: %w", id, tenant, erasure.ErrUnknownDebtor)
	}
	if err != nil {
		return Debtor{}, fmt.Errorf("debtor %s of %s: %w", id, tenant, err)
	}
	if addr != nil {
		d.Address = addr
	}
	if erasedAt != nil {
		d.ErasedAt = erasedAt.UTC()
	}
	d.UpdatedAt = d.UpdatedAt.UTC()
	return d, nil
}

// EraseDebtor overwrites the personal data of tenant's debtor id (name,
// e-mail, VAT id, address) with empty values and records actor and at as
// who erased it and when. It does not check whether the debtor may be
// erased (erasure.Check does). Erasing an erased debtor changes nothing and
// returns its record as it is. The events that name the debtor are not
// touched: they hold no personal data. SaveDebtor never writes personal
// data back into an erased row. Errors wrap erasure.ErrUnknownDebtor.
func (s *Store) EraseDebtor(ctx context.Context, tenant, id, actor string, at time.Time) (Debtor, error) {
	_, err := s.pool.Exec(ctx, `
		UPDATE debtors
		SET name = '', vat_id = '', email = '', address = NULL,
		    iban = '', mandate_id = '', mandate_signed_on = NULL, sequence_type = '',
		    erased_at = $3, erased_by = $4, updated_at = $3
		WHERE tenant = $1 AND debtor_id = $2 AND erased_at IS NULL`,
		tenant, id, at, actor)
	if err != nil {
		return Debtor{}, fmt.Errorf("erase debtor %s of %s: %w", id, tenant, err)
	}
	return s.Debtor(ctx, tenant, id)
}

// InvoiceRef names one invoice of a debtor in ingestion's event store.
type InvoiceRef struct {
	Number    string
	EventID   string
	IssueDate time.Time // UTC midnight
	Position  int64     // position in the event store
}

// invoiceType is the event type of accepted invoices.
var invoiceType = string((&ingestionv1.InvoiceIngested{}).ProtoReflect().Descriptor().FullName())

// DebtorInvoices returns the invoices ingestion accepted for tenant's
// debtor id, in the order they were stored. Events name the debtor only
// inside their payload, so it reads every invoice event of the tenant: a
// request for one person, not a hot path.
func (s *Store) DebtorInvoices(ctx context.Context, tenant, id string) ([]InvoiceRef, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT position, event_id::text, stream_id, payload FROM events
		WHERE tenant = $1 AND stream_type = 'invoice' AND event_type = $2
		ORDER BY position`, tenant, invoiceType)
	if err != nil {
		return nil, fmt.Errorf("invoices of debtor %s of %s: %w", id, tenant, err)
	}
	defer rows.Close()
	var out []InvoiceRef
	for rows.Next() {
		var ref InvoiceRef
		var payload []byte
		if err := rows.Scan(&ref.Position, &ref.EventID, &ref.Number, &payload); err != nil {
			return nil, fmt.Errorf("invoices of debtor %s of %s: %w", id, tenant, err)
		}
		var ev ingestionv1.InvoiceIngested
		if err := proto.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("invoices of debtor %s of %s: event %s: %w", id, tenant, ref.EventID, err)
		}
		if ev.GetDebtorId() != id {
			continue
		}
		if d := ev.GetIssueDate(); d != nil {
			ref.IssueDate = time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
		}
		out = append(out, ref)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("invoices of debtor %s of %s: %w", id, tenant, err)
	}
	return out, nil
}

// RejectionRef names one rejected message that mentions a debtor.
type RejectionRef struct {
	ID         string
	Subject    string
	Reason     string
	State      string
	RejectedAt time.Time
}

// DebtorRejections returns tenant's rejected messages that mention the
// debtor id, newest first: those whose stored message holds the id as a
// JSON string ("id") or as a protobuf string field (its length byte, then
// the id), so that a message of debtor C10 is not taken for one of C1.
func (s *Store) DebtorRejections(ctx context.Context, tenant, id string) ([]RejectionRef, error) {
	quoted, err := json.Marshal(id)
	if err != nil {
		return nil, fmt.Errorf("rejections of debtor %s of %s: %w", id, tenant, err)
	}
	var field []byte
	if len(id) < 128 { // a one-byte varint length
		field = append([]byte{byte(len(id))}, id...)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id::text, subject, reason, state, rejected_at FROM rejections
		WHERE tenant = $1 AND (position($2::bytea IN payload) > 0 OR ($3::bytea IS NOT NULL AND position($3::bytea IN payload) > 0))
		ORDER BY rejected_at DESC, id`, tenant, quoted, field)
	if err != nil {
		return nil, fmt.Errorf("rejections of debtor %s of %s: %w", id, tenant, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RejectionRef, error) {
		var ref RejectionRef
		err := r.Scan(&ref.ID, &ref.Subject, &ref.Reason, &ref.State, &ref.RejectedAt)
		ref.RejectedAt = ref.RejectedAt.UTC()
		return ref, err
	})
	if err != nil {
		return nil, fmt.Errorf("rejections of debtor %s of %s: %w", id, tenant, err)
	}
	return out, nil
}
