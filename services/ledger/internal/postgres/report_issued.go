package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/services/ledger/internal/report"
)

const tokenIssued = "issued-reports"

// InsertIssuedReport records an issued report: rec (its id a UUID, its
// request with as_of and known_at resolved), the file's bytes and the
// debtors' names the file shows by debtor id, in one transaction. Records
// are only ever added. It returns an error wrapping ErrInvalidQuery for a
// record without a valid id or tenant, or a storage error.
func (s *Store) InsertIssuedReport(ctx context.Context, rec *ledgerv1.IssuedReport, file []byte, names map[string]string) error {
	if err := checkTenant(rec.GetTenant()); err != nil {
		return err
	}
	id, err := uuid.Parse(rec.GetId())
	if err != nil {
		return invalidQuery("report id %q is not a UUID", rec.GetId())
	}
	req, err := proto.MarshalOptions{Deterministic: true}.Marshal(rec.GetRequest())
	if err != nil {
		return fmt.Errorf("record report %s: encode the request: %w", id, err)
	}
	debtors := make([]string, 0, len(names))
	ns := make([]string, 0, len(names))
	for d, n := range names {
		debtors, ns = append(debtors, d), append(ns, n)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO issued_reports (tenant, id, kind, format, request, as_of, known_at, issued_at, issued_by,
			    file_name, content_hash, file_hash, rows, file)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			rec.GetTenant(), id, int32(rec.GetKind()), int32(rec.GetFormat()), req, reportAsOf(rec.GetRequest()),
			reportKnownAt(rec.GetRequest()), rec.GetIssuedAt().AsTime(), rec.GetIssuedBy(), rec.GetFileName(),
			rec.GetContentHash(), rec.GetFileHash(), rec.GetRows(), file)
		if err != nil || len(names) == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO issued_report_names (tenant, report_id, debtor_id, name)
			SELECT $1, $2, d, n FROM unnest($3::text[], $4::text[]) AS x(d, n)`, rec.GetTenant(), id, debtors, ns)
		return err
	})
	if err != nil {
		return fmt.Errorf("record report %s of %s: %w", id, rec.GetTenant(), err)
	}
	return nil
}

// IssuedReportNames returns the names issued report id of tenant showed
// for the debtors asked for, by debtor id; a debtor it did not name is
// left out. It returns an error wrapping ErrInvalidQuery, or a storage
// error.
func (s *Store) IssuedReportNames(ctx context.Context, tenant, id string, debtors []string) (map[string]string, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	uid, err := uuid.Parse(id)
	if err != nil {
		return nil, invalidQuery("report id %q is not a UUID", id)
	}
	rows, err := s.pool.Query(ctx, `SELECT debtor_id, name FROM issued_report_names
		WHERE tenant = $1 AND report_id = $2 AND debtor_id = ANY($3)`, tenant, uid, debtors)
	if err != nil {
		return nil, fmt.Errorf("names of report %s: %w", id, err)
	}
	out := map[string]string{}
	err = forEachRow(rows, func(r pgx.Rows) error {
		var d, n string
		if err := r.Scan(&d, &n); err != nil {
			return err
		}
		out[d] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("names of report %s: %w", id, err)
	}
	return out, nil
}

// reportAsOf and reportKnownAt are the resolved as_of and known_at of an
// issued report's request, kept in columns for the operator's queries.
func reportAsOf(r *ledgerv1.IssueReportRequest) time.Time {
	switch x := r.GetReport().(type) {
	case *ledgerv1.IssueReportRequest_OpenItems:
		return date(x.OpenItems.GetAsOf())
	case *ledgerv1.IssueReportRequest_Aging:
		return date(x.Aging.GetAsOf())
	case *ledgerv1.IssueReportRequest_TrialBalance:
		return date(x.TrialBalance.GetAsOf())
	case *ledgerv1.IssueReportRequest_DebtorBalances:
		return date(x.DebtorBalances.GetAsOf())
	case *ledgerv1.IssueReportRequest_Dso:
		return date(x.Dso.GetAsOf())
	}
	return firstDate
}

func reportKnownAt(r *ledgerv1.IssueReportRequest) time.Time {
	var ts *timestamppb.Timestamp
	switch x := r.GetReport().(type) {
	case *ledgerv1.IssueReportRequest_OpenItems:
		ts = x.OpenItems.GetKnownAt()
	case *ledgerv1.IssueReportRequest_Aging:
		ts = x.Aging.GetKnownAt()
	case *ledgerv1.IssueReportRequest_TrialBalance:
		ts = x.TrialBalance.GetKnownAt()
	case *ledgerv1.IssueReportRequest_DebtorBalances:
		ts = x.DebtorBalances.GetKnownAt()
	case *ledgerv1.IssueReportRequest_Dso:
		ts = x.Dso.GetKnownAt()
	}
	return ts.AsTime()
}

const issuedColumns = `id, tenant, kind, format, request, issued_at, issued_by, file_name, content_hash, file_hash,
	octet_length(file), rows`

// scanIssued scans the issuedColumns of r, then extra.
func scanIssued(r pgx.Row, extra ...any) (*ledgerv1.IssuedReport, error) {
	var (
		rec          ledgerv1.IssuedReport
		id           uuid.UUID
		kind, format int32
		req          []byte
		issued       time.Time
	)
	dest := append([]any{&id, &rec.Tenant, &kind, &format, &req, &issued, &rec.IssuedBy, &rec.FileName, &rec.ContentHash,
		&rec.FileHash, &rec.FileSize, &rec.Rows}, extra...)
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	rec.Id = id.String()
	rec.Kind, rec.Format = ledgerv1.ReportKind(kind), ledgerv1.ReportFormat(format)
	rec.IssuedAt = timestamppb.New(issued)
	rec.Request = &ledgerv1.IssueReportRequest{}
	if err := proto.Unmarshal(req, rec.Request); err != nil {
		return nil, fmt.Errorf("decode the request of report %s: %w", id, err)
	}
	return &rec, nil
}

// IssuedReport returns the record of a tenant's issued report and its file
// as issued. It returns an error wrapping ErrInvalidQuery (a malformed
// tenant or id) or report.ErrUnknownReport, or a storage error.
func (s *Store) IssuedReport(ctx context.Context, tenant, id string) (*ledgerv1.IssuedReport, []byte, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, nil, err
	}
	uid, err := uuid.Parse(id)
	if err != nil {
		return nil, nil, invalidQuery("report id %q is not a UUID", id)
	}
	var file []byte
	rec, err := scanIssued(s.pool.QueryRow(ctx, `SELECT `+issuedColumns+`, file FROM issued_reports WHERE tenant = $1 AND id = $2`,
		tenant, uid), &file)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, fmt.Errorf("report %s of %s: %w", id, tenant, report.ErrUnknownReport)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("report %s of %s: %w", id, tenant, err)
	}
	return rec, file, nil
}

// ListIssuedReports returns one page of a tenant's issued reports (of one
// kind, or every kind when kind is unspecified), newest first, without
// their files, and the token of the next page. It returns an error
// wrapping ErrInvalidQuery or ErrInvalidPageToken, or a storage error.
func (s *Store) ListIssuedReports(ctx context.Context, tenant string, kind ledgerv1.ReportKind, page Page) ([]*ledgerv1.IssuedReport, string, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, "", err
	}
	if _, ok := ledgerv1.ReportKind_name[int32(kind)]; !ok {
		return nil, "", invalidQuery("report kind %d is not one", kind)
	}
	limit, err := page.limit()
	if err != nil {
		return nil, "", err
	}
	after := false
	var afterAt time.Time
	var afterID uuid.UUID
	if page.Token != "" {
		parts, err := decodeToken(page.Token, tokenIssued, 2)
		if err != nil {
			return nil, "", err
		}
		afterAt, err = time.Parse(time.RFC3339Nano, parts[0])
		if err == nil {
			afterID, err = uuid.Parse(parts[1])
		}
		if err != nil {
			return nil, "", fmt.Errorf("%w: malformed %s page token", ErrInvalidPageToken, tokenIssued)
		}
		after = true
	}
	rows, err := s.pool.Query(ctx, `SELECT `+issuedColumns+` FROM issued_reports
		WHERE tenant = $1 AND ($2 = 0 OR kind = $2) AND (NOT $3 OR (issued_at, id) < ($4, $5))
		ORDER BY issued_at DESC, id DESC LIMIT $6`, tenant, int32(kind), after, afterAt, afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("issued reports of %s: %w", tenant, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*ledgerv1.IssuedReport, error) { return scanIssued(r) })
	if err != nil {
		return nil, "", fmt.Errorf("issued reports of %s: %w", tenant, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeToken(tokenIssued, last.GetIssuedAt().AsTime().Format(time.RFC3339Nano), last.GetId())
	}
	return out, next, nil
}
