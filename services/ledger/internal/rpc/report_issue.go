package rpc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/reportfile"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
	"github.com/o2c-platform/o2c/services/ledger/internal/report"
)

// reportChunk is the most file bytes one response carries.
const reportChunk = 64 << 10

// IssueReport implements the RPC.
func (s *ReportService) IssueReport(req *ledgerv1.IssueReportRequest, stream ledgerv1grpc.ReportService_IssueReportServer) error {
	return s.status("IssueReport", s.issueReport(req, stream))
}

func (s *ReportService) issueReport(req *ledgerv1.IssueReportRequest, stream ledgerv1grpc.ReportService_IssueReportServer) error {
	ctx := stream.Context()
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return err
	}
	if _, ok := ledgerv1.ReportFormat_name[int32(req.GetFormat())]; !ok || req.GetFormat() == ledgerv1.ReportFormat_REPORT_FORMAT_UNSPECIFIED {
		return fmt.Errorf("%w: format %v is not a report format", postgres.ErrInvalidQuery, req.GetFormat())
	}
	resolved, err := s.resolve(ctx, req)
	if err != nil {
		return err
	}
	p, _ := identity.FromContext(ctx)
	rec := &ledgerv1.IssuedReport{
		Id: uuid.NewString(), Tenant: req.GetTenant(), Kind: reportKindOf(resolved), Format: req.GetFormat(), Request: resolved,
		// Stored in PostgreSQL with microseconds; the file shows what is stored.
		IssuedAt: timestamppb.New(time.Now().UTC().Truncate(time.Microsecond)), IssuedBy: p.Actor,
	}
	// The names the file shows are recorded with it, so that a
	// reproduction shows them again (see reproduceReport).
	names := map[string]string{}
	file, hash, rows, err := s.render(ctx, rec, recording(s.liveNames(), names))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(file)
	rec.FileName, rec.ContentHash, rec.FileHash, rec.FileSize, rec.Rows = reportFileName(rec), hash, sum[:], int64(len(file)), rows
	if err := s.Store.InsertIssuedReport(ctx, rec, file, names); err != nil {
		return err
	}
	if err := stream.Send(&ledgerv1.IssueReportResponse{Report: rec}); err != nil {
		return err
	}
	return reportChunks(file, func(b []byte) error { return stream.Send(&ledgerv1.IssueReportResponse{Data: b}) })
}

// ReproduceReport implements the RPC.
func (s *ReportService) ReproduceReport(req *ledgerv1.ReproduceReportRequest, stream ledgerv1grpc.ReportService_ReproduceReportServer) error {
	return s.status("ReproduceReport", s.reproduceReport(req, stream))
}

func (s *ReportService) reproduceReport(req *ledgerv1.ReproduceReportRequest, stream ledgerv1grpc.ReportService_ReproduceReportServer) error {
	ctx := stream.Context()
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return err
	}
	rec, issued, err := s.Store.IssuedReport(ctx, req.GetTenant(), req.GetId())
	if err != nil {
		return err
	}
	// The figures are recomputed; the names are those recorded with the
	// report, so a name changed since does not change it. A debtor erased
	// since is compared under its recorded name, and the file returned
	// names it ErasedName (a second rendering, only then).
	erased := map[string]bool{}
	var names namer
	if rec.GetRequest().GetLayout() >= 1 {
		names = s.issuedNames(rec.GetId(), false, erased)
	}
	file, hash, _, err := s.render(ctx, rec, names)
	if err != nil {
		return err
	}
	v := &ledgerv1.Reproduction{ContentHash: hash, ByteForByte: reportByteExact(rec.GetFormat()), Pseudonymised: int64(len(erased))}
	if v.ByteForByte {
		v.Identical = bytes.Equal(file, issued)
	} else {
		v.Identical = bytes.Equal(hash, rec.GetContentHash())
	}
	if len(erased) > 0 {
		if file, _, _, err = s.render(ctx, rec, s.issuedNames(rec.GetId(), true, map[string]bool{})); err != nil {
			return err
		}
	}
	sum := sha256.Sum256(file)
	v.FileHash = sum[:]
	if err := stream.Send(&ledgerv1.ReproduceReportResponse{Report: rec}); err != nil {
		return err
	}
	if err := reportChunks(file, func(b []byte) error { return stream.Send(&ledgerv1.ReproduceReportResponse{Data: b}) }); err != nil {
		return err
	}
	return stream.Send(&ledgerv1.ReproduceReportResponse{Reproduction: v})
}

// GetIssuedReport implements the RPC.
func (s *ReportService) GetIssuedReport(req *ledgerv1.GetIssuedReportRequest, stream ledgerv1grpc.ReportService_GetIssuedReportServer) error {
	return s.status("GetIssuedReport", s.getIssuedReport(req, stream))
}

func (s *ReportService) getIssuedReport(req *ledgerv1.GetIssuedReportRequest, stream ledgerv1grpc.ReportService_GetIssuedReportServer) error {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return err
	}
	rec, file, err := s.Store.IssuedReport(stream.Context(), req.GetTenant(), req.GetId())
	if err != nil {
		return err
	}
	if err := stream.Send(&ledgerv1.GetIssuedReportResponse{Report: rec}); err != nil {
		return err
	}
	return reportChunks(file, func(b []byte) error { return stream.Send(&ledgerv1.GetIssuedReportResponse{Data: b}) })
}

func reportChunks(file []byte, send func([]byte) error) error {
	for len(file) > 0 {
		n := min(len(file), reportChunk)
		if err := send(file[:n]); err != nil {
			return err
		}
		file = file[n:]
	}
	return nil
}

// reportByteExact says whether a format's files are compared byte for byte: CSV
// is; XLSX and PDF containers carry their own timestamps, so their figures
// are compared.
func reportByteExact(f ledgerv1.ReportFormat) bool {
	return f == ledgerv1.ReportFormat_REPORT_FORMAT_CSV || f == ledgerv1.ReportFormat_REPORT_FORMAT_CSV_PLAIN
}

func reportKindOf(r *ledgerv1.IssueReportRequest) ledgerv1.ReportKind {
	switch r.GetReport().(type) {
	case *ledgerv1.IssueReportRequest_OpenItems:
		return ledgerv1.ReportKind_REPORT_KIND_OPEN_ITEMS
	case *ledgerv1.IssueReportRequest_Aging:
		return ledgerv1.ReportKind_REPORT_KIND_AGING
	case *ledgerv1.IssueReportRequest_TrialBalance:
		return ledgerv1.ReportKind_REPORT_KIND_TRIAL_BALANCE
	case *ledgerv1.IssueReportRequest_DebtorBalances:
		return ledgerv1.ReportKind_REPORT_KIND_DEBTOR_BALANCES
	case *ledgerv1.IssueReportRequest_Dso:
		return ledgerv1.ReportKind_REPORT_KIND_DSO
	}
	return ledgerv1.ReportKind_REPORT_KIND_UNSPECIFIED
}

// resolve returns a copy of req whose report names the tenant and has
// as_of, known_at (and for the DSO from) set, paging cleared, and the
// layout of today's files: issuing the copy again at any later time reads
// the same figures into the same columns.
func (s *ReportService) resolve(ctx context.Context, req *ledgerv1.IssueReportRequest) (*ledgerv1.IssueReportRequest, error) {
	out := rclone(req)
	out.Layout = reportLayout
	type axes interface {
		GetTenant() string
		GetAsOf() *commonv1.Date
		GetKnownAt() *timestamppb.Timestamp
	}
	var r axes
	switch x := out.GetReport().(type) {
	case *ledgerv1.IssueReportRequest_OpenItems:
		r = x.OpenItems
	case *ledgerv1.IssueReportRequest_Aging:
		r = x.Aging
	case *ledgerv1.IssueReportRequest_TrialBalance:
		r = x.TrialBalance
	case *ledgerv1.IssueReportRequest_DebtorBalances:
		r = x.DebtorBalances
	case *ledgerv1.IssueReportRequest_Dso:
		r = x.Dso
	}
	if r == nil {
		return nil, fmt.Errorf("%w: no report to issue", postgres.ErrInvalidQuery)
	}
	if t := r.GetTenant(); t != "" && t != req.GetTenant() {
		return nil, fmt.Errorf("%w: the report's tenant %q is not the request's %q", postgres.ErrInvalidQuery, t, req.GetTenant())
	}
	asOf, known, err := s.times(ctx, r.GetAsOf(), r.GetKnownAt())
	if err != nil {
		return nil, err
	}
	a, k := rpbDate(asOf), timestamppb.New(known)
	switch x := out.GetReport().(type) {
	case *ledgerv1.IssueReportRequest_OpenItems:
		x.OpenItems.Tenant, x.OpenItems.AsOf, x.OpenItems.KnownAt, x.OpenItems.PageSize, x.OpenItems.PageToken = req.GetTenant(), a, k, 0, ""
	case *ledgerv1.IssueReportRequest_Aging:
		x.Aging.Tenant, x.Aging.AsOf, x.Aging.KnownAt = req.GetTenant(), a, k
		if len(x.Aging.BucketLimits) == 0 {
			for _, l := range report.DefaultLimits {
				x.Aging.BucketLimits = append(x.Aging.BucketLimits, int32(l))
			}
		}
	case *ledgerv1.IssueReportRequest_TrialBalance:
		x.TrialBalance.Tenant, x.TrialBalance.AsOf, x.TrialBalance.KnownAt, x.TrialBalance.PageSize, x.TrialBalance.PageToken = req.GetTenant(), a, k, 0, ""
	case *ledgerv1.IssueReportRequest_DebtorBalances:
		x.DebtorBalances.Tenant, x.DebtorBalances.AsOf, x.DebtorBalances.KnownAt, x.DebtorBalances.PageSize, x.DebtorBalances.PageToken = req.GetTenant(), a, k, 0, ""
	case *ledgerv1.IssueReportRequest_Dso:
		x.Dso.Tenant, x.Dso.AsOf, x.Dso.KnownAt = req.GetTenant(), a, k
		if x.Dso.From == nil {
			x.Dso.From = rpbDate(time.Date(asOf.Year(), asOf.Month()-11, 1, 0, 0, 0, 0, time.UTC))
		}
	}
	return out, nil
}

// render computes the report rec.Request asks for and writes it in
// rec.Format, returning the file, the hash of its figures and its rows;
// names names the debtors of a layout with names.
func (s *ReportService) render(ctx context.Context, rec *ledgerv1.IssuedReport, names namer) ([]byte, []byte, int64, error) {
	t, err := s.tableOf(ctx, rec.GetRequest(), names)
	if err != nil {
		return nil, nil, 0, err
	}
	// The figures hash covers what the report shows, not when or by whom
	// it was issued: the same report issued twice has the same hash.
	t, sum := hashing(t)
	t.Params = append(t.Params,
		[2]string{"issued", rec.GetIssuedAt().AsTime().UTC().Format(time.RFC3339Nano)},
		[2]string{"issued by", rec.GetIssuedBy()})
	var buf bytes.Buffer
	var rows int64
	switch rec.GetFormat() {
	case ledgerv1.ReportFormat_REPORT_FORMAT_CSV:
		rows, err = reportfile.WriteCSV(&buf, t, reportfile.German)
	case ledgerv1.ReportFormat_REPORT_FORMAT_CSV_PLAIN:
		rows, err = reportfile.WriteCSV(&buf, t, reportfile.Plain)
	case ledgerv1.ReportFormat_REPORT_FORMAT_XLSX:
		rows, err = reportfile.WriteXLSX(&buf, t, reportfile.XLSXOptions{Issued: rec.GetIssuedAt().AsTime()})
	case ledgerv1.ReportFormat_REPORT_FORMAT_PDF:
		var charts []reportfile.Chart
		if charts, err = s.chartsOf(ctx, rec.GetRequest()); err != nil {
			return nil, nil, 0, err
		}
		rows, err = reportfile.WritePDF(&buf, t, reportfile.PDFOptions{Issued: rec.GetIssuedAt().AsTime(), Charts: charts})
	default:
		return nil, nil, 0, fmt.Errorf("%w: format %v is not a report format", postgres.ErrInvalidQuery, rec.GetFormat())
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("write report %s: %w", rec.GetId(), err)
	}
	hash, err := sum()
	if err != nil {
		return nil, nil, 0, fmt.Errorf("hash report %s: %w", rec.GetId(), err)
	}
	return buf.Bytes(), hash, rows, nil
}

// reportFileName is "<tenant>_<kind>_<as of>.<ext>"; an aging or DSO
// grouped by dimensions names them after its kind ("aging-by-channel"), so
// that two groupings of one day do not share a name.
func reportFileName(rec *ledgerv1.IssuedReport) string {
	kind := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(rec.GetKind().String(), "REPORT_KIND_")), "_", "-")
	var dims []ledgerv1.ReportDimension
	switch x := rec.GetRequest().GetReport().(type) {
	case *ledgerv1.IssueReportRequest_Aging:
		dims = x.Aging.GetGroupBy()
	case *ledgerv1.IssueReportRequest_Dso:
		dims = x.Dso.GetGroupBy()
	}
	for i, d := range dims {
		sep := "-and-"
		if i == 0 {
			sep = "-by-"
		}
		kind += sep + strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(d.String(), "REPORT_DIMENSION_")), "_", "-")
	}
	ext := map[ledgerv1.ReportFormat]string{
		ledgerv1.ReportFormat_REPORT_FORMAT_CSV: "csv", ledgerv1.ReportFormat_REPORT_FORMAT_CSV_PLAIN: "csv",
		ledgerv1.ReportFormat_REPORT_FORMAT_XLSX: "xlsx", ledgerv1.ReportFormat_REPORT_FORMAT_PDF: "pdf",
	}[rec.GetFormat()]
	return fmt.Sprintf("%s_%s_%s.%s", rec.GetTenant(), kind, rdate(reportAsOf(rec.GetRequest())).Format(time.DateOnly), ext)
}

func reportAsOf(r *ledgerv1.IssueReportRequest) *commonv1.Date {
	switch x := r.GetReport().(type) {
	case *ledgerv1.IssueReportRequest_OpenItems:
		return x.OpenItems.GetAsOf()
	case *ledgerv1.IssueReportRequest_Aging:
		return x.Aging.GetAsOf()
	case *ledgerv1.IssueReportRequest_TrialBalance:
		return x.TrialBalance.GetAsOf()
	case *ledgerv1.IssueReportRequest_DebtorBalances:
		return x.DebtorBalances.GetAsOf()
	case *ledgerv1.IssueReportRequest_Dso:
		return x.Dso.GetAsOf()
	}
	return nil
}

func cText(s string) reportfile.Cell { return reportfile.Text(s) }
func cInt(n int64) reportfile.Cell   { return reportfile.Int(n) }

func cMoney(m *commonv1.Money) reportfile.Cell {
	return reportfile.Money(m.GetMinorUnits(), m.GetCurrency())
}

func cDate(d *commonv1.Date) reportfile.Cell { return reportfile.Date(rdate(d)) }

// cHundredths is a figure in hundredths, or null where it is not defined.
func cHundredths(n int64, ok bool) reportfile.Cell {
	if !ok {
		return reportfile.Null()
	}
	return reportfile.Decimal(n)
}

func reportDateParam(d *commonv1.Date) string {
	if d == nil {
		return ""
	}
	return rdate(d).Format(time.DateOnly)
}

// tableOf is the table of the report r (resolved) asks for in its layout:
// its columns, parameters and a function that computes its rows as they
// are written, the debtors named by names.
func (s *ReportService) tableOf(ctx context.Context, r *ledgerv1.IssueReportRequest, names namer) (reportfile.Table, error) {
	named := r.GetLayout() >= 1
	if !named {
		names = nil
	}
	// withName puts the name column or cell after the debtor's (the
	// first) in a layout with names.
	withName := func(cells []reportfile.Cell, name string) []reportfile.Cell {
		if !named {
			return cells
		}
		return append(append([]reportfile.Cell{cells[0]}, reportfile.Text(name)), cells[1:]...)
	}
	withNameColumn := func(cols []reportfile.Column) []reportfile.Column {
		if !named {
			return cols
		}
		return append(append([]reportfile.Column{cols[0]}, reportfile.Column{Name: "Name", Kind: reportfile.KindText}), cols[1:]...)
	}
	money := func(name string) reportfile.Column { return reportfile.Column{Name: name, Kind: reportfile.KindMoney} }
	textCol := func(name string) reportfile.Column { return reportfile.Column{Name: name, Kind: reportfile.KindText} }
	days := func(name string) reportfile.Column {
		return reportfile.Column{Name: name, Kind: reportfile.KindDecimal, Decimals: 2}
	}
	base := func(title string, known *timestamppb.Timestamp, asOf *commonv1.Date) reportfile.Table {
		return reportfile.Table{Title: title, Params: [][2]string{
			{"tenant", r.GetTenant()}, {"as of", reportDateParam(asOf)},
			{"known at", known.AsTime().UTC().Format(time.RFC3339Nano)},
		}}
	}
	switch x := r.GetReport().(type) {
	case *ledgerv1.IssueReportRequest_OpenItems:
		q := x.OpenItems
		t := base("Open items (Einzel-OP-Liste)", q.GetKnownAt(), q.GetAsOf())
		if q.GetDebtorId() != "" {
			t.Params = append(t.Params, [2]string{"debtor", q.GetDebtorId()})
		}
		t.Columns = withNameColumn([]reportfile.Column{textCol("Debtor"), textCol("Account"), textCol("Document"), textCol("Kind"),
			{Name: "Document date", Kind: reportfile.KindDate}, {Name: "Due date", Kind: reportfile.KindDate}, {Name: "Days overdue", Kind: reportfile.KindInt}, textCol("Currency"),
			money("Amount"), money("Open"), textCol("Channel"), textCol("Customer group"), textCol("Dunning level"),
			textCol("Dunning block"), textCol("Collection status"), textCol("Payment reference")})
		t.Rows = func(yield func([]reportfile.Cell) error) error {
			return s.openItems(ctx, q, names, func(resp *ledgerv1.OpenItemsResponse) error {
				for _, o := range resp.GetRows() {
					err := yield(withName([]reportfile.Cell{cText(o.GetDebtorId()), cText(o.GetDebtorAccount()), cText(o.GetDocumentNumber()),
						cText(o.GetItemKind()), cDate(o.GetDocumentDate()), cDate(o.GetDueDate()), cInt(int64(o.GetDaysOverdue())),
						cText(o.GetOpenAmount().GetCurrency()), cMoney(o.GetAmount()), cMoney(o.GetOpenAmount()), cText(o.GetChannel()),
						cText(o.GetCustomerGroup()), cText(o.GetDunningLevel()), cText(o.GetDunningBlock()), cText(o.GetCollectionStatus()),
						cText(o.GetPaymentReference())}, o.GetDebtorName()))
					if err != nil {
						return err
					}
				}
				return nil
			})
		}
		return t, nil
	case *ledgerv1.IssueReportRequest_Aging:
		q := x.Aging
		t := base("Aging of receivables", q.GetKnownAt(), q.GetAsOf())
		limits := make([]int, len(q.GetBucketLimits()))
		var ls []string
		for i, l := range q.GetBucketLimits() {
			limits[i] = int(l)
			ls = append(ls, strconv.Itoa(int(l)))
		}
		b, err := report.NewBuckets(limits)
		if err != nil {
			return reportfile.Table{}, err
		}
		var by []string
		for _, d := range q.GetGroupBy() {
			by = append(by, strings.ToLower(strings.TrimPrefix(d.String(), "REPORT_DIMENSION_")))
		}
		t.Params = append(t.Params, [2]string{"bucket limits", strings.Join(ls, ",")}, [2]string{"group by", strings.Join(by, ",")})
		t.Columns = []reportfile.Column{textCol("Currency"), textCol("Channel"), textCol("Customer group"), textCol("Dunning level")}
		for _, title := range b.Titles() {
			t.Columns = append(t.Columns, money(title))
		}
		t.Columns = append(t.Columns, money("Total"), reportfile.Column{Name: "Items", Kind: reportfile.KindInt})
		t.Rows = func(yield func([]reportfile.Cell) error) error {
			row := func(r *ledgerv1.AgingRow, label string) error {
				cells := []reportfile.Cell{cText(r.GetCurrency()), cText(r.GetChannel() + label), cText(r.GetCustomerGroup()), cText(r.GetDunningLevel())}
				for _, m := range r.GetBuckets() {
					cells = append(cells, cMoney(m))
				}
				return yield(append(cells, cMoney(r.GetTotal()), cInt(r.GetItems())))
			}
			return s.aging(ctx, q, func(resp *ledgerv1.AgingResponse) error {
				for _, r := range resp.GetRows() {
					if err := row(r, ""); err != nil {
						return err
					}
				}
				for _, r := range resp.GetTotals() {
					if err := row(r, "Total"); err != nil {
						return err
					}
				}
				return nil
			})
		}
		return t, nil
	case *ledgerv1.IssueReportRequest_TrialBalance:
		q := x.TrialBalance
		t := base("Trial balance (Summen- und Saldenliste)", q.GetKnownAt(), q.GetAsOf())
		t.Params = append(t.Params, [2]string{"from", reportDateParam(q.GetFrom())})
		t.Columns = []reportfile.Column{textCol("Account"), textCol("Debtor account"), textCol("Currency"),
			money("Opening"), money("Debit"), money("Credit"), money("Closing")}
		t.Rows = func(yield func([]reportfile.Cell) error) error {
			row := func(r *ledgerv1.TrialBalanceRow, account string) error {
				debtor := ""
				if r.GetDebtor() {
					debtor = "yes"
				}
				return yield([]reportfile.Cell{cText(account), cText(debtor), cText(r.GetClosing().GetCurrency()),
					cMoney(r.GetOpening()), cMoney(r.GetDebit()), cMoney(r.GetCredit()), cMoney(r.GetClosing())})
			}
			return s.trialBalance(ctx, q, func(resp *ledgerv1.TrialBalanceResponse) error {
				for _, r := range resp.GetRows() {
					if err := row(r, r.GetAccount()); err != nil {
						return err
					}
				}
				for _, r := range resp.GetTotals() {
					if err := row(r, "Total"); err != nil {
						return err
					}
				}
				return nil
			})
		}
		return t, nil
	case *ledgerv1.IssueReportRequest_DebtorBalances:
		q := x.DebtorBalances
		t := base("Debtor balances (Debitorensaldenliste)", q.GetKnownAt(), q.GetAsOf())
		t.Params = append(t.Params, [2]string{"from", reportDateParam(q.GetFrom())})
		// The name follows the debtor, the second column.
		cols := []reportfile.Column{textCol("Debtor"), textCol("Currency"),
			money("Opening"), money("Debit"), money("Credit"), money("Closing")}
		t.Columns = append([]reportfile.Column{textCol("Account")}, withNameColumn(cols)...)
		t.Rows = func(yield func([]reportfile.Cell) error) error {
			row := func(r *ledgerv1.DebtorBalanceRow, account string) error {
				return yield(append([]reportfile.Cell{cText(account)}, withName([]reportfile.Cell{cText(r.GetDebtorId()), cText(r.GetClosing().GetCurrency()),
					cMoney(r.GetOpening()), cMoney(r.GetDebit()), cMoney(r.GetCredit()), cMoney(r.GetClosing())}, r.GetDebtorName())...))
			}
			return s.debtorBalances(ctx, q, names, func(resp *ledgerv1.DebtorBalancesResponse) error {
				for _, r := range resp.GetRows() {
					if err := row(r, r.GetDebtorAccount()); err != nil {
						return err
					}
				}
				for _, r := range resp.GetTotals() {
					if err := row(r, "Total"); err != nil {
						return err
					}
				}
				return nil
			})
		}
		return t, nil
	case *ledgerv1.IssueReportRequest_Dso:
		q := x.Dso
		t := base("DSO", q.GetKnownAt(), q.GetAsOf())
		var by []string
		for _, d := range q.GetGroupBy() {
			by = append(by, strings.ToLower(strings.TrimPrefix(d.String(), "REPORT_DIMENSION_")))
		}
		t.Params = append(t.Params, [2]string{"from", reportDateParam(q.GetFrom())}, [2]string{"group by", strings.Join(by, ",")})
		t.Columns = []reportfile.Column{{Name: "Key date", Kind: reportfile.KindDate}, textCol("Currency"), textCol("Channel"), textCol("Customer group"),
			money("Receivables"), money("Current receivables"), money("Sales"), days("Count-back DSO"),
			days("DSO"), days("Best possible DSO"), days("Average days delinquent"),
			money("Cleared"), days("Time to cash"), days("Match rate %")}
		t.Rows = func(yield func([]reportfile.Cell) error) error {
			return s.dso(ctx, q, func(resp *ledgerv1.DSOResponse) error {
				for _, r := range resp.GetRows() {
					err := yield([]reportfile.Cell{cDate(r.GetKeyDate()), cText(r.GetCurrency()), cText(r.GetChannel()), cText(r.GetCustomerGroup()),
						cMoney(r.GetReceivables()), cMoney(r.GetCurrentReceivables()), cMoney(r.GetSales()),
						cHundredths(r.GetCountBackDsoHundredths(), true), cHundredths(r.GetDsoHundredths(), r.GetHasSales()),
						cHundredths(r.GetBestPossibleDsoHundredths(), r.GetHasSales()),
						cHundredths(r.GetAverageDaysDelinquentHundredths(), r.GetHasSales()), cMoney(r.GetCleared()),
						cHundredths(r.GetTimeToCashHundredths(), r.GetHasPayments()),
						cHundredths(r.GetMatchRateBasisPoints(), r.GetHasMatchRate())})
					if err != nil {
						return err
					}
				}
				return nil
			})
		}
		return t, nil
	}
	return reportfile.Table{}, fmt.Errorf("%w: no report to issue", postgres.ErrInvalidQuery)
}
