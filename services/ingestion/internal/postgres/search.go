package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
)

// DebtorMatch is a debtor SearchDebtors found, and by what.
type DebtorMatch struct {
	DebtorID, Name, Kind string
	// MatchedBy is "customer_number", "invoice_number", "iban" or "name".
	MatchedBy string
	// InvoiceNumber is the invoice that matched (MatchedBy
	// "invoice_number").
	InvoiceNumber string
	Erased        bool
}

// matchRank orders the kinds of match: the most precise first.
var matchRank = map[string]int{"customer_number": 0, "invoice_number": 1, "iban": 2, "name": 3}

// SearchDebtors returns at most limit of tenant's debtors that query
// finds (see DebtorService.SearchDebtors): customer numbers and invoice
// numbers by their start, IBANs whole (spaces and case ignored), names by
// any part in any case; erased debtors by number only. Each debtor comes
// once, by its most precise match, ordered by match, name and id.
func (s *Store) SearchDebtors(ctx context.Context, tenant, query string, limit int) ([]DebtorMatch, error) {
	q := strings.TrimSpace(query)
	like := escapeLike(q)
	iban := strings.ToUpper(strings.ReplaceAll(q, " ", ""))
	byID := map[string]DebtorMatch{}
	add := func(m DebtorMatch) {
		if old, ok := byID[m.DebtorID]; ok && matchRank[old.MatchedBy] <= matchRank[m.MatchedBy] {
			return
		}
		byID[m.DebtorID] = m
	}
	rows, err := s.pool.Query(ctx, `
		SELECT debtor_id, name, kind, erased_at IS NOT NULL,
		       CASE WHEN debtor_id ILIKE $2 || '%' THEN 'customer_number'
		            WHEN erased_at IS NULL AND iban <> '' AND iban = $3 THEN 'iban'
		            ELSE 'name' END
		FROM debtors
		WHERE tenant = $1
		  AND (debtor_id ILIKE $2 || '%'
		       OR (erased_at IS NULL AND (name ILIKE '%' || $2 || '%' OR (iban <> '' AND iban = $3))))
		ORDER BY name, debtor_id
		LIMIT $4`, tenant, like, iban, limit)
	if err != nil {
		return nil, fmt.Errorf("search debtors of %s: %w", tenant, err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DebtorMatch, error) {
		var m DebtorMatch
		err := r.Scan(&m.DebtorID, &m.Name, &m.Kind, &m.Erased, &m.MatchedBy)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("search debtors of %s: %w", tenant, err)
	}
	for _, m := range ms {
		if m.Erased {
			m.Name = ""
		}
		add(m)
	}
	// Invoice numbers: the accepted invoices' streams, whose first event
	// names the debtor.
	rows, err = s.pool.Query(ctx, `
		SELECT stream_id, payload FROM events
		WHERE tenant = $1 AND stream_type = 'invoice' AND version = 1 AND event_type = $2
		  AND (stream_id LIKE $3 || '%' OR stream_id LIKE $4 || '%')
		ORDER BY stream_id
		LIMIT $5`, tenant, invoiceType, escapeLike(q), escapeLike(strings.ToUpper(q)), limit)
	if err != nil {
		return nil, fmt.Errorf("search invoices of %s: %w", tenant, err)
	}
	type hit struct{ number, debtor string }
	hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (hit, error) {
		var h hit
		var payload []byte
		if err := r.Scan(&h.number, &payload); err != nil {
			return h, err
		}
		var ev ingestionv1.InvoiceIngested
		if err := proto.Unmarshal(payload, &ev); err != nil {
			return h, fmt.Errorf("invoice %s: %w", h.number, err)
		}
		h.debtor = ev.GetDebtorId()
		return h, nil
	})
	if err != nil {
		return nil, fmt.Errorf("search invoices of %s: %w", tenant, err)
	}
	for _, h := range hits {
		if old, ok := byID[h.debtor]; ok && matchRank[old.MatchedBy] <= matchRank["invoice_number"] {
			continue
		}
		d, err := s.Debtor(ctx, tenant, h.debtor)
		m := DebtorMatch{DebtorID: h.debtor, MatchedBy: "invoice_number", InvoiceNumber: h.number}
		if err == nil {
			m.Kind, m.Erased = d.Kind, !d.ErasedAt.IsZero()
			if !m.Erased {
				m.Name = d.Name
			}
		}
		add(m)
	}
	out := make([]DebtorMatch, 0, len(byID))
	for _, m := range byID {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b DebtorMatch) int {
		if c := matchRank[a.MatchedBy] - matchRank[b.MatchedBy]; c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.DebtorID, b.DebtorID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// escapeLike escapes LIKE's wildcards in s, so that a query matches
// literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// InvoiceDocument is an accepted invoice of a debtor with the shop's link
// to its document.
type InvoiceDocument struct {
	Number      string
	IssueDate   *commonv1.Date
	DocumentURL string
}

// InvoiceDocuments returns the invoices ingestion accepted for tenant's
// debtor, newest first (by acceptance), from their InvoiceIngested events.
func (s *Store) InvoiceDocuments(ctx context.Context, tenant, debtor string) ([]InvoiceDocument, error) {
	refs, err := s.DebtorInvoices(ctx, tenant, debtor)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, nil
	}
	numbers := make([]string, len(refs))
	for i, r := range refs {
		numbers[i] = r.Number
	}
	rows, err := s.pool.Query(ctx, `
		SELECT stream_id, payload FROM events
		WHERE tenant = $1 AND stream_type = 'invoice' AND version = 1 AND event_type = $2 AND stream_id = ANY($3)
		ORDER BY position DESC`, tenant, invoiceType, numbers)
	if err != nil {
		return nil, fmt.Errorf("invoice documents of %s of %s: %w", debtor, tenant, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (InvoiceDocument, error) {
		var number string
		var payload []byte
		if err := r.Scan(&number, &payload); err != nil {
			return InvoiceDocument{}, err
		}
		var ev ingestionv1.InvoiceIngested
		if err := proto.Unmarshal(payload, &ev); err != nil {
			return InvoiceDocument{}, fmt.Errorf("invoice %s: %w", number, err)
		}
		return InvoiceDocument{Number: number, IssueDate: ev.GetIssueDate(), DocumentURL: ev.GetDocumentUrl()}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("invoice documents of %s of %s: %w", debtor, tenant, err)
	}
	return out, nil
}
