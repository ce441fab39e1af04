// Package postgres stores ingestion's master data (debtors' personal data)
// and its rejections in the service's PostgreSQL schema. Accepted invoices
// go to the event store, not here.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is ingestion's PostgreSQL schema.
const Schema = "ingestion"

// Migrations returns ingestion's own migrations (applied after the event
// store's).
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations") // embedded: cannot fail
	return sub
}

// ErrNotFound means the rejection does not exist.
var ErrNotFound = errors.New("rejection not found")

// ErrNotOpen means the rejection was already replayed or resolved.
var ErrNotOpen = errors.New("rejection is not open")

// Store is ingestion's storage.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store on pool (connected with search_path = Schema).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// SaveDebtor records the debtor's master data, replacing what was known. A
// debtor that was erased stays erased: its personal data is not written back.
func (s *Store) SaveDebtor(ctx context.Context, tenant string, d *shopv1.Debtor) error {
	var addr []byte
	if a := d.GetBillingAddress(); a != nil {
		var err error
		if addr, err = json.Marshal(a); err != nil {
			return fmt.Errorf("save debtor %s: %w", d.GetCustomerId(), err)
		}
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO debtors (tenant, debtor_id, kind, name, vat_id, email, address)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tenant, debtor_id) DO UPDATE
		SET kind = EXCLUDED.kind, name = EXCLUDED.name, vat_id = EXCLUDED.vat_id,
		    email = EXCLUDED.email, address = EXCLUDED.address, updated_at = now()
		WHERE debtors.erased_at IS NULL`,
		tenant, d.GetCustomerId(), d.GetKind().String(), d.GetName(), d.GetVatId(), d.GetEmail(), addr)
	if err != nil {
		return fmt.Errorf("save debtor %s: %w", d.GetCustomerId(), err)
	}
	return nil
}

// Rejection is a message ingestion could not accept.
type Rejection struct {
	ID            uuid.UUID
	Tenant        string
	Subject       string
	ContentType   string
	MsgID         string
	Headers       map[string][]string
	Payload       []byte
	InvoiceNumber string
	ReasonCode    string
	Reason        string
	State         string
	RejectedAt    time.Time
	ClosedAt      *time.Time
	ClosedBy      string
	Note          string
}

// Reject records r as an open rejection and returns its id. A message that
// is already recorded as open with the same reason code (a redelivery) is
// not recorded twice; the existing id is returned.
func (s *Store) Reject(ctx context.Context, r Rejection) (uuid.UUID, error) {
	if r.Headers == nil {
		r.Headers = map[string][]string{}
	}
	hdr, err := json.Marshal(r.Headers)
	if err != nil {
		return uuid.Nil, fmt.Errorf("record rejection: %w", err)
	}
	id := uuid.New()
	var got uuid.UUID
	err = s.pool.QueryRow(ctx, `
		INSERT INTO rejections (id, tenant, subject, content_type, msg_id, headers, payload, invoice_number, reason_code, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (tenant, subject, sha256(payload), reason_code) WHERE state = 'open'
		DO UPDATE SET reason = EXCLUDED.reason
		RETURNING id`,
		id, r.Tenant, r.Subject, r.ContentType, r.MsgID, hdr, r.Payload, r.InvoiceNumber, r.ReasonCode, r.Reason).Scan(&got)
	if err != nil {
		return uuid.Nil, fmt.Errorf("record rejection: %w", err)
	}
	return got, nil
}

const rejectionColumns = `id, tenant, subject, content_type, msg_id, headers, payload, invoice_number,
	reason_code, reason, state, rejected_at, closed_at, closed_by, note`

func scanRejection(row pgx.Row) (Rejection, error) {
	var r Rejection
	var hdr []byte
	err := row.Scan(&r.ID, &r.Tenant, &r.Subject, &r.ContentType, &r.MsgID, &hdr, &r.Payload, &r.InvoiceNumber,
		&r.ReasonCode, &r.Reason, &r.State, &r.RejectedAt, &r.ClosedAt, &r.ClosedBy, &r.Note)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(hdr, &r.Headers); err != nil {
		return r, fmt.Errorf("rejection %s: headers: %w", r.ID, err)
	}
	return r, nil
}

// ListRejections returns up to limit rejections, newest first, filtered by
// tenant and state when they are not empty.
func (s *Store) ListRejections(ctx context.Context, tenant, state string, limit int) ([]Rejection, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+rejectionColumns+` FROM rejections
		WHERE ($1 = '' OR tenant = $1) AND ($2 = '' OR state = $2)
		ORDER BY rejected_at DESC, id LIMIT $3`, tenant, state, limit)
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", err)
	}
	defer rows.Close()
	var out []Rejection
	for rows.Next() {
		r, err := scanRejection(rows)
		if err != nil {
			return nil, fmt.Errorf("list rejections: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rejections: %w", err)
	}
	return out, nil
}

// GetRejection returns one rejection or ErrNotFound.
func (s *Store) GetRejection(ctx context.Context, id uuid.UUID) (Rejection, error) {
	r, err := scanRejection(s.pool.QueryRow(ctx, `SELECT `+rejectionColumns+` FROM rejections WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("rejection %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("rejection %s: %w", id, err)
	}
	return r, nil
}

// Close moves an open rejection to state ("replayed" or "resolved"),
// recording who and why. It returns ErrNotFound or ErrNotOpen.
func (s *Store) Close(ctx context.Context, id uuid.UUID, state, actor, note string) (Rejection, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE rejections SET state = $2, closed_at = now(), closed_by = $3, note = $4
		WHERE id = $1 AND state = 'open'`, id, state, actor, note)
	if err != nil {
		return Rejection{}, fmt.Errorf("close rejection %s: %w", id, err)
	}
	r, err := s.GetRejection(ctx, id)
	if err != nil {
		return r, err
	}
	if tag.RowsAffected() == 0 {
		return r, fmt.Errorf("rejection %s is %s: %w", id, r.State, ErrNotOpen)
	}
	return r, nil
}

// UpdateReason records a new reason on an open rejection after a failed replay.
func (s *Store) UpdateReason(ctx context.Context, id uuid.UUID, code, reason string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE rejections SET reason_code = $2, reason = $3 WHERE id = $1 AND state = 'open'`, id, code, reason); err != nil {
		return fmt.Errorf("update rejection %s: %w", id, err)
	}
	return nil
}
