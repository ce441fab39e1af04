package loadtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/chaos"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/redact"
	"github.com/o2c-platform/o2c/libs/telemetry"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// envReportLines sizes BenchmarkReports: the journal lines generated.
// `make bench` leaves it unset (100,000 lines); `make bench-reports` sets
// 10,000,000, issue #20's scale, of which about a tenth are open items at
// the key date (1,000,000).
const (
	envReportLines     = "O2C_BENCH_REPORT_LINES"
	defaultReportLines = 100_000
)

// reportKeyDate is the key date of every report: the last day of the
// generated year, 2025, so that every booking (the last payments come in
// January 2026) was recorded before the reports' known-at, now.
var reportKeyDate = &commonv1.Date{Year: 2025, Month: 12, Day: 31}

// BenchmarkReports runs each of the ledger's month-end reports (the
// ReportService over gRPC, as `o2c report` calls it, every row streamed to
// the client and counted) over O2C_BENCH_REPORT_LINES journal lines
// (default 100,000; `make bench-reports` 10,000,000) against the ledger in
// this process with durable PostgreSQL.
//
// The read models are filled by INSERT ... SELECT generate_series straight
// into the ledger's tables (journal_lines, open_items, settlements,
// debtor_accounts), as its projection would leave them for a year of
// business, with the debtor-totals triggers off during the fill (session
// replication role; the reports do not read those totals): the benchmark
// measures the reports, not the booking, and fails loudly when the tables
// change shape. The year: 24 % of the lines' count in invoices dated
// through 2025 (gross, net revenue 8400 and VAT 1776 legs), of 1/48 as
// many debtors (at most 50,000 personal accounts), one in twenty a
// marketplace's; seven in twelve paid 20 days after their date (bank 1200
// against the debtor), the rest open, about a tenth of the lines' count.
// The report feeds' tables are filled beside them: two dunning levels per
// unpaid item, a dispute on every hundredth debtor, every fiftieth unpaid
// item with collections, a customer group per debtor and matching's
// decision on every payment.
//
// Sub-benchmarks, one per report: open-items (the whole Einzel-OP-Liste),
// aging (by channel), aging-by-dunning-level-and-group, trial-balance and
// debtor-balances (the year), dso (twelve months by channel),
// dso-by-customer-group, and issue-aging-csv (IssueReport: computed,
// rendered, recorded).
//
// Metrics per report:
//
//	s/report      seconds from the call to the last row received
//	rows          rows the report streamed
//	peak-heap-MB  the largest live heap of this process (ledger and client) during the report
//	peak-rss-MB   this process's peak resident memory during the report (VmHWM, reset before each report)
//
// PostgreSQL's own memory is its shared buffers and work_mem per sort,
// bounded by its configuration, not by the report's size.
func BenchmarkReports(b *testing.B) {
	if testing.Short() {
		b.Skip("-short: runs PostgreSQL and the ledger")
	}
	lines := envInt(b, envReportLines, defaultReportLines)
	client, dbURL := startReportLedger(b)
	seed := time.Now()
	got := seedReports(b, dbURL, lines)
	b.Logf("read models filled in %v: %d journal lines, %d open items (%d open at %s), %d settlements, %d debtors",
		time.Since(seed).Round(time.Millisecond), got.lines, got.items, got.open, dateText(reportKeyDate), got.settlements, got.debtors)
	from := &commonv1.Date{Year: 2025, Month: 1, Day: 1}
	byChannel := []ledgerv1.ReportDimension{ledgerv1.ReportDimension_REPORT_DIMENSION_CHANNEL}
	reports := []struct {
		name string
		run  func(ctx context.Context) (int64, error)
		// want is the rows the report must stream; -1 when not checked
		// (an issued report's record counts its totals row too).
		want int64
	}{
		{"open-items", func(ctx context.Context) (int64, error) {
			s, err := client.OpenItems(ctx, &ledgerv1.OpenItemsRequest{Tenant: demo.Tenant, AsOf: reportKeyDate, PageSize: 1000})
			return countRows(s, err, func(r *ledgerv1.OpenItemsResponse) int { return len(r.GetRows()) })
		}, got.open},
		{"aging", func(ctx context.Context) (int64, error) {
			s, err := client.Aging(ctx, &ledgerv1.AgingRequest{Tenant: demo.Tenant, AsOf: reportKeyDate, GroupBy: byChannel})
			return countRows(s, err, func(r *ledgerv1.AgingResponse) int { return len(r.GetRows()) })
		}, 2},
		{"aging-by-dunning-level-and-group", func(ctx context.Context) (int64, error) {
			s, err := client.Aging(ctx, &ledgerv1.AgingRequest{Tenant: demo.Tenant, AsOf: reportKeyDate, GroupBy: []ledgerv1.ReportDimension{
				ledgerv1.ReportDimension_REPORT_DIMENSION_DUNNING_LEVEL, ledgerv1.ReportDimension_REPORT_DIMENSION_CUSTOMER_GROUP}})
			return countRows(s, err, func(r *ledgerv1.AgingResponse) int { return len(r.GetRows()) })
		}, 9},
		{"trial-balance", func(ctx context.Context) (int64, error) {
			s, err := client.TrialBalance(ctx, &ledgerv1.TrialBalanceRequest{Tenant: demo.Tenant, From: from, AsOf: reportKeyDate, PageSize: 1000})
			return countRows(s, err, func(r *ledgerv1.TrialBalanceResponse) int { return len(r.GetRows()) })
		}, -1},
		{"debtor-balances", func(ctx context.Context) (int64, error) {
			s, err := client.DebtorBalances(ctx, &ledgerv1.DebtorBalancesRequest{Tenant: demo.Tenant, From: from, AsOf: reportKeyDate, PageSize: 1000})
			return countRows(s, err, func(r *ledgerv1.DebtorBalancesResponse) int { return len(r.GetRows()) })
		}, got.debtors},
		{"dso", func(ctx context.Context) (int64, error) {
			s, err := client.DSO(ctx, &ledgerv1.DSORequest{Tenant: demo.Tenant, From: from, AsOf: reportKeyDate, GroupBy: byChannel})
			return countRows(s, err, func(r *ledgerv1.DSOResponse) int { return len(r.GetRows()) })
		}, 24},
		{"dso-by-customer-group", func(ctx context.Context) (int64, error) {
			s, err := client.DSO(ctx, &ledgerv1.DSORequest{Tenant: demo.Tenant, From: from, AsOf: reportKeyDate,
				GroupBy: []ledgerv1.ReportDimension{ledgerv1.ReportDimension_REPORT_DIMENSION_CUSTOMER_GROUP}})
			return countRows(s, err, func(r *ledgerv1.DSOResponse) int { return len(r.GetRows()) })
		}, 36},
		{"issue-aging-csv", func(ctx context.Context) (int64, error) {
			s, err := client.IssueReport(ctx, &ledgerv1.IssueReportRequest{Tenant: demo.Tenant, Format: ledgerv1.ReportFormat_REPORT_FORMAT_CSV,
				Report: &ledgerv1.IssueReportRequest_Aging{Aging: &ledgerv1.AgingRequest{AsOf: reportKeyDate, GroupBy: byChannel}}})
			var rows int64
			_, err = countRows(s, err, func(r *ledgerv1.IssueReportResponse) int {
				if r.GetReport() != nil {
					rows = r.GetReport().GetRows()
				}
				return 0
			})
			return rows, err
		}, -1},
	}
	for _, r := range reports {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				resetPeakRSS()
				peak := watchHeap()
				start := time.Now()
				n, err := r.run(b.Context())
				took := time.Since(start)
				heap := peak()
				if err != nil {
					b.Fatalf("%s: %v", r.name, err)
				}
				if r.want >= 0 && n != r.want {
					b.Fatalf("%s streamed %d rows, want %d", r.name, n, r.want)
				}
				b.ReportMetric(took.Seconds(), "s/report")
				b.ReportMetric(float64(n), "rows")
				b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(peakRSS())/(1<<20), "peak-rss-MB")
				b.Logf("%s over %d journal lines and %d open items: %d rows in %v; peak heap %.0f MiB, peak RSS %.0f MiB",
					r.name, got.lines, got.open, n, took.Round(time.Millisecond), float64(heap)/(1<<20), float64(peakRSS())/(1<<20))
			}
		})
	}
}

// countRows reads a report stream to its end and returns the rows rowsOf
// counts in its responses.
func countRows[R any](s interface{ Recv() (R, error) }, err error, rowsOf func(R) int) (int64, error) {
	if err != nil {
		return 0, err
	}
	var n int64
	for {
		r, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n += int64(rowsOf(r))
	}
}

// resetPeakRSS resets the process's VmHWM to its current resident size
// (Linux: clear_refs 5), so that peakRSS reports the peak since; elsewhere
// it does nothing and peakRSS is the peak since the start.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// startReportLedger starts PostgreSQL, NATS and the ledger with the
// demo's tenants and returns a ReportService client and the database URL.
func startReportLedger(b *testing.B) (ledgerv1grpc.ReportServiceClient, string) {
	b.Helper()
	ctx := b.Context()
	pg := chaos.StartPostgres(b)
	if err := pg.Cluster.CreateDatabase(ctx, "o2c", ""); err != nil {
		b.Fatal(err)
	}
	dbURL := pg.Cluster.DatabaseURL("o2c")
	ns := chaos.StartNATS(b)
	// The ledger's consumers wait for the streams they read: ingestion's
	// and those of the services that send it commands.
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	var streams []jetstream.StreamConfig
	for _, svc := range []string{"ingestion", "matching", "dunning", "collections", "refund-import"} {
		streams = append(streams, bus.ServiceStreamConfig(svc))
	}
	if err := bus.EnsureStreams(ctx, js, streams...); err != nil {
		b.Fatal(err)
	}
	ts, err := demo.Tenants()
	if err != nil {
		b.Fatal(err)
	}
	logs := &lockedBuffer{}
	log := slog.New(redact.NewHandler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	cfg := host.Config{
		MigrateDatabaseURL: dbURL, NATSURL: ns.URL(), GRPCAddr: freeAddr(b), ManageStreams: true,
		ShutdownTimeout: 5 * time.Second, RetryMin: 20 * time.Millisecond, RetryMax: 500 * time.Millisecond,
		Auth: auth.DevConfig(func(string) string { return "" }),
	}
	svc, err := chaos.StartService(ctx, ledger.Name, func(ctx context.Context) error {
		return ledger.Run(ctx, cfg, ledger.Options{Tenants: ts}, telemetry.Providers{}, log, nil)
	}, chaos.Serving(cfg.GRPCAddr))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := svc.Kill(); err != nil {
			b.Errorf("at the end: %v", err)
		}
		if b.Failed() {
			b.Logf("ledger logs:\n%s", logs.String())
		}
	})
	conn, err := grpc.NewClient(cfg.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return ledgerv1grpc.NewReportServiceClient(conn), dbURL
}

// seeded is what seedReports wrote.
type seeded struct {
	lines, items, open, settlements, debtors int64
}

// seedReports fills the ledger's read models with about lines journal
// lines (see BenchmarkReports) and returns what the tables hold.
func seedReports(b *testing.B, dbURL string, lines int) seeded {
	b.Helper()
	ctx := b.Context()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	invoices := max(lines*24/100, 1)
	debtors := min(max(invoices/48, 1), 50_000)
	all := []any{demo.Tenant}
	steps := []struct {
		what, sql string
		args      []any
	}{
		{"session", `SET search_path = ` + ledger.Name + `; SET session_replication_role = replica`, nil},
		{"debtor_accounts", `INSERT INTO debtor_accounts (tenant, debtor_id, account_no)
			SELECT $1::text, 'K-' || lpad(d::text, 6, '0'), 10000 + d FROM generate_series(0, $2::int - 1) d`, []any{demo.Tenant, debtors}},
		// Invoice i: debtor i % debtors, dated day i % 365 of 2025, due 14
		// days later, gross a multiple of 1.19 EUR (net and VAT exact),
		// recorded an hour after its date.
		{"invoices", `CREATE TEMP TABLE gen AS
			SELECT i, i % $2::int AS d, date '2025-01-01' + (i % 365)::int AS doc, 119 * (10 + (i * 7919) % 5000) AS gross,
			       md5('entry' || i)::uuid AS entry, md5('item' || i)::uuid AS item, md5('pay' || i)::uuid AS pay,
			       i % 12 >= 5 AS paid, CASE WHEN i % 20 = 19 THEN 'amazon.de' ELSE '' END AS market
			FROM generate_series(0, $1::bigint - 1) i`, []any{invoices, debtors}},
		{"journal_lines of the invoices", `INSERT INTO journal_lines (tenant, entry_id, leg_no, account, debtor_id, currency, amount_minor,
				effective_date, document_number, tax_key, event_position, recorded_at)
			SELECT $1::text, entry, leg, CASE leg WHEN 0 THEN (10000 + d)::text WHEN 1 THEN '8400' ELSE '1776' END,
			       CASE leg WHEN 0 THEN 'K-' || lpad(d::text, 6, '0') ELSE '' END, 'EUR',
			       CASE leg WHEN 0 THEN gross WHEN 1 THEN -gross / 119 * 100 ELSE -gross / 119 * 19 END,
			       doc, 'RE-' || i, '', 2 * i + 1, doc + interval '1 hour'
			FROM gen, generate_series(0, 2) leg`, all},
		{"journal_lines of the payments", `INSERT INTO journal_lines (tenant, entry_id, leg_no, account, debtor_id, currency, amount_minor,
				effective_date, document_number, tax_key, event_position, recorded_at)
			SELECT $1::text, pay, leg, CASE leg WHEN 0 THEN '1200' ELSE (10000 + d)::text END,
			       CASE leg WHEN 0 THEN '' ELSE 'K-' || lpad(d::text, 6, '0') END, 'EUR',
			       CASE leg WHEN 0 THEN gross ELSE -gross END, doc + 20, 'ZE-' || i, '', 2 * i + 2, doc + 20 + interval '1 hour'
			FROM gen, generate_series(0, 1) leg WHERE paid`, all},
		{"open_items", `INSERT INTO open_items (tenant, id, debtor_id, debtor_account, kind, document_number, currency, amount_minor, open_minor,
				document_date, due_date, payment_reference, entry_id, recorded_at, marketplace)
			SELECT $1::text, item, 'K-' || lpad(d::text, 6, '0'), (10000 + d)::text, 'invoice', 'RE-' || i, 'EUR', gross,
			       CASE WHEN paid THEN 0 ELSE gross END, doc, doc + 14, 'RE-' || i, entry, doc + interval '1 hour', market
			FROM gen`, all},
		{"settlements", `INSERT INTO settlements (tenant, id, open_item_id, debtor_id, entry_id, kind, currency, amount_minor, effective_date,
				recorded_at, event_position)
			SELECT $1::text, pay, item, 'K-' || lpad(d::text, 6, '0'), pay, 'payment', 'EUR', gross, doc + 20, doc + 20 + interval '1 hour', 2 * i + 2
			FROM gen WHERE paid`, all},
		// The report feeds: every unpaid item reminded twice (level 1 ten
		// days after its due date, level 2 two weeks later), a dispute on
		// every hundredth debtor, every fiftieth unpaid item released to
		// collections, a customer group for every debtor, and matching's
		// decision on every payment (four in five without a person).
		{"report_dunning_levels", `INSERT INTO report_dunning_levels (tenant, open_item_id, event_id, debtor_id, level, effective_date, recorded_at, seq)
			SELECT $1::text, item, md5('dun' || i || '-' || l)::uuid, 'K-' || lpad(d::text, 6, '0'), l, doc + 10 + 14 * l,
			       doc + 10 + 14 * l + interval '2 hours', 2 * i + l
			FROM gen, generate_series(1, 2) l WHERE NOT paid`, all},
		{"report_dunning_blocks", `INSERT INTO report_dunning_blocks (tenant, block_id, debtor_id, reason, set_date, set_recorded_at)
			SELECT $1::text, 'B-' || d, 'K-' || lpad(d::text, 6, '0'), 'dispute', date '2025-06-01', timestamptz '2025-06-01 01:00Z'
			FROM generate_series(0, $2::int - 1) d WHERE d % 100 = 0`, []any{demo.Tenant, debtors}},
		{"report_collection_statuses", `INSERT INTO report_collection_statuses (tenant, open_item_id, event_id, case_id, status, effective_date, recorded_at, seq)
			SELECT $1::text, item, md5('col' || i)::uuid, 'C-' || i, 'released', doc + 60, doc + 60 + interval '1 hour', i
			FROM gen WHERE NOT paid AND i % 50 = 0`, all},
		{"report_customer_groups", `INSERT INTO report_customer_groups (tenant, debtor_id, event_id, customer_group, updated_at, effective_date, recorded_at, seq)
			SELECT $1::text, 'K-' || lpad(d::text, 6, '0'), md5('cust' || d)::uuid, (ARRAY['retail', 'wholesale', 'key-accounts'])[d % 3 + 1],
			       timestamptz '2024-12-01 00:00Z', date '2024-12-01', timestamptz '2024-12-01 01:00Z', d
			FROM generate_series(0, $2::int - 1) d`, []any{demo.Tenant, debtors}},
		{"report_payment_decisions", `INSERT INTO report_payment_decisions (tenant, entry_id, event_id, payment_id, auto, recorded_at)
			SELECT $1::text, pay, md5('dec' || i)::uuid, 'P-' || i, i % 5 <> 0, doc + 20 + interval '30 minutes'
			FROM gen WHERE paid`, all},
		{"analyze", `DROP TABLE gen; ANALYZE debtor_accounts; ANALYZE journal_lines; ANALYZE open_items; ANALYZE settlements;
			ANALYZE report_dunning_levels; ANALYZE report_dunning_blocks; ANALYZE report_collection_statuses; ANALYZE report_customer_groups;
			ANALYZE report_payment_decisions`, nil},
	}
	for _, s := range steps {
		start := time.Now()
		if _, err := conn.Exec(ctx, s.sql, s.args...); err != nil {
			b.Fatalf("fill the ledger's %s (has the table changed?): %v", s.what, err)
		}
		b.Logf("%s: %v", s.what, time.Since(start).Round(time.Millisecond))
	}
	var out seeded
	err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM journal_lines), (SELECT count(*) FROM open_items),
		(SELECT count(*) FROM open_items o WHERE o.document_date <= $1 AND o.amount_minor <> COALESCE((SELECT sum(s.amount_minor) FROM settlements s
			WHERE s.tenant = o.tenant AND s.open_item_id = o.id AND s.effective_date <= $1), 0)),
		(SELECT count(*) FROM settlements), (SELECT count(*) FROM debtor_accounts)`,
		time.Date(int(reportKeyDate.GetYear()), time.Month(reportKeyDate.GetMonth()), int(reportKeyDate.GetDay()), 0, 0, 0, 0, time.UTC)).
		Scan(&out.lines, &out.items, &out.open, &out.settlements, &out.debtors)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// dateText is a date as YYYY-MM-DD.
func dateText(d *commonv1.Date) string {
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}
