package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/reportfile"
)

// reportFlags are the flags every `o2c report` report shares: where the
// ledger is, the tenant, both time axes and how the report is delivered.
type reportFlags struct {
	ledger  ledgerFlags
	asOf    string
	format  string
	dialect string
	out     string
}

// Report output formats: table prints to the terminal; the others issue
// the report (recorded by the ledger, reproducible) and write its file.
const (
	formatTable = "table"
	formatCSV   = "csv"
	formatXLSX  = "xlsx"
	formatPDF   = "pdf"
)

func (f *reportFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.asOf, "as-of", "", "effective date YYYY-MM-DD the report is drawn up at (key date, or the period's last day); default today (UTC)")
	f.ledger.bindKnownAt(cmd)
	cmd.Flags().StringVar(&f.format, "format", formatTable, "table (print, not recorded) or csv|xlsx|pdf (issue: the ledger records it and the file is written)")
	cmd.Flags().StringVar(&f.dialect, "csv-dialect", "german", "CSV dialect: german (UTF-8 with BOM, semicolons, decimal comma) or plain (RFC 4180)")
	cmd.Flags().StringVar(&f.out, "out", "", "file to write an issued report to (- for standard output); default the ledger's file name in the current directory")
}

// fileFormat maps --format and --csv-dialect to the ledger's format, or
// UNSPECIFIED for a table.
func (f *reportFlags) fileFormat() (ledgerv1.ReportFormat, error) {
	switch f.format {
	case formatTable:
		return ledgerv1.ReportFormat_REPORT_FORMAT_UNSPECIFIED, nil
	case formatCSV:
		switch f.dialect {
		case "german":
			return ledgerv1.ReportFormat_REPORT_FORMAT_CSV, nil
		case "plain":
			return ledgerv1.ReportFormat_REPORT_FORMAT_CSV_PLAIN, nil
		}
		return 0, fmt.Errorf("--csv-dialect %q: want german or plain", f.dialect)
	case formatXLSX:
		return ledgerv1.ReportFormat_REPORT_FORMAT_XLSX, nil
	case formatPDF:
		return ledgerv1.ReportFormat_REPORT_FORMAT_PDF, nil
	}
	return 0, fmt.Errorf("--format %q: want table, csv, xlsx or pdf", f.format)
}

// run dials the ledger and calls fn with a ReportService client;
// a failed call is explained in the user's terms.
func (f *reportFlags) run(cmd *cobra.Command, fn func(context.Context, ledgerv1grpc.ReportServiceClient) error) error {
	return withLedger(cmd, &f.ledger, func(ctx context.Context, conn *grpc.ClientConn) error {
		return fn(ctx, ledgerv1grpc.NewReportServiceClient(conn))
	})
}

// withLedger dials the ledger at f's address and calls fn, within a
// generous deadline (a report over millions of rows streams for minutes).
func withLedger(cmd *cobra.Command, f *ledgerFlags, fn func(context.Context, *grpc.ClientConn) error) error {
	if f.tenant == "" {
		return fmt.Errorf("--tenant is required")
	}
	conn, err := dial(cmd, ledgerAt(f.addr))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Hour)
	defer cancel()
	return explain(ledgerAt(f.addr), fn(ctx, conn))
}

func newReportCmd() *cobra.Command {
	var f ledgerFlags
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Month-end reports (open items, aging, trial balance, debtor balances, DSO, statement) as tables or issued files, and their reproduction",
		Long: `report asks the ledger's ReportService for the month-end reports. Every report
has two time axes: --as-of DATE is the effective date it is drawn up at (the key
date of the open items and the aging, the last day of a period), --known-at TIME
the recorded-time cut: only what the ledger had recorded by then counts ("as of
31 March, as we knew it on 5 April").

With --format table (the default) the rows are printed as they stream in; nothing
is recorded. With --format csv, xlsx or pdf the ledger issues the report: it
records the parameters (with as-of and known-at resolved), a hash of the figures
and the file itself, and the file is written to --out (default: the ledger's file
name in the current directory). "o2c report reproduce ID" recomputes an issued
report from the ledger at its recorded parameters and says whether it is the same:
byte for byte for CSV, the same figures for XLSX and PDF (their containers carry
timestamps). A posting recorded after the known-at time does not change it.

The dunning level, dunning block, collection status and customer group columns come
from what dunning, collections and ingestion tell the ledger, on the same two time
axes; the debtors' names from ingestion's master data when the ledger is connected
to it (a debtor erased since is "[erased]" in a reproduction). The DSO's match rate
is the share of the cleared amount matching cleared without a person.`,
	}
	f.bind(cmd)
	cmd.AddCommand(newReportOpenItemsCmd(&f), newReportAgingCmd(&f), newReportBalancesCmd(&f, false), newReportBalancesCmd(&f, true),
		newReportDSOCmd(&f), newReportStatementCmd(&f), newReportReproduceCmd(&f), newReportGetCmd(&f), newReportListCmd(&f))
	return cmd
}

func newReportOpenItemsCmd(lf *ledgerFlags) *cobra.Command {
	f := &reportFlags{}
	var debtor string
	cmd := &cobra.Command{
		Use:   "open-items --tenant T [--as-of D] [--known-at TIME] [--debtor D] [--format table|csv|xlsx|pdf] [--out FILE]",
		Short: "The open-item list per debtor at a key date (Einzel-OP-Liste) with due date, days overdue, dunning and collection columns",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.ledger.addr, f.ledger.tenant = lf.addr, lf.tenant
			req, err := f.openItems(debtor)
			if err != nil {
				return err
			}
			return f.deliver(cmd, &ledgerv1.IssueReportRequest{Report: &ledgerv1.IssueReportRequest_OpenItems{OpenItems: req}},
				func(ctx context.Context, c ledgerv1grpc.ReportServiceClient, w io.Writer) error {
					return printOpenItems(ctx, c, req, w)
				})
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&debtor, "debtor", "", "only this debtor's items; default every debtor")
	return cmd
}

func (f *reportFlags) openItems(debtor string) (*ledgerv1.OpenItemsRequest, error) {
	asOf, known, err := f.axes()
	if err != nil {
		return nil, err
	}
	return &ledgerv1.OpenItemsRequest{Tenant: f.ledger.tenant, AsOf: asOf, KnownAt: known, DebtorId: debtor, PageSize: pageSize}, nil
}

// axes parses --as-of and --known-at.
func (f *reportFlags) axes() (*commonv1.Date, *timestamppb.Timestamp, error) {
	asOf, err := parseDate("as-of", f.asOf)
	if err != nil {
		return nil, nil, err
	}
	known, err := f.ledger.knownAtTS()
	if err != nil {
		return nil, nil, err
	}
	return asOf, known, nil
}

func newReportAgingCmd(lf *ledgerFlags) *cobra.Command {
	f := &reportFlags{}
	var buckets, groupBy string
	cmd := &cobra.Command{
		Use:   "aging --tenant T [--as-of D] [--known-at TIME] [--buckets 30,60,90] [--group-by channel,customer-group,dunning-level] [--format ...]",
		Short: "The aging of receivables: open amounts per bucket of days overdue, by currency and the dimensions asked for",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.ledger.addr, f.ledger.tenant = lf.addr, lf.tenant
			asOf, known, err := f.axes()
			if err != nil {
				return err
			}
			limits, err := parseBuckets(buckets)
			if err != nil {
				return err
			}
			dims, err := parseDimensions(groupBy, true)
			if err != nil {
				return err
			}
			req := &ledgerv1.AgingRequest{Tenant: f.ledger.tenant, AsOf: asOf, KnownAt: known, BucketLimits: limits, GroupBy: dims}
			return f.deliver(cmd, &ledgerv1.IssueReportRequest{Report: &ledgerv1.IssueReportRequest_Aging{Aging: req}},
				func(ctx context.Context, c ledgerv1grpc.ReportServiceClient, w io.Writer) error {
					return printAging(ctx, c, req, w)
				})
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&buckets, "buckets", "", "upper limits in days overdue of the overdue buckets, strictly increasing; default 30,60,90 (not due, 1-30, 31-60, 61-90, over 90)")
	cmd.Flags().StringVar(&groupBy, "group-by", "", "dimensions besides the currency, comma-separated: channel, customer-group, dunning-level")
	return cmd
}

// parseBuckets parses --buckets: positive, strictly increasing days.
func parseBuckets(s string) ([]int32, error) {
	if s == "" {
		return nil, nil
	}
	var out []int32
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
		if err != nil || n <= 0 || (len(out) > 0 && int32(n) <= out[len(out)-1]) {
			return nil, fmt.Errorf("--buckets %q: want positive, strictly increasing days such as 30,60,90", s)
		}
		out = append(out, int32(n))
	}
	return out, nil
}

// dimensionNames are --group-by's words.
var dimensionNames = map[string]ledgerv1.ReportDimension{
	"channel":        ledgerv1.ReportDimension_REPORT_DIMENSION_CHANNEL,
	"customer-group": ledgerv1.ReportDimension_REPORT_DIMENSION_CUSTOMER_GROUP,
	"dunning-level":  ledgerv1.ReportDimension_REPORT_DIMENSION_DUNNING_LEVEL,
}

// parseDimensions parses --group-by; dunning says whether the dunning
// level may be one.
func parseDimensions(s string, dunning bool) ([]ledgerv1.ReportDimension, error) {
	if s == "" {
		return nil, nil
	}
	want := "channel, customer-group"
	if dunning {
		want += ", dunning-level"
	}
	var out []ledgerv1.ReportDimension
	for _, p := range strings.Split(s, ",") {
		d, ok := dimensionNames[strings.TrimSpace(p)]
		if !ok || (!dunning && d == ledgerv1.ReportDimension_REPORT_DIMENSION_DUNNING_LEVEL) {
			return nil, fmt.Errorf("--group-by %q: %q is not one of %s", s, strings.TrimSpace(p), want)
		}
		out = append(out, d)
	}
	return out, nil
}

func newReportBalancesCmd(lf *ledgerFlags, debtors bool) *cobra.Command {
	f := &reportFlags{}
	var from string
	use, short := "trial-balance", "The trial balance (Summen- und Saldenliste) of a period: opening, debit, credit and closing per account"
	if debtors {
		use, short = "debtor-balances", "The debtor balance list (Debitorensaldenliste) of a period: opening, debit, credit and closing per debtor"
	}
	cmd := &cobra.Command{
		Use:   use + " --tenant T [--from D] [--as-of D] [--known-at TIME] [--format ...]",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.ledger.addr, f.ledger.tenant = lf.addr, lf.tenant
			asOf, known, err := f.axes()
			if err != nil {
				return err
			}
			fd, err := parseDate("from", from)
			if err != nil {
				return err
			}
			if debtors {
				req := &ledgerv1.DebtorBalancesRequest{Tenant: f.ledger.tenant, From: fd, AsOf: asOf, KnownAt: known, PageSize: pageSize}
				return f.deliver(cmd, &ledgerv1.IssueReportRequest{Report: &ledgerv1.IssueReportRequest_DebtorBalances{DebtorBalances: req}},
					func(ctx context.Context, c ledgerv1grpc.ReportServiceClient, w io.Writer) error {
						return printDebtorBalances(ctx, c, req, w)
					})
			}
			req := &ledgerv1.TrialBalanceRequest{Tenant: f.ledger.tenant, From: fd, AsOf: asOf, KnownAt: known, PageSize: pageSize}
			return f.deliver(cmd, &ledgerv1.IssueReportRequest{Report: &ledgerv1.IssueReportRequest_TrialBalance{TrialBalance: req}},
				func(ctx context.Context, c ledgerv1grpc.ReportServiceClient, w io.Writer) error {
					return printTrialBalance(ctx, c, req, w)
				})
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&from, "from", "", "first day of the period YYYY-MM-DD; default the first line")
	return cmd
}

func newReportDSOCmd(lf *ledgerFlags) *cobra.Command {
	f := &reportFlags{}
	var from, groupBy string
	cmd := &cobra.Command{
		Use:   "dso --tenant T [--from D] [--as-of D] [--known-at TIME] [--group-by channel,customer-group] [--format ...]",
		Short: "The DSO family per month: count-back DSO, DSO, best possible DSO, average days delinquent, time to cash",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.ledger.addr, f.ledger.tenant = lf.addr, lf.tenant
			asOf, known, err := f.axes()
			if err != nil {
				return err
			}
			fd, err := parseDate("from", from)
			if err != nil {
				return err
			}
			dims, err := parseDimensions(groupBy, false)
			if err != nil {
				return err
			}
			req := &ledgerv1.DSORequest{Tenant: f.ledger.tenant, From: fd, AsOf: asOf, KnownAt: known, GroupBy: dims}
			return f.deliver(cmd, &ledgerv1.IssueReportRequest{Report: &ledgerv1.IssueReportRequest_Dso{Dso: req}},
				func(ctx context.Context, c ledgerv1grpc.ReportServiceClient, w io.Writer) error {
					return printDSO(ctx, c, req, w)
				})
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&from, "from", "", "a day in the first month YYYY-MM-DD; default twelve months up to --as-of")
	cmd.Flags().StringVar(&groupBy, "group-by", "", "dimensions besides the currency, comma-separated: channel, customer-group")
	return cmd
}

// newReportStatementCmd is `o2c ledger statement` under report, so that
// every report people ask for is found in one place. The ledger does not
// issue statements: --format pdf renders the statement here (libs/reportfile's
// DIN 5008 letter) from what the ledger answers, and it is not recorded.
func newReportStatementCmd(lf *ledgerFlags) *cobra.Command {
	f := &reportFlags{}
	var debtor, from, ingestion string
	cmd := &cobra.Command{
		Use:   "statement --tenant T --debtor D [--from D] [--as-of D] [--known-at TIME] [--format table|pdf] [--out FILE] [--ingestion ADDR]",
		Short: "A debtor's account statement (Kontoauszug) with running balance, as a table or a PDF letter (not recorded)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.ledger.addr, f.ledger.tenant = lf.addr, lf.tenant
			if f.format != formatTable && f.format != formatPDF {
				return fmt.Errorf("--format %s: the statement is a table or a PDF", f.format)
			}
			if f.format == formatTable && f.out != "" {
				return fmt.Errorf("--out needs --format pdf (a table is printed)")
			}
			req, err := statementRequest(&f.ledger, debtor, from, f.asOf)
			if err != nil {
				return err
			}
			return f.ledger.run(cmd, func(ctx context.Context, c ledgerv1grpc.LedgerQueryServiceClient) error {
				st, err := fetchStatement(ctx, c, req)
				if err != nil {
					return err
				}
				if f.format == formatTable {
					printStatement(cmd.OutOrStdout(), debtor, st)
					return nil
				}
				out := f.out
				if out == "" {
					out = fmt.Sprintf("%s_statement_%s.pdf", f.ledger.tenant, debtor)
				}
				recipient, fallback := statementRecipient(cmd, ingestion, f.ledger.tenant, debtor, st.GetDebtorAccount())
				if fallback != "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "statement of %s addressed to the debtor id: %s\n", debtor, fallback)
				}
				n, err := writeStatementPDF(out, cmd.OutOrStdout(), f.ledger.tenant, debtor, from, f.asOf, f.ledger.knownAt, recipient, st, time.Now())
				if err != nil {
					return err
				}
				if out != "-" {
					fmt.Fprintf(cmd.ErrOrStderr(), "statement of %s: %d lines written to %s (rendered here, not recorded by the ledger)\n", debtor, n, out)
				}
				return nil
			})
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&debtor, "debtor", "", "debtor id (required)")
	cmd.Flags().StringVar(&from, "from", "", "first day YYYY-MM-DD; default the first line")
	cmd.Flags().StringVar(&ingestion, "ingestion", envOr("O2C_INGESTION_ADDR", defaultIngestionAddr), "ingestion gRPC address for the PDF letter's name and address (env O2C_INGESTION_ADDR)")
	_ = cmd.MarkFlagRequired("debtor")
	return cmd
}

// writeStatementPDF renders st as a PDF letter to recipient (the lines of
// the envelope's window, see statementRecipient) to path ("-": w) and
// returns its lines.
func writeStatementPDF(path string, w io.Writer, tenant, debtor, from, asOf, knownAt string, recipient []string, st *ledgerv1.GetDebtorStatementResponse, now time.Time) (int64, error) {
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	amounts := func(ms []*commonv1.Money) []money.Amount {
		var out []money.Amount
		for _, m := range ms {
			out = append(out, money.Amount{Minor: m.GetMinorUnits(), Currency: m.GetCurrency()})
		}
		return out
	}
	lines := st.GetLines()
	doc := reportfile.Statement{
		Title:     "Kontoauszug",
		Sender:    []string{tenant},
		Recipient: recipient,
		Params: [][2]string{{"Debitor", debtor}, {"Konto", st.GetDebtorAccount()}, {"von", orDash(from)}, {"bis", orDash(asOf)},
			{"Stand (known at)", orDash(knownAt)}, {"erstellt", now.UTC().Format(time.RFC3339)}},
		Opening: amounts(st.GetOpeningBalances()),
		Closing: amounts(st.GetClosingBalances()),
		Lines: reportfile.Table{
			Title: "Kontoauszug " + debtor,
			Columns: []reportfile.Column{{Name: "Datum", Kind: reportfile.KindDate}, {Name: "Beleg"}, {Name: "Text"},
				{Name: "Soll", Kind: reportfile.KindMoney}, {Name: "Haben", Kind: reportfile.KindMoney}, {Name: "Saldo", Kind: reportfile.KindMoney}},
			Rows: func(yield func([]reportfile.Cell) error) error {
				for _, l := range lines {
					d := l.GetEffectiveDate()
					row := []reportfile.Cell{reportfile.Date(time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)),
						reportfile.Text(l.GetDocumentNumber()), reportfile.Text(l.GetText()), moneyCell(l.GetDebit()), moneyCell(l.GetCredit()),
						reportfile.Money(l.GetRunningBalance().GetMinorUnits(), l.GetRunningBalance().GetCurrency())}
					if err := yield(row); err != nil {
						return err
					}
				}
				return nil
			},
		},
	}
	var dst io.Writer = w
	var file *os.File
	if path != "-" {
		var err error
		if file, err = os.Create(path); err != nil {
			return 0, fmt.Errorf("write the statement: %w", err)
		}
		defer file.Close()
		dst = file
	}
	n, err := reportfile.WriteStatementPDF(dst, doc, reportfile.PDFOptions{Issued: now})
	if err != nil {
		return n, fmt.Errorf("write the statement to %s: %w", path, err)
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return n, fmt.Errorf("write the statement to %s: %w", path, err)
		}
	}
	return n, nil
}

// moneyCell is a debit or credit as a report cell; unset or zero is
// empty, as on a printed statement.
func moneyCell(m *commonv1.Money) reportfile.Cell {
	if m.GetMinorUnits() == 0 {
		return reportfile.Null()
	}
	return reportfile.Money(m.GetMinorUnits(), m.GetCurrency())
}

// deliver prints the report as a table (print) or issues it in the file
// format asked for and writes the file.
func (f *reportFlags) deliver(cmd *cobra.Command, issue *ledgerv1.IssueReportRequest,
	print func(context.Context, ledgerv1grpc.ReportServiceClient, io.Writer) error) error {
	format, err := f.fileFormat()
	if err != nil {
		return err
	}
	if format == ledgerv1.ReportFormat_REPORT_FORMAT_UNSPECIFIED {
		if f.out != "" {
			return fmt.Errorf("--out needs --format csv, xlsx or pdf (a table is printed)")
		}
		return f.run(cmd, func(ctx context.Context, c ledgerv1grpc.ReportServiceClient) error {
			return print(ctx, c, cmd.OutOrStdout())
		})
	}
	issue.Tenant, issue.Format = f.ledger.tenant, format
	return f.run(cmd, func(ctx context.Context, c ledgerv1grpc.ReportServiceClient) error {
		stream, err := c.IssueReport(ctx, issue)
		if err != nil {
			return err
		}
		var rec *ledgerv1.IssuedReport
		path, n, err := receiveFile(f.out, func() (*ledgerv1.IssuedReport, []byte, error) {
			r, err := stream.Recv()
			if r.GetReport() != nil {
				rec = r.GetReport()
			}
			return r.GetReport(), r.GetData(), err
		}, cmd.OutOrStdout())
		if err != nil {
			return err
		}
		printIssued(cmd.ErrOrStderr(), rec, path, n)
		return nil
	})
}

// receiveFile writes the file a stream sends to out ("-": w; "": the
// record's file name in the current directory) and returns where it went
// and its size. The file is written to a temporary name beside it and
// renamed when complete, so an interrupted transfer leaves no partial
// report under the report's name. recv returns io.EOF after the last
// chunk; the record comes with the first.
func receiveFile(out string, recv func() (*ledgerv1.IssuedReport, []byte, error), w io.Writer) (string, int64, error) {
	rec, data, err := recv()
	if err != nil {
		return "", 0, err
	}
	if rec == nil {
		return "", 0, errors.New("the ledger sent no record of the report")
	}
	var dst io.Writer = w
	var tmp *os.File
	path := out
	if path == "" {
		path = filepath.Base(rec.GetFileName())
	}
	if path != "-" {
		tmp, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
		if err != nil {
			return "", 0, fmt.Errorf("write the report: %w", err)
		}
		defer func() {
			if tmp != nil {
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
		dst = tmp
	}
	var n int64
	for {
		k, werr := dst.Write(data)
		n += int64(k)
		if werr != nil {
			return "", n, fmt.Errorf("write the report to %s: %w", path, werr)
		}
		_, data, err = recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", n, err
		}
	}
	if tmp == nil {
		return path, n, nil
	}
	if err := tmp.Close(); err != nil {
		return "", n, fmt.Errorf("write the report to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", n, fmt.Errorf("write the report to %s: %w", path, err)
	}
	tmp = nil
	return path, n, nil
}

// printIssued says what was issued and how to reproduce it.
func printIssued(w io.Writer, rec *ledgerv1.IssuedReport, path string, n int64) {
	where := path
	if path == "-" {
		where = "standard output"
	}
	fmt.Fprintf(w, "issued report %s: %s, %d rows, %d bytes written to %s\n", rec.GetId(), reportKindWord(rec.GetKind()), rec.GetRows(), n, where)
	fmt.Fprintf(w, "  %s\n", issuedParams(rec))
	fmt.Fprintf(w, "  figures sha256 %x, file sha256 %x\n", rec.GetContentHash(), rec.GetFileHash())
	fmt.Fprintf(w, "  reproduce with: o2c report reproduce --tenant %s %s\n", rec.GetTenant(), rec.GetId())
}

// issuedParams is an issued report's two time axes and issue.
func issuedParams(rec *ledgerv1.IssuedReport) string {
	h := requestAxes(rec.GetRequest())
	return fmt.Sprintf("as of %s, known at %s, issued %s by %s", h.asOf, h.knownAt,
		rec.GetIssuedAt().AsTime().UTC().Format(time.RFC3339), rec.GetIssuedBy())
}

type axesWords struct{ asOf, knownAt string }

// requestAxes reads as-of and known-at from an issued request.
func requestAxes(r *ledgerv1.IssueReportRequest) axesWords {
	var d *commonv1.Date
	var k *timestamppb.Timestamp
	switch x := r.GetReport().(type) {
	case *ledgerv1.IssueReportRequest_OpenItems:
		d, k = x.OpenItems.GetAsOf(), x.OpenItems.GetKnownAt()
	case *ledgerv1.IssueReportRequest_Aging:
		d, k = x.Aging.GetAsOf(), x.Aging.GetKnownAt()
	case *ledgerv1.IssueReportRequest_TrialBalance:
		d, k = x.TrialBalance.GetAsOf(), x.TrialBalance.GetKnownAt()
	case *ledgerv1.IssueReportRequest_DebtorBalances:
		d, k = x.DebtorBalances.GetAsOf(), x.DebtorBalances.GetKnownAt()
	case *ledgerv1.IssueReportRequest_Dso:
		d, k = x.Dso.GetAsOf(), x.Dso.GetKnownAt()
	}
	out := axesWords{asOf: dateWord(d), knownAt: "-"}
	if k != nil {
		out.knownAt = k.AsTime().UTC().Format(time.RFC3339Nano)
	}
	return out
}

func newReportReproduceCmd(lf *ledgerFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "reproduce --tenant T ID [--out FILE]",
		Short: "Recompute an issued report from the ledger at its recorded parameters and say whether it is the same",
		Long: `reproduce asks the ledger to recompute the issued report ID at the parameters it
was issued with (the same as-of and known-at, issue time and issuer) and compares:
a CSV byte for byte with the file issued, an XLSX or PDF by its figures (their
containers carry timestamps). Bookings recorded after the report's known-at time
do not change it. A debtor erased since appears pseudonymised in the
reproduction. With --out the recomputed file is written too. Exit status 1 means
the reproduction differs.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var verdict *ledgerv1.Reproduction
			var rec *ledgerv1.IssuedReport
			err := withLedger(cmd, lf, func(ctx context.Context, conn *grpc.ClientConn) error {
				stream, err := ledgerv1grpc.NewReportServiceClient(conn).ReproduceReport(ctx, &ledgerv1.ReproduceReportRequest{Tenant: lf.tenant, Id: args[0]})
				if err != nil {
					return err
				}
				recv := func() (*ledgerv1.IssuedReport, []byte, error) {
					r, err := stream.Recv()
					if r.GetReproduction() != nil {
						verdict = r.GetReproduction()
					}
					if r.GetReport() != nil {
						rec = r.GetReport()
					}
					return r.GetReport(), r.GetData(), err
				}
				if out == "" {
					_, _, err := receiveFile("-", recv, io.Discard)
					return err
				}
				_, _, err = receiveFile(out, recv, cmd.OutOrStdout())
				return err
			})
			if err != nil {
				return err
			}
			if verdict == nil {
				return fmt.Errorf("report %s: the ledger sent no verdict", args[0])
			}
			w := cmd.ErrOrStderr()
			if out == "" {
				w = cmd.OutOrStdout()
			}
			how := "the same figures (the " + formatWord(rec.GetFormat()) + " container carries timestamps)"
			if verdict.GetByteForByte() {
				how = "byte for byte"
			}
			fmt.Fprintf(w, "report %s: %s, %s\n", rec.GetId(), reportKindWord(rec.GetKind()), issuedParams(rec))
			if verdict.GetIdentical() {
				fmt.Fprintf(w, "reproduced: identical %s (figures sha256 %x)\n", how, verdict.GetContentHash())
				return nil
			}
			fmt.Fprintf(w, "NOT reproduced: the recomputation differs (compared %s): figures sha256 %x issued, %x now; file sha256 %x issued, %x now\n",
				how, rec.GetContentHash(), verdict.GetContentHash(), rec.GetFileHash(), verdict.GetFileHash())
			return exitCode(1)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "also write the recomputed file here (- for standard output)")
	return cmd
}

func newReportGetCmd(lf *ledgerFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "get --tenant T ID [--out FILE]",
		Short: "Write an issued report's file exactly as it was issued",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withLedger(cmd, lf, func(ctx context.Context, conn *grpc.ClientConn) error {
				stream, err := ledgerv1grpc.NewReportServiceClient(conn).GetIssuedReport(ctx, &ledgerv1.GetIssuedReportRequest{Tenant: lf.tenant, Id: args[0]})
				if err != nil {
					return err
				}
				var rec *ledgerv1.IssuedReport
				path, n, err := receiveFile(out, func() (*ledgerv1.IssuedReport, []byte, error) {
					r, err := stream.Recv()
					if r.GetReport() != nil {
						rec = r.GetReport()
					}
					return r.GetReport(), r.GetData(), err
				}, cmd.OutOrStdout())
				if err != nil {
					return err
				}
				where := path
				if path == "-" {
					where = "standard output"
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "report %s (%s, %s): %d bytes written to %s\n", rec.GetId(), reportKindWord(rec.GetKind()), issuedParams(rec), n, where)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (- for standard output); default the issued file name in the current directory")
	return cmd
}

func newReportListCmd(lf *ledgerFlags) *cobra.Command {
	var kind string
	cmd := &cobra.Command{
		Use:   "list --tenant T [--kind open-items|aging|trial-balance|debtor-balances|dso]",
		Short: "List the tenant's issued reports, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k := ledgerv1.ReportKind_REPORT_KIND_UNSPECIFIED
			if kind != "" {
				var ok bool
				if k, ok = reportKindOf(kind); !ok {
					return fmt.Errorf("--kind %q: want open-items, aging, trial-balance, debtor-balances or dso", kind)
				}
			}
			return withLedger(cmd, lf, func(ctx context.Context, conn *grpc.ClientConn) error {
				c := ledgerv1grpc.NewReportServiceClient(conn)
				req := &ledgerv1.ListIssuedReportsRequest{Tenant: lf.tenant, Kind: k, PageSize: pageSize}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tREPORT\tFORMAT\tAS OF\tKNOWN AT\tISSUED\tBY\tROWS\tFILE")
				n := 0
				for range maxPages {
					resp, err := c.ListIssuedReports(ctx, req)
					if err != nil {
						return err
					}
					for _, r := range resp.GetReports() {
						a := requestAxes(r.GetRequest())
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.GetId(), reportKindWord(r.GetKind()), formatWord(r.GetFormat()),
							a.asOf, a.knownAt, r.GetIssuedAt().AsTime().UTC().Format(time.RFC3339), r.GetIssuedBy(), r.GetRows(), r.GetFileName())
						n++
					}
					if resp.GetNextPageToken() == "" {
						break
					}
					req.PageToken = resp.GetNextPageToken()
				}
				if n == 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "no issued reports for tenant %s\n", lf.tenant)
					return nil
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "only reports of this kind")
	return cmd
}

// reportKindWord is the command's name of a report kind.
func reportKindWord(k ledgerv1.ReportKind) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k.String(), "REPORT_KIND_")), "_", "-")
}

// reportKindOf is the kind named by its command's name.
func reportKindOf(s string) (ledgerv1.ReportKind, bool) {
	for k := range ledgerv1.ReportKind_name {
		if kk := ledgerv1.ReportKind(k); kk != ledgerv1.ReportKind_REPORT_KIND_UNSPECIFIED && reportKindWord(kk) == s {
			return kk, true
		}
	}
	return 0, false
}

// formatWord names a report file format.
func formatWord(f ledgerv1.ReportFormat) string {
	switch f {
	case ledgerv1.ReportFormat_REPORT_FORMAT_CSV:
		return "csv (german)"
	case ledgerv1.ReportFormat_REPORT_FORMAT_CSV_PLAIN:
		return "csv (plain)"
	case ledgerv1.ReportFormat_REPORT_FORMAT_XLSX:
		return "xlsx"
	case ledgerv1.ReportFormat_REPORT_FORMAT_PDF:
		return "pdf"
	}
	return f.String()
}

// dateWord is a date as YYYY-MM-DD, or "-" when unset.
func dateWord(d *commonv1.Date) string {
	if d == nil {
		return "-"
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

// amount is a money value with its currency's decimals and code, or ""
// when unset.
func amount(m *commonv1.Money) string {
	if m == nil {
		return ""
	}
	exp, _ := money.ExponentOrTwo(m.GetCurrency())
	return money.FormatMinor(m.GetMinorUnits(), exp) + " " + m.GetCurrency()
}

// hundredths is a figure in hundredths (days) as a decimal, or "-" when
// it is not defined.
func hundredths(n int64, ok bool) string {
	if !ok {
		return "-"
	}
	return money.FormatMinor(n, 2)
}
