package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
)

// reportServer is a fake of the ledger's ReportService and ExportService
// that records every request and streams fixed answers.
type reportServer struct {
	ledgerv1grpc.UnimplementedReportServiceServer
	ledgerv1grpc.UnimplementedExportServiceServer
	mu   sync.Mutex
	reqs []proto.Message
	// file is the issued file, sent in chunks of three bytes.
	file []byte
	// identical is the reproduction's verdict.
	identical bool
	// closed is whether the exported period is closed.
	closed bool
}

func (f *reportServer) record(m proto.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, m)
}

func (f *reportServer) requests() []proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]proto.Message(nil), f.reqs...)
}

var (
	reportAsOf  = &commonv1.Date{Year: 2026, Month: 3, Day: 31}
	reportKnown = timestamppb.New(time.Date(2026, 4, 5, 12, 0, 0, 0, time.UTC))
	reportHdr   = &ledgerv1.ReportHeader{Tenant: "acme", AsOf: reportAsOf, KnownAt: reportKnown,
		BucketTitles: []string{"not due", "1-30", "31-60", "61-90", "over 90"}}
	reportRecord = &ledgerv1.IssuedReport{Id: "6f1c0e2a-0000-4000-8000-000000000001", Tenant: "acme", Kind: ledgerv1.ReportKind_REPORT_KIND_AGING,
		Format: ledgerv1.ReportFormat_REPORT_FORMAT_CSV, FileName: "aging_2026-03-31.csv", Rows: 2, IssuedBy: "ops",
		IssuedAt: timestamppb.New(time.Date(2026, 4, 5, 12, 0, 1, 0, time.UTC)), ContentHash: []byte{0xab, 0xcd},
		Request: &ledgerv1.IssueReportRequest{Tenant: "acme", Report: &ledgerv1.IssueReportRequest_Aging{Aging: &ledgerv1.AgingRequest{
			Tenant: "acme", AsOf: reportAsOf, KnownAt: reportKnown}}}}
)

func (f *reportServer) OpenItems(req *ledgerv1.OpenItemsRequest, s ledgerv1grpc.ReportService_OpenItemsServer) error {
	f.record(req)
	if err := s.Send(&ledgerv1.OpenItemsResponse{Header: reportHdr, Rows: []*ledgerv1.OpenItemRow{{DebtorId: "K-1", DebtorName: "Erika Mustermann", DebtorAccount: "10001",
		DocumentNumber: "RE-1", ItemKind: "invoice", DueDate: &commonv1.Date{Year: 2026, Month: 3, Day: 1}, DaysOverdue: 30,
		Amount: eurMoney(11900), OpenAmount: eurMoney(11900), Channel: "shop", DunningLevel: "2", DunningBlock: "dispute"}}, ResumeToken: "t1"}); err != nil {
		return err
	}
	return s.Send(&ledgerv1.OpenItemsResponse{Rows: []*ledgerv1.OpenItemRow{{DebtorId: "K-2", DebtorAccount: "10002", DocumentNumber: "RE-2",
		ItemKind: "invoice", DaysOverdue: -3, Amount: eurMoney(5000), OpenAmount: eurMoney(2500), Channel: "amazon"}}})
}

func (f *reportServer) Aging(req *ledgerv1.AgingRequest, s ledgerv1grpc.ReportService_AgingServer) error {
	f.record(req)
	row := func(ch string, b ...int64) *ledgerv1.AgingRow {
		r := &ledgerv1.AgingRow{Channel: ch, Currency: "EUR", Items: int64(len(b))}
		var sum int64
		for _, m := range b {
			r.Buckets = append(r.Buckets, eurMoney(m))
			sum += m
		}
		r.Total = eurMoney(sum)
		return r
	}
	return s.Send(&ledgerv1.AgingResponse{Header: reportHdr, Rows: []*ledgerv1.AgingRow{row("amazon", 2500, 0, 0, 0, 0), row("shop", 0, 11900, 0, 0, 0)},
		Totals: []*ledgerv1.AgingRow{row("", 2500, 11900, 0, 0, 0)}})
}

func (f *reportServer) DSO(req *ledgerv1.DSORequest, s ledgerv1grpc.ReportService_DSOServer) error {
	f.record(req)
	return s.Send(&ledgerv1.DSOResponse{Header: reportHdr, Rows: []*ledgerv1.DSORow{{KeyDate: reportAsOf, Currency: "EUR",
		Receivables: eurMoney(14400), Sales: eurMoney(16900), DsoHundredths: 2641, CountBackDsoHundredths: 2641, HasSales: true}}})
}

func (f *reportServer) IssueReport(req *ledgerv1.IssueReportRequest, s ledgerv1grpc.ReportService_IssueReportServer) error {
	f.record(req)
	if err := s.Send(&ledgerv1.IssueReportResponse{Report: reportRecord}); err != nil {
		return err
	}
	for b := f.file; len(b) > 0; {
		n := min(3, len(b))
		if err := s.Send(&ledgerv1.IssueReportResponse{Data: b[:n]}); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (f *reportServer) ReproduceReport(req *ledgerv1.ReproduceReportRequest, s ledgerv1grpc.ReportService_ReproduceReportServer) error {
	f.record(req)
	if req.GetId() != reportRecord.GetId() {
		return status.Errorf(codes.NotFound, "tenant acme issued no report %s", req.GetId())
	}
	if err := s.Send(&ledgerv1.ReproduceReportResponse{Report: reportRecord, Data: f.file}); err != nil {
		return err
	}
	return s.Send(&ledgerv1.ReproduceReportResponse{Reproduction: &ledgerv1.Reproduction{Identical: f.identical, ByteForByte: true,
		ContentHash: []byte{0xab, 0xcd}}})
}

func (f *reportServer) ListIssuedReports(_ context.Context, req *ledgerv1.ListIssuedReportsRequest) (*ledgerv1.ListIssuedReportsResponse, error) {
	f.record(req)
	return &ledgerv1.ListIssuedReportsResponse{Reports: []*ledgerv1.IssuedReport{reportRecord}}, nil
}

func (f *reportServer) ExportDATEV(req *ledgerv1.ExportDATEVRequest, s ledgerv1grpc.ExportService_ExportDATEVServer) error {
	f.record(req)
	for _, c := range []*ledgerv1.ExportDATEVResponse{
		{FileName: "EXTF_Buchungsstapel_2026-10.csv", Data: []byte("\"EXTF\";700;21\r\n")},
		{FileName: "EXTF_Buchungsstapel_2026-10.csv", Data: []byte("119,00;\"S\"\r\n"), EndOfFile: true},
		{FileName: "EXTF_Debitoren_2026-10.csv", Data: []byte("\"EXTF\";700;16\r\n"), EndOfFile: true},
	} {
		c.PeriodClosed, c.KnownAt = f.closed, reportKnown
		if err := s.Send(c); err != nil {
			return err
		}
	}
	return nil
}

// serveReports starts f and returns the flags that point the CLI at it.
func serveReports(t testing.TB, f *reportServer) []string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	ledgerv1grpc.RegisterReportServiceServer(s, f)
	ledgerv1grpc.RegisterExportServiceServer(s, f)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return []string{"--tenant", "acme", "--ledger", lis.Addr().String()}
}

// TestReportCommandsAsk runs each report as a table and checks the request
// it sends (both time axes, buckets, dimensions) and what it prints.
func TestReportCommandsAsk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want proto.Message
		out  []string
	}{
		{"open items", []string{"report", "open-items", "--as-of", "2026-03-31", "--known-at", "2026-04-05T12:00:00Z", "--debtor", "K-1"},
			&ledgerv1.OpenItemsRequest{Tenant: "acme", AsOf: reportAsOf, KnownAt: reportKnown, DebtorId: "K-1", PageSize: pageSize},
			[]string{"Open items (Einzel-OP-Liste) of tenant acme, as of 2026-03-31, as the ledger knew it at 2026-04-05T12:00:00Z",
				"RE-1", "Erika Mustermann", "dispute", "119.00 EUR", "RE-2", "25.00 EUR", "2 open items; open 144.00 EUR"}},
		{"aging", []string{"report", "aging", "--as-of", "2026-03-31", "--buckets", "30, 60,90", "--group-by", "channel,dunning-level"},
			&ledgerv1.AgingRequest{Tenant: "acme", AsOf: reportAsOf, BucketLimits: []int32{30, 60, 90}, GroupBy: []ledgerv1.ReportDimension{
				ledgerv1.ReportDimension_REPORT_DIMENSION_CHANNEL, ledgerv1.ReportDimension_REPORT_DIMENSION_DUNNING_LEVEL}},
			[]string{"Aging of receivables", "NOT DUE", "OVER 90", "amazon", "119.00", "total"}},
		{"dso", []string{"report", "dso", "--from", "2025-04-01", "--group-by", "customer-group"},
			&ledgerv1.DSORequest{Tenant: "acme", From: &commonv1.Date{Year: 2025, Month: 4, Day: 1},
				GroupBy: []ledgerv1.ReportDimension{ledgerv1.ReportDimension_REPORT_DIMENSION_CUSTOMER_GROUP}},
			[]string{"DSO (days sales outstanding)", "26.41", "MATCH RATE", "cleared without a person"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &reportServer{}
			code, stdout, stderr := runCLI(t, append(tt.args, serveReports(t, f)...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if diff := cmp.Diff([]proto.Message{tt.want}, f.requests(), protocmp.Transform()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			for _, w := range tt.out {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

// TestReportIssueWritesTheFile issues a report in each file format and
// checks the format asked for and that the file written is the streamed
// bytes, under the record's name or --out.
func TestReportIssueWritesTheFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		flags  []string
		format ledgerv1.ReportFormat
	}{
		{"german csv", []string{"--format", "csv"}, ledgerv1.ReportFormat_REPORT_FORMAT_CSV},
		{"plain csv", []string{"--format", "csv", "--csv-dialect", "plain"}, ledgerv1.ReportFormat_REPORT_FORMAT_CSV_PLAIN},
		{"xlsx", []string{"--format", "xlsx"}, ledgerv1.ReportFormat_REPORT_FORMAT_XLSX},
		{"pdf", []string{"--format", "pdf"}, ledgerv1.ReportFormat_REPORT_FORMAT_PDF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &reportServer{file: []byte("\uFEFFcurrency;not due\r\nEUR;25,00\r\n")}
			out := filepath.Join(t.TempDir(), "aging.file")
			args := append([]string{"report", "aging", "--as-of", "2026-03-31", "--out", out}, tt.flags...)
			code, _, stderr := runCLI(t, append(args, serveReports(t, f)...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			want := &ledgerv1.IssueReportRequest{Tenant: "acme", Format: tt.format,
				Report: &ledgerv1.IssueReportRequest_Aging{Aging: &ledgerv1.AgingRequest{Tenant: "acme", AsOf: reportAsOf}}}
			if diff := cmp.Diff([]proto.Message{want}, f.requests(), protocmp.Transform()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, f.file) {
				t.Errorf("file = %q, want %q", got, f.file)
			}
			for _, w := range []string{"issued report " + reportRecord.GetId(), "2 rows", "as of 2026-03-31, known at 2026-04-05T12:00:00Z",
				"o2c report reproduce --tenant acme " + reportRecord.GetId()} {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			entries, err := os.ReadDir(filepath.Dir(out))
			if err != nil || len(entries) != 1 {
				t.Errorf("the directory holds %v (%v), want only the report (no temporary file left)", entries, err)
			}
		})
	}
}

// TestReportReproduce checks the verdict's exit status and words, and
// that an unknown id is explained.
func TestReportReproduce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		id        string
		identical bool
		code      int
		want      string
	}{
		{"identical", reportRecord.GetId(), true, 0, "reproduced: identical byte for byte"},
		{"differs", reportRecord.GetId(), false, 1, "NOT reproduced: the recomputation differs"},
		{"unknown", "6f1c0e2a-0000-4000-8000-000000000009", true, 1, "issued no report 6f1c0e2a-0000-4000-8000-000000000009"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &reportServer{file: []byte("a;b\r\n"), identical: tt.identical}
			code, stdout, stderr := runCLI(t, append([]string{"report", "reproduce", tt.id}, serveReports(t, f)...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s%s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("output lacks %q:\n%s%s", tt.want, stdout, stderr)
			}
		})
	}
}

func TestReportList(t *testing.T) {
	t.Parallel()
	f := &reportServer{}
	code, stdout, stderr := runCLI(t, append([]string{"report", "list", "--kind", "aging"}, serveReports(t, f)...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := &ledgerv1.ListIssuedReportsRequest{Tenant: "acme", Kind: ledgerv1.ReportKind_REPORT_KIND_AGING, PageSize: pageSize}
	if diff := cmp.Diff([]proto.Message{want}, f.requests(), protocmp.Transform()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	for _, w := range []string{reportRecord.GetId(), "aging", "csv (german)", "2026-03-31", "aging_2026-03-31.csv"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, stdout)
		}
	}
}

// TestReportRefusesBadFlags checks that malformed flags are refused before
// anything is asked.
func TestReportRefusesBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"date", []string{"report", "aging", "--as-of", "31.03.2026"}, "--as-of \"31.03.2026\": want a date YYYY-MM-DD"},
		{"known at", []string{"report", "open-items", "--known-at", "yesterday"}, "--known-at \"yesterday\""},
		{"buckets", []string{"report", "aging", "--buckets", "60,30"}, "strictly increasing"},
		{"dimension", []string{"report", "dso", "--group-by", "dunning-level"}, "is not one of channel, customer-group"},
		{"format", []string{"report", "trial-balance", "--format", "ods"}, "--format \"ods\""},
		{"dialect", []string{"report", "debtor-balances", "--format", "csv", "--csv-dialect", "excel"}, "--csv-dialect \"excel\""},
		{"out without file", []string{"report", "aging", "--out", "x.csv"}, "--out needs --format"},
		{"statement format", []string{"report", "statement", "--debtor", "K-1", "--format", "csv"}, "the statement is a table or a PDF"},
		{"kind", []string{"report", "list", "--kind", "balance"}, "--kind \"balance\""},
		{"period", []string{"export", "datev", "--period", "10/2026"}, "--period \"10/2026\": want a month YYYY-MM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &reportServer{}
			code, _, stderr := runCLI(t, append(tt.args, serveReports(t, f)...)...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want a failure saying %q", code, stderr, tt.want)
			}
			if got := f.requests(); len(got) != 0 {
				t.Errorf("asked the ledger %v", got)
			}
		})
	}
}

// TestExportDATEVWritesFiles checks the period asked for, that each file
// is written whole under its own name, and that an open period is marked.
func TestExportDATEVWritesFiles(t *testing.T) {
	t.Parallel()
	for _, closed := range []bool{false, true} {
		f := &reportServer{closed: closed}
		dir := filepath.Join(t.TempDir(), "datev")
		code, stdout, stderr := runCLI(t, append([]string{"export", "datev", "--period", "2026-10", "--out", dir}, serveReports(t, f)...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		want := &ledgerv1.ExportDATEVRequest{Tenant: "acme", Year: 2026, Month: 10}
		if diff := cmp.Diff([]proto.Message{want}, f.requests(), protocmp.Transform()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		files := map[string]string{}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			files[e.Name()] = string(b)
		}
		wantFiles := map[string]string{
			"EXTF_Buchungsstapel_2026-10.csv": "\"EXTF\";700;21\r\n119,00;\"S\"\r\n",
			"EXTF_Debitoren_2026-10.csv":      "\"EXTF\";700;16\r\n",
		}
		if diff := cmp.Diff(wantFiles, files); diff != "" {
			t.Errorf("files (-want +got):\n%s", diff)
		}
		mark := "the period is OPEN: provisional"
		if closed {
			mark = "the period is closed"
		}
		if !strings.Contains(stdout, mark) {
			t.Errorf("closed=%v: output lacks %q:\n%s", closed, mark, stdout)
		}
	}
}

// statementServer is a fake of the ledger's LedgerQueryService that
// answers one statement.
type statementServer struct {
	ledgerv1grpc.UnimplementedLedgerQueryServiceServer
	reportServer
}

func (f *statementServer) GetDebtorStatement(_ context.Context, req *ledgerv1.GetDebtorStatementRequest) (*ledgerv1.GetDebtorStatementResponse, error) {
	f.record(req)
	day := &commonv1.Date{Year: 2026, Month: 3, Day: 2}
	return &ledgerv1.GetDebtorStatementResponse{DebtorAccount: "10001", OpeningBalances: []*commonv1.Money{eurMoney(0)},
		Lines: []*ledgerv1.StatementLine{
			{EffectiveDate: day, DocumentNumber: "RE-1", Text: "Rechnung", Debit: eurMoney(11900), Credit: eurMoney(0), RunningBalance: eurMoney(11900)},
			{EffectiveDate: day, DocumentNumber: "ZE-1", Text: "Zahlung", Debit: eurMoney(0), Credit: eurMoney(5000), RunningBalance: eurMoney(6900)},
		},
		ClosingBalances: []*commonv1.Money{eurMoney(6900)}}, nil
}

// TestReportStatementPDF renders a statement as a PDF letter from what the
// ledger answers and checks the request (as-of is the statement's last
// day) and that the file is a whole PDF.
func TestReportStatementPDF(t *testing.T) {
	t.Parallel()
	f := &statementServer{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	ledgerv1grpc.RegisterLedgerQueryServiceServer(s, f)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	out := filepath.Join(t.TempDir(), "statement.pdf")
	code, _, stderr := runCLI(t, "report", "statement", "--tenant", "acme", "--ledger", lis.Addr().String(), "--debtor", "K-1",
		"--as-of", "2026-03-31", "--format", "pdf", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := &ledgerv1.GetDebtorStatementRequest{Tenant: "acme", DebtorId: "K-1", To: reportAsOf, PageSize: pageSize}
	if diff := cmp.Diff([]proto.Message{want}, f.requests(), protocmp.Transform()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	pdf, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf[max(0, len(pdf)-32):], []byte("%%EOF")) {
		t.Errorf("%s is not a whole PDF: %q ... %q", out, pdf[:min(16, len(pdf))], pdf[max(0, len(pdf)-16):])
	}
	if !strings.Contains(stderr, "2 lines written to "+out) {
		t.Errorf("stderr %q does not say what was written", stderr)
	}
}
