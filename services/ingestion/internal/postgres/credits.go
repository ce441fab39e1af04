package postgres

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ingestion/internal/credit"
)

// CreditNotesProjection is the checkpoint name of the credit notes read
// model.
const CreditNotesProjection = "credit-notes"

// CreditNotes is the read model of the credit notes people requested
// (table credit_notes): it lists them per tenant, debtor and state.
type CreditNotes struct {
	pool *pgxpool.Pool
}

// NewCreditNotes returns the read model on pool.
func NewCreditNotes(pool *pgxpool.Pool) *CreditNotes { return &CreditNotes{pool: pool} }

// Projection keeps the read model from the event log: a request's events
// write its row, and a shop's credit note that names a request (its
// CreditNoteIngested's request_id, not issued by o2c) marks the row
// ISSUED_BY_SHOP with the shop's number. Poll is how often it looks for
// new events.
func (c *CreditNotes) Projection(poll time.Duration) eventstore.Projection {
	return eventstore.Projection{Name: CreditNotesProjection, Poll: poll, Apply: c.apply}
}

func (c *CreditNotes) apply(ctx context.Context, tx pgx.Tx, evs []eventstore.Event) error {
	for _, ev := range evs {
		switch e := ev.Payload.(type) {
		case *ingestionv1.CreditNoteRequested:
			v := credit.State{Requested: e, RequestedAt: ev.OccurredAt}.View()
			if err := put(ctx, tx, v, ev.OccurredAt); err != nil {
				return err
			}
		case *ingestionv1.CreditNoteApproved:
			// Numbered or sent to the shop by the next event.
			err := update(ctx, tx, e.GetTenant(), e.GetRequestId(), func(v *ingestionv1.CreditNote) {
				v.DecidedBy, v.DecidedAt = e.GetApprovedBy(), timestamppb.New(ev.OccurredAt)
			})
			if err != nil {
				return err
			}
		case *statusv1.ShopCreditNoteRequested:
			err := update(ctx, tx, e.GetTenant(), e.GetRequestId(), func(v *ingestionv1.CreditNote) {
				v.State = ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_SENT_TO_SHOP
			})
			if err != nil {
				return err
			}
		case *ingestionv1.CreditNoteRejected:
			err := update(ctx, tx, e.GetTenant(), e.GetRequestId(), func(v *ingestionv1.CreditNote) {
				v.State, v.DecidedBy, v.RejectionReason = ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_REJECTED, e.GetRejectedBy(), e.GetReason()
				v.DecidedAt = timestamppb.New(ev.OccurredAt)
			})
			if err != nil {
				return err
			}
		case *ingestionv1.CreditNoteNumbered:
			if ev.Stream.Type != credit.RequestStream {
				continue // the range's copy
			}
			err := update(ctx, tx, e.GetTenant(), e.GetRequestId(), func(v *ingestionv1.CreditNote) {
				v.State, v.CreditNoteNumber, v.IssueDate = ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_ISSUED, e.GetCreditNoteNumber(), e.GetIssueDate()
				v.DecidedAt = timestamppb.New(ev.OccurredAt)
			})
			if err != nil {
				return err
			}
		case *ingestionv1.CreditNoteIngested:
			if e.GetRequestId() == "" || strings.HasPrefix(e.GetSourceHash(), credit.SourcePrefix) {
				continue
			}
			err := update(ctx, tx, e.GetTenant(), e.GetRequestId(), func(v *ingestionv1.CreditNote) {
				v.State, v.CreditNoteNumber, v.IssueDate = ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_ISSUED_BY_SHOP, e.GetCreditNoteNumber(), e.GetIssueDate()
				v.Gross, v.Vat = e.GetGross(), e.GetVat()
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func put(ctx context.Context, tx pgx.Tx, v *ingestionv1.CreditNote, at time.Time) error {
	b, err := proto.Marshal(v)
	if err != nil {
		return fmt.Errorf("credit note %s: %w", v.GetRequestId(), err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO credit_notes (tenant, request_id, debtor_id, state, requested_at, view)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant, request_id) DO UPDATE SET state = EXCLUDED.state, view = EXCLUDED.view`,
		v.GetTenant(), v.GetRequestId(), v.GetDebtorId(), v.GetState().String(), at, b)
	if err != nil {
		return fmt.Errorf("store credit note %s: %w", v.GetRequestId(), err)
	}
	return nil
}

// update changes the row of a request; a request without a row (a shop's
// credit note naming an id never requested, which ingestion refuses
// before storing) changes nothing.
func update(ctx context.Context, tx pgx.Tx, tenant, id string, change func(*ingestionv1.CreditNote)) error {
	var b []byte
	var at time.Time
	err := tx.QueryRow(ctx, `SELECT view, requested_at FROM credit_notes WHERE tenant = $1 AND request_id = $2`, tenant, id).Scan(&b, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read credit note %s: %w", id, err)
	}
	v := &ingestionv1.CreditNote{}
	if err := proto.Unmarshal(b, v); err != nil {
		return fmt.Errorf("credit note %s: %w", id, err)
	}
	change(v)
	return put(ctx, tx, v, at)
}

// List returns a page of a tenant's credit notes, newest request first:
// only debtor's when not empty, only those in state when not UNSPECIFIED.
// The token is the previous page's next token; a token this store did not
// issue is credit.ErrInvalid.
func (c *CreditNotes) List(ctx context.Context, tenant, debtor string, state ingestionv1.CreditNoteState, size int, token string) ([]*ingestionv1.CreditNote, string, error) {
	if size <= 0 {
		size = 50
	}
	size = min(size, 200)
	after, afterID := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), ""
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		ts, id, ok := strings.Cut(string(raw), "|")
		var t time.Time
		if err == nil && ok {
			t, err = time.Parse(time.RFC3339Nano, ts)
		}
		if err != nil || !ok {
			return nil, "", fmt.Errorf("%w: page_token %q is not one this service issued", credit.ErrInvalid, token)
		}
		after, afterID = t, id
	}
	st := ""
	if state != ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_UNSPECIFIED {
		st = state.String()
	}
	rows, err := c.pool.Query(ctx, `SELECT view, requested_at FROM credit_notes
		WHERE tenant = $1 AND ($2 = '' OR debtor_id = $2) AND ($3 = '' OR state = $3)
		  AND (requested_at, request_id) < ($4, $5)
		ORDER BY requested_at DESC, request_id DESC LIMIT $6`, tenant, debtor, st, after, afterID, size+1)
	if err != nil {
		return nil, "", fmt.Errorf("list credit notes: %w", err)
	}
	defer rows.Close()
	var out []*ingestionv1.CreditNote
	var last time.Time
	next := ""
	for rows.Next() {
		var b []byte
		var at time.Time
		if err := rows.Scan(&b, &at); err != nil {
			return nil, "", fmt.Errorf("list credit notes: %w", err)
		}
		if len(out) == size {
			prev := out[len(out)-1]
			next = base64.RawURLEncoding.EncodeToString([]byte(last.UTC().Format(time.RFC3339Nano) + "|" + prev.GetRequestId()))
			break
		}
		v := &ingestionv1.CreditNote{}
		if err := proto.Unmarshal(b, v); err != nil {
			return nil, "", fmt.Errorf("credit note: %w", err)
		}
		out, last = append(out, v), at
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list credit notes: %w", err)
	}
	return out, next, nil
}
