package postgres

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// ErrBadPageToken means a page token this store did not issue.
var ErrBadPageToken = errors.New("bad page token")

// Filter selects payments of the exception queue. Zero fields do not
// filter.
type Filter struct {
	// States to list; empty means open and parked.
	States []queue.State
	// ReceivedBefore and ReceivedAfter bound when the payment arrived.
	ReceivedBefore, ReceivedAfter time.Time
	// MinAmount and MaxAmount bound the absolute amount, in Currency
	// (payments in other currencies are left out when either is set).
	MinAmount, MaxAmount *int64
	Currency             string
	// Debtor is a debtor a proposal or the match names.
	Debtor string
	// Limit is the page size; PageToken continues a listing.
	Limit     int
	PageToken string
}

// List returns a page of tenant's payments, oldest first, and the token
// of the next page ("" on the last).
func (s *Store) List(ctx context.Context, tenant string, f Filter) ([]*matchingv1.Exception, string, error) {
	states := []string{string(queue.Open), string(queue.Parked)}
	if len(f.States) > 0 {
		states = states[:0]
		for _, st := range f.States {
			states = append(states, string(st))
		}
	}
	var afterAt time.Time
	var afterID string
	if f.PageToken != "" {
		var err error
		if afterAt, afterID, err = decodeToken(f.PageToken); err != nil {
			return nil, "", err
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, `
		SELECT exception, received_at, payment_id FROM payments
		WHERE tenant = $1 AND state = ANY($2)
		  AND ($3::timestamptz IS NULL OR received_at <= $3) AND ($4::timestamptz IS NULL OR received_at >= $4)
		  AND ($5::bigint IS NULL OR (currency = $7 AND abs(amount_minor) >= $5))
		  AND ($6::bigint IS NULL OR (currency = $7 AND abs(amount_minor) <= $6))
		  AND ($8 = '' OR $8 = ANY(debtor_ids))
		  AND ($9::timestamptz IS NULL OR (received_at, payment_id) > ($9, $10))
		ORDER BY received_at, payment_id LIMIT $11`,
		tenant, states, nullTime(f.ReceivedBefore), nullTime(f.ReceivedAfter), f.MinAmount, f.MaxAmount, f.Currency,
		f.Debtor, nullTime(afterAt), afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list payments: %w", err)
	}
	defer rows.Close()
	var out []*matchingv1.Exception
	var lastAt time.Time
	var lastID string
	for rows.Next() {
		var b []byte
		var at time.Time
		var id string
		if err := rows.Scan(&b, &at, &id); err != nil {
			return nil, "", fmt.Errorf("list payments: %w", err)
		}
		if len(out) == limit {
			return out, encodeToken(lastAt, lastID), nil
		}
		ex := &matchingv1.Exception{}
		if err := proto.Unmarshal(b, ex); err != nil {
			return nil, "", fmt.Errorf("list payments: payment %s: %w", id, err)
		}
		out = append(out, ex)
		lastAt, lastID = at, id
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list payments: %w", err)
	}
	return out, "", nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func encodeToken(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d|%s", at.UnixMicro(), id))
}

func decodeToken(tok string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("%w: %v", ErrBadPageToken, err)
	}
	micro, id, ok := strings.Cut(string(b), "|")
	var us int64
	if _, err := fmt.Sscan(micro, &us); !ok || err != nil || id == "" {
		return time.Time{}, "", ErrBadPageToken
	}
	return time.UnixMicro(us).UTC(), id, nil
}

// Payment returns a payment's row as the queue shows it, and false when
// there is none.
func (s *Store) Payment(ctx context.Context, tenant, id string) (*matchingv1.Exception, bool, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT exception FROM payments WHERE tenant = $1 AND payment_id = $2`, tenant, id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("payment %s: %w", id, err)
	}
	ex := &matchingv1.Exception{}
	if err := proto.Unmarshal(b, ex); err != nil {
		return nil, false, fmt.Errorf("payment %s: %w", id, err)
	}
	return ex, true, nil
}

// FillDocumentNumbers sets the document number of every allocation of the
// exceptions (their proposals, match and settlements) from the items the
// read model holds, with one query; an item it does not hold keeps "".
func (s *Store) FillDocumentNumbers(ctx context.Context, tenant string, exs ...*matchingv1.Exception) error {
	var allocs []*matchingv1.Allocation
	for _, ex := range exs {
		for _, p := range append(slices.Clone(ex.GetProposals()), ex.GetMatch()) {
			allocs = append(allocs, p.GetAllocations()...)
			allocs = append(allocs, p.GetSettlement().GetAllocations()...)
		}
	}
	var ids []string
	for _, a := range allocs {
		if id := a.GetOpenItemId(); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := s.pool.Query(ctx, `SELECT item_id, document_number FROM items WHERE tenant = $1 AND item_id = ANY($2)`, tenant, ids)
	if err != nil {
		return fmt.Errorf("document numbers: %w", err)
	}
	docs := map[string]string{}
	for rows.Next() {
		var id, doc string
		if err := rows.Scan(&id, &doc); err != nil {
			rows.Close()
			return fmt.Errorf("document numbers: %w", err)
		}
		docs[id] = doc
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("document numbers: %w", err)
	}
	for _, a := range allocs {
		a.DocumentNumber = docs[a.GetOpenItemId()]
	}
	return nil
}
