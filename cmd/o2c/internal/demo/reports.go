package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/reportfile"
)

// StatementDebtor is the debtor whose account statement the demo prints.
const StatementDebtor = "K-1001"

// reportPageSize is deliberately tiny, so that even the demo's short
// reports go through the cursor paging.
const reportPageSize = 1

// maxReportPages bounds the pages a report reads.
const maxReportPages = 10_000

// Statement reads every page of the demo debtor's account statement over
// all dates: the lines of every page, the balances of the last.
func Statement(ctx context.Context, conn *grpc.ClientConn, debtor string) (*ledgerv1.GetDebtorStatementResponse, error) {
	client := ledgerv1grpc.NewLedgerQueryServiceClient(conn)
	req := &ledgerv1.GetDebtorStatementRequest{Tenant: Tenant, DebtorId: debtor, PageSize: reportPageSize}
	var lines []*ledgerv1.StatementLine
	for range maxReportPages {
		resp, err := client.GetDebtorStatement(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("statement of %s: %w", debtor, err)
		}
		lines = append(lines, resp.GetLines()...)
		if resp.GetNextPageToken() == "" {
			resp.Lines = lines
			return resp, nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
	return nil, fmt.Errorf("statement of %s: more than %d pages", debtor, maxReportPages)
}

// TrialBalance reads every page of the demo tenant's trial balance over
// all dates and returns the rows and the totals of the last page.
func TrialBalance(ctx context.Context, conn *grpc.ClientConn) (rows, totals []*ledgerv1.TrialBalanceRow, _ error) {
	client := ledgerv1grpc.NewLedgerQueryServiceClient(conn)
	req := &ledgerv1.GetTrialBalanceRequest{Tenant: Tenant, PageSize: reportPageSize}
	for range maxReportPages {
		resp, err := client.GetTrialBalance(ctx, req)
		if err != nil {
			return nil, nil, fmt.Errorf("trial balance: %w", err)
		}
		rows = append(rows, resp.GetRows()...)
		if resp.GetNextPageToken() == "" {
			return rows, resp.GetTotals(), nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
	return nil, nil, fmt.Errorf("trial balance: more than %d pages", maxReportPages)
}

// The month-end pack: what a finance team hands on when it closes the
// demo's month (issue #20).
var (
	// PackPeriodStart and PackKeyDate bound the month the pack is for: the
	// demo's invoices are dated in November 2026. The key date is fixed, so
	// the pack (and the README's chart) is the same whatever day the demo
	// runs.
	PackPeriodStart = &commonv1.Date{Year: 2026, Month: 11, Day: 1}
	PackKeyDate     = &commonv1.Date{Year: 2026, Month: 11, Day: 30}
)

// AgingChartFile is the aging chart's file name in the pack.
const AgingChartFile = "aging.svg"

// PackFile is a file of the month-end pack.
type PackFile struct {
	// Path is where it was written.
	Path string
	// What says what it is, for the reader.
	What string
	// Issued is the ledger's record of an issued report; nil for the
	// chart and the DATEV files.
	Issued *ledgerv1.IssuedReport
}

// Pack is the month-end pack written.
type Pack struct {
	Dir   string
	Files []PackFile
	// Aging is the aging the chart draws: its header, rows by channel and
	// totals per currency.
	Aging []*ledgerv1.AgingResponse
	// PeriodClosed is whether the DATEV export's period was closed.
	PeriodClosed bool
}

// MonthEndPack writes the demo tenant's month-end pack into dir: the
// open-item list at the key date, the aging by channel with its chart
// (SVG), the trial balance and the debtor balance list of the month, each
// issued by the ledger (recorded with its parameters, figures hash and
// file, so `o2c report reproduce ID` recomputes it), and the month's DATEV
// files (Buchungsstapel and Debitoren). Reports are CSV for German Excel;
// the aging also as XLSX and PDF when the ledger issues those formats.
func MonthEndPack(ctx context.Context, out io.Writer, conn *grpc.ClientConn, dir string) (*Pack, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("month-end pack: %w", err)
	}
	pack := &Pack{Dir: dir}
	reports := ledgerv1grpc.NewReportServiceClient(conn)
	aging := &ledgerv1.AgingRequest{Tenant: Tenant, AsOf: PackKeyDate,
		GroupBy: []ledgerv1.ReportDimension{ledgerv1.ReportDimension_REPORT_DIMENSION_CHANNEL}}
	issue := []struct {
		what    string
		req     *ledgerv1.IssueReportRequest
		formats []ledgerv1.ReportFormat
	}{
		{"open-item list at the key date (Einzel-OP-Liste)", &ledgerv1.IssueReportRequest{Report: &ledgerv1.IssueReportRequest_OpenItems{
			OpenItems: &ledgerv1.OpenItemsRequest{Tenant: Tenant, AsOf: PackKeyDate}}}, nil},
		{"aging of receivables by channel", &ledgerv1.IssueReportRequest{Report: &ledgerv1.IssueReportRequest_Aging{Aging: aging}},
			[]ledgerv1.ReportFormat{ledgerv1.ReportFormat_REPORT_FORMAT_XLSX, ledgerv1.ReportFormat_REPORT_FORMAT_PDF}},
		{"aging of receivables by dunning level", &ledgerv1.IssueReportRequest{Report: &ledgerv1.IssueReportRequest_Aging{Aging: &ledgerv1.AgingRequest{
			Tenant: Tenant, AsOf: PackKeyDate, GroupBy: []ledgerv1.ReportDimension{ledgerv1.ReportDimension_REPORT_DIMENSION_DUNNING_LEVEL}}}}, nil},
		{"trial balance of the month (Summen- und Saldenliste)", &ledgerv1.IssueReportRequest{Report: &ledgerv1.IssueReportRequest_TrialBalance{
			TrialBalance: &ledgerv1.TrialBalanceRequest{Tenant: Tenant, From: PackPeriodStart, AsOf: PackKeyDate}}}, nil},
		{"debtor balance list of the month (Debitorensaldenliste)", &ledgerv1.IssueReportRequest{Report: &ledgerv1.IssueReportRequest_DebtorBalances{
			DebtorBalances: &ledgerv1.DebtorBalancesRequest{Tenant: Tenant, From: PackPeriodStart, AsOf: PackKeyDate}}}, nil},
	}
	for _, r := range issue {
		formats := append([]ledgerv1.ReportFormat{ledgerv1.ReportFormat_REPORT_FORMAT_CSV}, r.formats...)
		for i, f := range formats {
			req := proto.Clone(r.req).(*ledgerv1.IssueReportRequest)
			req.Tenant, req.Format = Tenant, f
			file, err := IssueReport(ctx, reports, req, dir)
			if i > 0 && status.Code(err) == codes.InvalidArgument && strings.Contains(status.Convert(err).Message(), "cannot be issued yet") {
				// XLSX and PDF come as the ledger learns to write them.
				fmt.Fprintf(out, "  (%s: the ledger does not issue %s yet)\n", r.what, strings.ToUpper(strings.TrimPrefix(f.String(), "REPORT_FORMAT_")))
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("month-end pack: %s: %w", r.what, err)
			}
			file.What = r.what
			pack.Files = append(pack.Files, file)
		}
	}
	chart, err := AgingChart(ctx, reports, aging, filepath.Join(dir, AgingChartFile))
	if err != nil {
		return nil, fmt.Errorf("month-end pack: %w", err)
	}
	pack.Aging = chart
	pack.Files = append(pack.Files, PackFile{Path: filepath.Join(dir, AgingChartFile), What: "aging chart (stacked bars per bucket, a segment per channel)"})
	datevFiles, closed, err := ExportDATEV(ctx, ledgerv1grpc.NewExportServiceClient(conn), PackKeyDate, dir)
	if err != nil {
		return nil, fmt.Errorf("month-end pack: %w", err)
	}
	pack.Files, pack.PeriodClosed = append(pack.Files, datevFiles...), closed
	return pack, nil
}

// IssueReport issues req and writes its file into dir under the ledger's
// file name.
func IssueReport(ctx context.Context, c ledgerv1grpc.ReportServiceClient, req *ledgerv1.IssueReportRequest, dir string) (PackFile, error) {
	stream, err := c.IssueReport(ctx, req)
	if err != nil {
		return PackFile{}, err
	}
	var rec *ledgerv1.IssuedReport
	var data bytes.Buffer
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return PackFile{}, err
		}
		if r.GetReport() != nil {
			rec = r.GetReport()
		}
		data.Write(r.GetData())
	}
	if rec == nil {
		return PackFile{}, errors.New("the ledger sent no record of the issued report")
	}
	path := filepath.Join(dir, filepath.Base(rec.GetFileName()))
	if err := os.WriteFile(path, data.Bytes(), 0o644); err != nil {
		return PackFile{}, err
	}
	return PackFile{Path: path, Issued: rec}, nil
}

// AgingChart reads the aging req asks for (grouped by channel) and draws
// it to path as SVG: a stacked bar per bucket, a segment per channel, in
// the currency of the first total (the demo books in EUR only).
func AgingChart(ctx context.Context, c ledgerv1grpc.ReportServiceClient, req *ledgerv1.AgingRequest, path string) ([]*ledgerv1.AgingResponse, error) {
	stream, err := c.Aging(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("aging: %w", err)
	}
	var resps []*ledgerv1.AgingResponse
	var titles []string
	var rows, totals []*ledgerv1.AgingRow
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("aging: %w", err)
		}
		resps = append(resps, r)
		if r.GetHeader() != nil {
			titles = r.GetHeader().GetBucketTitles()
		}
		rows, totals = append(rows, r.GetRows()...), append(totals, r.GetTotals()...)
	}
	if len(totals) == 0 {
		return nil, errors.New("aging: no totals: nothing is open at the key date")
	}
	currency := totals[0].GetCurrency()
	exp, _ := money.ExponentOrTwo(currency)
	chart := reportfile.BarChart{Title: fmt.Sprintf("Aging of receivables as of %04d-%02d-%02d (%s)", req.GetAsOf().GetYear(),
		req.GetAsOf().GetMonth(), req.GetAsOf().GetDay(), Tenant), Categories: titles, Decimals: exp, Unit: currency}
	for _, r := range rows {
		if r.GetCurrency() != currency {
			continue
		}
		s := reportfile.Series{Name: r.GetChannel()}
		for _, b := range r.GetBuckets() {
			s.Values = append(s.Values, b.GetMinorUnits())
		}
		chart.Series = append(chart.Series, s)
	}
	var buf bytes.Buffer
	if err := reportfile.WriteSVG(&buf, chart); err != nil {
		return nil, fmt.Errorf("aging chart: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("aging chart: %w", err)
	}
	return resps, nil
}

// ExportDATEV writes the DATEV files of the month of day into dir and
// says whether the period was closed.
func ExportDATEV(ctx context.Context, c ledgerv1grpc.ExportServiceClient, day *commonv1.Date, dir string) ([]PackFile, bool, error) {
	stream, err := c.ExportDATEV(ctx, &ledgerv1.ExportDATEVRequest{Tenant: Tenant, Year: day.GetYear(), Month: day.GetMonth()})
	if err != nil {
		return nil, false, fmt.Errorf("DATEV export: %w", err)
	}
	var files []PackFile
	var buf bytes.Buffer
	closed := false
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("DATEV export: %w", err)
		}
		closed = r.GetPeriodClosed()
		buf.Write(r.GetData())
		if r.GetEndOfFile() {
			path := filepath.Join(dir, filepath.Base(r.GetFileName()))
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				return nil, false, fmt.Errorf("DATEV export: %w", err)
			}
			what := "DATEV debtor master data (Debitoren/Kreditoren, category 16)"
			if strings.Contains(r.GetFileName(), "Buchungsstapel") {
				what = "DATEV EXTF Buchungsstapel (category 21)"
			}
			files = append(files, PackFile{Path: path, What: what})
			buf.Reset()
		}
	}
	if len(files) == 0 {
		return nil, false, errors.New("DATEV export: the ledger sent no files")
	}
	return files, closed, nil
}

// PrintPack says where the pack is and what it holds.
func PrintPack(out io.Writer, p *Pack) {
	fmt.Fprintf(out, "\nMonth-end pack for November 2026 (key date %04d-%02d-%02d) in %s:\n", PackKeyDate.GetYear(), PackKeyDate.GetMonth(), PackKeyDate.GetDay(), p.Dir)
	for _, f := range p.Files {
		fmt.Fprintf(out, "  %-40s %s", filepath.Base(f.Path), f.What)
		if f.Issued != nil {
			fmt.Fprintf(out, " (issued as %s: o2c report reproduce --tenant %s %s)", f.Issued.GetId(), Tenant, f.Issued.GetId())
		}
		fmt.Fprintln(out)
	}
	if !p.PeriodClosed {
		fmt.Fprintln(out, "  The period is open: the DATEV batch is marked provisional (vorläufig) until it is closed.")
	}
	fmt.Fprintln(out, "  The open-item list's dunning level, dunning block and collection status are what dunning and collections told the ledger by the key date (the dunning story's items among them).")
}
